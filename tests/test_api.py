import pytest

from cities.models import Municipality
from tests.factories import PASSWORD, MunicipalityFactory
from tests.helpers import count_queries


@pytest.mark.django_db
def test_api_root_lists_municipalities(client):
    response = client.get("/api/v1/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["municipalities"].endswith("/api/v1/municipalities/")


@pytest.mark.django_db
def test_municipalities_are_a_geojson_feature_collection(client, demo_data):
    response = client.get("/api/v1/municipalities/", {"group": "krihs2017-study"})

    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["count"] == 40
    andong = next(f for f in body["features"] if f["properties"]["name_en"] == "Andong")
    assert andong["id"] == "47170"
    assert andong["geometry"]["type"] == "Point"
    assert andong["geometry"]["coordinates"] == pytest.approx([128.7294, 36.5684])
    assert andong["properties"]["population"] == 159412
    assert andong["properties"]["population_year"] == 2020
    assert andong["properties"]["population_change_pct"] == -5.4


@pytest.mark.django_db
def test_municipality_detail_by_code_in_the_request_language(client, demo_data):
    response = client.get("/api/v1/municipalities/51110/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.json()["properties"]["name"] == "Chuncheon"


@pytest.mark.django_db
def test_unknown_municipality_is_404_in_the_error_shape(client, demo_data):
    response = client.get("/api/v1/municipalities/99999/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"]


@pytest.mark.django_db
def test_invalid_filter_value_is_400_naming_the_parameter(client, demo_data):
    response = client.get("/api/v1/municipalities/", {"province": "Atlantis"})

    assert response.status_code == 400
    assert "province" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_municipality_list_is_read_only(client, resident):
    client.force_login(resident)

    response = client.post(
        "/api/v1/municipalities/", {}, content_type="application/json"
    )

    assert response.status_code == 405


@pytest.mark.django_db
def test_municipality_list_query_count_does_not_grow_with_rows(client):
    def queries_for(rows: int) -> int:
        Municipality.objects.all().delete()
        MunicipalityFactory.create_batch(rows)
        response, queries = count_queries(client, "/api/v1/municipalities/")
        assert response.json()["count"] == rows
        return queries

    assert queries_for(1) == queries_for(20)


@pytest.mark.django_db
def test_token_is_issued_for_valid_credentials_and_authenticates(client, resident):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": resident.username, "password": PASSWORD},
    )
    token = response.json()["token"]

    me = client.get("/api/v1/municipalities/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert me.status_code == 200
    assert me.wsgi_request.user == resident


@pytest.mark.django_db
def test_token_refused_for_wrong_password(client, resident):
    response = client.post(
        "/api/v1/auth/token/", {"username": resident.username, "password": "wrong"}
    )

    assert response.status_code == 400
    assert "token" not in response.json()
    assert response.json()["error"]["message"]


@pytest.mark.django_db
def test_token_endpoint_is_rate_limited(client, resident, settings):
    from django.core.cache import cache

    cache.clear()
    statuses = [
        client.post(
            "/api/v1/auth/token/", {"username": resident.username, "password": "wrong"}
        ).status_code
        for _ in range(11)
    ]
    cache.clear()

    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_openapi_schema_builds_without_warnings(openapi_schema):
    assert "/api/v1/municipalities/{code}/" in openapi_schema["paths"]
    assert "/api/v1/auth/token/" in openapi_schema["paths"]


@pytest.mark.django_db
def test_interactive_docs_are_served_from_local_static_files(client):
    response = client.get("/api/v1/docs/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "swagger-ui-bundle.js" in page
    assert "http://" not in page.replace("http://testserver", "")
    assert "https://" not in page
