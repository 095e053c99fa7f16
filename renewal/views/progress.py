"""Progress of projects: an organisation's participation (totals, a monthly chart
and a table) and the page actions that post a progress update or record an event.

The charts are SVG drawn on the server (cities/charts.py): the figures are readable
(and printable) without JavaScript, and each bar carries its number as text and as
a <title>.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cities.charts import bar_chart
from cities.views_support import refusal_shown
from renewal.forms import ParticipationEventForm, ProgressUpdateForm
from renewal.models import CommunityOrganization
from renewal.selectors.progress import (
    participation_event_list,
    participation_events_in_scope,
    participation_totals,
)
from renewal.services.progress import (
    participation_event_record,
    progress_update_post,
)
from renewal.views.projects import (
    back_to_project,
    project_or_404,
    user_organizations,
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


@login_required
@require_POST
def project_progress(request, pk: int):
    project = project_or_404(request, pk)
    form = ProgressUpdateForm(request.POST)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
        return back_to_project(project, "progress")
    with refusal_shown(request):
        progress_update_post(author=request.user, project=project, **form.cleaned_data)
        messages.success(request, _("The progress update has been posted."))
    return back_to_project(project, "progress")


@login_required
@require_POST
def project_event(request, pk: int):
    project = project_or_404(request, pk)
    organizations = user_organizations(request.user)
    if not organizations:
        raise PermissionDenied
    form = ParticipationEventForm(request.POST, organizations=organizations)
    if not form.is_valid():
        for name, field_errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for message in field_errors:
                messages.error(request, f"{label}: {message}" if label else message)
        return back_to_project(project, "participation")
    organization = next(
        item for item in organizations if item.pk == form.cleaned_data["organization"]
    )
    with refusal_shown(request):
        participation_event_record(
            actor=request.user,
            project=project,
            organization=organization,
            data=form.event_data(),
        )
        messages.success(request, _("The event has been recorded."))
    return back_to_project(project, "participation")
