"""A project's place: inside Korea, near its city, of a size for its category, and in
longitude/latitude whatever a GeoJSON `crs` member says."""

import pytest

from renewal.models.projects import RenewalProject
from renewal.services.projects import MAX_AREA_KM2
from tests.helpers import api_client

URL = "/api/v1/projects/"
METRES_PER_DEGREE_LATITUDE = 111_320


def _proposal(city, geometry, category="village_renewal"):
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "title": "빈 점포 공유부엌",
            "description": "주민이 함께 쓰는 부엌",
            "municipality": city.code,
            "category": category,
        },
    }


def _square(city, side_m: float) -> dict:
    """A square of `side_m` metres with its south-west corner at the city."""
    x, y = city.location.x, city.location.y
    dy = side_m / METRES_PER_DEGREE_LATITUDE
    # 36° N: a degree of longitude is cos(36°) ≈ 0.809 of a degree of latitude.
    dx = dy / 0.809
    ring = [[x, y], [x + dx, y], [x + dx, y + dy], [x, y + dy], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def _post(personas, city, geometry, **kwargs):
    # In English, so that the messages below read as written.
    return api_client(personas["resident"]).post(
        URL,
        _proposal(city, geometry, **kwargs),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        # Tokyo: a point in Japan.
        ({"type": "Point", "coordinates": [139.69, 35.69]}, "outside Korea"),
        # A box over the whole peninsula.
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[125, 34], [129.5, 34], [129.5, 38.5], [125, 38.5], [125, 34]]
                ],
            },
            "km²",
        ),
        # Inside Korea but in Seoul, 190 km from the (Gyeongbuk) city.
        ({"type": "Point", "coordinates": [126.98, 37.57]}, "within 50 km"),
    ],
)
def test_a_place_far_from_its_city_is_refused(personas, city, geometry, message):
    response = _post(personas, city, geometry)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert message in error["message"]
    assert "place" in error["fields"]
    assert not RenewalProject.objects.exists()


def test_an_area_up_to_the_category_limit_is_accepted_and_above_it_refused(
    personas, city
):
    limit_km2 = MAX_AREA_KM2["community_facility"]
    side_m = (limit_km2 * 1_000_000) ** 0.5

    within = _post(
        personas, city, _square(city, side_m * 0.95), category="community_facility"
    )
    beyond = _post(
        personas, city, _square(city, side_m * 1.05), category="community_facility"
    )
    # The same area is a fine size for a larger kind of project.
    village = _post(personas, city, _square(city, side_m * 1.05))

    assert within.status_code == 201, within.content
    assert beyond.status_code == 400
    assert "place" in beyond.json()["error"]["fields"]
    assert village.status_code == 201, village.content


@pytest.mark.parametrize(
    ("crs", "expected"),
    [
        ("urn:ogc:def:crs:EPSG::5179", 400),
        ("EPSG:3857", 400),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", 201),
        ("EPSG:4326", 201),
    ],
)
def test_a_crs_member_cannot_smuggle_other_coordinates(personas, city, crs, expected):
    geometry = {
        "type": "Point",
        "coordinates": [city.location.x, city.location.y],
        "crs": {"type": "name", "properties": {"name": crs}},
    }

    response = _post(personas, city, geometry)

    assert response.status_code == expected, response.content
    assert RenewalProject.objects.exists() is (expected == 201)
    if expected == 400:
        assert "place" in response.json()["error"]["fields"]
