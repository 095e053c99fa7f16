import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from cities.models import Indicator, MunicipalityGroup, Observation
from cities.typology import STUDY_GROUP
from tests.factories import MunicipalityFactory, VacantSpaceFactory


@pytest.fixture
def small_city(db):
    town = MunicipalityFactory(name_en="Hillside")
    x, y = town.location.x, town.location.y
    town.downtown = MultiPolygon(
        Polygon.from_bbox((x - 0.002, y - 0.002, x + 0.002, y + 0.002)), srid=4326
    )
    town.save()
    population = Indicator.objects.create(
        code="population", name_ko="인구", name_en="Population", unit="persons"
    )
    for year, value in [(2015, 98_000), (2020, 95_000)]:
        Observation.objects.create(
            municipality=town,
            indicator=population,
            year=year,
            value=value,
            source="test",
        )
    manufacturing = Indicator.objects.create(
        code="manufacturing_employment_share",
        name_ko="제조업 종사자 비율",
        name_en="Manufacturing employment share",
        unit="%",
    )
    Observation.objects.create(
        municipality=town, indicator=manufacturing, year=2020, value=9, source="test"
    )
    # Only the study's cities are classified.
    MunicipalityGroup.objects.create(
        slug=STUDY_GROUP, name_ko="연구대상", name_en="Study"
    ).members.add(town)
    for _ in range(3):
        VacantSpaceFactory(municipality=town, status="available")
    return town


@pytest.mark.browser
def test_city_page_shows_type_chart_and_downtown_map(page, live_server, small_city):
    page.goto(f"{live_server.url}/en/cities/{small_city.code}/")

    assert page.locator("#city-type").inner_text().startswith("Small city")
    chart = page.locator("#chart-population svg")
    assert chart.is_visible()
    assert "95,000" in chart.text_content()
    page.wait_for_selector("#downtown-map[data-ready='true']")
    assert page.locator("#downtown-map .leaflet-pane").count() > 0
    assert page.locator("#downtown-map path.downtown-space").count() == 3
    # The downtown outline comes from the census 읍면동: their licence is named.
    attribution = page.inner_text("#downtown-map .leaflet-control-attribution")
    assert "Statistics Korea SGIS (2018), KOGL Type 1" in attribution
