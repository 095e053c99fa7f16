import pytest

from cities.demo.indicators import demo_indicators_load
from cities.zones import (
    CENTRE_PERIPHERY,
    NETWORK,
    ZoneParameters,
    delineate,
    urban_zones_geojson,
)

CENTRE, SUBURB, VILLAGE, FAR = 1, 2, 3, 4


def test_centre_periphery_zone():
    flows = {
        (CENTRE, CENTRE): 900,
        (CENTRE, SUBURB): 30,
        (SUBURB, SUBURB): 600,
        (SUBURB, CENTRE): 300,
        (VILLAGE, VILLAGE): 80,
        (VILLAGE, CENTRE): 20,
        (FAR, FAR): 100,
        (FAR, CENTRE): 5,
    }
    population = {CENTRE: 150_000, SUBURB: 40_000, VILLAGE: 5_000, FAR: 9_000}

    (zone,) = delineate(flows, population)

    assert zone.centre == CENTRE
    assert zone.members == {SUBURB: pytest.approx(1 / 3, abs=1e-4), VILLAGE: 0.2}
    assert zone.kind == CENTRE_PERIPHERY
    assert {(f.origin, f.destination, f.count) for f in zone.flows} == {
        (CENTRE, SUBURB, 30),
        (SUBURB, CENTRE, 300),
        (VILLAGE, CENTRE, 20),
    }


def test_network_zone_of_two_peers_and_a_county():
    big, peer, county = 10, 11, 12
    flows = {
        (big, big): 700,
        (big, peer): 120,
        (big, county): 20,
        (peer, peer): 660,
        (peer, big): 100,
        (county, county): 200,
        (county, big): 60,
    }
    population = {big: 176_000, peer: 169_000, county: 62_000}

    (zone,) = delineate(flows, population)

    assert zone.centre == big
    assert set(zone.members) == {peer, county}
    assert zone.kind == NETWORK
    assert zone.network_pairs == [(big, peer)]


def test_strong_two_way_flows_between_unequal_sizes_are_not_a_network():
    flows = {(1, 1): 80, (1, 2): 20, (2, 2): 80, (2, 1): 20}

    (zone,) = delineate(flows, {1: 300_000, 2: 100_000})

    assert zone.kind == CENTRE_PERIPHERY
    (equal,) = delineate(
        flows,
        {1: 200_000, 2: 100_000},
        ZoneParameters(network_population_ratio_max=2.0),
    )
    assert equal.kind == NETWORK


@pytest.mark.parametrize(("to_centre", "joins"), [(100, True), (99, False)])
def test_threshold_share_boundary(to_centre, joins):
    flows = {(1, 1): 500, (2, 2): 1000 - to_centre, (2, 1): to_centre}

    zones = delineate(flows, {1: 100_000, 2: 10_000})

    assert bool(zones) is joins
    if joins:
        assert zones[0].members == {2: 0.1}


def test_a_municipality_joins_the_centre_with_the_largest_share():
    flows = {(1, 1): 1, (2, 2): 1, (3, 3): 60, (3, 1): 15, (3, 2): 25}

    zones = delineate(flows, {1: 200_000, 2: 100_000, 3: 10_000})

    assert [(z.centre, set(z.members)) for z in zones] == [(2, {3})]


def test_demo_flows_give_three_zones_as_geojson(demo_data):
    demo_indicators_load()

    geojson = urban_zones_geojson(year=2020)

    zones = {
        f["properties"]["centre"]["name_en"]: f["properties"]
        for f in geojson["features"]
    }
    assert set(zones) == {"Seosan", "Yeongju", "Andong"}
    assert zones["Seosan"]["kind"] == NETWORK
    assert {m["name_en"] for m in zones["Seosan"]["members"]} == {"Dangjin", "Taean"}
    assert zones["Yeongju"]["kind"] == CENTRE_PERIPHERY
    assert [m["name_en"] for m in zones["Yeongju"]["members"]] == ["Bonghwa"]
    assert zones["Andong"]["members"][0]["share_to_centre"] == pytest.approx(
        4500 / 24700, abs=1e-4
    )
    feature = geojson["features"][0]
    assert feature["geometry"]["type"] == "MultiPoint"
    assert feature["properties"]["geometry_basis"] == "seats"


def test_zone_polygon_is_the_union_of_member_boundaries(db):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from cities.models import MunicipalFlow
    from tests.factories import MunicipalityFactory

    west = MunicipalityFactory(
        boundary=MultiPolygon(Polygon.from_bbox((128.0, 36.0, 128.1, 36.1)))
    )
    east = MunicipalityFactory(
        boundary=MultiPolygon(Polygon.from_bbox((128.1, 36.0, 128.2, 36.1)))
    )
    for origin, destination, count in (
        (west, west, 90),
        (east, east, 70),
        (east, west, 30),
    ):
        MunicipalFlow.objects.create(
            origin=origin,
            destination=destination,
            year=2020,
            purpose="commute",
            count=count,
            source="test",
        )
    from cities.models import Indicator, Observation

    indicator = Indicator.objects.create(
        code="population", name_ko="인구", name_en="p", unit="n"
    )
    Observation.objects.create(
        municipality=west, indicator=indicator, year=2020, value=50_000, source="t"
    )
    Observation.objects.create(
        municipality=east, indicator=indicator, year=2020, value=10_000, source="t"
    )

    (feature,) = urban_zones_geojson(year=2020)["features"]

    assert feature["properties"]["geometry_basis"] == "boundaries"
    assert feature["geometry"]["type"] == "Polygon"
    assert (
        feature["geometry"]["coordinates"][0]
        and len(feature["geometry"]["coordinates"]) == 1
    )
    assert feature["properties"]["members"][0]["share_to_centre"] == 0.3
