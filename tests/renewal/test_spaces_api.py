import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point

from cities.demo import illustrative_downtown
from renewal.models import InventoryChange, SpaceOwner, VacantSpace
from tests.factories import VacantSpaceFactory
from tests.helpers import api_client, count_queries

URL = "/api/v1/spaces/"


@pytest.fixture
def owned_space(city):
    space = VacantSpaceFactory(municipality=city)
    SpaceOwner.objects.create(space=space, name="박철수", contact="010-1234-5678")
    return space


@pytest.mark.parametrize(
    ("persona", "sees_owner"),
    [
        ("anonymous", False),
        ("resident", False),
        ("org_member", False),
        ("other_city_editor", False),
        ("city_viewer", True),
        ("city_editor", True),
    ],
)
def test_owner_details_only_for_staff_of_the_city(
    personas, owned_space, persona, sees_owner
):
    client = api_client(personas[persona])

    listed = client.get(URL).content.decode()
    detail = client.get(f"{URL}{owned_space.pk}/").content.decode()

    assert ("박철수" in listed) is sees_owner
    assert ("박철수" in detail) is sees_owner
    assert ("010-1234-5678" in detail) is sees_owner


def test_list_features_carry_the_public_fields(personas, city):
    VacantSpaceFactory(municipality=city, status="surveyed")

    feature = api_client(personas["city_editor"]).get(URL).json()["features"][0]

    assert feature["geometry"]["type"] == "Point"
    properties = feature["properties"]
    assert properties["municipality"] == city.code
    for name in (
        "kind",
        "status",
        "grade",
        "grading_scheme",
        "availability",
        "floor_area_m2",
    ):
        assert name in properties
    assert properties["allowed_transitions"] == ["available", "retired"]


def test_in_downtown_is_answered_by_the_downtown_polygon(city):
    city.downtown = illustrative_downtown(city.location, 500)
    city.save()
    inside = VacantSpaceFactory(municipality=city)
    outside = VacantSpaceFactory(
        municipality=city,
        location=Point(city.location.x + 0.05, city.location.y, srid=4326),
    )

    ids_in = [
        f["id"]
        for f in api_client().get(URL, {"in_downtown": "true"}).json()["features"]
    ]
    ids_out = [
        f["id"]
        for f in api_client().get(URL, {"in_downtown": "false"}).json()["features"]
    ]

    assert ids_in == [inside.pk]
    assert ids_out == [outside.pk]


def test_near_filter_is_in_metres(city):
    here = VacantSpaceFactory(municipality=city)
    # 0.01° of longitude at 36°N is about 900 m.
    VacantSpaceFactory(
        municipality=city,
        location=Point(city.location.x + 0.01, city.location.y, srid=4326),
    )
    near = f"{city.location.x},{city.location.y}"

    close = api_client().get(URL, {"near": near, "radius_m": 500}).json()
    wider = api_client().get(URL, {"near": near, "radius_m": 1500}).json()

    assert [f["id"] for f in close["features"]] == [here.pk]
    assert wider["count"] == 2


def test_bbox_city_kind_and_area_filters(city, other_city):
    shop = VacantSpaceFactory(municipality=city, kind="shop", floor_area_m2=200)
    VacantSpaceFactory(municipality=city, kind="house", floor_area_m2=60)
    VacantSpaceFactory(municipality=other_city, kind="shop", floor_area_m2=200)
    x, y = city.location.x, city.location.y

    found = api_client().get(
        URL,
        {
            "city": city.code,
            "kind": "shop",
            "min_area": 100,
            "bbox": f"{x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}",
        },
    )

    assert [f["id"] for f in found.json()["features"]] == [shop.pk]


def test_bbox_alone_keeps_out_a_space_that_every_other_filter_would_let_in(city):
    x, y = city.location.x, city.location.y
    inside = VacantSpaceFactory(municipality=city, location=Point(x, y, srid=4326))
    VacantSpaceFactory(municipality=city, location=Point(x + 0.01, y, srid=4326))

    found = api_client().get(
        URL,
        {"city": city.code, "bbox": f"{x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}"},
    )

    assert [f["id"] for f in found.json()["features"]] == [inside.pk]


