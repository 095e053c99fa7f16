"""The home page for residents: "near me" and the chosen city, without a browser
(the search box in a browser is in tests/e2e/test_resident_journey.py)."""

import pytest
from django.contrib.gis.geos import Point

from tests.factories import (
    MunicipalityFactory,
    RenewalProjectFactory,
    VacantSpaceFactory,
)
from tests.helpers import page_client

YEONGJU_HALL = Point(128.6241, 36.8057, srid=4326)


@pytest.fixture
def cities(db):
    yeongju = MunicipalityFactory(
        name_ko="영주시", name_en="Yeongju", location=YEONGJU_HALL
    )
    andong = MunicipalityFactory(
        name_ko="안동시", name_en="Andong", location=Point(128.7294, 36.5684, srid=4326)
    )
    return {"yeongju": yeongju, "andong": andong}


def test_near_me_finds_the_nearest_city_and_the_projects_around(cities):
    yeongju = cities["yeongju"]
    near = RenewalProjectFactory(
        municipality=yeongju,
        title="역 앞 빈 점포 청년 공방",
        place=Point(128.6300, 36.8100, srid=4326),
    )
    far = RenewalProjectFactory(
        municipality=yeongju,
        title="부석사 가는 길 쉼터",
        place=Point(128.6870, 36.9990, srid=4326),
    )
    hidden = RenewalProjectFactory(
        municipality=yeongju,
        title="숨겨진 제안",
        place=Point(128.6250, 36.8060, srid=4326),
        is_hidden=True,
    )
    VacantSpaceFactory(
        municipality=yeongju, address="영주시 광복로 41", status="available"
    )
    VacantSpaceFactory(
        municipality=yeongju, address="영주시 대학로 9", status="retired"
    )

    response = page_client().get("/ko/", {"near": "128.6250,36.8070"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "영주시 소식" in page
    nearby = page[page.index('id="nearby-projects"') :]
    nearby = nearby[: nearby.index("</ul>")]
    assert near.title in nearby
    assert far.title not in nearby
    assert hidden.title not in page
    # The open calls are the city's spaces waiting for a project, not retired ones.
    calls = page[page.index('id="open-calls"') :]
    calls = calls[: calls.index("</ul>")]
    assert "영주시 광복로 41" in calls
    assert "영주시 대학로 9" not in calls


def test_a_place_that_cannot_be_read_or_lies_outside_korea_is_said_so(cities):
    client = page_client()

    garbled = client.get("/en/", {"near": "here"})
    abroad = client.get("/en/", {"near": "139.69,35.69"})

    assert garbled.status_code == 400
    assert "Expected a place as longitude,latitude in degrees." in (
        garbled.content.decode()
    )
    assert abroad.status_code == 400
    assert "This place is outside South Korea." in abroad.content.decode()
    assert 'id="chosen-city"' not in abroad.content.decode()


def test_the_chosen_city_shows_its_latest_projects_in_the_readers_language(cities):
    andong = cities["andong"]
    RenewalProjectFactory(municipality=andong, title="하회마을 빈집 게스트하우스")

    korean = page_client().get("/ko/", {"city": andong.code}).content.decode()
    english = page_client().get("/en/", {"city": andong.code}).content.decode()

    assert "안동시 소식" in korean
    assert "하회마을 빈집 게스트하우스" in korean
    assert "In Andong" in english
    # Every city is a card with its links, whichever city is chosen.
    assert korean.count('class="city-card"') == 2
