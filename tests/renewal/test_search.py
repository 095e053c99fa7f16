"""The search behind the search boxes: cities, projects and space addresses by name,
in both languages, best match first, nothing private, a fixed number of queries."""

import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection

from cities.models import SubMunicipality
from renewal.models import SpaceOwner
from tests.factories import (
    MunicipalityFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)
from tests.helpers import api_client, count_queries, page_client

URL = "/api/v1/search/"


@pytest.fixture
def yeongju(db):
    return MunicipalityFactory(
        name_ko="영주시", name_en="Yeongju", location=Point(128.62, 36.81, srid=4326)
    )


@pytest.fixture
def places(yeongju):
    """Names chosen so that whole-name, prefix and contains matches differ."""
    return {
        "yeongju": yeongju,
        "yeongcheon": MunicipalityFactory(name_ko="영천시", name_en="Yeongcheon"),
        "project_prefix": RenewalProjectFactory(
            municipality=yeongju, title="영주 근대역사문화거리 빈집 살리기"
        ),
        "project_contains": RenewalProjectFactory(
            municipality=yeongju, title="풍기읍 영주 인삼시장 공유부엌"
        ),
        "space": VacantSpaceFactory(municipality=yeongju, address="영주시 광복로 41"),
    }


def _search(query, language="ko", user=None, **params):
    response = api_client(user).get(
        URL, {"q": query, **params}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_whole_name_comes_first_then_prefixes_then_names_containing_it(places):
    results = _search("영주")

    assert [(r["kind"], r["name"]) for r in results] == [
        # "영주시" starts with the query, as do the project's title and the address;
        # on equal rank a city comes first, a project before a space.
        ("city", "영주시"),
        ("project", "영주 근대역사문화거리 빈집 살리기"),
        ("space", "영주시 광복로 41"),
        ("project", "풍기읍 영주 인삼시장 공유부엌"),
    ]
    assert _search("영주시")[0] == {
        "kind": "city",
        "name": "영주시",
        "detail": "경북",
        "url": f"/ko/?city={places['yeongju'].code}#chosen-city",
        "longitude": 128.62,
        "latitude": 36.81,
        "code": places["yeongju"].code,
    }


def test_addresses_that_start_with_the_city_name_do_not_crowd_out_projects(
    places, yeongju
):
    for number in range(10):
        VacantSpaceFactory(municipality=yeongju, address=f"영주시 중앙로 {number}")

    kinds = [r["kind"] for r in _search("영주")]

    assert len(kinds) == 8
    assert kinds[0] == "city"
    # The project whose title only contains the query still makes the list.
    assert kinds.count("project") == 2


def test_a_neighbourhood_is_found_by_name_and_opens_its_citys_projects_map(yeongju):
    SubMunicipality.objects.create(
        sgis_code="3706055",
        name_ko="영주1동",
        name_en="Yeongju 1(il)-dong",
        municipality=yeongju,
        boundary=MultiPolygon(
            Polygon.from_bbox((128.61, 36.82, 128.63, 36.84)), srid=4326
        ),
    )

    korean = _search("영주")
    english = _search("yeongju 1", language="en")

    assert [(r["kind"], r["name"]) for r in korean] == [
        ("city", "영주시"),
        ("area", "영주1동"),
    ]
    area = korean[1]
    assert area["detail"] == "영주시"
    assert area["url"] == f"/ko/cities/{yeongju.code}/projects/?area=3706055"
    # A point inside the 읍면동, for the map to jump to.
    assert 128.61 < area["longitude"] < 128.63 and 36.82 < area["latitude"] < 36.84
    assert [(r["name"], r["detail"]) for r in english] == [
        ("Yeongju 1(il)-dong", "Yeongju")
    ]


def test_english_names_are_found_and_answered_in_english(places):
    results = _search("yeong", language="en", kind="city")

    assert [r["name"] for r in results] == ["Yeongju", "Yeongcheon"]
    assert results[0]["url"] == f"/en/?city={places['yeongju'].code}#chosen-city"
    assert results[0]["detail"] == "Gyeongbuk"
    # A Korean name typed on an English page still finds the city, named in English.
    assert [r["name"] for r in _search("영천", language="en")] == ["Yeongcheon"]


def test_the_kind_parameter_narrows_and_an_unknown_kind_is_refused(places):
    assert {r["kind"] for r in _search("영주", kind="space,project")} == {
        "space",
        "project",
    }

    response = api_client().get(
        URL, {"q": "영주", "kind": "owner"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert (
        "“owner” is not a kind of search result."
        in (response.json()["error"]["message"])
    )


def test_nothing_private_is_found_or_shown(places, yeongju):
    SpaceOwner.objects.create(
        space=places["space"], name="홍길동", contact="010-1234-5678"
    )
    proposer = UserFactory()
    hidden = RenewalProjectFactory(
        municipality=yeongju, title="영주 숨긴 제안", is_hidden=True, proposer=proposer
    )

    # The owner's name is not searchable, and no result carries it.
    assert _search("홍길동") == []
    body = json.dumps(_search("영주"), ensure_ascii=False)
    assert "홍길동" not in body and "010-1234" not in body
    # A hidden project is found only by those who may see it.
    assert hidden.title not in body
    assert hidden.title in [r["name"] for r in _search("숨긴", user=proposer)]


def test_empty_and_long_queries_answer_without_error(places):
    assert _search("   ") == []
    assert _search("영" * 500) == []


def test_queries_stay_fixed_however_many_rows_match(places, yeongju):
    client = api_client()
    _response, few = count_queries(client, URL, {"q": "영주"})
    for number in range(12):
        RenewalProjectFactory(municipality=yeongju, title=f"영주 골목 {number}")
        VacantSpaceFactory(municipality=yeongju, address=f"영주시 중앙로 {number}")

    response, many = count_queries(client, URL, {"q": "영주"})

    assert len(response.json()["results"]) == 8
    assert many == few
    # One query per kind and no more (the 읍면동 kind included once loaded).
    assert many <= 4


def test_titles_and_addresses_are_searched_through_their_trigram_indexes(places):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM renewal_vacantspace "
            "WHERE UPPER(address) LIKE UPPER(%s)",
            ["%광복로%"],
        )
        plan = " ".join(row[0] for row in cursor.fetchall())

    assert "renewal_space_address_trgm" in plan


def test_the_results_page_works_without_javascript(places):
    response = page_client().get("/ko/search/", {"q": "영주"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/ko/?city={places["yeongju"].code}#chosen-city"' in html
    assert f'href="/ko/projects/{places["project_prefix"].pk}/"' in html
    english = page_client().get("/en/search/", {"q": "영주"}).content.decode()
    assert "4 results for “영주”" in english
