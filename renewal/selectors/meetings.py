"""Meeting reads: announced meetings of a project or a city, one meeting with its
RSVPs, and a resident's own RSVPs. Only meetings of projects the user may see."""

from django.db.models import Count, Exists, OuterRef, QuerySet, Value
from django.http import Http404
from django.utils import timezone

from cities.models import Municipality
from renewal.models import (
    EventRsvp,
    EventStatus,
    ParticipationEvent,
    RenewalProject,
)
from renewal.selectors.projects import visible_projects


def _events(user) -> QuerySet[ParticipationEvent]:
    return ParticipationEvent.objects.filter(
        project__in=visible_projects(RenewalProject.objects.all(), user)
    ).select_related("project__municipality", "organization")


def _with_rsvps(events: QuerySet[ParticipationEvent], user) -> QuerySet:
    mine = (
        Exists(EventRsvp.objects.filter(event=OuterRef("pk"), user=user))
        if user.is_authenticated
        else Value(False)
    )
    return events.annotate(rsvp_count=Count("rsvps"), rsvped=mine)


def meeting_list(
    *,
    user,
    project: RenewalProject | None = None,
    municipality: Municipality | None = None,
    upcoming: bool = False,
) -> QuerySet[ParticipationEvent]:
    """Announced meetings, soonest first. With `upcoming`, only those not yet
    started; without, also those started but not yet recorded (their organiser
    still records the attendance)."""
    events = _events(user).filter(status=EventStatus.ANNOUNCED)
    if project is not None:
        events = events.filter(project=project)
    if municipality is not None:
        events = events.filter(project__municipality=municipality)
    if upcoming:
        events = events.filter(starts_at__gt=timezone.now())
    return _with_rsvps(events, user).order_by("starts_at", "id")


def held_event_list(*, user, project: RenewalProject) -> QuerySet[ParticipationEvent]:
    """A project's events that took place, newest first, with their figures."""
    return (
        _events(user)
        .filter(project=project, status=EventStatus.HELD)
        .order_by("-date", "-id")
    )


def meeting_get(*, user, pk: int) -> ParticipationEvent:
    """One event (announced or held) of a project the user may see, else 404."""
    try:
        return _with_rsvps(_events(user), user).get(pk=pk)
    except ParticipationEvent.DoesNotExist:
        raise Http404 from None


def meeting_rsvp_list(*, event: ParticipationEvent) -> QuerySet[EventRsvp]:
    return EventRsvp.objects.filter(event=event).select_related("user")


def organization_event_list(*, user, organization) -> QuerySet[ParticipationEvent]:
    """An organisation's events, announced and held, newest first."""
    return _events(user).filter(organization=organization).order_by("-date", "-id")
