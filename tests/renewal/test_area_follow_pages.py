"""Following an area from a city's projects map and stopping on My page, through the
pages (the API has its own tests in test_comments_follows_moderation.py)."""

import pytest
from django.contrib.gis.geos import Point

from renewal.models import AreaFollow
from tests.factories import MunicipalityFactory, UserFactory
from tests.helpers import page_client


@pytest.fixture
def yeongju(db):
    return MunicipalityFactory(
        name_ko="영주시", name_en="Yeongju", location=Point(128.62, 36.81, srid=4326)
    )


def test_a_resident_follows_the_area_shown_and_finds_it_on_my_page(yeongju, resident):
    client = page_client(resident)
    projects_map = f"/ko/cities/{yeongju.code}/projects/?at=128.63,36.82"

    page = client.get(projects_map).content.decode()
    # Without JavaScript the form sends the place the page was opened on.
    assert 'name="longitude" id="follow-longitude" value="128.630000"' in page
    assert 'name="radius_m" value="1000" checked' in page

    response = client.post(
        "/ko/areas/follow/",
        {
            "longitude": "128.631",
            "latitude": "36.821",
            "radius_m": "1000",
            "next": projects_map,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == projects_map
    follow = AreaFollow.objects.get(user=resident)
    assert (follow.center.x, follow.center.y, follow.radius_m) == (
        128.631,
        36.821,
        1000,
    )
    my_page = client.get("/ko/me/").content.decode()
    assert "영주시 부근 1 km 안의 새 사업" in my_page
    english = client.get("/en/me/").content.decode()
    assert "New projects within 1 km, near Yeongju" in english


def test_stopping_removes_only_ones_own_follow(yeongju, resident):
    own = AreaFollow.objects.create(
        user=resident, center=yeongju.location, radius_m=500
    )
    other = AreaFollow.objects.create(
        user=UserFactory(), center=yeongju.location, radius_m=500
    )
    client = page_client(resident)

    assert client.post(f"/ko/me/areas/{other.pk}/remove/").status_code == 404
    response = client.post(f"/ko/me/areas/{own.pk}/remove/")

    assert response.status_code == 302
    assert response["Location"] == "/ko/me/#area-follows"
    assert list(AreaFollow.objects.values_list("pk", flat=True)) == [other.pk]


def test_a_radius_not_offered_or_a_place_outside_korea_is_refused(yeongju, resident):
    client = page_client(resident)

    response = client.post(
        "/en/areas/follow/",
        {"longitude": "200", "latitude": "36.8", "radius_m": "7000"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice. 7000 is not one of the available choices." in page
    assert "Ensure this value is less than or equal to 132.0." in page
    assert not AreaFollow.objects.exists()


def test_following_needs_a_signed_in_resident(yeongju):
    client = page_client()

    page = client.get(f"/ko/cities/{yeongju.code}/projects/").content.decode()
    response = client.post(
        "/ko/areas/follow/",
        {"longitude": "128.6", "latitude": "36.8", "radius_m": "1000"},
    )

    assert 'id="area-follow-form"' not in page
    assert "/ko/accounts/login/?next=" in page
    assert response.status_code == 302
    assert response["Location"].startswith("/ko/accounts/login/")
    assert not AreaFollow.objects.exists()
