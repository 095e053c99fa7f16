"""A city editor's morning, end to end in a browser: the workbench shows what waits,
two proposals are decided from the queue, a Korean office's survey (CP949, Korean
column names, EPSG:5186) goes through the import wizard, the filtered list leaves as
a GeoPackage that GDAL reads, and the proposer reads the decision in their own
language only. Once in Korean on a laptop with the mouse, once in English on a
390 px phone with the keyboard, never scrolling sideways."""

import re
import subprocess
from datetime import timedelta

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone

from renewal.models import (
    CityRole,
    ImportColumnMapping,
    RenewalProject,
    VacantSpace,
)
from renewal.services.notifications import notification_language_set
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
CITY_CENTRE = (128.59, 35.87)
SURVEY = [(128.5934, 35.8691), (128.5951, 35.8702), (128.5912, 35.8677)]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
TEXT = {
    "ko": {"approved": "승인했습니다", "rejected": "반려했습니다", "all": "모든 행을"},
    "en": {"approved": "approved", "rejected": "rejected", "all": "Every row"},
}


def survey_csv() -> bytes:
    lines = ["빈집코드,유형,주소,면적,X,Y"]
    for n, (lon, lat) in enumerate(SURVEY, start=1):
        point = Point(lon, lat, srid=4326)
        point.transform(5186)
        lines.append(f"B-{n},빈집,중앙대로 {n},{60 + n},{point.x:.2f},{point.y:.2f}")
    return ("\r\n".join(lines) + "\r\n").encode("cp949")


@pytest.fixture
def morning(db):
    lon, lat = CITY_CENTRE
    city = MunicipalityFactory(
        name_ko="아침시",
        name_en="Morningcity",
        location=Point(lon, lat, srid=4326),
        boundary=MultiPolygon(
            Polygon.from_bbox((lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05)),
            srid=4326,
        ),
    )
    editor = UserFactory(username="city_editor")
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    proposer = UserFactory(username="minji")
    older = RenewalProjectFactory(
        municipality=city,
        proposer=proposer,
        title="폐교를 마을 도서관으로",
        place=Point(lon, lat, srid=4326),
    )
    RenewalProject.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=9)
    )
    newer = RenewalProjectFactory(
        municipality=city,
        proposer=proposer,
        title="하천 옆 캠핑장",
        status="under_review",
        place=Point(lon + 0.001, lat, srid=4326),
    )
    MatchFactory(
        project__municipality=city,
        project__place=Point(lon, lat + 0.001, srid=4326),
        space__municipality=city,
        space__location=Point(lon, lat + 0.002, srid=4326),
        status="offered",
    )
    for n in range(4):
        VacantSpaceFactory(
            municipality=city,
            status="available",
            location=Point(lon + 0.001 * n, lat - 0.001, srid=4326),
        )
    return {"city": city, "older": older, "newer": newer, "proposer": proposer}


def press(page, selector: str, *, keyboard: bool) -> None:
    """Activate a control: a click, or focus and Enter as a keyboard user would."""
    if keyboard:
        page.locator(selector).first.focus()
        page.keyboard.press("Enter")
    else:
        page.locator(selector).first.click()


def count(page, section: str) -> int:
    return int(
        page.inner_text(
            f"#workbench-summary a[data-section='{section}'] .workbench-count"
        ).replace(",", "")
    )


