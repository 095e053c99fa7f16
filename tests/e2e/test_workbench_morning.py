"""A city editor's morning in a browser: the workbench shows what waits, two
proposals are decided from the queue, and the filtered spaces list is downloaded as
a GeoPackage that GDAL reads. Then the same workbench in English on a phone-sized
screen, one decision taken with the keyboard alone."""

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from renewal.models import (
    CityRole,
    ProjectStatus,
    ProjectTransition,
    RenewalProject,
    VacantSpace,
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
from tests.helpers import HANG_GUARD_SECONDS

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
def test_a_city_editors_morning_at_the_workbench(
    browser, live_server, morning, tmp_path
):
    city, older, newer = morning["city"], morning["older"], morning["newer"]
    context = browser.browser.new_context(accept_downloads=True)
    try:
        path = f"/ko/cities/{city.code}/work/"
        page = sign_in(context, live_server, "city_editor", path)
        assert page.get_attribute("html", "lang") == "ko"
        assert _count(page, "proposals") == 2
        assert _count(page, "offered_matches") == 1
        # Oldest first.
        rows = page.locator("#proposals li[data-project]")
        assert rows.first.get_attribute("data-project") == str(older.pk)

        page.locator(f"li[data-project='{older.pk}'] button[value='approved']").click()
        page.wait_for_selector(".messages")
        assert "승인했습니다" in page.inner_text(".messages")
        newer_row = page.locator(f"li[data-project='{newer.pk}']")
        newer_row.locator("textarea").fill("하천구역이라 캠핑장 허가가 어렵습니다")
        newer_row.locator("button[value='rejected']").click()
        page.wait_for_selector(".messages")
        assert "반려했습니다" in page.inner_text(".messages")
        assert _count(page, "proposals") == 0
        older.refresh_from_db()
        newer.refresh_from_db()
        assert (older.status, newer.status) == ("approved", "rejected")
        assert (
            ProjectTransition.objects.get(project=newer, to_status="rejected").reason
            == "하천구역이라 캠핑장 허가가 어렵습니다"
        )

        # The filtered list, downloaded as it is filtered.
        page.goto(f"{live_server.url}/ko/cities/{city.code}/spaces/list/")
        page.select_option("#id_status", "available")
        page.locator("#space-filter button[type='submit']").first.click()
        page.wait_for_url("**status=available**")
        with page.expect_download(timeout=HANG_GUARD_SECONDS * 1000) as download:
            page.click("#export-gpkg")
        target = tmp_path / "spaces.gpkg"
        download.value.save_as(target)
        info = subprocess.run(
            ["ogrinfo", "-ro", "-al", "-so", str(target)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        # The four available spaces and the one the offered match proposes.
        filtered = VacantSpace.objects.filter(municipality=city, status="available")
        assert filtered.count() == 5
        assert f"Feature Count: {filtered.count()}" in info
    finally:
        context.close()


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
