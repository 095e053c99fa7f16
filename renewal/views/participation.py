"""An organisation's participation: totals, a monthly chart and a table.

The chart is SVG drawn on the server: the figures are readable (and printable)
without JavaScript, and each bar carries its number as text and as a <title>.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.shortcuts import get_object_or_404, render
from django.utils import formats

from renewal.models import CommunityOrganization
from renewal.selectors.participation import (
    participation_event_list,
    participation_events_in_scope,
    participation_totals,
)

CHART_HEIGHT = 160  # px of the tallest bar
BAR_WIDTH = 36
BAR_GAP = 18  # room for a "2026.05" label under each bar
RECENT_EVENTS = 20


@dataclass
class Bar:
    x: int
    center: int
    y: int
    height: int
    label: str
    value: str


def _bars(months, values: list) -> tuple[list[Bar], int]:
    """Bars scaled to the largest value; returns them and the chart's width."""
    largest = max(values, default=0) or 1
    bars = []
    for index, (month, value) in enumerate(zip(months, values, strict=True)):
        height = round(CHART_HEIGHT * float(value) / float(largest))
        x = BAR_GAP + index * (BAR_WIDTH + BAR_GAP)
        bars.append(
            Bar(
                x=x,
                center=x + BAR_WIDTH // 2,
                y=CHART_HEIGHT - height + 20,
                height=height,
                label=formats.date_format(month, "Y.m"),
                value=formats.number_format(value),
            )
        )
    return bars, BAR_GAP + len(bars) * (BAR_WIDTH + BAR_GAP)


def organization_participation(request, pk: int):
    # Organisations are public (the API lists them for anyone), and so are the
    # participation figures they report.
    organization = get_object_or_404(
        CommunityOrganization.objects.select_related("municipality"), pk=pk
    )
    events = participation_events_in_scope(user=request.user, organization=organization)
    totals = participation_totals(events=events)
    months = [figures.month for figures in totals.monthly]
    attendee_bars, width = _bars(
        months, [figures.attendees for figures in totals.monthly]
    )
    hour_bars, _width = _bars(
        months,
        [figures.volunteer_hours or Decimal("0") for figures in totals.monthly],
    )
    return render(
        request,
        "renewal/organization_participation.html",
        {
            "organization": organization,
            "totals": totals,
            "charts": [
                ("attendees", attendee_bars),
                ("hours", hour_bars),
            ],
            "chart_width": width,
            "chart_height": CHART_HEIGHT + 60,
            "bar_width": BAR_WIDTH,
            "baseline": CHART_HEIGHT + 20,
            "recent_events": participation_event_list(user=request.user).filter(
                organization=organization
            )[:RECENT_EVENTS],
        },
    )
