"""Meetings: announced by the lead organisation or the city, RSVPed by residents,
published as iCalendar, and turned into a held participation event when the
organiser records who came."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from icalendar import Calendar

from core.errors import DomainError, NotPermitted
from renewal.models import EventRsvp, EventStatus, ParticipationEvent
from renewal.selectors.progress import participation_totals_per_project
from renewal.services.meetings import (
    meeting_announce,
    meeting_attendance_record,
    meeting_rsvp,
    meeting_rsvp_cancel,
)
from tests.factories import RenewalProjectFactory, UserFactory
from tests.helpers import page_client

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


@pytest.fixture
def project(city, lead_organization):
    return RenewalProjectFactory(
        municipality=city,
        status="approved",
        lead_organization=lead_organization,
        title="시장 빈 점포 공유부엌",
    )


def _data(**changes) -> dict:
    starts_at = (timezone.now() + datetime.timedelta(days=10)).astimezone(SEOUL)
    starts_at = starts_at.replace(hour=19, minute=0, second=0, microsecond=0)
    return {
        "kind": "public_hearing",
        "title": "주민설명회; 공유부엌, 1차",
        "description": "설계안을 설명합니다.\n질문을 받습니다.",
        "place": "영주시 중앙로 12, 2층 회의실",
        "location": Point(128.6240, 36.8057, srid=4326),
        "starts_at": starts_at,
        "ends_at": starts_at + datetime.timedelta(hours=2),
        "capacity": None,
        **changes,
    }


def _past(event: ParticipationEvent) -> ParticipationEvent:
    """Move an announced meeting into the past, as time would."""
    starts_at = timezone.now() - datetime.timedelta(hours=3)
    ParticipationEvent.objects.filter(pk=event.pk).update(
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        date=timezone.localtime(starts_at).date(),
    )
    event.refresh_from_db()
    return event


def test_the_lead_organisation_announces_a_meeting_as_its_own(personas, project):
    event = meeting_announce(
        actor=personas["lead_org_member"], project=project, data=_data()
    )

    assert event.status == EventStatus.ANNOUNCED
    assert event.organization == project.lead_organization
    assert event.date == event.starts_at.astimezone(SEOUL).date()
    assert event.announced_by == personas["lead_org_member"]


def test_a_city_editor_announces_a_meeting_of_the_city(personas, project):
    event = meeting_announce(
        actor=personas["city_editor"], project=project, data=_data()
    )

    assert event.organization is None


@pytest.mark.parametrize("persona", ["resident", "org_member", "other_city_editor"])
def test_others_cannot_announce_a_meeting(personas, project, persona):
    with pytest.raises(NotPermitted):
        meeting_announce(actor=personas[persona], project=project, data=_data())

    assert not ParticipationEvent.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": timezone.now() - datetime.timedelta(hours=1)}, "starts_at"),
        ({"starts_at": datetime.datetime(2030, 1, 1, 19)}, "starts_at"),  # naive
        ({"title": "  "}, "title"),
        ({"place": ""}, "place"),
        ({"kind": "rave"}, "kind"),
        ({"capacity": 0}, "capacity"),
        ({"location": Point(2.35, 48.85, srid=4326)}, "location"),
        ({"organizer": 1}, "organizer"),
    ],
)
def test_a_bad_announcement_is_refused_for_its_field(personas, project, changes, field):
    data = _data(**changes)
    if field == "starts_at":
        data["ends_at"] = None

    with pytest.raises(DomainError) as refusal:
        meeting_announce(actor=personas["city_editor"], project=project, data=data)

    assert field in refusal.value.fields
    assert not ParticipationEvent.objects.exists()


def test_an_end_before_the_start_is_refused(personas, project):
    data = _data()
    data["ends_at"] = data["starts_at"] - datetime.timedelta(minutes=30)

    with pytest.raises(DomainError) as refusal:
        meeting_announce(actor=personas["city_editor"], project=project, data=data)

    assert "ends_at" in refusal.value.fields


def test_no_meeting_for_a_rejected_project(personas, city):
    project = RenewalProjectFactory(municipality=city, status="rejected")

    with pytest.raises(DomainError):
        meeting_announce(actor=personas["city_editor"], project=project, data=_data())


def test_rsvp_counts_once_per_person_and_can_be_cancelled(personas, project):
    event = meeting_announce(
        actor=personas["city_editor"], project=project, data=_data()
    )
    resident = personas["resident"]

    first = meeting_rsvp(user=resident, event=event)
    again = meeting_rsvp(user=resident, event=event)  # a double click
    assert first.pk == again.pk
    assert EventRsvp.objects.filter(event=event).count() == 1

    assert meeting_rsvp_cancel(user=resident, event=event) is True
    assert meeting_rsvp_cancel(user=resident, event=event) is False
    assert not EventRsvp.objects.exists()


def test_a_full_meeting_refuses_one_more(personas, project):
    event = meeting_announce(
        actor=personas["city_editor"], project=project, data=_data(capacity=2)
    )
    meeting_rsvp(user=personas["resident"], event=event)
    meeting_rsvp(user=personas["org_member"], event=event)

    with pytest.raises(DomainError, match="정원 2명이 모두 찼습니다"):
        meeting_rsvp(user=personas["city_viewer"], event=event)

    # One who is already on the list is not refused for the list being full.
    assert meeting_rsvp(user=personas["resident"], event=event)
    assert event.rsvps.count() == 2


def test_anonymous_cannot_rsvp(personas, project):
    event = meeting_announce(
        actor=personas["city_editor"], project=project, data=_data()
    )

    with pytest.raises(NotPermitted):
        meeting_rsvp(user=personas["anonymous"], event=event)


def test_attendance_turns_the_meeting_into_a_held_event_that_counts(personas, project):
    event = meeting_announce(
        actor=personas["lead_org_member"], project=project, data=_data()
    )
    came, stayed_home = UserFactory(), UserFactory()
    for user in (came, stayed_home):
        meeting_rsvp(user=user, event=event)
    event = _past(event)
    assert project.pk not in participation_totals_per_project()

    held = meeting_attendance_record(
        actor=personas["lead_org_member"],
        event=event,
        attended_user_ids=[str(came.pk)],
        walk_ins={"attendees_65_plus": 4, "attendees_20_39": 1},
        volunteer_hours=Decimal("6.5"),
    )

    assert held.status == EventStatus.HELD
    assert held.attendees == 6
    assert held.attendees_age_unknown == 1
    assert dict(event.rsvps.values_list("user_id", "attended")) == {
        came.pk: True,
        stayed_home.pk: False,
    }
    totals = participation_totals_per_project()[project.pk]
    assert (totals.events, totals.attendees) == (1, 6)
    assert totals.attendees_by_age["unknown"] == 1
    assert totals.volunteer_hours == Decimal("6.5")
    # Once held, it takes no more RSVPs and no second recording.
    with pytest.raises(DomainError):
        meeting_rsvp(user=UserFactory(), event=held)
    with pytest.raises(DomainError):
        meeting_attendance_record(
            actor=personas["lead_org_member"],
            event=held,
            attended_user_ids=[],
            walk_ins={},
        )


def test_attendance_refuses_a_forged_rsvp_and_changes_nothing(personas, project):
    event = meeting_announce(
        actor=personas["lead_org_member"], project=project, data=_data()
    )
    meeting_rsvp(user=personas["resident"], event=event)
    event = _past(event)

    with pytest.raises(DomainError) as refusal:
        meeting_attendance_record(
            actor=personas["lead_org_member"],
            event=event,
            attended_user_ids=[personas["resident"].pk, UserFactory().pk],
            walk_ins={},
        )

    assert "attended" in refusal.value.fields
    event.refresh_from_db()
    assert event.status == EventStatus.ANNOUNCED
    assert event.rsvps.get().attended is None


def test_attendance_waits_for_the_meeting_and_its_organiser(personas, project):
    event = meeting_announce(
        actor=personas["lead_org_member"], project=project, data=_data()
    )

    with pytest.raises(DomainError, match="아직 시작하지 않은 모임"):
        meeting_attendance_record(
            actor=personas["lead_org_member"],
            event=event,
            attended_user_ids=[],
            walk_ins={},
        )
    with pytest.raises(NotPermitted):
        meeting_attendance_record(
            actor=personas["org_member"],
            event=_past(event),
            attended_user_ids=[],
            walk_ins={},
        )


def _ics(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_a_meeting_calendar_entry_parses_back_with_its_time_place_and_text(
    personas, project
):
    data = _data()
    event = meeting_announce(actor=personas["city_editor"], project=project, data=data)
    url = f"/ko/meetings/{event.pk}/calendar.ics"

    calendar = _ics(page_client().get(url))
    again = _ics(page_client().get(url))

    (entry,) = calendar.walk("VEVENT")
    assert calendar["VERSION"] == "2.0"
    assert entry["UID"] == again.walk("VEVENT")[0]["UID"]
    # The instant is right in UTC and in Seoul (19:00 KST is 10:00 UTC).
    start = entry.decoded("DTSTART")
    assert start == data["starts_at"]
    assert start.astimezone(SEOUL).hour == 19
    assert start.astimezone(datetime.UTC).hour == 10
    assert entry.decoded("DTEND") == data["ends_at"]
    # Commas, semicolons and line breaks survive the escaping.
    assert str(entry["SUMMARY"]) == "주민설명회; 공유부엌, 1차"
    assert str(entry["LOCATION"]) == "영주시 중앙로 12, 2층 회의실"
    assert "설계안을 설명합니다.\n질문을 받습니다." in str(entry["DESCRIPTION"])
    assert str(entry["URL"]).endswith(f"/ko/meetings/{event.pk}/")
    latitude, longitude = entry["GEO"].latitude, entry["GEO"].longitude
    assert (latitude, longitude) == pytest.approx((36.8057, 128.6240))
    assert b"\r\n" in page_client().get(url).content  # RFC 5545 line endings


def test_the_city_feed_lists_upcoming_visible_meetings_only(personas, project, city):
    editor = personas["city_editor"]
    upcoming = meeting_announce(actor=editor, project=project, data=_data())
    _past(meeting_announce(actor=editor, project=project, data=_data()))  # started
    hidden = RenewalProjectFactory(municipality=city, status="approved", is_hidden=True)
    meeting_announce(actor=editor, project=hidden, data=_data(title="숨김"))
    elsewhere = RenewalProjectFactory(status="approved")
    meeting_announce(
        actor=UserFactory(is_superuser=True), project=elsewhere, data=_data()
    )

    calendar = _ics(page_client().get(f"/ko/cities/{city.code}/events.ics"))

    uids = [str(entry["UID"]) for entry in calendar.walk("VEVENT")]
    assert len(uids) == 1
    assert uids[0].startswith(f"event-{upcoming.pk}-")
    assert page_client().get("/ko/cities/99999/events.ics").status_code == 404


def test_a_meeting_of_a_hidden_project_is_not_found(personas, city):
    hidden = RenewalProjectFactory(municipality=city, status="approved", is_hidden=True)
    event = meeting_announce(
        actor=personas["city_editor"], project=hidden, data=_data()
    )

    for path in (f"/ko/meetings/{event.pk}/", f"/ko/meetings/{event.pk}/calendar.ics"):
        assert page_client(personas["resident"]).get(path).status_code == 404


def test_announcing_through_the_page_keeps_the_form_on_a_refusal(personas, project):
    client = page_client(personas["lead_org_member"])
    url = f"/en/projects/{project.pk}/meetings/new/"
    form = {
        "kind": "workshop",
        "title": "골목 청소",
        "starts_at": "2001-05-05T10:00",
        "place": "중앙시장 입구",
    }

    refused = client.post(url, form)
    form["starts_at"] = (timezone.localtime() + datetime.timedelta(days=3)).strftime(
        "%Y-%m-%dT10:00"
    )
    accepted = client.post(url, form)

    assert refused.status_code == 200
    assert "The start lies in the past" in refused.content.decode()
    assert 'value="골목 청소"' in refused.content.decode()
    event = ParticipationEvent.objects.get()
    assert accepted["Location"] == f"/en/meetings/{event.pk}/?at=rsvp#message"
    assert timezone.localtime(event.starts_at).hour == 10  # read as Seoul time
    assert page_client(personas["resident"]).get(url).status_code == 403


def test_rsvp_and_attendance_through_the_pages(personas, project):
    event = meeting_announce(
        actor=personas["lead_org_member"], project=project, data=_data()
    )
    resident = page_client(personas["resident"])

    response = resident.post(
        f"/ko/meetings/{event.pk}/rsvp/", {"back": "project"}, follow=True
    )

    assert response.redirect_chain[-1][0] == (
        f"/ko/projects/{project.pk}/?at=events#message"
    )
    page = response.content.decode()
    assert page.index('id="events"') < page.index('id="message"')
    assert "1명이 참석합니다" in page
    assert EventRsvp.objects.filter(event=event, user=personas["resident"]).exists()

    _past(event)
    organiser = page_client(personas["lead_org_member"])
    detail = organiser.get(f"/en/meetings/{event.pk}/").content.decode()
    assert 'id="attendance-form"' in detail
    assert "resident" in detail
    organiser.post(
        f"/en/meetings/{event.pk}/attendance/",
        {
            "attended": [str(personas["resident"].pk)],
            "attendees_under_20": "2",
            "attendees_20_39": "0",
            "attendees_40_64": "0",
            "attendees_65_plus": "0",
            "volunteer_hours": "3",
        },
    )
    event.refresh_from_db()
    assert (event.status, event.attendees) == ("held", 3)
    project_page = resident.get(f"/en/projects/{project.pk}/").content.decode()
    held = project_page[project_page.index('id="project-events"') :]
    assert "3 attendees, 3 volunteer hours" in held
    assert resident.get(f"/ko/meetings/{event.pk}/").status_code == 200
    assert resident.post(f"/ko/meetings/{event.pk}/attendance/", {}).status_code == 403
