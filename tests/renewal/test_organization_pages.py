"""Public pages of community organisations, and "my organisation" on My page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import (
    CommunityOrganizationFactory,
    ParticipationEventFactory,
    RenewalProjectFactory,
)
from tests.helpers import count_queries, page_client


@pytest.fixture
def cooperative(city):
    return CommunityOrganizationFactory(
        municipality=city,
        name="풍기 마을관리협동조합",
        kind="village_management_cooperative",
        description="빈 점포를 고쳐 마을 부엌으로 운영합니다.",
        verified=True,
        contact_email="hello@punggi.example.kr",
        contact_phone="054-123-4567",
        contact_public=True,
        capabilities=["cafe_food", "space_management"],
    )


def test_an_organisation_page_shows_what_it_does_its_projects_and_events(
    cooperative, city
):
    led = RenewalProjectFactory(
        municipality=city,
        lead_organization=cooperative,
        title="공유부엌",
        status="in_progress",
    )
    hidden = RenewalProjectFactory(
        municipality=city,
        lead_organization=cooperative,
        title="숨긴 제안",
        is_hidden=True,
    )
    ParticipationEventFactory(
        project=led,
        organization=cooperative,
        title="골목 청소",
        attendees_20_39=5,
        attendees_40_64=10,
        volunteer_hours=Decimal("12.5"),
    )
    # An announced meeting is not yet an event it ran: no figures count for it.
    starts_at = timezone.now() + datetime.timedelta(days=5)
    ParticipationEventFactory(
        project=led,
        organization=cooperative,
        status="announced",
        title="주민설명회",
        starts_at=starts_at,
        date=starts_at.date(),
        attendees_20_39=0,
        attendees_40_64=0,
    )

    page = page_client().get(f"/ko/organizations/{cooperative.pk}/").content.decode()

    assert 'id="verified-badge"' in page
    assert "빈 점포를 고쳐 마을 부엌으로 운영합니다." in page
    assert "hello@punggi.example.kr" in page and "054-123-4567" in page
    assert "공유부엌" in page and hidden.title not in page
    events = page[page.index('id="organization-events"') :]
    assert "골목 청소" in events and "참석 15명, 자원봉사 12.5시간" in events
    assert "주민설명회" not in events
    assert "주민설명회" in page[page.index('id="organization-meetings"') :]
    totals = page[page.index('id="organization-totals"') :]
    assert '<dd id="total-events">1</dd>' in totals
    assert '<dd id="total-attendees">15</dd>' in totals


def test_contact_details_stay_private_unless_the_organisation_shows_them(cooperative):
    cooperative.contact_public = False
    cooperative.save()

    page = page_client().get(f"/en/organizations/{cooperative.pk}/").content.decode()

    assert "hello@punggi.example.kr" not in page
    assert "054-123-4567" not in page
    assert page_client().get("/en/organizations/999999/").status_code == 404


def test_the_list_shows_organisations_by_city_with_their_projects(
    cooperative, city, other_city
):
    RenewalProjectFactory(municipality=city, lead_organization=cooperative)
    elsewhere = CommunityOrganizationFactory(
        municipality=other_city, name="다른 도시 단체"
    )

    everyone = page_client().get("/en/organizations/").content.decode()
    one_city = (
        page_client().get(f"/en/organizations/?city={city.code}").content.decode()
    )

    assert cooperative.name in everyone and elsewhere.name in everyone
    assert cooperative.name in one_city and elsewhere.name not in one_city
    card = one_city[one_city.index(f'data-id="{cooperative.pk}"') :]
    assert "Leads 1 project" in card
    assert "Verified" in card


def test_the_list_takes_as_many_queries_for_twenty_organisations_as_for_one(city):
    CommunityOrganizationFactory(municipality=city)
    _response, one = count_queries(page_client(), "/en/organizations/")
    CommunityOrganizationFactory.create_batch(19, municipality=city)
    response, twenty = count_queries(page_client(), "/en/organizations/")

    assert response.status_code == 200
    assert twenty == one


def test_organisation_staff_find_their_projects_and_the_record_button(
    personas, lead_organization, city
):
    project = RenewalProjectFactory(
        municipality=city, lead_organization=lead_organization, status="approved"
    )

    mine = page_client(personas["lead_org_member"]).get("/en/me/").content.decode()
    resident = page_client(personas["resident"]).get("/en/me/").content.decode()

    section = mine[mine.index('id="my-organizations"') :]
    assert lead_organization.name in section
    assert project.title in section
    assert f'href="/en/projects/{project.pk}/#participation"' in section
    assert f'href="/en/projects/{project.pk}/meetings/new/"' in section
    assert 'id="my-organizations"' not in resident


def test_a_recorded_event_appears_on_the_project_page(
    personas, lead_organization, city
):
    project = RenewalProjectFactory(
        municipality=city, lead_organization=lead_organization, status="in_progress"
    )
    client = page_client(personas["lead_org_member"])

    client.post(
        f"/en/projects/{project.pk}/events/",
        {
            "organization": lead_organization.pk,
            "kind": "volunteer_day",
            "date": timezone.localdate().isoformat(),
            "place": "중앙시장",
            "attendees_under_20": "3",
            "attendees_20_39": "4",
            "attendees_40_64": "0",
            "attendees_65_plus": "2",
            "volunteer_hours": "18",
        },
    )

    page = page_client().get(f"/en/projects/{project.pk}/").content.decode()
    events = page[page.index('id="project-events"') :]
    assert "Volunteer day" in events
    assert "9 attendees, 18 volunteer hours" in events
    assert lead_organization.name in events


def test_the_api_shows_contact_details_only_once_published(
    personas, organization, city
):
    from tests.helpers import api_client

    url = f"/api/v1/organizations/{organization.pk}/"
    staff = api_client(personas["org_member"])
    updated = staff.patch(
        url,
        {
            "properties": {
                "contact_email": "office@example.kr",
                "contact_phone": "054-1",
            }
        },
        format="json",
    )
    assert updated.status_code == 200, updated.content

    hidden = api_client().get(url).json()["properties"]
    own = staff.get(url).json()["properties"]
    staff.patch(url, {"properties": {"contact_public": True}}, format="json")
    shown = api_client().get(url).json()["properties"]

    assert "contact_email" not in hidden and "contact_phone" not in hidden
    assert own["contact_email"] == "office@example.kr"
    assert (shown["contact_email"], shown["contact_phone"]) == (
        "office@example.kr",
        "054-1",
    )
