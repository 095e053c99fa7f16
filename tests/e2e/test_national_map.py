import pytest
from django.contrib.gis.geos import Point

from renewal.services.tiles import space_tile_grid_refresh
from tests.factories import (
    CommunityOrganizationFactory,
    MunicipalityFactory,
    RenewalProjectFactory,
    VacantSpaceFactory,
)
from tests.helpers import HANG_GUARD_SECONDS

SPACES = 30
IDLE = "() => window.nationalMap && window.nationalMap.idle"


@pytest.fixture
def national_data(transactional_db):
    city = MunicipalityFactory(name_en="Map city")
    # Within about 600 m of the city hall: one grid cell zoomed out, single points
    # at the city's zoom.
    for n in range(SPACES):
        VacantSpaceFactory(
            municipality=city,
            location=Point(
                city.location.x + 0.001 * (n % 6),
                city.location.y + 0.001 * (n // 6),
                srid=4326,
            ),
        )
    RenewalProjectFactory.create_batch(2, municipality=city)
    CommunityOrganizationFactory(
        municipality=city,
        location=Point(city.location.x - 0.002, city.location.y, srid=4326),
    )
    space_tile_grid_refresh()
    return city


def open_map(page, url: str):
    page.goto(url)
    page.wait_for_function(IDLE, timeout=HANG_GUARD_SECONDS * 1000)


def rendered(page, layer: str) -> int:
    return page.evaluate(f"window.nationalMap.renderedFeatureCount({layer!r})")


@pytest.mark.browser
def test_national_view_draws_spaces_as_counted_grid_cells(
    page, live_server, national_data
):
    open_map(page, f"{live_server.url}/ko/map/")

    assert rendered(page, "spaces-grid") >= 1
    assert rendered(page, "spaces") == 0
    assert page.evaluate("window.nationalMap.spacesInView()") == SPACES
    assert str(SPACES) in page.locator("#national-map-status").inner_text()


@pytest.mark.browser
def test_city_view_draws_every_space_project_and_organisation_from_tiles(
    page, live_server, national_data
):
    tile_requests = []
    page.on(
        "request",
        lambda request: "/tiles/" in request.url and tile_requests.append(request.url),
    )

    open_map(page, f"{live_server.url}/ko/map/?city={national_data.code}")

    assert rendered(page, "spaces") == SPACES
    assert rendered(page, "projects") == 2
    assert rendered(page, "organizations") == 1
    assert rendered(page, "spaces-grid") == 0
    assert any("/tiles/spaces/13/" in url for url in tile_requests)
    assert all(url.split("?")[0].endswith(".mvt") for url in tile_requests)


@pytest.mark.browser
def test_unticking_a_layer_hides_its_features(page, live_server, national_data):
    open_map(page, f"{live_server.url}/en/map/?city={national_data.code}")

    page.get_by_label("Vacant spaces").uncheck()

    page.wait_for_function(
        "() => window.nationalMap.renderedFeatureCount('spaces') === 0",
        timeout=HANG_GUARD_SECONDS * 1000,
    )
    assert rendered(page, "projects") == 2
