"""OGC API – Features: our own checks, then GDAL's OAPIF client against a live server."""

import datetime as dt
import subprocess

import pytest
from django.contrib.gis.gdal import DataSource
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema

from cities.demo.indicators import demo_indicators_load
from renewal.models import CommunityOrganization, SpaceOwner, VacantSpace
from tests.factories import RenewalProjectFactory, VacantSpaceFactory
from tests.helpers import HANG_GUARD_SECONDS

COLLECTION_IDS = [
    "spaces",
    "projects",
    "resources",
    "organizations",
    "municipalities",
    "urban-zones",
]


def rels(document: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in document["links"]}


def test_landing_page_links_the_api_definition_conformance_and_data(client, db):
    response = client.get("/ogc/")

    assert response.status_code == 200
    links = rels(response.json())
    assert links["service-desc"]["href"] == "http://testserver/ogc/api"
    assert links["service-desc"]["type"].startswith("application/vnd.oai.openapi+json")
    assert links["conformance"]["href"] == "http://testserver/ogc/conformance"
    assert links["data"]["href"] == "http://testserver/ogc/collections"


def test_conformance_declares_core_geojson_and_openapi(client, db):
    conforms = client.get("/ogc/conformance").json()["conformsTo"]

    assert set(conforms) == {
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    }


def test_collections_list_every_public_layer_with_items_links(client, db):
    body = client.get("/ogc/collections").json()

    assert [c["id"] for c in body["collections"]] == COLLECTION_IDS
    for collection in body["collections"]:
        items = rels(collection)["items"]
        assert items["href"] == (
            f"http://testserver/ogc/collections/{collection['id']}/items"
        )
        assert items["type"] == "application/geo+json"
        assert collection["extent"]["spatial"]["bbox"] == [[124.0, 33.0, 132.0, 39.0]]
    assert client.get("/ogc/collections/spaces").json()["id"] == "spaces"
    assert client.get("/ogc/collections/owners").status_code == 404


def test_openapi_document_is_valid_and_lists_every_items_path(client, db):
    response = client.get("/ogc/api")

    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document = response.json()
    validate_schema(document)
    assert document["servers"] == [{"url": "http://testserver/ogc"}]
    for collection_id in COLLECTION_IDS:
        assert f"/collections/{collection_id}/items" in document["paths"]
        assert f"/collections/{collection_id}/items/{{featureId}}" in document["paths"]
    parameters = {
        parameter["name"]: parameter
        for parameter in document["paths"]["/collections/spaces/items"]["get"][
            "parameters"
        ]
    }
    assert parameters["limit"]["schema"]["maximum"] == 10_000
    assert parameters["kind"]["schema"]["items"]["enum"][0] == "house"


def test_space_items_are_geojson_with_public_fields_only(client, city):
    space = VacantSpaceFactory(
        municipality=city, kind="house", floor_area_m2="84.50", address="중앙로 1"
    )
    SpaceOwner.objects.create(space=space, name="홍길동", contact="010-1234-5678")

    response = client.get("/ogc/collections/spaces/items")

    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == body["numberReturned"] == 1
    [feature] = body["features"]
    assert feature["id"] == space.pk
    assert feature["geometry"] == {
        "type": "Point",
        "coordinates": [city.location.x, city.location.y],
    }
    assert feature["properties"]["municipality"] == city.code
    assert feature["properties"]["floor_area_m2"] == 84.5
    assert feature["properties"]["address"] == "중앙로 1"
    assert "owner" not in feature["properties"]
    assert "홍길동".encode() not in response.content
    assert b"010-1234-5678" not in response.content


def test_items_pages_follow_next_links_to_every_feature_once(client, city):
    created = {VacantSpaceFactory(municipality=city).pk for _ in range(7)}
    seen, url, pages = [], "/ogc/collections/spaces/items?limit=3", 0

    while url:
        body = client.get(url).json()
        pages += 1
        assert body["numberMatched"] == 7
        seen += [feature["id"] for feature in body["features"]]
        url = rels(body).get("next", {}).get("href")

    assert pages == 3
    assert sorted(seen) == sorted(created)
    last = client.get("/ogc/collections/spaces/items?limit=3&offset=6").json()
    assert last["numberReturned"] == 1
    assert "next" not in rels(last)
    assert "offset=3" in rels(last)["prev"]["href"]


