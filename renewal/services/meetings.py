"""Meetings: an event announced for a project before it takes place (a workshop, a
주민설명회, a cleanup), the RSVPs of residents, and the attendance its organiser
records afterwards.

An announced meeting is a `ParticipationEvent` in the "announced" status. Recording
its attendance turns the same row into a held event, so the meeting's RSVPs, its
calendar entry and its participation figures stay one record, and the totals
(renewal/selectors/progress.py) count it like any event recorded afterwards.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, require_perm
from core.geography import KOREA_BOUNDS
from renewal.models import (
    EventKind,
    EventRsvp,
    EventStatus,
    ParticipationEvent,
    ProjectStatus,
    RenewalProject,
)
from renewal.models.progress import (
    MEETING_ANNOUNCE_FIELDS,
    MEETING_PROJECT_STATUSES,
    WALK_IN_FIELDS,
)
from renewal.rules import organization_ids
from renewal.services.progress import MAX_COUNT, MAX_VOLUNTEER_HOURS

TITLE_MAX_LENGTH = ParticipationEvent._meta.get_field("title").max_length
PLACE_MAX_LENGTH = ParticipationEvent._meta.get_field("place").max_length
# A meeting lasts at most a day; a festival of several days is several events.
MAX_DURATION = datetime.timedelta(hours=24)
MAX_CAPACITY = 100_000


def _invalid(field: str, message, detail) -> DomainError:
    return DomainError(message, fields={field: [detail]})


def _check_announcement(project: RenewalProject, data: dict) -> dict:
    unknown = sorted(set(data) - MEETING_ANNOUNCE_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            fields={name: [_("Not a field of a meeting.")] for name in unknown},
        )
    if project.status not in MEETING_PROJECT_STATUSES:
        raise DomainError(
            _("A project that is “%(status)s” takes no new meetings.")
            % {"status": ProjectStatus(project.status).label}
        )
    if data.get("kind") not in EventKind.values:
        raise _invalid(
            "kind",
            _("Choose the kind of event."),
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(EventKind.values)},
        )
    title = (data.get("title") or "").strip()
    if not title:
        raise _invalid("title", _("Give the meeting a title."), _("Required."))
    if len(title) > TITLE_MAX_LENGTH:
        raise _invalid(
            "title",
            _("The title is too long."),
            _("At most %(count)d characters.") % {"count": TITLE_MAX_LENGTH},
        )
    place = (data.get("place") or "").strip()
    if not place:
        raise _invalid("place", _("Say where the meeting takes place."), _("Required."))
    if len(place) > PLACE_MAX_LENGTH:
        raise _invalid(
            "place",
            _("The address is too long."),
            _("At most %(count)d characters.") % {"count": PLACE_MAX_LENGTH},
        )
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if not isinstance(starts_at, datetime.datetime) or timezone.is_naive(starts_at):
        raise _invalid(
            "starts_at", _("Give the date and time it starts."), _("A date and time.")
        )
    if starts_at <= timezone.now():
        raise _invalid(
            "starts_at",
            _("The start lies in the past; record a past event with its attendance."),
            _("Must lie in the future."),
        )
    if ends_at is not None:
        if not isinstance(ends_at, datetime.datetime) or timezone.is_naive(ends_at):
            raise _invalid(
                "ends_at", _("Give the end as a date and time."), _("A date and time.")
            )
        if not starts_at < ends_at <= starts_at + MAX_DURATION:
            raise _invalid(
                "ends_at",
                _("The end must come after the start, on the same day or the next."),
                _("After the start, at most 24 hours later."),
            )
    capacity = data.get("capacity")
    if capacity is not None and (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 1 <= capacity <= MAX_CAPACITY
    ):
        raise _invalid(
            "capacity",
            _("The capacity is a number of people, at least one."),
            _("Leave empty for no limit."),
        )
    location = data.get("location")
    if location is not None:
        if not isinstance(location, Point) or location.srid not in (None, 4326):
            raise _invalid(
                "location",
                _("The location must be a point in longitude and latitude."),
                _("Use a Point (EPSG:4326)."),
            )
        min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
        if not (min_lon <= location.x <= max_lon and min_lat <= location.y <= max_lat):
            raise _invalid(
                "location",
                _("The location lies outside Korea."),
                _("Outside Korea."),
            )
    return {
        "kind": data["kind"],
        "title": title,
        "description": (data.get("description") or "").strip(),
        "place": place,
        "location": location,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "capacity": capacity,
    }


def meeting_create(*, actor, project: RenewalProject, data: dict) -> ParticipationEvent:
    """Announce a meeting, without a permission check (the demo, imports).

    It is the lead organisation's meeting when the actor is one of its staff, the
    city's own otherwise.
    """
    fields = _check_announcement(project, data)
    organization_id = (
        project.lead_organization_id
        if project.lead_organization_id in organization_ids(actor)
        else None
    )
    return ParticipationEvent.objects.create(
        project=project,
        organization_id=organization_id,
        status=EventStatus.ANNOUNCED,
        date=timezone.localtime(fields["starts_at"]).date(),
        announced_by=actor,
        **fields,
    )


@transaction.atomic
def meeting_announce(
    *, actor, project: RenewalProject, data: dict
) -> ParticipationEvent:
    require_perm(
        actor,
        "renewal.announce_event",
        project,
        message=_(
            "Only the project's lead organisation or the city's staff announce "
            "its meetings."
        ),
    )
    return meeting_create(actor=actor, project=project, data=data)


def _locked_announced(event: ParticipationEvent) -> ParticipationEvent:
    # The row lock orders RSVPs against the capacity and against the recording.
    event = (
        ParticipationEvent.objects.select_for_update(of=("self",))
        .select_related("project")
        .get(pk=event.pk)
    )
    if event.status != EventStatus.ANNOUNCED:
        raise DomainError(_("This meeting has already taken place."))
    return event


@transaction.atomic
def meeting_rsvp(*, user, event: ParticipationEvent) -> EventRsvp:
    """Say one will come. Saying it twice (a double click) changes nothing."""
    require_perm(user, "renewal.rsvp_event", event)
    event = _locked_announced(event)
    if event.starts_at <= timezone.now():
        raise DomainError(_("This meeting has already started."))
    existing = EventRsvp.objects.filter(event=event, user=user).first()
    if existing is not None:
        return existing
    if event.capacity is not None and event.rsvps.count() >= event.capacity:
        raise DomainError(
            _("The meeting is full: all %(count)d places are taken.")
            % {"count": event.capacity}
        )
    try:
        with transaction.atomic():
            return EventRsvp.objects.create(event=event, user=user)
    except IntegrityError:
        return EventRsvp.objects.get(event=event, user=user)


@transaction.atomic
def meeting_rsvp_cancel(*, user, event: ParticipationEvent) -> bool:
    """Take one's RSVP back before the meeting starts; True if there was one."""
    require_perm(user, "renewal.rsvp_event", event)
    event = _locked_announced(event)
    if event.starts_at <= timezone.now():
        raise DomainError(_("The meeting has started; the RSVP stays as it was."))
    deleted, _rows = EventRsvp.objects.filter(event=event, user=user).delete()
    return bool(deleted)


