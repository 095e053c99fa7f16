"""Inputs that once made the API fail with a server error, each answered with a 4xx
in the API's error shape; errors outside DRF's views (unknown URLs, outages) in the
same shape; pages keep their HTML error pages."""

import json

import pytest
from django.db import connection

from renewal.models import CityRole
from renewal.services.roles import city_role_grant
from tests.factories import (
    MatchFactory,
    MunicipalityFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)
from tests.helpers import api_client, page_client


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    error = json.loads(response.content)["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture
def city_editor(db):
    city = MunicipalityFactory()
    editor = UserFactory()
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    editor.city = city
    return editor


# A non-numeric id in a path is an unknown address, not int("abc").


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects/abc/support/",
        "/api/v1/matches/false/activate/",
        "/api/v1/projects/k/transitions/",
        "/api/v1/matches/null,null/decline/",
        "/api/v1/spaces/1.5/",
    ],
)
def test_non_numeric_id_in_a_path_is_404(city_editor, url):
    MatchFactory()

    assert_error(api_client(city_editor).post(url, {}, format="json"), 404)


def test_unknown_numeric_id_is_404_in_the_error_shape(city_editor):
    assert_error(api_client(city_editor).get("/api/v1/spaces/987654/"), 404)


# GeoJSON write endpoints: a body of the wrong shape is a 400 naming the problem.

GEOJSON_ENDPOINTS = [
    "/api/v1/spaces/",
    "/api/v1/projects/",
    "/api/v1/resources/",
    "/api/v1/organizations/",
    "/api/v1/bids/",
]
POINT = {"type": "Point", "coordinates": [128.7, 36.5]}


@pytest.mark.parametrize("url", GEOJSON_ENDPOINTS)
@pytest.mark.parametrize(
    "properties", ["a string", ["a", "list"], 7], ids=["string", "list", "number"]
)
def test_feature_whose_properties_are_not_an_object_is_400(
    city_editor, url, properties
):
    feature = {"type": "Feature", "geometry": POINT, "properties": properties}

    response = api_client(city_editor).post(url, feature, format="json")

    assert "properties" in assert_error(response, 400, "invalid")["fields"]


@pytest.mark.parametrize("url", GEOJSON_ENDPOINTS)
@pytest.mark.parametrize("body", ["properties", ["properties"], None])
def test_body_that_is_not_a_feature_object_is_400(city_editor, url, body):
    response = api_client(city_editor).post(url, body, format="json")

    assert_error(response, 400)


@pytest.mark.parametrize("url", GEOJSON_ENDPOINTS)
def test_multipart_feature_is_400(city_editor, url):
    response = api_client(city_editor).post(
        url, {"properties": "x", "geometry": json.dumps(POINT)}, format="multipart"
    )

    assert_error(response, 400)


def test_options_on_an_action_without_a_serializer_describes_it(city_editor):
    project = RenewalProjectFactory(municipality=city_editor.city)

    response = api_client(city_editor).options(f"/api/v1/projects/{project.pk}/follow/")

    assert response.status_code == 200
    assert response.json()["name"]


# Query values: non-finite numbers, NUL bytes and numbers beyond any column.


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/spaces/?bbox=nan,35,129,36", "bbox"),
        ("/api/v1/spaces/?bbox=127,35,inf,36", "bbox"),
        ("/api/v1/spaces/?near=128.7,nan", "near"),
        ("/api/v1/spaces/?near=-infinity,36", "near"),
        ("/api/v1/projects/?bbox=-inf,35,inf,36", "bbox"),
    ],
)
def test_non_finite_coordinates_are_400_naming_the_parameter(db, url, field):
    assert field in assert_error(api_client().get(url), 400, "invalid")["fields"]


def test_non_finite_ogc_bbox_is_400(db):
    response = api_client().get("/ogc/collections/spaces/items?bbox=nan,35,129,36")

    assert "bbox" in assert_error(response, 400)["fields"]