def test_next_link_keeps_the_filters(client, city):
    for _ in range(3):
        VacantSpaceFactory(municipality=city, kind="house")
    VacantSpaceFactory(municipality=city, kind="shop")

    body = client.get("/ogc/collections/spaces/items?kind=house&limit=2").json()

    assert body["numberMatched"] == 3
    assert "kind=house" in rels(body)["next"]["href"]


def test_items_filter_by_bbox_property_and_datetime(client, city, other_city):
    near = VacantSpaceFactory(municipality=city, kind="house", status="available")
    far = VacantSpaceFactory(
        municipality=other_city,
        kind="shop",
        location=Point(129.0, 35.5, srid=4326),
    )
    VacantSpace.objects.filter(pk=far.pk).update(
        updated_at=dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    )

    def found(query: str) -> set[int]:
        response = client.get(f"/ogc/collections/spaces/items?{query}")
        assert response.status_code == 200, response.content
        return {feature["id"] for feature in response.json()["features"]}

    assert found("bbox=128.9,35.4,129.1,35.6") == {far.pk}
    assert found("bbox=128.9,35.4,0,129.1,35.6,100") == {far.pk}
    assert found("kind=house") == {near.pk}
    assert found("kind=house,shop") == {near.pk, far.pk}
    assert found(f"city={other_city.code}") == {far.pk}
    assert found("status=available&kind=house") == {near.pk}
    assert found("datetime=2024-05-01") == {far.pk}
    assert found("datetime=../2024-12-31T00:00:00Z") == {far.pk}
    assert found("datetime=2025-01-01T00:00:00Z/..") == {near.pk}
    assert found("datetime=2024-05-01T12:00:00Z") == {far.pk}