def _count(name: str, value) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(name, _("Attendance is a whole number."), _("A number."))
    if not 0 <= value <= MAX_COUNT:
        raise _invalid(name, _("Attendance cannot be negative."), _("Zero or more."))
    return value


@transaction.atomic
def meeting_attendance_record(
    *,
    actor,
    event: ParticipationEvent,
    attended_user_ids,
    walk_ins: dict,
    volunteer_hours=0,
) -> ParticipationEvent:
    """Record who came (ticked among the RSVPs) and the walk-ins by age band; the
    meeting becomes a held event and counts in the participation figures."""
    require_perm(
        actor,
        "renewal.manage_event",
        event,
        message=_("Only the meeting's organiser records its attendance."),
    )
    event = _locked_announced(event)
    if event.starts_at > timezone.now():
        raise DomainError(
            _("The meeting has not started yet; record its attendance afterwards.")
        )
    unknown_bands = sorted(set(walk_ins) - WALK_IN_FIELDS)
    if unknown_bands:
        raise DomainError(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown_bands)}
        )
    counts = {name: _count(name, walk_ins.get(name)) for name in WALK_IN_FIELDS}
    try:
        hours = Decimal(str(volunteer_hours or 0))
    except InvalidOperation:
        hours = Decimal("NaN")
    if not hours.is_finite() or not 0 <= hours <= MAX_VOLUNTEER_HOURS:
        raise _invalid(
            "volunteer_hours",
            _("Volunteer hours are zero or more."),
            _("Zero or more."),
        )
    rsvps = {rsvp.user_id: rsvp for rsvp in event.rsvps.all()}
    try:
        attended = {int(pk) for pk in attended_user_ids}
    except (TypeError, ValueError):
        attended = None
    if attended is None or not attended <= set(rsvps):
        # A forged or stale id: only people who said they would come are ticked.
        raise _invalid(
            "attended",
            _("Tick only people who RSVPed to this meeting."),
            _("Not an RSVP of this meeting."),
        )
    came = [rsvp.pk for user_id, rsvp in rsvps.items() if user_id in attended]
    EventRsvp.objects.filter(event=event).update(attended=False)
    EventRsvp.objects.filter(pk__in=came).update(attended=True)
    for name, value in counts.items():
        setattr(event, name, value)
    event.attendees_age_unknown = len(came)
    event.volunteer_hours = hours
    event.status = EventStatus.HELD
    event.recorded_by = actor
    event.save()
    return event
