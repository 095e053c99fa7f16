"""The cities analysis API (cities.api, routed in config/urls.py)."""

import pytest

from cities.demo.indicators import demo_indicators_load
from cities.models import Indicator, Observation, TypologyOverride
from tests.factories import MunicipalityFactory
from tests.helpers import api_client


@pytest.fixture
def demo(demo_data):
    demo_indicators_load()


def test_indicator_series_of_a_city(client, demo):
    response = client.get(
        "/api/v1/municipalities/51190/indicators/", {"indicator": "population"}
    )

    (population,) = response.json()
    assert population["unit"] == "persons"
    years = {point["year"]: point for point in population["series"]}
    assert sorted(years) == list(range(2015, 2021))
    assert years[2020]["value"] == 41494
    assert years[2020]["is_illustrative"] is False
    assert years[2018]["is_illustrative"] is True


def test_indicator_list_query_count_does_not_grow(
    client, db, django_assert_max_num_queries
):
    town = MunicipalityFactory()
    for number in range(20):
        indicator = Indicator.objects.create(
            code=f"i{number}", name_ko="지표", name_en="x", unit="n"
        )
        Observation.objects.create(
            municipality=town, indicator=indicator, year=2020, value=1, source="s"
        )

    with django_assert_max_num_queries(3):
        response = client.get(f"/api/v1/municipalities/{town.code}/indicators/")

    assert len(response.json()) == 20


def test_typology_shows_type_reasons_and_no_override(client, demo):
    body = client.get("/api/v1/municipalities/47190/typology/").json()

    assert body["computed"]["type"] == "industrial_city"
    assert "manufacturing_hub" in body["computed"]["subtypes"]
    rules = {r["rule"]: r for r in body["computed"]["reasons"]}
    assert rules["industrial_city"]["fired"] is True
    assert rules["industrial_city"]["values"]["manufacturing_share"] == 43.0
    assert body["override"] is None
    assert body["effective_type"] == "industrial_city"
    assert body["can_override"] is False


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 401),
        ("resident", 403),
        ("city_viewer", 403),
        ("other_city_editor", 403),
        ("city_editor", 201),
    ],
)
def test_only_editors_of_the_city_override_its_type(personas, city, persona, status):
    # Needs rules.add_perm("cities.override_typology", is_city_editor).
    response = api_client(personas[persona]).post(
        f"/api/v1/municipalities/{city.code}/typology/",
        {"type": "small_city", "reason": "시의회 결정"},
        format="json",
    )

    assert response.status_code == status
    assert TypologyOverride.objects.exists() is (status == 201)


def test_override_stands_beside_the_computed_type(personas, city):
    # Recorded directly so that the display is tested whatever the rules say.
    TypologyOverride.objects.create(
        municipality=city,
        city_type="small_city",
        reason="시의회 결정",
        created_by=personas["city_editor"],
    )

    body = api_client().get(f"/api/v1/municipalities/{city.code}/typology/").json()

    assert body["computed"]["type"] is None  # no figures for a factory city
    assert body["override"]["type"] == "small_city"
    assert body["override"]["by"] == "city_editor"
    assert body["effective_type"] == "small_city"


def test_override_without_reason_is_refused(personas, city):
    response = api_client(personas["city_editor"]).post(
        f"/api/v1/municipalities/{city.code}/typology/",
        {"type": "small_city", "reason": ""},
        format="json",
    )

    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


def test_urban_zones_default_to_the_latest_period(client, demo):
    body = client.get("/api/v1/urban-zones/").json()

    assert body["type"] == "FeatureCollection"
    assert body["period"] == 2020
    kinds = {
        f["properties"]["centre"]["code"]: f["properties"]["kind"]
        for f in body["features"]
    }
    assert kinds == {
        "44210": "network",
        "47210": "centre_periphery",
        "47170": "centre_periphery",
    }


def test_urban_zones_reject_a_bad_period(client, db):
    response = client.get("/api/v1/urban-zones/", {"period": "soon"})

    assert response.status_code == 400
    assert "period" in response.json()["error"]["fields"]


def test_unknown_city_is_404(client, db):
    assert client.get("/api/v1/municipalities/99999/typology/").status_code == 404


def test_schema_documents_the_cities_endpoints(openapi_schema):
    paths = openapi_schema["paths"]
    for path in ("indicators", "typology"):
        assert f"/api/v1/municipalities/{{code}}/{path}/" in paths
    assert "/api/v1/urban-zones/" in paths
