"""Progress of a project: progress updates (what happened on an approved project and
how far along it is) and participation events (what an organisation ran for a
project, and who came)."""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, require_perm
from renewal.models import (
    CommunityOrganization,
    EventKind,
    ParticipationEvent,
    ProgressUpdate,
    ProjectStatus,
    RenewalProject,
)
from renewal.models.projects import UPDATABLE_STATUSES
from renewal.services.notifications import enqueue_progress_update_notifications

MILESTONE_MAX_LENGTH = ProgressUpdate._meta.get_field("milestone").max_length


@transaction.atomic
def progress_update_post(
    *,
    author,
    project: RenewalProject,
    text: str,
    percent_complete: int,
    milestone: str = "",
) -> ProgressUpdate:
    """Post a progress update as the project's lead organisation or city editor.

    The percentage may go down (a phase re-planned, a setback) only with a milestone
    that names why, so that followers are never shown an unexplained step back.
    """
    require_perm(
        author,
        "renewal.add_progressupdate",
        project,
        message=_(
            "Only the lead organisation or the city's staff post progress updates."
        ),
    )
    # The row lock orders concurrent updates of one project, so that "the latest
    # percentage" below is the one this update follows.
    project = RenewalProject.objects.select_for_update().get(pk=project.pk)
    if project.status not in UPDATABLE_STATUSES:
        raise DomainError(
            _("A project that is “%(status)s” takes no progress updates.")
            % {"status": ProjectStatus(project.status).label}
        )
    text, milestone = (text or "").strip(), (milestone or "").strip()
    if not text:
        raise DomainError(
            _("Say what happened."), fields={"text": [_("This field is required.")]}
        )
    if isinstance(percent_complete, bool) or not isinstance(percent_complete, int):
        raise DomainError(
            _("The percentage is a whole number from 0 to 100."),
            fields={"percent_complete": [_("A whole number from 0 to 100.")]},
        )
    if not 0 <= percent_complete <= 100:
        raise DomainError(
            _("The percentage must lie between 0 and 100."),
            fields={"percent_complete": [_("A whole number from 0 to 100.")]},
        )
    if len(milestone) > MILESTONE_MAX_LENGTH:
        raise DomainError(
            _("The milestone is too long."),
            fields={
                "milestone": [
                    _("At most %(count)d characters.") % {"count": MILESTONE_MAX_LENGTH}
                ]
            },
        )
    previous = (
        ProgressUpdate.objects.filter(project=project)
        .values_list("percent_complete", flat=True)
        .first()
    )
    if previous is not None and percent_complete < previous and not milestone:
        raise DomainError(
            _(
                "Progress goes back from %(previous)d%% to %(current)d%%; "
                "name the milestone that explains it."
            )
            % {"previous": previous, "current": percent_complete},
            fields={"milestone": [_("Required when the percentage goes down.")]},
        )
    update = ProgressUpdate.objects.create(
        project=project,
        author=author,
        text=text,
        percent_complete=percent_complete,
        milestone=milestone,
    )
    enqueue_progress_update_notifications(update.pk)
    return update


ATTENDEE_FIELDS = (
    "attendees_under_20",
    "attendees_20_39",
    "attendees_40_64",
    "attendees_65_plus",
)
EVENT_FIELDS = frozenset(
    {"kind", "date", "place", "location", "volunteer_hours", *ATTENDEE_FIELDS}
)
# PositiveIntegerField's upper bound in PostgreSQL; a larger count is a typo anyway.
MAX_COUNT = 2_147_483_647
MAX_VOLUNTEER_HOURS = Decimal("9999999.9")  # max_digits=8, decimal_places=1


def _invalid(field: str, message, detail) -> DomainError:
    return DomainError(message, fields={field: [detail]})


def _check(project: RenewalProject, organization: CommunityOrganization, data: dict):
    unknown = sorted(set(data) - EVENT_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            fields={name: [_("Not a field of an event.")] for name in unknown},
        )
    # The organisation must have a stake in the project: it leads it, or it works in
    # the project's municipality (a residents' council, the support centre). Anything
    # else would let any organisation inflate another city's participation figures.
    if (
        project.lead_organization_id != organization.pk
        and project.municipality_id != organization.municipality_id
    ):
        raise _invalid(
            "organization",
            _(
                "%(organization)s neither leads this project nor works in its "
                "municipality."
            )
            % {"organization": organization.name},
            _("Must lead the project or belong to its municipality."),
        )
    if data.get("kind") not in EventKind.values:
        raise _invalid(
            "kind",
            _("Choose the kind of event."),
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(EventKind.values)},
        )
    date = data.get("date")
    if not isinstance(date, datetime.date) or isinstance(date, datetime.datetime):
        raise _invalid("date", _("Give the date of the event."), _("A date."))
    # Events are recorded after they happened: attendance and volunteer hours are
    # counts, and a planned event has none yet.
    if date > timezone.localdate():
        raise _invalid(
            "date",
            _("The event's date lies in the future; record it once it took place."),
            _("Not after today."),
        )
    for name in ATTENDEE_FIELDS:
        value = data.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid(name, _("Attendance is a whole number."), _("A number."))
        if not 0 <= value <= MAX_COUNT:
            raise _invalid(
                name,
                _("Attendance cannot be negative."),
                _("Zero or more."),
            )
    try:
        hours = Decimal(str(data.get("volunteer_hours", 0)))
    except InvalidOperation:
        hours = Decimal("NaN")
    if not hours.is_finite() or not 0 <= hours <= MAX_VOLUNTEER_HOURS:
        raise _invalid(
            "volunteer_hours",
            _("Volunteer hours are zero or more."),
            _("Zero or more."),
        )
    location = data.get("location")
    if location is not None and not isinstance(location, Point):
        raise _invalid(
            "location", _("The location must be a Point."), _("Use a Point.")
        )


@transaction.atomic
def participation_event_record(
    *,
    actor,
    project: RenewalProject,
    organization: CommunityOrganization,
    data: dict,
) -> ParticipationEvent:
    """Record an event an organisation ran for a project; its members only."""
    require_perm(
        actor,
        "renewal.add_participationevent",
        organization,
        message=_("Only members of the organisation record its participation events."),
    )
    _check(project, organization, data)
    return ParticipationEvent.objects.create(
        project=project,
        organization=organization,
        recorded_by=actor,
        **{**data, "place": (data.get("place") or "").strip()},
    )
