from django.contrib.gis.geos import Point

from cities.models import Municipality
from cities.selectors import municipalities_near, municipality_containing_downtown

GUMI_CITY_HALL = Point(128.3446, 36.1195, srid=4326)


def test_municipalities_within_25_km_of_gumi_nearest_first(demo_data):
    names = [
        m.name_en for m in municipalities_near(point=GUMI_CITY_HALL, radius_m=25_000)
    ]

    assert names == ["Gumi", "Chilgok", "Gimcheon"]


def test_distance_is_in_metres_not_degrees(demo_data):
    gimcheon = municipalities_near(point=GUMI_CITY_HALL, radius_m=25_000).get(
        name_en="Gimcheon"
    )

    # Gumi to Gimcheon city hall is about 21 km along the spheroid.
    assert 20_000 < gimcheon.distance.m < 22_500


def test_downtown_polygon_contains_its_city_hall_and_no_other(demo_data):
    andong = Municipality.objects.get(name_en="Andong")

    found = list(municipality_containing_downtown(point=andong.location))

    assert found == [andong]


def test_point_outside_every_downtown_is_in_none(demo_data):
    east_sea = Point(131.0, 37.0, srid=4326)

    assert not municipality_containing_downtown(point=east_sea).exists()
