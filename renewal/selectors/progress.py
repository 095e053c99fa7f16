"""Participation reads: progress updates, event lists and participation totals.

Totals are counted by PostgreSQL: one grouped query per call, by (key, month). The
figures for a key are the sum of its monthly buckets, so a total and its series come
from the same snapshot and always agree.

`participation_totals_by(key=...)` takes any expression over an event as the grouping
key. Per-project, per-organisation, per-municipality and per-municipality-group totals
are that function with a field path; totals per city type plug in the same way once
municipalities carry a typology (for example
`key=F("project__municipality__typology")`, or a `Case` that maps municipalities
onto types).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Expression, F, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth
from django.http import Http404

from cities.models import Municipality, MunicipalityGroup
from renewal.models import (
    CommunityOrganization,
    EventStatus,
    ParticipationEvent,
    ProgressUpdate,
    RenewalProject,
)
from renewal.selectors.projects import visible_projects

AGE_BANDS = {
    "under_20": "attendees_under_20",
    "20_39": "attendees_20_39",
    "40_64": "attendees_40_64",
    "65_plus": "attendees_65_plus",
    # Attendees who came on their RSVP to an announced meeting.
    "unknown": "attendees_age_unknown",
}


@dataclass
class Figures:
    events: int = 0
    attendees: int = 0
    attendees_by_age: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(AGE_BANDS, 0)
    )
    volunteer_hours: Decimal = Decimal("0.0")

    def add(self, other: "Figures") -> None:
        self.events += other.events
        self.attendees += other.attendees
        for band, count in other.attendees_by_age.items():
            self.attendees_by_age[band] += count
        self.volunteer_hours += other.volunteer_hours


@dataclass
class MonthFigures(Figures):
    month: datetime.date = datetime.date.min


@dataclass
class Totals(Figures):
    """Figures over all time plus a gap-free monthly series (first to last month)."""

    monthly: list[MonthFigures] = field(default_factory=list)


def progress_update_list(*, project: RenewalProject) -> QuerySet[ProgressUpdate]:
    """A project's updates, newest first (public: updates are accountability)."""
    return (
        ProgressUpdate.objects.filter(project=project)
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def _visible_events(user) -> QuerySet[ParticipationEvent]:
    # An event tells of its project: where a project is hidden, so are its events,
    # and they count in no figure shown to someone who may not see the project.
    # A meeting that is only announced has no figures yet (renewal/selectors/
    # meetings.py lists those).
    return ParticipationEvent.objects.filter(
        status=EventStatus.HELD,
        project__in=visible_projects(RenewalProject.objects.all(), user),
    )


def participation_event_list(*, user) -> QuerySet[ParticipationEvent]:
    """The events this user may see, with what a list shows about them fetched in
    the same query."""
    return (
        _visible_events(user)
        .select_related("project__municipality", "organization")
        .order_by("-date", "-id")
    )


def participation_events_in_scope(
    *,
    user,
    project: RenewalProject | None = None,
    organization: CommunityOrganization | None = None,
    municipality: Municipality | None = None,
    group: MunicipalityGroup | None = None,
) -> QuerySet[ParticipationEvent]:
    """Events of a project, an organisation, a municipality or a group of them.

    An event counts for the municipality of its project (where the renewal happens),
    not for the organisation's seat. Only events of projects this user may see
    count; a project the user may not see is not found (404), as the project is.
    """
    events = _visible_events(user)
    if project is not None:
        if not visible_projects(
            RenewalProject.objects.filter(pk=project.pk), user
        ).exists():
            raise Http404
        events = events.filter(project=project)
    if organization is not None:
        events = events.filter(organization=organization)
    if municipality is not None:
        events = events.filter(project__municipality=municipality)
    if group is not None:
        # One group: each member municipality appears once, so no event is doubled.
        events = events.filter(project__municipality__groups=group)
    return events


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, current = [], first
    while current <= last:
        months.append(current)
        current = (current + datetime.timedelta(days=32)).replace(day=1)
    return months


def participation_totals_by(
    *, key: Expression | F, events: QuerySet[ParticipationEvent] | None = None
) -> dict[Any, Totals]:
    """Totals and monthly series for each value of `key`, in one query.

    Events whose key is NULL (a municipality in no group, say) are left out.
    """
    if events is None:
        events = ParticipationEvent.objects.filter(status=EventStatus.HELD)
    age_sums = {band: Sum(column) for band, column in AGE_BANDS.items()}
    rows = (
        events.annotate(total_key=key, month=TruncMonth("date"))
        .exclude(total_key__isnull=True)
        .order_by()  # the model's ordering would otherwise enter the GROUP BY
        .values("total_key", "month")
        .annotate(
            n_events=Count("id"),
            n_hours=Sum("volunteer_hours"),
            **{f"age_{band}": aggregate for band, aggregate in age_sums.items()},
        )
        .order_by("total_key", "month")
    )
    buckets: dict[Any, dict[datetime.date, MonthFigures]] = {}
    for row in rows:
        by_age = {band: row[f"age_{band}"] or 0 for band in AGE_BANDS}
        buckets.setdefault(row["total_key"], {})[row["month"]] = MonthFigures(
            month=row["month"],
            events=row["n_events"],
            attendees=sum(by_age.values()),
            attendees_by_age=by_age,
            volunteer_hours=row["n_hours"] or Decimal("0.0"),
        )
    result = {}
    for total_key, by_month in buckets.items():
        totals = Totals()
        # Months without events are in the series as zeros, so that charts show gaps.
        for month in _months(min(by_month), max(by_month)):
            figures = by_month.get(month) or MonthFigures(month=month)
            totals.add(figures)
            totals.monthly.append(figures)
        result[total_key] = totals
    return result


def participation_totals(
    *, events: QuerySet[ParticipationEvent] | None = None
) -> Totals:
    """One set of totals (with its monthly series) over the given events."""
    return participation_totals_by(key=Value(1), events=events).get(1) or Totals()


def participation_totals_per_project(**kwargs) -> dict[int, Totals]:
    return participation_totals_by(key=F("project_id"), **kwargs)


def participation_totals_per_organization(**kwargs) -> dict[int, Totals]:
    return participation_totals_by(key=F("organization_id"), **kwargs)


def participation_totals_per_municipality(**kwargs) -> dict[int, Totals]:
    return participation_totals_by(key=F("project__municipality_id"), **kwargs)


def participation_totals_per_municipality_group(**kwargs) -> dict[str, Totals]:
    """Keyed by group slug. An event of a municipality in two groups counts in both."""
    return participation_totals_by(
        key=F("project__municipality__groups__slug"), **kwargs
    )
