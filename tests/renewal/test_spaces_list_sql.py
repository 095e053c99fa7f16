"""The list page's features are written by PostgreSQL; they must say exactly what
VacantSpaceSerializer says, to every kind of caller."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from cities.demo import illustrative_downtown
from renewal.api.spaces import VacantSpaceSerializer
from renewal.models import SpaceOwner, SpaceStatus, VacantSpace
from renewal.selectors.spaces import vacant_space_list
from tests.factories import UserFactory, VacantSpaceFactory
from tests.helpers import api_client, count_queries

URL = "/api/v1/spaces/"


def serializer_features(user, **filters) -> list[dict]:
    """What the list said before: the serializer over the selector's rows, through
    the JSON renderer and back."""
    request = Request(APIRequestFactory().get(URL))
    request.user = user
    spaces = vacant_space_list(user=user).filter(**filters)
    data = VacantSpaceSerializer(spaces, many=True, context={"request": request}).data
    return json.loads(JSONRenderer().render(data))["features"]


@pytest.fixture
def varied_spaces(city, other_city):
    """Every status in both cities, with and without owners, empty and full
    optional fields, inside and outside the downtown, unrounded coordinates."""
    city.downtown = illustrative_downtown(city.location, 500)
    city.save()
    spaces = []
    for index, status in enumerate(SpaceStatus.values):
        for municipality in (city, other_city):
            offset = 0.0123456789012345 * (index % 3)
            space = VacantSpaceFactory(
                municipality=municipality,
                status=status,
                location=Point(
                    municipality.location.x + offset,
                    municipality.location.y + offset / 3,
                    srid=4326,
                ),
                floor_area_m2=Decimal("85.5") if index % 2 else None,
                land_area_m2=Decimal("120.25") if index % 3 == 1 else None,
                year_built=1978 if index % 2 else None,
                grading_scheme="urban-2021" if index % 2 else "",
                grade=4 if index % 2 else None,
                vacant_since=datetime.date(2021, 3, 9) if index % 2 else None,
                asking_rent_krw=450_000 if index % 2 else None,
                external_id=f"survey-{index}",
                source="2023 빈집실태조사",
            )
            if index % 2 == 0:
                SpaceOwner.objects.create(
                    space=space, name="박철수", contact="010-1234-5678", note="상속"
                )
            spaces.append(space)
    return spaces


@pytest.mark.parametrize(
    "persona",
    ["anonymous", "resident", "city_viewer", "city_editor", "other_city_editor"],
)
def test_list_features_equal_the_serializers(personas, varied_spaces, persona):
    user = personas[persona]

    response = api_client(user).get(URL, {"page_size": 1000})

    assert response.status_code == 200
    assert response.json()["features"] == serializer_features(user)


def test_list_features_equal_the_serializers_for_a_superuser(varied_spaces):
    operator = UserFactory(is_superuser=True)

    features = api_client(operator).get(URL, {"page_size": 1000}).json()["features"]

    assert features == serializer_features(operator)
    assert all("owner" in feature["properties"] for feature in features)


def test_filtered_list_features_equal_the_serializers(personas, varied_spaces, city):
    user = personas["city_editor"]

    features = (
        api_client(user)
        .get(URL, {"in_downtown": "true", "page_size": 1000})
        .json()["features"]
    )

    assert features
    assert features == serializer_features(user, in_downtown=True)


def test_features_carry_the_serializers_types(personas, varied_spaces, city):
    features = (
        api_client(personas["city_editor"])
        .get(URL, {"city": city.code, "page_size": 1000})
        .json()["features"]
    )

    full = next(f for f in features if f["properties"]["grade"] is not None)
    owned = next(f for f in features if f["properties"]["owner"] is not None)
    assert isinstance(full["id"], int)
    assert full["properties"]["floor_area_m2"] == "85.50"
    assert full["properties"]["grade"] == 4
    assert full["properties"]["vacant_since"] == "2021-03-09"
    assert full["properties"]["municipality"] == city.code
    assert isinstance(full["properties"]["in_downtown"], bool)
    assert owned["properties"]["owner"] == {
        "name": "박철수",
        "contact": "010-1234-5678",
        "note": "상속",
    }
    reported = next(f for f in features if f["properties"]["status"] == "reported")
    assert reported["properties"]["allowed_transitions"] == ["retired", "surveyed"]


def test_other_citys_editor_gets_transitions_only_in_their_city(
    personas, varied_spaces, city, other_city
):
    features = (
        api_client(personas["other_city_editor"])
        .get(URL, {"page_size": 1000})
        .json()["features"]
    )

    by_city = {city.code: set(), other_city.code: set()}
    for feature in features:
        properties = feature["properties"]
        by_city[properties["municipality"]].add(bool(properties["allowed_transitions"]))
    assert by_city == {city.code: {False}, other_city.code: {True}}


def test_pagination_keeps_count_and_links(varied_spaces):
    client = api_client()
    ids = list(VacantSpace.objects.order_by("id").values_list("id", flat=True))

    first = client.get(URL, {"page_size": 5}).json()
    last = client.get(URL, {"page_size": 5, "page": 3}).json()

    assert list(first) == [
        "type",
        "count",
        "count_exact",
        "next",
        "previous",
        "features",
    ]
    assert first["type"] == "FeatureCollection"
    assert first["count"] == len(ids) == 12
    assert first["count_exact"] is True
    assert first["next"] == "http://testserver/api/v1/spaces/?page=2&page_size=5"
    assert first["previous"] is None
    assert [f["id"] for f in first["features"]] == ids[:5]
    assert last["next"] is None
    assert last["previous"] == "http://testserver/api/v1/spaces/?page=2&page_size=5"
    assert [f["id"] for f in last["features"]] == ids[10:]


def test_empty_and_out_of_range_pages(db):
    empty = api_client().get(URL)
    beyond = api_client().get(URL, {"page": 2})

    assert empty.json() == {
        "type": "FeatureCollection",
        "count": 0,
        "count_exact": True,
        "next": None,
        "previous": None,
        "features": [],
    }
    assert beyond.status_code == 404
    assert "error" in beyond.json()


def test_browsable_api_still_renders_the_list(varied_spaces):
    response = api_client().get(URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert "FeatureCollection" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "joins_owner"),
    [
        ("anonymous", False),
        ("resident", False),
        ("other_city_editor", True),
        ("city_viewer", True),
    ],
)
def test_owner_table_is_joined_only_for_staff(
    personas, varied_spaces, city, persona, joins_owner
):
    # Staff of the other city see that city's owners; the listed rows are the home
    # city's, but the owner join is still needed for the other city's rows.
    with CaptureQueriesContext(connection) as context:
        api_client(personas[persona]).get(URL, {"city": city.code})

    page_sql = context.captured_queries[-1]["sql"]
    assert "renewal_vacantspace" in page_sql
    assert ("renewal_spaceowner" in page_sql) is joins_owner


@pytest.mark.parametrize("username", [None, "resident", "city_viewer", "city_editor"])
def test_list_query_count_is_the_same_for_1_and_20_rows(personas, city, username):
    def queries_for(rows: int) -> int:
        VacantSpace.objects.all().delete()
        spaces = VacantSpaceFactory.create_batch(rows, municipality=city)
        for space in spaces:
            SpaceOwner.objects.create(space=space, name="박철수")
        # A fresh user object per request, as in production.
        user = User.objects.get(username=username) if username else None
        client = api_client(user)
        response, queries = count_queries(client, URL)
        assert len(response.json()["features"]) == rows
        return queries

    one, twenty = queries_for(1), queries_for(20)

    assert one == twenty
    # One statement counts and builds the page, plus the user's city roles once
    # when signed in.
    assert one == (1 if username is None else 2)


def test_schema_documents_the_list_as_a_paginated_feature_collection(openapi_schema):
    schema = openapi_schema

    def resolve(node: dict) -> dict:
        if "$ref" in node:
            return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        return node

    listed = schema["paths"][URL]["get"]["responses"]["200"]["content"]
    page = resolve(listed["application/json"]["schema"])
    assert resolve(page["properties"]["type"])["enum"] == ["FeatureCollection"]
    assert {"count", "count_exact", "next", "previous", "features"} <= set(
        page["properties"]
    )
    features = page["properties"]["features"]
    assert features["items"]["$ref"].endswith("/VacantSpace")
    feature = resolve(features["items"])["properties"]["properties"]["properties"]
    assert {"municipality", "in_downtown", "allowed_transitions", "owner"} <= set(
        feature
    )


def test_page_last_and_malformed_page_numbers(varied_spaces):
    client = api_client()
    ids = list(VacantSpace.objects.order_by("id").values_list("id", flat=True))

    last = client.get(URL, {"page_size": 5, "page": "last"}).json()
    malformed = client.get(URL, {"page": "abc"})
    zero = client.get(URL, {"page": "0"})
    huge = client.get(URL, {"page": "9" * 30})

    assert [f["id"] for f in last["features"]] == ids[10:]
    assert last["next"] is None
    assert malformed.status_code == zero.status_code == huge.status_code == 404
    assert malformed.json()["error"]["code"] == "not_found"


def test_count_beyond_the_limit_is_a_lower_bound_and_pages_stay_in_id_order(
    varied_spaces, settings
):
    settings.SPACES_LIST_COUNT_LIMIT = 4
    client = api_client()
    ids = list(VacantSpace.objects.order_by("id").values_list("id", flat=True))

    pages = [client.get(URL, {"page_size": 5, "page": n}).json() for n in (1, 2, 3)]
    beyond = client.get(URL, {"page_size": 5, "page": 4})

    assert [page["count"] for page in pages] == [4, 4, 4]
    assert [page["count_exact"] for page in pages] == [False, False, False]
    # The first ids of the whole filter, not of the ids collected up to the limit.
    assert [f["id"] for page in pages for f in page["features"]] == ids
    assert pages[0]["next"].endswith("page=2&page_size=5")
    assert pages[2]["next"] is None
    assert beyond.status_code == 404
    last_en = client.get(URL, {"page": "last"}, HTTP_ACCEPT_LANGUAGE="en")
    last_ko = client.get(URL, {"page": "last"}, HTTP_ACCEPT_LANGUAGE="ko")
    assert last_en.status_code == last_ko.status_code == 404
    assert "more than 4 spaces match" in last_en.json()["error"]["message"]
    assert "4곳보다 많습니다" in last_ko.json()["error"]["message"]


def test_count_limit_applies_the_filter_to_every_page(varied_spaces, city, settings):
    settings.SPACES_LIST_COUNT_LIMIT = 2
    in_city = list(
        VacantSpace.objects.filter(municipality=city)
        .order_by("id")
        .values_list("id", flat=True)
    )

    page = api_client().get(URL, {"city": city.code, "page_size": 3}).json()

    assert (page["count"], page["count_exact"]) == (2, False)
    assert [f["id"] for f in page["features"]] == in_city[:3]
    assert {f["properties"]["municipality"] for f in page["features"]} == {city.code}


@pytest.mark.parametrize("limit", [6, 12])
def test_count_at_or_under_the_limit_is_exact(varied_spaces, settings, limit):
    settings.SPACES_LIST_COUNT_LIMIT = limit
    page = api_client().get(URL, {"page_size": 5}).json()

    expected = (12, True) if limit == 12 else (6, False)
    assert (page["count"], page["count_exact"]) == expected