@pytest.mark.browser
@pytest.mark.parametrize(
    "language, viewport, keyboard",
    [
        ("ko", {"width": 1366, "height": 900}, False),
        ("en", {"width": 390, "height": 844}, True),
    ],
    ids=["korean-laptop-mouse", "english-phone-keyboard"],
)
def test_a_city_editors_morning(
    browser, live_server, morning, tmp_path, settings, language, viewport, keyboard
):
    settings.MEDIA_ROOT = tmp_path / "media"
    city, older, newer = morning["city"], morning["older"], morning["newer"]
    # The proposer reads in Korean, whatever language the editor works in.
    notification_language_set(user=morning["proposer"], language="ko")
    text = TEXT[language]
    context = browser.browser.new_context(viewport=viewport, accept_downloads=True)
    try:
        page = sign_in(context, live_server, "city_editor", f"/{language}/")
        page.goto(f"{live_server.url}/{language}/")
        # The header leads to the workbench (on a phone, behind the menu).
        if keyboard:
            press(page, ".header-menu summary", keyboard=True)
        press(page, "#workbench-link", keyboard=keyboard)
        page.wait_for_url(f"**/{language}/cities/{city.code}/work/")
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        assert count(page, "proposals") == 2
        assert count(page, "offered_matches") == 1
        rows = page.locator("#proposals li[data-project]")
        assert rows.first.get_attribute("data-project") == str(older.pk)

        press(
            page,
            f"li[data-project='{older.pk}'] button[value='approved']",
            keyboard=keyboard,
        )
        page.wait_for_selector(".messages")
        assert text["approved"] in page.inner_text(".messages")
        newer_row = page.locator(f"li[data-project='{newer.pk}']")
        newer_row.locator("textarea").fill("하천구역이라 캠핑장 허가가 어렵습니다")
        press(
            page,
            f"li[data-project='{newer.pk}'] button[value='rejected']",
            keyboard=keyboard,
        )
        page.wait_for_selector(".messages")
        assert text["rejected"] in page.inner_text(".messages")
        assert count(page, "proposals") == 0

        # The survey through the wizard: columns, preview on the map, progress, report.
        page.goto(f"{live_server.url}/{language}/cities/{city.code}/imports/new/")
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        page.set_input_files(
            "#id_file",
            files=[
                {"name": "빈집조사.csv", "mimeType": "text/csv", "buffer": survey_csv()}
            ],
        )
        press(page, "#import-upload-form button[type='submit']", keyboard=keyboard)
        page.wait_for_selector("#import-mapping-form")
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        assert page.input_value("#id_address") == "주소"
        assert page.input_value("#id_floor_area_m2") == "면적"
        page.select_option("#id_external_id", "빈집코드")
        page.select_option("#id_srid", "5186")
        press(page, "#import-mapping-form button[type='submit']", keyboard=keyboard)
        page.wait_for_selector("#import-preview-map[data-ready='true']")
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        assert (
            page.locator("#import-preview-map .preview-point.place-inside").count() == 3
        )
        assert not VacantSpace.objects.filter(external_id__startswith="B-").exists()
        press(page, "#import-start-form button", keyboard=keyboard)
        page.wait_for_selector("#import-report")
        assert page.locator("#import-progress-bar").get_attribute("value") == "100"
        assert page.locator("#import-written").inner_text() == "3"
        assert text["all"] in page.locator("#import-outcome").inner_text()
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        with page.expect_download(timeout=HANG_GUARD_SECONDS * 1000) as report:
            press(page, "#import-report-csv", keyboard=keyboard)
        assert report.value.path().read_bytes()
        assert (
            ImportColumnMapping.objects.get(municipality=city).columns["address"]
            == "주소"
        )

        # The filtered list leaves as a GeoPackage, and GDAL reads it.
        page.goto(f"{live_server.url}/{language}/cities/{city.code}/spaces/list/")
        page.select_option("#id_status", "available")
        press(page, "#space-filter button[type='submit']", keyboard=keyboard)
        page.wait_for_url("**status=available**")
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        with page.expect_download(timeout=HANG_GUARD_SECONDS * 1000) as download:
            press(page, "#export-gpkg", keyboard=keyboard)
        target = tmp_path / "spaces.gpkg"
        download.value.save_as(target)
        info = subprocess.run(
            ["ogrinfo", "-ro", "-al", "-so", str(target)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        available = VacantSpace.objects.filter(municipality=city, status="available")
        assert f"Feature Count: {available.count()}" in info
    finally:
        context.close()

    # The proposer reads both decisions, in Korean only.
    proposer_context = browser.browser.new_context(viewport=viewport)
    try:
        page = sign_in(proposer_context, live_server, "minji", "/ko/notifications/")
        listing = page.inner_text("main")
        assert "폐교를 마을 도서관으로" in listing and "하천 옆 캠핑장" in listing
        assert "하천구역이라 캠핑장 허가가 어렵습니다" in listing
        assert HANGUL.search(page.inner_text("#notification-badge"))
        words = LATIN_WORD.findall(page.inner_text("#notification-list"))
        assert words == [], words
    finally:
        proposer_context.close()