@pytest.mark.parametrize(
    "url",
    [
        "/tiles/spaces/14/13958/6476.mvt?city=%00",
        "/tiles/projects/14/13958/6476.mvt?city=%00",
        "/tiles/resources/14/13958/6476.mvt?category=a%00b",
        "/tiles/organizations/14/13958/6476.mvt?city=%00",
        "/ogc/collections/spaces/items?city=%00",
        "/ogc/collections/municipalities/items?code=%00",
        "/api/v1/municipalities/%00/indicators/",
        "/api/v1/participation-totals/?city=%00",
        "/api/v1/spaces/?city=x%00",
        "/api/v1/projects/?%00=1",
    ],
)
def test_nul_byte_in_a_path_or_query_is_400(db, url):
    assert_error(api_client().get(url), 400, "invalid")


def test_nul_byte_in_a_page_address_is_an_html_400(db):
    response = page_client().get("/ko/cities/%00/")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_ogc_offset_beyond_any_integer_is_400(db):
    response = api_client().get(
        "/ogc/collections/spaces/items?offset=99999999999999999999"
    )

    assert "offset" in assert_error(response, 400)["fields"]


@pytest.mark.parametrize(
    "query", ["grade=99999999999999999999999", "min_area=99999999999999999999999"]
)
def test_space_filter_beyond_any_integer_matches_nothing(db, query):
    VacantSpaceFactory()

    response = api_client().get(f"/api/v1/spaces/?{query}")

    assert response.status_code == 200
    assert response.json()["features"] == []


# Bodies: nesting, size.

DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("url", ["/api/v1/projects/", "/api/v1/auth/token/"])
def test_deeply_nested_json_is_400(city_editor, url):
    response = api_client(city_editor).post(
        url, DEEP_JSON, content_type="application/json"
    )

    assert_error(response, 400, "parse_error")


def test_json_body_over_the_upload_limit_is_413(city_editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"type": "Feature", "properties": {"title": "x" * 2000}})

    response = api_client(city_editor).post(
        "/api/v1/projects/", body, content_type="application/json"
    )

    assert_error(response, 413, "too_large")


def test_form_body_over_the_upload_limit_is_413(city_editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api_client(city_editor).post(
        "/api/v1/projects/", {"title": "x" * 2000}, format="multipart"
    )

    assert_error(response, 413, "too_large")


# Outside DRF's views.


@pytest.mark.parametrize(
    "url", ["/api/v1/no-such-thing/", "/api/v1/spaces/1/no-such-action/", "/api/x"]
)
def test_unknown_address_under_the_api_is_a_json_404(db, url):
    assert_error(api_client().get(url), 404, "not_found")


@pytest.mark.parametrize("url", ["/api/v1/no-such-thing/", "/ogc/no-such-thing"])
def test_unknown_address_under_the_api_is_a_json_404_with_debug_on(db, settings, url):
    # Django's debug 404 page bypasses handler404; `make run` runs with DEBUG on.
    settings.DEBUG = True

    assert_error(api_client().get(url), 404, "not_found")


def test_unknown_page_is_an_html_404(db):
    response = page_client().get("/ko/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_post_to_a_tile_without_csrf_token_is_a_json_403(db):
    client = api_client()
    client.handler.enforce_csrf_checks = True

    response = client.post("/tiles/spaces/14/13958/6476.mvt")

    assert_error(response, 403, "csrf_failed")


@pytest.mark.django_db(transaction=True)
def test_database_outage_is_a_json_503_to_retry():
    # The database stops answering: the connection is pointed at a port where
    # nothing listens, as after PostgreSQL goes away.
    settings_dict = connection.settings_dict
    port = settings_dict["PORT"]
    connection.close()
    settings_dict["PORT"] = "1"
    try:
        response = api_client().get("/api/v1/spaces/")
    finally:
        connection.close()
        settings_dict["PORT"] = port

    assert_error(response, 503, "service_unavailable")
