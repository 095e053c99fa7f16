"""The admin back office asks the same rules as the API."""

from django.contrib.auth.models import User

from tests.factories import VacantSpaceFactory

LIST = "/ko/admin/renewal/vacantspace/"


def test_city_editor_sees_only_own_city_spaces_in_admin(
    client, personas, city, other_city
):
    mine = VacantSpaceFactory(municipality=city, address="우리 시 빈 점포")
    VacantSpaceFactory(municipality=other_city, address="다른 시 빈 점포")
    client.force_login(User.objects.get(username="city_editor"))

    page = client.get(LIST)

    assert page.status_code == 200
    assert "우리 시 빈 점포" in page.content.decode()
    assert "다른 시 빈 점포" not in page.content.decode()
    assert client.get(f"{LIST}{mine.pk}/change/").status_code == 200


def test_city_editor_cannot_open_another_city_space_in_admin(
    client, personas, other_city
):
    theirs = VacantSpaceFactory(municipality=other_city)
    client.force_login(User.objects.get(username="city_editor"))

    response = client.get(f"{LIST}{theirs.pk}/change/")

    assert response.status_code in (302, 404)
    assert "빈 점포" not in response.content.decode()


def test_city_viewer_can_view_but_not_change_in_admin(client, personas, city):
    space = VacantSpaceFactory(municipality=city)
    client.force_login(User.objects.get(username="city_viewer"))

    page = client.get(f"{LIST}{space.pk}/change/")
    saved = client.post(f"{LIST}{space.pk}/change/", {"kind": "house"})

    space.refresh_from_db()
    assert page.status_code == 200
    assert 'name="kind"' not in page.content.decode()
    assert saved.status_code == 403
    assert space.kind == "shop"


def test_resident_has_no_admin(client, personas):
    client.force_login(User.objects.get(username="resident"))

    response = client.get(LIST)

    assert response.status_code == 302
