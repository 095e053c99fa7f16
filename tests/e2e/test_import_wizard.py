"""A city editor imports a Korean office's survey through the wizard, in Korean."""

import csv
import io

import pytest
from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.test import Client

from renewal.models import ImportColumnMapping, SpaceImport, VacantSpace
from renewal.services.imports import IMPORT_CITY_LEASE
from renewal.tasks import space_import_run_task

# Three vacant houses in Daegu's old downtown.
PLACES = [(128.5934, 35.8691), (128.5951, 35.8702), (128.5912, 35.8677)]


def sign_in(browser, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    browser.clear_cookies()
    browser.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def survey() -> bytes:
    """CP949, Korean column names, GRS80 Central Belt (EPSG:5186) coordinates."""
    lines = ["빈집코드,유형,주소,면적,X,Y"]
    for n, (lon, lat) in enumerate(PLACES, start=1):
        point = Point(lon, lat, srid=4326)
        point.transform(5186)
        lines.append(f"B-{n},빈집,중앙대로 {n},{60 + n},{point.x:.2f},{point.y:.2f}")
    return ("\r\n".join(lines) + "\r\n").encode("cp949")


@pytest.mark.browser
def test_editor_imports_a_cp949_survey_in_5186_through_the_wizard(
    page, browser, live_server, personas, city, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    lon, lat = PLACES[0]
    city.boundary = MultiPolygon(
        Polygon.from_bbox((lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05)), srid=4326
    )
    city.save()
    sign_in(browser, live_server, personas["city_editor"])

    page.goto(f"{live_server.url}/ko/cities/{city.code}/imports/new/")
    page.set_input_files(
        "#id_file",
        files=[{"name": "빈집조사.csv", "mimeType": "text/csv", "buffer": survey()}],
    )
    page.locator("#import-upload-form button[type='submit']").click()

    # Columns: the survey's own identifier column is not a known name; choose it.
    page.wait_for_selector("#import-mapping-form")
    assert page.locator("#import-encoding").inner_text() == "CP949 (EUC-KR)"
    assert page.input_value("#id_address") == "주소"
    assert page.input_value("#id_floor_area_m2") == "면적"
    page.select_option("#id_external_id", "빈집코드")
    page.select_option("#id_srid", label="GRS80 중부원점 (EPSG:5186)")
    page.locator("#import-mapping-form button[type='submit']").focus()
    page.keyboard.press("Enter")

    page.wait_for_selector("#import-preview-map[data-ready='true']")
    assert page.locator("#import-preview-map .preview-point.place-inside").count() == 3
    assert page.locator("#preview-table tbody tr").count() == 3
    assert page.locator("[id^='preview-outside']").count() == 0
    assert "중앙대로 2" in page.locator("#preview-table").inner_text()
    assert not VacantSpace.objects.exists()

    # The worker is busy with another import of the city: this one queues.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [IMPORT_CITY_LEASE, city.pk])
    try:
        page.locator("#import-start-form button").click()
        page.wait_for_selector("#import-progress")
        assert page.locator("#import-status").get_attribute("data-status") == "queued"
        assert page.locator("#import-progress-bar").get_attribute("value") == "0"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [IMPORT_CITY_LEASE, city.pk]
            )
    space_import = SpaceImport.objects.get()
    space_import_run_task(space_import.pk)  # its turn comes

    # The page follows the stored state and ends on the report.
    page.wait_for_selector("#import-report")
    assert page.locator("#import-progress-bar").get_attribute("value") == "100"
    assert page.locator("#import-written").inner_text() == "3"
    assert "모든 행을 가져왔습니다" in page.locator("#import-outcome").inner_text()
    with page.expect_download() as download:
        page.locator("#import-report-csv").click()
    report = download.value.path().read_bytes().decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(report)))[0] == ["줄", "열", "내용"]

    spaces = VacantSpace.objects.filter(municipality=city)
    assert sorted(spaces.values_list("external_id", flat=True)) == ["B-1", "B-2", "B-3"]
    assert all(city.boundary.contains(space.location) for space in spaces)
    assert (
        ImportColumnMapping.objects.get(municipality=city).columns["external_id"]
        == "빈집코드"
    )
