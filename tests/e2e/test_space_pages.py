import csv
import io
import json
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.gdal import DataSource
from django.contrib.gis.geos import Point
from django.test import Client

from cities.demo import illustrative_downtown
from renewal.models import SpaceOwner, VacantSpace
from tests.factories import VacantSpaceFactory
from tests.helpers import api_client

SEEDED = 25


def sign_in(browser, live_server, user) -> None:
    """Reuse a Django session in the browser: password logins are tested elsewhere."""
    browser.clear_cookies()
    if not user.is_authenticated:
        return
    client = Client()
    client.force_login(user)
    browser.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.fixture
def inventory(city):
    city.downtown = illustrative_downtown(city.location, 800)
    city.save()
    # Within about 150 m of the centre, so that they cluster at the city's zoom.
    for n in range(SEEDED):
        VacantSpaceFactory(
            municipality=city,
            location=Point(
                city.location.x + 0.0003 * (n % 5),
                city.location.y + 0.0003 * (n // 5),
                srid=4326,
            ),
        )
    return city


def shown_on_map(page) -> int:
    """Spaces on the map: the numbers on the clusters plus single markers."""
    in_clusters = sum(
        int(text)
        for text in page.locator("#space-map .marker-cluster").all_inner_texts()
    )
    return in_clusters + page.locator("#space-map .space-marker").count()


@pytest.mark.browser
def test_city_editor_places_a_new_space_by_clicking_on_the_map(
    page, browser, live_server, personas, inventory
):
    city = inventory
    sign_in(browser, live_server, personas["city_editor"])

    page.goto(f"{live_server.url}/ko/cities/{city.code}/spaces/")
    page.wait_for_selector("#space-map[data-ready='true']")
    assert page.locator("#space-map .marker-cluster").count() >= 1
    assert shown_on_map(page) == SEEDED

    page.locator(f"a[href='/ko/cities/{city.code}/spaces/new/']").click()
    page.wait_for_selector("#location-map[data-ready='true']")
    box = page.locator("#location-map").bounding_box()
    page.locator("#location-map").click(
        position={"x": box["width"] / 2, "y": box["height"] / 2}
    )
    assert page.locator("#location-map .picked-location").count() == 1
    longitude = float(page.input_value("#id_longitude"))
    latitude = float(page.input_value("#id_latitude"))
    assert longitude == pytest.approx(city.location.x, abs=0.002)
    assert latitude == pytest.approx(city.location.y, abs=0.002)
    page.select_option("#id_kind", "house")
    page.fill("#id_address", "시장길 99")
    page.fill("#id_owner_name", "김영희")
    page.locator("#space-form button[type='submit']").click()

    page.wait_for_url(f"{live_server.url}/ko/spaces/*/")
    space = VacantSpace.objects.get(address="시장길 99")
    assert page.url == f"{live_server.url}/ko/spaces/{space.pk}/"
    assert "시장길 99" in page.get_by_role("heading", level=1).inner_text()
    assert page.locator("#space-owner").get_by_text("김영희").is_visible()
    page.wait_for_selector("#space-detail-map[data-ready='true']")
    assert page.locator("#space-detail-map path.leaflet-interactive").count() == 1
    assert space.location.x == pytest.approx(longitude, abs=1e-6)
    assert space.location.y == pytest.approx(latitude, abs=1e-6)

    page.goto(f"{live_server.url}/ko/cities/{city.code}/spaces/")
    page.wait_for_selector("#space-map[data-ready='true']")
    assert shown_on_map(page) == SEEDED + 1


@pytest.mark.browser
@pytest.mark.parametrize(
    ("persona", "sees_owner"), [("resident", False), ("city_editor", True)]
)
def test_marker_popup_loads_details_and_owner_only_for_staff(
    page, browser, live_server, personas, city, persona, sees_owner
):
    space = VacantSpaceFactory(municipality=city, address="중앙로 12")
    SpaceOwner.objects.create(space=space, name="박철수", contact="010-1234-5678")
    sign_in(browser, live_server, personas[persona])

    page.goto(f"{live_server.url}/ko/cities/{city.code}/spaces/")
    page.wait_for_selector("#space-map[data-ready='true']")
    assert page.locator("#space-map .space-marker").count() == 1
    page.locator("#space-map .space-marker").click()
    popup = page.locator(".space-popup")
    popup.wait_for()

    assert "중앙로 12" in popup.inner_text()
    assert ("박철수" in popup.inner_text()) is sees_owner
    if not sees_owner:
        assert "박철수" not in page.content()
    popup.get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/ko/spaces/{space.pk}/")
    assert (page.locator("#space-owner").count() == 1) is sees_owner


@pytest.mark.browser
def test_filters_reload_the_map_and_carry_over_to_the_list(
    page, browser, live_server, personas, city
):
    VacantSpaceFactory.create_batch(2, municipality=city, kind="house")
    VacantSpaceFactory(municipality=city, kind="shop")
    sign_in(browser, live_server, personas["anonymous"])

    page.goto(f"{live_server.url}/ko/cities/{city.code}/spaces/")
    page.wait_for_selector("#space-map[data-ready='true']")
    assert page.get_attribute("#space-map", "data-count") == "3"

    page.select_option("#id_kind", "house")
    page.wait_for_selector("#space-map[data-count='2'][data-ready='true']")

    page.locator("#space-list-link").click()
    assert page.locator("#space-list tbody tr").count() == 2


@pytest.mark.browser
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "25 of more than 10 matching spaces in this view."),
        ("ko", "공간 10곳 이상 중 25곳을 표시합니다."),
    ],
)
def test_map_says_when_the_count_is_a_lower_bound(
    page, live_server, inventory, settings, language, expected
):
    settings.SPACES_LIST_COUNT_LIMIT = 10

    page.goto(f"{live_server.url}/{language}/cities/{inventory.code}/spaces/")
    page.wait_for_selector("#space-map[data-ready='true']")

    assert expected in page.locator("#space-count").inner_text()
    assert shown_on_map(page) == SEEDED