@pytest.mark.parametrize(
    "query",
    [
        "bbox=1,2,3",
        "bbox=129,35,128,36",
        "limit=0",
        "limit=many",
        "offset=-1",
        "kind=castle",
        "datetime=yesterday",
        "datetime=2024-05-01T12:00:00",
        "datetime=2025-01-01/2024-01-01",
        "owner=1",
        "f=html",
    ],
)
def test_invalid_item_queries_answer_400_in_the_ogc_shape(client, db, query):
    response = client.get(f"/ogc/collections/spaces/items?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert body["description"]
    assert body["error"]["code"] == "invalid_parameter"


def test_limit_above_the_maximum_is_cut_to_it(client, city):
    VacantSpaceFactory(municipality=city)

    body = client.get("/ogc/collections/spaces/items?limit=50000").json()

    assert body["numberReturned"] == 1


def test_hidden_projects_are_not_published(client, city):
    shown = RenewalProjectFactory(municipality=city)
    hidden = RenewalProjectFactory(municipality=city, is_hidden=True)

    body = client.get("/ogc/collections/projects/items").json()

    assert [feature["id"] for feature in body["features"]] == [shown.pk]
    assert "proposer" not in body["features"][0]["properties"]
    assert client.get(f"/ogc/collections/projects/items/{shown.pk}").status_code == 200
    assert client.get(f"/ogc/collections/projects/items/{hidden.pk}").status_code == 404


def test_single_feature_has_its_links(client, city):
    organization = CommunityOrganization.objects.create(
        municipality=city, name="마을기업", kind="cooperative", verified=True
    )

    response = client.get(f"/ogc/collections/organizations/items/{organization.pk}")

    assert response["Content-Type"] == "application/geo+json"
    feature = response.json()
    assert feature["id"] == organization.pk
    assert feature["geometry"] is None  # no location known
    assert feature["properties"]["verified"] is True
    assert rels(feature)["collection"]["href"].endswith(
        "/ogc/collections/organizations"
    )
    assert client.get("/ogc/collections/organizations/items/abc").status_code == 404
    assert client.get("/ogc/collections/organizations/items/999999").status_code == 404


def test_municipalities_collection(client, city, other_city):
    body = client.get(f"/ogc/collections/municipalities/items?code={city.code}").json()

    [feature] = body["features"]
    assert feature["properties"]["code"] == city.code
    assert feature["properties"]["name_en"] == "Home city"


def test_urban_zones_are_computed_from_the_flows(client, demo_data):
    demo_indicators_load()

    body = client.get("/ogc/collections/urban-zones/items").json()

    assert body["numberMatched"] == 3
    zone = body["features"][0]
    assert zone["properties"]["period"] == 2020
    assert zone["properties"]["centre"] == zone["id"]
    assert zone["properties"]["members"]
    assert zone["properties"]["centre"] not in zone["properties"]["members"]
    assert zone["geometry"]["type"] in ("MultiPoint", "MultiPolygon", "Polygon")
    one = client.get(f"/ogc/collections/urban-zones/items/{zone['id']}").json()
    assert one["properties"] == zone["properties"]
    page = client.get("/ogc/collections/urban-zones/items?limit=2").json()
    assert page["numberReturned"] == 2
    assert "next" in rels(page)
    kinds = {feature["properties"]["kind"] for feature in body["features"]}
    for kind in kinds:
        only = client.get(f"/ogc/collections/urban-zones/items?kind={kind}").json()
        assert {f["properties"]["kind"] for f in only["features"]} == {kind}
    assert (
        client.get("/ogc/collections/urban-zones/items?period=1900").status_code == 400
    )
    assert (
        client.get("/ogc/collections/urban-zones/items?bbox=124,33,124.1,33.1").json()[
            "numberMatched"
        ]
        == 0
    )


def test_items_page_costs_the_same_queries_for_3_or_30_rows(client, city):
    for _ in range(3):
        VacantSpaceFactory(municipality=city)
    with CaptureQueriesContext(connection) as three:
        assert client.get("/ogc/collections/spaces/items?limit=100").status_code == 200
    for _ in range(27):
        VacantSpaceFactory(municipality=city)

    with CaptureQueriesContext(connection) as thirty:
        body = client.get("/ogc/collections/spaces/items?limit=100").json()

    assert body["numberReturned"] == 30
    assert len(thirty.captured_queries) == len(three.captured_queries)
    selects = [q for q in thirty.captured_queries if "SELECT" in q["sql"]]
    assert len(selects) == 1


# GDAL's OAPIF driver: a client nobody here wrote -------------------------------


def gdal(*args: str) -> str:
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=HANG_GUARD_SECONDS, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def published(transactional_db, city, other_city):
    """Committed rows for the live server: 25 spaces (more than GDAL's page)."""
    spaces = [
        VacantSpaceFactory(
            municipality=city if index % 2 else other_city,
            location=Point(128.0 + 0.01 * index, 36.0 + 0.005 * index, srid=4326),
        )
        for index in range(25)
    ]
    for space in spaces[:3]:
        SpaceOwner.objects.create(space=space, name="홍길동", contact="010-1234-5678")
    return spaces


def test_gdal_lists_the_collections(live_server, published):
    output = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{live_server.url}/ogc/")

    for collection_id in COLLECTION_IDS:
        assert f": {collection_id} " in output


def test_gdal_copies_every_space_to_a_geopackage(live_server, published, tmp_path):
    target = tmp_path / "spaces.gpkg"

    gdal(
        "ogr2ogr",
        "-f",
        "GPKG",
        str(target),
        f"OAPIF:{live_server.url}/ogc/",
        "spaces",
        # Small pages: the copy must follow the next links.
        "-oo",
        "PAGE_SIZE=10",
        # Keep our ids as the GeoPackage's feature ids.
        "-preserve_fid",
    )

    layer = DataSource(str(target))[0]
    assert layer.name == "spaces"
    assert len(layer) == 25
    assert "owner" not in layer.fields
    copied = {
        feature.fid: (round(feature.geom.x, 6), round(feature.geom.y, 6))
        for feature in layer
    }
    expected = {
        space.pk: (round(space.location.x, 6), round(space.location.y, 6))
        for space in published
    }
    assert copied == expected
    assert {feature.geom.geom_type.name for feature in layer} == {"Point"}
