"""An organisation's participation: totals, a monthly chart and a table.

The charts are SVG drawn on the server (cities/charts.py): the figures are readable
(and printable) without JavaScript, and each bar carries its number as text and as
a <title>.
"""

from decimal import Decimal

from django.shortcuts import get_object_or_404, render
from django.utils import formats

from cities.charts import bar_chart
from renewal.models import CommunityOrganization
from renewal.selectors.progress import (
    participation_event_list,
    participation_events_in_scope,
    participation_totals,
)

BAR_WIDTH = 36
RECENT_EVENTS = 20


def organization_participation(request, pk: int):
    # Organisations are public (the API lists them for anyone), and so are the
    # participation figures they report.
    organization = get_object_or_404(
        CommunityOrganization.objects.select_related("municipality"), pk=pk
    )
    events = participation_events_in_scope(user=request.user, organization=organization)
    totals = participation_totals(events=events)
    months = [formats.date_format(figures.month, "Y.m") for figures in totals.monthly]
    attendees = [figures.attendees for figures in totals.monthly]
    hours = [figures.volunteer_hours or Decimal("0") for figures in totals.monthly]
    return render(
        request,
        "renewal/organization_participation.html",
        {
            "organization": organization,
            "totals": totals,
            "attendees_chart": bar_chart(
                list(zip(months, attendees, strict=True)), bar_width=BAR_WIDTH
            ),
            "hours_chart": bar_chart(
                list(zip(months, hours, strict=True)), bar_width=BAR_WIDTH
            ),
            "recent_events": participation_event_list(user=request.user).filter(
                organization=organization
            )[:RECENT_EVENTS],
        },
    )
