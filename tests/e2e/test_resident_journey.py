"""A resident on a phone (390×844, Korean) as the issue of the public site plays it:
open the home page, see what is near, search "영주", pick the 읍면동, propose a project by
searching a place and confirming it with the keyboard, support another project from
above the fold, follow the area within 1 km, RSVP to an announced workshop and
download its calendar entry, and see the badge and the notification, in Korean only,
when another resident proposes nearby.

`test_resident_journey_on_a_phone` is the one journey; each step is a function of
its own so that the journey can grow (support from above the fold, RSVP to a
workshop, the notification badge) by adding steps, not a second journey.
"""

import datetime
import re
import zoneinfo
from pathlib import Path

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone
from icalendar import Calendar

from cities.demo import illustrative_downtown
from cities.models import SubMunicipality
from renewal.models import AreaFollow, EventRsvp, ProjectSupport, RenewalProject
from renewal.services.meetings import meeting_announce
from renewal.services.projects import renewal_project_propose
from renewal.services.roles import organization_role_grant
from tests.e2e.helpers import sign_in, submit
from tests.factories import (
    CommunityOrganizationFactory,
    MunicipalityFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
LATIN_WORD = re.compile(r"\b[A-Za-z]{3,}\b")

PHONE = {"width": 390, "height": 844}
SEAT = Point(128.624, 36.806, srid=4326)
# 영주1동 as a square around its census centre (the real outline needs the whole
# boundary load, seconds this test does not need).
YEONGJU_1_DONG = (128.6204, 36.8296)


def _square(x: float, y: float, half: float) -> MultiPolygon:
    return MultiPolygon(
        Polygon.from_bbox((x - half, y - half, x + half, y + half)), srid=4326
    )


@pytest.fixture
def yeongju(db):
    city = MunicipalityFactory(
        name_ko="영주시", name_en="Yeongju", location=SEAT, boundary=_square(*SEAT, 0.2)
    )
    city.downtown = illustrative_downtown(city.location, 800)
    city.save()
    SubMunicipality.objects.create(
        sgis_code="3706055",
        name_ko="영주1동",
        name_en="Yeongju 1(il)-dong",
        municipality=city,
        boundary=_square(*YEONGJU_1_DONG, 0.01),
    )
    SubMunicipality.objects.create(
        sgis_code="3706011",
        name_ko="풍기읍",
        name_en="Punggi-eup",
        municipality=city,
        boundary=_square(128.4876, 36.9080, 0.03),
    )
    VacantSpaceFactory(
        municipality=city,
        address="영주시 광복로 41",
        location=Point(128.6250, 36.8290, srid=4326),
        status="available",
    )
    # Another project of the 동, led by an organisation that announced a workshop.
    ngo = CommunityOrganizationFactory(municipality=city, name="풍기 골목협동조합")
    organiser = UserFactory()
    organization_role_grant(user=organiser, organization=ngo)
    kitchen = RenewalProjectFactory(
        municipality=city,
        lead_organization=ngo,
        status="approved",
        title="시장 빈 점포 공유부엌",
        description="어르신과 청년이 함께 쓰는 부엌과 식당\n" * 8,
        place=Point(128.6210, 36.8300, srid=4326),
    )
    starts_at = (timezone.now() + datetime.timedelta(days=6)).astimezone(SEOUL)
    starts_at = starts_at.replace(hour=14, minute=0, second=0, microsecond=0)
    meeting_announce(
        actor=organiser,
        project=kitchen,
        data={
            "kind": "workshop",
            "title": "공유부엌 설계 워크숍",
            "place": "영주시 중앙로 12, 2층",
            "starts_at": starts_at,
            "ends_at": starts_at + datetime.timedelta(hours=2),
            "capacity": 30,
        },
    )
    return city


def assert_fits_the_phone(page) -> None:
    """No sideways scrolling: the page is as wide as the screen."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        page.url
    )


def step_see_what_is_near_me(page, live_server, city) -> None:
    page.goto(f"{live_server.url}/ko/")
    assert_fits_the_phone(page)
    # The browser is asked for the location only on the tap.
    page.locator("#near-me").click()
    page.wait_for_url(f"{live_server.url}/ko/?near=*")
    assert "영주시 소식" in page.inner_text("#chosen-city-heading")
    assert "영주시 광복로 41" in page.inner_text("#open-calls")
    assert_fits_the_phone(page)


def step_search_for_the_neighbourhood(page, live_server, city) -> None:
    page.goto(f"{live_server.url}/ko/")
    page.fill("#site-search", "영주")
    options = page.locator("#site-search-suggestions [role='option']")
    options.nth(2).wait_for()
    # The city first, then its 읍면동 whose name starts the same, then the address.
    assert [options.nth(i).get_attribute("data-kind") for i in range(3)] == [
        "city",
        "area",
        "space",
    ]
    assert "영주1동" in options.nth(1).inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#site-search", "aria-activedescendant") == (
        "site-search-option-1"
    )
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/ko/cities/{city.code}/projects/?area=3706055")
    page.wait_for_selector("#project-map[data-areas='loaded']")
    assert_fits_the_phone(page)
    # Both 읍면동 outlines are drawn, the map framed on the one chosen.
    assert page.locator("#project-map path.area-outline").count() == 2
    assert "영주1동 주변입니다." in page.inner_text("#follow-where")


def step_propose_by_searching_a_place_and_the_keyboard(page, live_server, space):
    page.locator("#propose-link").click()
    page.wait_for_selector("#project-place-map[data-ready='true']")
    assert_fits_the_phone(page)
    # The city's and its 읍면동 outlines show even without base-map tiles.
    page.wait_for_selector("#project-place-map[data-areas='loaded']")
    assert page.locator("#project-place-map path.city-outline").count() == 1
    assert page.locator("#project-place-map path.area-outline").count() == 2

    # "Use my location" jumps to where the phone is, and waits for a confirmation.
    page.locator("#place-search-locate").click()
    page.wait_for_selector("#project-place-map .picked-location")
    assert "Enter" in page.inner_text("#place-hint")
    assert page.input_value("#id_longitude") == ""

    page.fill("#place-search", "광복로")
    option = page.locator("#place-search-suggestions [role='option']").first
    option.wait_for()
    assert "영주시 광복로 41" in option.inner_text()
    page.keyboard.press("Enter")
    # The map jumped to the address and has the keyboard now; nothing is set yet.
    assert page.evaluate("document.activeElement.id") == "project-place-map"
    assert page.input_value("#id_longitude") == ""
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")

    page.wait_for_selector("#place-hint:has-text('위치를 정했습니다')")
    longitude = float(page.input_value("#id_longitude"))
    latitude = float(page.input_value("#id_latitude"))
    # Two steps east of the address, on the same latitude.
    assert longitude > space.location.x
    assert longitude == pytest.approx(space.location.x, abs=0.001)
    assert latitude == pytest.approx(space.location.y, abs=1e-5)

    page.fill("#id_title", "광복로 빈 점포 마을 책방")
    page.fill("#id_description", "주민이 함께 운영하는 작은 책방과 쉼터")
    page.select_option("#id_category", "community_facility")
    submit(page, "#project-form")
    # The project page, its message in view (?at=top#message).
    page.wait_for_url(re.compile(r"/ko/projects/\d+/"))
    project = RenewalProject.objects.get(title="광복로 빈 점포 마을 책방")
    assert project.place.x == pytest.approx(longitude, abs=1e-6)
    assert project.place.y == pytest.approx(latitude, abs=1e-6)
    return project


def step_follow_the_area_within_1_km(page, live_server, city) -> None:
    page.goto(f"{live_server.url}/ko/cities/{city.code}/projects/?area=3706055")
    page.wait_for_selector("#project-map[data-areas='loaded']")
    page.wait_for_selector("#area-follow-form[data-ready='true']")
    assert_fits_the_phone(page)
    page.locator("#area-follow-form label", has_text="1 km").click()
    page.locator("#area-follow-button").click()
    page.wait_for_selector(".messages >> text=1 km 안에 새 사업이 제안되면")

    follow = AreaFollow.objects.get()
    assert follow.radius_m == 1000
    # "Here" is the centre of the map, framed on 영주1동.
    assert follow.center.x == pytest.approx(YEONGJU_1_DONG[0], abs=0.002)
    assert follow.center.y == pytest.approx(YEONGJU_1_DONG[1], abs=0.002)

    page.goto(f"{live_server.url}/ko/me/")
    assert_fits_the_phone(page)
    assert "영주시 부근 1 km 안의 새 사업" in page.inner_text("#area-follow-list")


def step_support_another_project_from_above_the_fold(page, live_server, project):
    page.goto(f"{live_server.url}/ko/projects/{project.pk}/")
    assert page.evaluate("window.scrollY") == 0
    box = page.locator("#support-button").bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]
    assert_fits_the_phone(page)
    page.locator("#support-button").click()
    page.wait_for_selector("#support-button[aria-pressed='true']")
    # The message is where the button was, and has the focus.
    page.wait_for_function("document.activeElement.id === 'message'")
    assert "공감해 주셔서 감사합니다" in page.inner_text("#message")
    message = page.locator("#message").bounding_box()
    # In view: the page scrolled to it (its top may sit a fraction above the edge).
    assert message["y"] + message["height"] > 0
    assert message["y"] < PHONE["height"]
    assert ProjectSupport.objects.filter(project=project).count() == 1


def step_rsvp_to_the_workshop_and_download_its_calendar(page, live_server, project):
    page.goto(f"{live_server.url}/ko/projects/{project.pk}/")
    meeting = page.locator("#project-meetings li[data-event]").first
    assert "공유부엌 설계 워크숍" in meeting.inner_text()
    meeting.locator(".rsvp-button").click()
    page.wait_for_selector("#project-meetings .rsvp-button[aria-pressed='true']")
    page.wait_for_function("document.activeElement.id === 'message'")
    assert EventRsvp.objects.filter(event__title="공유부엌 설계 워크숍").count() == 1
    with page.expect_download() as download:
        page.locator("#project-meetings .calendar-link").first.click()
    calendar = Calendar.from_ical(Path(download.value.path()).read_bytes())
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == "공유부엌 설계 워크숍"
    assert str(entry["LOCATION"]) == "영주시 중앙로 12, 2층"
    assert_fits_the_phone(page)


def step_hear_of_a_neighbours_proposal_in_korean_only(page, live_server, city):
    neighbour = UserFactory(username="neighbour")
    renewal_project_propose(
        proposer=neighbour,
        municipality=city,
        data={
            "title": "영주1동 골목 화단",
            "description": "빈 땅에 주민 화단을 만듭니다",
            "category": "village_renewal",
            "place": Point(*YEONGJU_1_DONG, srid=4326),
        },
    )
    page.goto(f"{live_server.url}/ko/")
    badge = page.locator("#notification-badge")
    assert "1" in badge.inner_text()
    assert "읽지 않음" in badge.inner_text()
    badge.click()
    page.wait_for_url(f"{live_server.url}/ko/notifications/")
    assert_fits_the_phone(page)
    listing = page.inner_text("#notification-list")
    assert "영주1동 골목 화단" in listing
    assert LATIN_WORD.findall(listing) == []


@pytest.mark.browser
def test_resident_journey_on_a_phone(browser, live_server, yeongju, resident):
    context = browser.browser.new_context(
        viewport=PHONE,
        locale="ko-KR",
        # In front of an empty shop near the station.
        geolocation={"longitude": 128.6250, "latitude": 36.8290},
        permissions=["geolocation"],
    )
    try:
        page = sign_in(context, live_server, resident.username, "/ko/")
        step_see_what_is_near_me(page, live_server, yeongju)
        step_search_for_the_neighbourhood(page, live_server, yeongju)
        step_propose_by_searching_a_place_and_the_keyboard(
            page, live_server, yeongju.vacant_spaces.get()
        )
        kitchen = RenewalProject.objects.get(title="시장 빈 점포 공유부엌")
        step_support_another_project_from_above_the_fold(page, live_server, kitchen)
        step_follow_the_area_within_1_km(page, live_server, yeongju)
        step_rsvp_to_the_workshop_and_download_its_calendar(page, live_server, kitchen)
        step_hear_of_a_neighbours_proposal_in_korean_only(page, live_server, yeongju)
    finally:
        context.close()
