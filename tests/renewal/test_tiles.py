"""Vector tiles decoded with a real MVT decoder (mapbox-vector-tile)."""

import io
import math

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import Point, Polygon
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from renewal.models import (
    CommunityOrganization,
    NeighborhoodResource,
    SpaceOwner,
)
from renewal.services.tiles import tiles_invalidate
from tests.factories import (
    MunicipalityFactory,
    RenewalProjectFactory,
    VacantSpaceFactory,
)

MVT = "application/vnd.mapbox-vector-tile"


def tile_of(point: Point, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((point.x + 180) / 360 * n)
    lat = math.radians(point.y)
    y = int((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * n)
    return z, x, y


def tile_url(layer: str, point: Point, z: int = 14) -> str:
    z, x, y = tile_of(point, z)
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt"


def decode(response) -> dict:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == MVT
    return mapbox_vector_tile.decode(response.content)


def features(response, layer: str) -> list[dict]:
    return decode(response).get(layer, {}).get("features", [])


def ids(response, layer: str) -> set[int]:
    return {feature["id"] for feature in features(response, layer)}


def test_space_tile_has_public_fields_and_never_the_owner(client, city):
    space = VacantSpaceFactory(
        municipality=city, kind="house", status="available", availability="lease"
    )
    SpaceOwner.objects.create(space=space, name="홍길동", contact="010-1234-5678")

    response = client.get(tile_url("spaces", space.location))

    [feature] = features(response, "spaces")
    assert feature["id"] == space.pk
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"] == {
        "city": city.code,
        "kind": "house",
        "status": "available",
        "availability": "lease",
        "grade": 1,
    }
    assert "홍길동".encode() not in response.content
    assert b"010-1234-5678" not in response.content


def test_space_tile_holds_only_spaces_inside_it(client, city):
    inside = VacantSpaceFactory(municipality=city)
    VacantSpaceFactory(
        municipality=city,
        location=Point(inside.location.x + 0.1, inside.location.y, srid=4326),
    )

    response = client.get(tile_url("spaces", inside.location))

    assert ids(response, "spaces") == {inside.pk}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"shop", "house", "other_city"}),
        ("?kind=shop", {"shop", "other_city"}),
        ("?kind=shop,house", {"shop", "house", "other_city"}),
        ("?city={city}", {"shop", "house"}),
        ("?city={city}&kind=house", {"house"}),
        ("?status=available", {"house"}),
        ("?availability=sale", {"shop"}),
    ],
)
def test_space_tile_filters(client, city, other_city, query, expected):
    here = city.location
    spaces = {
        "shop": VacantSpaceFactory(municipality=city, kind="shop", availability="sale"),
        "house": VacantSpaceFactory(
            municipality=city, kind="house", status="available"
        ),
        "other_city": VacantSpaceFactory(
            municipality=other_city, kind="shop", location=here.clone()
        ),
    }

    response = client.get(tile_url("spaces", here) + query.format(city=city.code))

    assert ids(response, "spaces") == {spaces[name].pk for name in expected}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tiles/spaces/14/0/0.mvt?kind=castle", 400),
        ("/tiles/spaces/14/0/0.mvt?owner=1", 400),
        ("/tiles/spaces/3/8/0.mvt", 404),
        ("/tiles/owners/14/0/0.mvt", 404),
    ],
)
def test_bad_tile_requests_are_refused(client, db, path, status):
    response = client.get(path)

    assert response.status_code == status
    if status == 400:
        assert response.json()["error"]["code"] == "invalid_parameter"


def test_projects_tile_leaves_hidden_projects_out(client, city):
    area = Polygon.from_bbox(
        (
            city.location.x - 0.001,
            city.location.y - 0.001,
            city.location.x + 0.001,
            city.location.y + 0.001,
        )
    )
    area.srid = 4326
    shown = RenewalProjectFactory(municipality=city, place=area, status="approved")
    RenewalProjectFactory(municipality=city, is_hidden=True)

    response = client.get(tile_url("projects", city.location))

    [feature] = features(response, "projects")
    assert feature["id"] == shown.pk
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"] == {
        "title": shown.title,
        "city": city.code,
        "category": "village_renewal",
        "status": "approved",
    }


def test_resources_and_organizations_tiles(client, city):
    resource = NeighborhoodResource.objects.create(
        municipality=city, category="market", name="중앙시장", location=city.location
    )
    located = CommunityOrganization.objects.create(
        municipality=city, name="마을기업", kind="cooperative", location=city.location
    )
    CommunityOrganization.objects.create(
        municipality=city, name="주소 없는 모임", kind="ngo", location=None
    )

    resources = client.get(tile_url("resources", city.location))
    organizations = client.get(tile_url("organizations", city.location))

    [feature] = features(resources, "resources")
    assert feature["id"] == resource.pk
    assert feature["properties"] == {
        "name": "중앙시장",
        "city": city.code,
        "category": "market",
    }
    assert ids(organizations, "organizations") == {located.pk}
    assert (
        ids(
            client.get(tile_url("organizations", city.location) + "?verified=true"),
            "organizations",
        )
        == set()
    )