@pytest.mark.parametrize(
    ("parameters", "named"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "128,37,127,36"}, "bbox"),
        ({"near": "abc"}, "near"),
        ({"near": "128,36", "radius_m": "-5"}, "radius_m"),
        ({"kind": "castle"}, "kind"),
        ({"grade": "high"}, "grade"),
        ({"in_downtown": "perhaps"}, "in_downtown"),
    ],
)
def test_invalid_filter_is_400_naming_the_parameter(db, parameters, named):
    response = api_client().get(URL, parameters)

    assert response.status_code == 400
    assert named in response.json()["error"]["fields"]


def test_list_query_count_does_not_grow_with_page_size(personas, city):
    def queries_for(rows: int) -> int:
        VacantSpace.objects.all().delete()
        VacantSpaceFactory.create_batch(rows, municipality=city)
        # A fresh user object per request, as in production.
        client = api_client(User.objects.get(username="city_editor"))
        response, queries = count_queries(client, URL)
        assert response.json()["count"] == rows
        return queries

    assert queries_for(1) == queries_for(20)


def _feature(city, **properties):
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [city.location.x, city.location.y],
        },
        "properties": {"municipality": city.code, "kind": "shop", **properties},
    }


def test_city_editor_creates_a_space_from_a_geojson_feature(personas, city):
    response = api_client(personas["city_editor"]).post(
        URL,
        _feature(
            city,
            kind="house",
            grading_scheme="urban-2021",
            grade=2,
            owner={"name": "이순자"},
        ),
        format="json",
    )

    assert response.status_code == 201, response.content
    space = VacantSpace.objects.get()
    assert space.owner.name == "이순자"
    assert response.json()["properties"]["owner"]["name"] == "이순자"
    assert InventoryChange.objects.filter(object_id=space.pk).count() == 1


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("resident", 403),
        ("city_viewer", 403),
        ("other_city_editor", 403),
    ],
)
def test_others_cannot_create_a_space_in_the_city(personas, city, persona, expected):
    response = api_client(personas[persona]).post(URL, _feature(city), format="json")

    assert response.status_code == expected, response.content
    assert not VacantSpace.objects.exists()


def test_coordinates_outside_korea_are_refused(personas, city):
    feature = _feature(city)
    feature["geometry"]["coordinates"] = [200000.0, 450000.0]  # metres, not degrees

    response = api_client(personas["city_editor"]).post(URL, feature, format="json")

    assert response.status_code == 400
    assert "location" in response.json()["error"]["fields"]
    assert not VacantSpace.objects.exists()


def test_transition_endpoint_changes_status_once(personas, city):
    space = VacantSpaceFactory(municipality=city)
    client = api_client(personas["city_editor"])

    first = client.post(
        f"{URL}{space.pk}/transitions/", {"to": "surveyed"}, format="json"
    )
    second = client.post(
        f"{URL}{space.pk}/transitions/", {"to": "surveyed"}, format="json"
    )

    assert first.status_code == 200
    assert first.json()["properties"]["status"] == "surveyed"
    assert second.status_code == 400
    assert second.json()["error"]["code"] == "illegal_transition"


def test_transition_by_a_viewer_is_403_and_changes_nothing(personas, city):
    space = VacantSpaceFactory(municipality=city)

    response = api_client(personas["city_viewer"]).post(
        f"{URL}{space.pk}/transitions/", {"to": "surveyed"}, format="json"
    )

    space.refresh_from_db()
    assert response.status_code == 403
    assert space.status == "reported"


def test_update_by_editor_is_recorded(personas, city):
    space = VacantSpaceFactory(municipality=city)

    response = api_client(personas["city_editor"]).patch(
        f"{URL}{space.pk}/", {"properties": {"availability": "lease"}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["properties"]["availability"] == "lease"
    assert InventoryChange.objects.get(object_id=space.pk).changes == {
        "availability": ["not_offered", "lease"]
    }


def test_public_list_query_count_does_not_grow_with_rows(city):
    """Owner details are skipped before they are read, not after."""

    def queries_for(rows: int) -> int:
        VacantSpace.objects.all().delete()
        for space in VacantSpaceFactory.create_batch(rows, municipality=city):
            SpaceOwner.objects.create(space=space, name="비공개")
        response, queries = count_queries(api_client(), URL)
        body = response.json()
        assert body["count"] == rows
        assert "비공개" not in str(body)
        return queries

    assert queries_for(1) == queries_for(20)
