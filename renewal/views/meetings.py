"""Pages of meetings: announcing one for a project, its page with RSVPs and the
attendance form, and its calendar entries (one meeting, or a city's upcoming
meetings) in iCalendar (RFC 5545)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from icalendar import Calendar, Event, vGeo

from cities.views_support import municipality_or_404, refusal_shown
from renewal.forms import MeetingAttendanceForm, MeetingForm
from renewal.models import EventStatus, ParticipationEvent
from renewal.selectors.meetings import meeting_get, meeting_list, meeting_rsvp_list
from renewal.services.meetings import (
    meeting_announce,
    meeting_attendance_record,
    meeting_rsvp,
    meeting_rsvp_cancel,
)
from renewal.views.projects import back_to_project, project_or_404

CALENDAR_PRODUCT = "-//Village Renewal Platform//Meetings//KO"


def meeting_url(event: ParticipationEvent, at: str = "") -> str:
    url = reverse("renewal:meeting-detail", args=[event.pk])
    return f"{url}?at={at}#message" if at else url


@login_required
def meeting_create(request, pk: int):
    project = project_or_404(request, pk)
    if not request.user.has_perm("renewal.announce_event", project):
        raise PermissionDenied
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            event = meeting_announce(
                actor=request.user, project=project, data=form.meeting_data()
            )
            messages.success(request, _("The meeting has been announced."))
            return redirect(meeting_url(event, "rsvp"))
    return render(
        request, "renewal/meeting_form.html", {"form": form, "project": project}
    )


def meeting_detail(request, pk: int):
    event = meeting_get(user=request.user, pk=pk)
    manages = request.user.has_perm("renewal.manage_event", event)
    rsvps = list(meeting_rsvp_list(event=event)) if manages else []
    now = timezone.now()
    announced = event.status == EventStatus.ANNOUNCED
    return render(
        request,
        "renewal/meeting_detail.html",
        {
            "event": event,
            "project": event.project,
            "announced": announced,
            "open_for_rsvp": announced and event.starts_at > now,
            "full": event.capacity is not None and event.rsvp_count >= event.capacity,
            "manages": manages,
            "rsvps": rsvps,
            "attendance_form": MeetingAttendanceForm(rsvps=rsvps)
            if manages and announced and event.starts_at <= now
            else None,
            "message_at": request.GET.get("at", ""),
        },
    )


@login_required
@require_POST
def meeting_rsvp_view(request, pk: int):
    event = meeting_get(user=request.user, pk=pk)
    with refusal_shown(request):
        if request.POST.get("action") == "cancel":
            meeting_rsvp_cancel(user=request.user, event=event)
            messages.success(request, _("Your RSVP has been cancelled."))
        else:
            meeting_rsvp(user=request.user, event=event)
            messages.success(
                request,
                _("You are on the list for “%(title)s”. Add it to your calendar.")
                % {"title": event.title},
            )
    if request.POST.get("back") == "project":
        return back_to_project(event.project, "events")
    return redirect(meeting_url(event, "rsvp"))


@login_required
@require_POST
def meeting_attendance(request, pk: int):
    event = meeting_get(user=request.user, pk=pk)
    if not request.user.has_perm("renewal.manage_event", event):
        raise PermissionDenied
    form = MeetingAttendanceForm(
        request.POST, rsvps=list(meeting_rsvp_list(event=event))
    )
    if not form.is_valid():
        for name, field_errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for message in field_errors:
                messages.error(request, f"{label}: {message}" if label else message)
        return redirect(meeting_url(event, "attendance"))
    with refusal_shown(request):
        event = meeting_attendance_record(
            actor=request.user,
            event=event,
            attended_user_ids=form.cleaned_data["attended"],
            walk_ins=form.walk_ins(),
            volunteer_hours=form.cleaned_data["volunteer_hours"],
        )
        messages.success(
            request,
            _("The attendance has been recorded: %(count)d people came.")
            % {"count": event.attendees},
        )
    return redirect(meeting_url(event, "attendance"))


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC)


def _calendar_event(request, event: ParticipationEvent) -> Event:
    entry = Event()
    # Stable across renames, hosts and re-exports, unique across databases (the
    # creation time), so a calendar updates its entry instead of adding a second.
    entry.add(
        "uid",
        f"event-{event.pk}-{int(event.created_at.timestamp())}@village-renewal",
    )
    entry.add("dtstamp", _utc(event.created_at))
    entry.add("dtstart", _utc(event.starts_at))
    if event.ends_at:
        entry.add("dtend", _utc(event.ends_at))
    entry.add("summary", event.title or event.get_kind_display())
    url = request.build_absolute_uri(meeting_url(event))
    entry.add(
        "description",
        "\n".join(
            part for part in (event.description, event.project.title, url) if part
        ),
    )
    entry.add("location", event.place)
    if event.location is not None:
        entry.add("geo", vGeo((event.location.y, event.location.x)))
    entry.add("url", url)
    entry.add("status", "CONFIRMED")
    return entry


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", CALENDAR_PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _calendar_response(calendar: Calendar, filename: str) -> HttpResponse:
    response = HttpResponse(
        calendar.to_ical(), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def meeting_calendar(request, pk: int):
    event = meeting_get(user=request.user, pk=pk)
    if event.starts_at is None:
        # An event recorded afterwards has a date but no time: nothing to put in a
        # calendar.
        raise Http404
    calendar = _calendar(event.title or event.get_kind_display())
    calendar.add_component(_calendar_event(request, event))
    return _calendar_response(calendar, f"meeting-{event.pk}.ics")


def city_meetings_calendar(request, code: str):
    municipality = municipality_or_404(code)
    calendar = _calendar(_("Meetings in %(city)s") % {"city": municipality.name})
    for event in meeting_list(
        user=request.user, municipality=municipality, upcoming=True
    ):
        calendar.add_component(_calendar_event(request, event))
    return _calendar_response(calendar, f"meetings-{municipality.code}.ics")
