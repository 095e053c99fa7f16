"""The workbench in English on a phone-sized screen, one decision taken with the
keyboard alone, Tab by Tab (the whole morning is tests/e2e/test_city_editor_morning.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from renewal.models import (
    CityRole,
    ProjectStatus,
    RenewalProject,
)
from renewal.services.roles import city_role_grant
from tests.e2e.helpers import sign_in
from tests.factories import (
    MatchFactory,
    MunicipalityFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)

NO_HORIZONTAL_SCROLL = (
    "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
  .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)"""


@pytest.fixture
def morning(db):
    city = MunicipalityFactory(name_en="Home city")
    editor = UserFactory(username="city_editor")
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    proposer = UserFactory(username="minji")
    older = RenewalProjectFactory(
        municipality=city, proposer=proposer, title="폐교를 마을 도서관으로"
    )
    RenewalProject.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=9)
    )
    newer = RenewalProjectFactory(
        municipality=city,
        proposer=proposer,
        title="하천 옆 캠핑장",
        status="under_review",
    )
    MatchFactory(project__municipality=city, status="offered")
    VacantSpaceFactory.create_batch(4, municipality=city, status="available")
    VacantSpaceFactory.create_batch(2, municipality=city, status="surveyed")
    return {"city": city, "older": older, "newer": newer, "proposer": proposer}


def _count(page, section: str) -> int:
    return int(
        page.inner_text(
            f"#workbench-summary a[data-section='{section}'] .workbench-count"
        )
    )


@pytest.mark.browser
def test_the_workbench_on_a_phone_in_english_by_keyboard(browser, live_server, morning):
    city, older = morning["city"], morning["older"]
    context = browser.browser.new_context(viewport={"width": 390, "height": 844})
    try:
        path = f"/en/cities/{city.code}/work/"
        page = sign_in(context, live_server, "city_editor", path)
        wide = page.evaluate(WIDEST)
        assert page.evaluate(NO_HORIZONTAL_SCROLL), wide
        assert "검토" not in page.inner_text("main")

        # From the top of the page: Tab to the reason of the oldest proposal, type
        # it, Tab to "Ask for changes", Enter.
        reason_id = f"reason-{older.pk}"
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == reason_id:
                break
        assert page.evaluate("document.activeElement.id") == reason_id
        page.keyboard.type("Please add the floor area you need.")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.value") == "changes_requested"
        page.keyboard.press("Enter")
        page.wait_for_selector(".messages")

        assert "Changes to" in page.inner_text(".messages")
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        older.refresh_from_db()
        assert older.status == ProjectStatus.CHANGES_REQUESTED
    finally:
        context.close()