def survey_in_epsg_5186(directory: Path, city) -> Path:
    """A surveyor's GeoPackage in EPSG:5186 (Korea 2000 / Central Belt 2010) with
    three shops near the city hall and their owner, written by GDAL."""
    features = [
        {
            "type": "Feature",
            "properties": {
                "external_id": f"SURVEY-{n}",
                "kind": "shop",
                "address": f"시장길 {n}",
                "owner_name": "김영희",
                "owner_contact": "010-5555-0101",
            },
            "geometry": {
                "type": "Point",
                "coordinates": [city.location.x + 0.0004 * n, city.location.y],
            },
        }
        for n in range(3)
    ]
    source = directory / "survey.geojson"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    survey = directory / "survey-5186.gpkg"
    subprocess.run(
        ["ogr2ogr", "-f", "GPKG", survey, source, "-t_srs", "EPSG:5186"],
        check=True,
        capture_output=True,
    )
    assert DataSource(str(survey))[0].srs.srid == 5186
    return survey


@pytest.mark.browser
def test_staff_import_a_survey_map_it_change_a_status_and_export_residents_see_no_owner(
    page,
    browser,
    live_server,
    personas,
    city,
    tmp_path,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    survey = survey_in_epsg_5186(tmp_path, city)
    editor = api_client(personas["city_editor"])
    export_url = f"{live_server.url}/api/v1/spaces/export/?format=csv&city={city.code}"

    with django_capture_on_commit_callbacks(execute=True), survey.open("rb") as handle:
        upload = editor.post(
            "/api/v1/spaces/imports/",
            {"file": handle, "municipality": city.code},
            format="multipart",
        )
    assert upload.status_code == 202, upload.content
    assert editor.get(upload.json()["url"]).json()["status"] == "succeeded"
    first = VacantSpace.objects.get(municipality=city, external_id="SURVEY-0")
    assert first.location.x == pytest.approx(city.location.x, abs=1e-6)

    sign_in(browser, live_server, personas["city_editor"])
    page.goto(f"{live_server.url}/ko/cities/{city.code}/spaces/")
    page.wait_for_selector("#space-map[data-ready='true']")
    assert shown_on_map(page) == 3
    page.goto(f"{live_server.url}/ko/spaces/{first.pk}/")
    with page.expect_navigation():
        page.locator("button[name='to'][value='surveyed']").click()
    first.refresh_from_db()
    assert first.status == "surveyed"
    staff_export = page.request.get(export_url)
    assert staff_export.ok
    staff_rows = list(csv.DictReader(io.StringIO(staff_export.text().lstrip("\ufeff"))))
    assert sorted(row["external_id"] for row in staff_rows) == [
        "SURVEY-0",
        "SURVEY-1",
        "SURVEY-2",
    ]
    assert {row["owner_name"] for row in staff_rows} == {"김영희"}

    sign_in(browser, live_server, personas["resident"])
    page.goto(f"{live_server.url}/ko/cities/{city.code}/spaces/")
    page.wait_for_selector("#space-map[data-ready='true']")
    assert shown_on_map(page) == 3
    assert "김영희" not in page.content()
    page.goto(f"{live_server.url}/ko/spaces/{first.pk}/")
    assert page.locator("#space-owner").count() == 0
    assert "김영희" not in page.content()
    public_export = page.request.get(export_url)
    assert public_export.ok
    assert "SURVEY-0" in public_export.text()
    assert "김영희" not in public_export.text()
    assert "010-5555-0101" not in public_export.text()