def test_tile_answers_304_until_the_layer_is_invalidated(
    client, city, django_capture_on_commit_callbacks, django_assert_num_queries
):
    space = VacantSpaceFactory(municipality=city)
    url = tile_url("spaces", space.location)
    first = client.get(url)
    etag = first["ETag"]
    assert etag
    assert "no-cache" in first["Cache-Control"]

    # Revalidating an unchanged tile reads the cache only, never the database.
    with django_assert_num_queries(0):
        unchanged = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    # Another layer's change leaves this one's tiles valid.
    with django_capture_on_commit_callbacks(execute=True):
        tiles_invalidate("projects")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    with django_capture_on_commit_callbacks(execute=True):
        VacantSpaceFactory(municipality=city, kind="house")
        tiles_invalidate("spaces")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert len(features(changed, "spaces")) == 2
    assert client.get(url, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304


def test_invalidation_waits_for_the_commit(
    client, city, django_capture_on_commit_callbacks
):
    space = VacantSpaceFactory(municipality=city)
    url = tile_url("spaces", space.location)
    etag = client.get(url)["ETag"]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tiles_invalidate("spaces")
        # Not committed yet: the old rows and the old ETag still go together.
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    assert len(callbacks) == 1


def test_unknown_layer_cannot_be_invalidated(db):
    with pytest.raises(ValueError, match="owners"):
        tiles_invalidate("owners")


@pytest.fixture
def two_clusters(db):
    """Three spaces in one city, two in another ~22 km east, one shop among the
    first three: both in the same z10 tile, but in different cells at every grid
    level (the 32 km cells split at 127.06 E)."""
    west = MunicipalityFactory(location=Point(126.94, 36.0, srid=4326))
    east = MunicipalityFactory(location=Point(127.19, 36.0, srid=4326))
    for index, kind in enumerate(("shop", "house", "house")):
        VacantSpaceFactory(
            municipality=west,
            kind=kind,
            location=Point(126.94 + 0.001 * index, 36.0, srid=4326),
        )
    for index in range(2):
        VacantSpaceFactory(
            municipality=east,
            kind="house",
            location=Point(127.19 + 0.001 * index, 36.0, srid=4326),
        )
    call_command("tiles_refresh_aggregates", stdout=io.StringIO())
    return west, east


def counts(response) -> list[int]:
    assert "spaces" not in decode(response)
    return sorted(
        feature["properties"]["count"] for feature in features(response, "spaces_grid")
    )


@pytest.mark.parametrize("z", [5, 6, 8, 10])
def test_low_zoom_space_tiles_come_from_the_grid_with_counts(client, two_clusters, z):
    west, east = two_clusters

    assert counts(client.get(tile_url("spaces", west.location, z))) == [2, 3]
    assert counts(client.get(tile_url("spaces", west.location, z) + "?kind=house")) == [
        2,
        2,
    ]
    assert counts(client.get(tile_url("spaces", west.location, z) + "?kind=shop")) == [
        1
    ]
    assert counts(
        client.get(tile_url("spaces", west.location, z) + f"?city={east.code}")
    ) == [2]
    assert counts(
        client.get(
            tile_url("spaces", west.location, z) + f"?city={west.code}&kind=house"
        )
    ) == [2]


def test_grid_point_sits_at_the_mean_of_its_spaces(client, two_clusters):
    west, _east = two_clusters
    z, x, y = tile_of(west.location, 10)

    tile = decode(client.get(f"/tiles/spaces/{z}/{x}/{y}.mvt"))

    # Tile pixel of the mean longitude 126.941 (extent 4096, y up in the decoder).
    expected_x = ((126.941 + 180) / 360 * 2**z - x) * 4096
    positions = [
        feature["geometry"]["coordinates"][0]
        for feature in tile["spaces_grid"]["features"]
        if feature["properties"]["count"] == 3
    ]
    assert positions == [pytest.approx(expected_x, abs=1)]


def test_grid_shows_the_last_refresh_and_zoom_11_reads_the_table(client, two_clusters):
    west, _east = two_clusters
    VacantSpaceFactory(municipality=west, location=west.location.clone())

    assert counts(client.get(tile_url("spaces", west.location, 8))) == [2, 3]
    assert len(ids(client.get(tile_url("spaces", west.location, 11)), "spaces")) == 4

    call_command("tiles_refresh_aggregates", stdout=io.StringIO())

    assert counts(client.get(tile_url("spaces", west.location, 8))) == [2, 4]


def test_grid_refresh_gives_spaces_tiles_a_new_etag(
    client, two_clusters, django_capture_on_commit_callbacks
):
    west, _east = two_clusters
    url = tile_url("spaces", west.location, 6)
    etag = client.get(url)["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        call_command("tiles_refresh_aggregates", stdout=io.StringIO())

    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_tile_costs_the_same_queries_for_1_or_20_spaces(client, city):
    url = tile_url("spaces", city.location)
    VacantSpaceFactory(municipality=city)
    with CaptureQueriesContext(connection) as one:
        assert len(ids(client.get(url), "spaces")) == 1
    for _ in range(19):
        VacantSpaceFactory(municipality=city)

    with CaptureQueriesContext(connection) as twenty:
        assert len(ids(client.get(url), "spaces")) == 20

    assert len(twenty.captured_queries) == len(one.captured_queries)
    assert sum("ST_AsMVT" in query["sql"] for query in twenty.captured_queries) == 1


def test_bench_tiles_command_prints_each_figure_with_its_ratio(city):
    for index in range(5):
        VacantSpaceFactory(
            municipality=city,
            location=Point(city.location.x + 0.001 * index, city.location.y, srid=4326),
        )
    out = io.StringIO()

    call_command("bench_tiles", repeat=2, raw_low_zoom_repeat=1, stdout=out)

    output = out.getvalue()
    assert "Grid rebuilt" in output
    for label in ("z14 ", "z14 ?kind=shop", "z6 grid", "z10 grid ?kind=shop"):
        assert f"\n{label}" in output
    assert "Revalidation (If-None-Match, 304)" in output
