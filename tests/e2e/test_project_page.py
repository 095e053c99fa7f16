"""A resident on a 390×844 phone, in Korean: supports a project from above the fold,
finds the focus on the message, says they will come to an announced workshop and
downloads its calendar entry."""

import datetime
import zoneinfo
from pathlib import Path

import pytest
from django.utils import timezone
from icalendar import Calendar

from renewal.models import EventRsvp, ProjectSupport
from renewal.services.meetings import meeting_announce
from renewal.services.roles import organization_role_grant
from tests.e2e.helpers import sign_in
from tests.factories import (
    CommunityOrganizationFactory,
    MunicipalityFactory,
    RenewalProjectFactory,
    UserFactory,
)

PHONE = {"width": 390, "height": 844}
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def _focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.browser
def test_a_resident_supports_from_above_the_fold_and_rsvps_to_a_workshop(
    browser, live_server
):
    city = MunicipalityFactory(name_ko="영주시", name_en="Yeongju")
    ngo = CommunityOrganizationFactory(municipality=city, name="풍기 골목협동조합")
    organiser = UserFactory()
    organization_role_grant(user=organiser, organization=ngo)
    project = RenewalProjectFactory(
        municipality=city,
        lead_organization=ngo,
        status="approved",
        title="시장 빈 점포 공유부엌",
        description="어르신과 청년이 함께 쓰는 부엌과 식당\n" * 8,
    )
    starts_at = (timezone.now() + datetime.timedelta(days=6)).astimezone(SEOUL)
    starts_at = starts_at.replace(hour=14, minute=0, second=0, microsecond=0)
    workshop = meeting_announce(
        actor=organiser,
        project=project,
        data={
            "kind": "workshop",
            "title": "공유부엌 설계 워크숍",
            "place": "영주시 중앙로 12, 2층",
            "starts_at": starts_at,
            "ends_at": starts_at + datetime.timedelta(hours=2),
            "capacity": 30,
        },
    )
    UserFactory(username="sujin")
    context = browser.browser.new_context(viewport=PHONE, locale="ko-KR")
    try:
        page = sign_in(context, live_server, "sujin", f"/ko/projects/{project.pk}/")

        # The support button is on the first screen, without scrolling.
        assert page.evaluate("window.scrollY") == 0
        box = page.locator("#support-button").bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"]
        assert _no_sideways_scrolling(page)
        page.locator("#support-button").click()
        page.wait_for_selector("#support-button[aria-pressed='true']")

        # The message is where the button was, and has the focus.
        page.wait_for_function("document.activeElement.id === 'message'")
        assert "이 사업에 공감해 주셔서 감사합니다." in page.inner_text("#message")
        assert page.locator("#support #message").count() == 1
        message = page.locator("#message").bounding_box()
        assert 0 <= message["y"] < PHONE["height"]
        assert ProjectSupport.objects.filter(project=project).count() == 1

        # The announced workshop: RSVP, and the focus lands on its message.
        meeting = page.locator(f"#project-meetings li[data-event='{workshop.pk}']")
        assert "공유부엌 설계 워크숍" in meeting.inner_text()
        meeting.locator(".rsvp-button").click()
        page.wait_for_selector(
            f"#project-meetings li[data-event='{workshop.pk}'] "
            ".rsvp-button[aria-pressed='true']"
        )
        page.wait_for_function("document.activeElement.id === 'message'")
        assert page.locator("#events #message").count() == 1
        assert "공유부엌 설계 워크숍" in page.inner_text("#message")
        assert EventRsvp.objects.filter(event=workshop, user__username="sujin").exists()
        assert "정원 30명 중 1명 신청" in meeting.inner_text()

        # Its calendar entry downloads and reads back with the right time.
        with page.expect_download() as download:
            meeting.locator(".calendar-link").click()
        calendar = Calendar.from_ical(Path(download.value.path()).read_bytes())
        (entry,) = calendar.walk("VEVENT")
        assert str(entry["SUMMARY"]) == "공유부엌 설계 워크숍"
        assert entry.decoded("DTSTART").astimezone(SEOUL) == starts_at
        assert str(entry["LOCATION"]) == "영주시 중앙로 12, 2층"
        assert _no_sideways_scrolling(page)
    finally:
        context.close()
