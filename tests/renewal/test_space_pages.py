import json
import re

import pytest
from django.contrib.gis.geos import Point

from cities.demo import illustrative_downtown
from renewal.models import (
    ChangeAction,
    InventoryChange,
    SpaceOwner,
    VacancyEvidence,
    VacantSpace,
)
from tests.factories import VacantSpaceFactory
from tests.helpers import count_queries, page_client

PERSONAS = [
    "anonymous",
    "resident",
    "org_member",
    "city_viewer",
    "city_editor",
    "other_city_editor",
]


def map_url(city, lang="ko") -> str:
    return f"/{lang}/cities/{city.code}/spaces/"


def list_url(city, lang="ko") -> str:
    return f"/{lang}/cities/{city.code}/spaces/list/"


def create_url(city) -> str:
    return f"/ko/cities/{city.code}/spaces/new/"


def detail_url(space) -> str:
    return f"/ko/spaces/{space.pk}/"


def edit_url(space) -> str:
    return f"/ko/spaces/{space.pk}/edit/"


def transition_url(space) -> str:
    return f"/ko/spaces/{space.pk}/transitions/"


def listed_ids(response) -> set[int]:
    return {
        int(i) for i in re.findall(r'<tr data-id="(\d+)"', response.content.decode())
    }


@pytest.fixture
def owned_space(city):
    space = VacantSpaceFactory(municipality=city, address="중앙로 12")
    SpaceOwner.objects.create(space=space, name="박철수", contact="010-1234-5678")
    VacancyEvidence.objects.create(
        space=space,
        kind="survey_visit",
        observed_on="2025-04-01",
        confidence="high",
        note="우편함이 가득 참",
    )
    return space


def form_data(city, **overrides) -> dict:
    data = {
        "kind": "house",
        "address": "시장길 7",
        "floor_area_m2": "64.5",
        "land_area_m2": "",
        "year_built": "1978",
        "grading_scheme": "national-2023",
        "grade": "2",
        "vacant_since": "2023-05-01",
        "ownership": "private",
        "availability": "lease",
        "asking_rent_krw": "300000",
        "source": "현장 조사",
        "external_id": "",
        "longitude": str(city.location.x + 0.001),
        "latitude": str(city.location.y + 0.001),
        "owner_name": "김영희",
        "owner_contact": "010-9876-5432",
        "owner_note": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", PERSONAS)
def test_map_list_and_detail_pages_render_for_every_persona(
    personas, city, owned_space, persona
):
    client = page_client(personas[persona])

    for url in (map_url(city), list_url(city), detail_url(owned_space)):
        response = client.get(url)
        assert response.status_code == 200, url
    assert owned_space.address in client.get(list_url(city)).content.decode()


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
def test_owner_details_on_the_detail_page_only_for_staff_of_the_city(
    personas, owned_space, persona, sees_owner
):
    page = page_client(personas[persona]).get(detail_url(owned_space)).content.decode()

    assert ("박철수" in page) is sees_owner
    assert ("010-1234-5678" in page) is sees_owner
    assert owned_space.address in page


def test_owner_details_never_appear_on_the_map_or_list_pages(
    personas, city, owned_space
):
    client = page_client(personas["city_editor"])

    for url in (map_url(city), list_url(city)):
        assert "박철수" not in client.get(url).content.decode()


def test_detail_page_lists_the_vacancy_evidence(personas, owned_space):
    page = (
        page_client(personas["resident"]).get(detail_url(owned_space)).content.decode()
    )

    assert "우편함이 가득 참" in page


@pytest.mark.parametrize(
    ("persona", "sees_history"),
    [
        ("anonymous", False),
        ("resident", False),
        ("other_city_editor", False),
        ("city_viewer", True),
        ("city_editor", True),
    ],
)
def test_history_only_for_staff_of_the_city(
    personas, city, owned_space, persona, sees_history
):
    InventoryChange.objects.create(
        content_type_id=_space_content_type_id(),
        object_id=owned_space.pk,
        municipality=city,
        action=ChangeAction.STATUS,
        changes={"status": ["reported", "surveyed"]},
        reason="현장 확인 완료",
    )

    page = page_client(personas[persona]).get(detail_url(owned_space)).content.decode()

    assert ('id="space-history"' in page) is sees_history
    assert ("현장 확인 완료" in page) is sees_history


def _space_content_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(VacantSpace).pk


@pytest.mark.parametrize(
    ("persona", "sees_link"),
    [
        ("anonymous", False),
        ("resident", False),
        ("city_viewer", False),
        ("other_city_editor", False),
        ("city_editor", True),
    ],
)
def test_add_a_space_link_only_for_editors_of_the_city(
    personas, city, persona, sees_link
):
    page = page_client(personas[persona]).get(map_url(city)).content.decode()

    assert (create_url(city) in page) is sees_link


def test_map_page_links_to_the_list_with_its_filters_and_back(personas, city):
    client = page_client(personas["resident"])

    map_page = client.get(map_url(city), {"kind": "house"}).content.decode()
    list_page = client.get(list_url(city), {"kind": "house"}).content.decode()

    assert f'href="{list_url(city)}?kind=house"' in map_page
    assert f'href="{map_url(city)}?kind=house"' in list_page


def test_map_page_hands_the_downtown_and_the_api_to_the_script(personas, city):
    city.downtown = illustrative_downtown(city.location, 500)
    city.save()

    response = page_client(personas["resident"]).get(map_url(city))

    config = json.loads(
        re.search(
            r'<script id="space-map-config" type="application/json">(.*?)</script>',
            response.content.decode(),
            re.S,
        ).group(1)
    )
    assert config["city"] == city.code
    assert config["apiUrl"] == "/api/v1/spaces/"
    assert config["downtown"]["type"] == "MultiPolygon"
    assert config["detailUrl"] == "/ko/spaces/{id}/"


def test_map_page_counts_matching_spaces_without_javascript(personas, city):
    VacantSpaceFactory.create_batch(3, municipality=city, kind="house")
    VacantSpaceFactory(municipality=city, kind="shop")

    response = page_client(personas["resident"]).get(
        map_url(city, "en"), {"kind": "house"}
    )

    assert "3 spaces match the filters." in response.content.decode()


def test_unknown_city_is_not_found(personas):
    assert (
        page_client(personas["resident"]).get("/ko/cities/00000/spaces/").status_code
        == 404
    )


def test_list_filters_by_kind_status_area_and_downtown(personas, city, other_city):
    city.downtown = illustrative_downtown(city.location, 500)
    city.save()
    house = VacantSpaceFactory(municipality=city, kind="house", floor_area_m2=40)
    shop = VacantSpaceFactory(
        municipality=city, kind="shop", status="surveyed", floor_area_m2=120
    )
    outside = VacantSpaceFactory(
        municipality=city,
        kind="shop",
        location=Point(city.location.x + 0.05, city.location.y, srid=4326),
    )
    elsewhere = VacantSpaceFactory(municipality=other_city, kind="house")
    client = page_client(personas["resident"])

    assert listed_ids(client.get(list_url(city))) == {house.pk, shop.pk, outside.pk}
    assert listed_ids(client.get(list_url(city), {"kind": "house"})) == {house.pk}
    assert listed_ids(client.get(list_url(city), {"status": "surveyed"})) == {shop.pk}
    assert listed_ids(client.get(list_url(city), {"min_area": "100"})) == {shop.pk}
    assert listed_ids(client.get(list_url(city), {"in_downtown": "false"})) == {
        outside.pk
    }
    assert elsewhere.pk not in listed_ids(
        client.get(list_url(other_city), {"kind": "shop"})
    )


def test_list_ignores_an_invalid_filter_and_says_so(personas, city):
    space = VacantSpaceFactory(municipality=city)

    response = page_client(personas["resident"]).get(
        list_url(city, "en"), {"grade": "many"}
    )

    assert response.status_code == 200
    assert listed_ids(response) == {space.pk}
    assert "Some filters are not valid" in response.content.decode()


def test_list_is_paginated(personas, city):
    VacantSpaceFactory.create_batch(51, municipality=city)
    client = page_client(personas["resident"])

    first = client.get(list_url(city))
    second = client.get(list_url(city), {"page": 2})

    assert len(listed_ids(first)) == 50
    assert len(listed_ids(second)) == 1
    assert listed_ids(first).isdisjoint(listed_ids(second))


@pytest.mark.parametrize("persona", ["resident", "city_editor"])
def test_list_page_query_count_does_not_grow_with_rows(
    personas, city, persona, django_assert_max_num_queries
):
    client = page_client(personas[persona])
    VacantSpaceFactory(municipality=city)
    _, one_row = count_queries(client, list_url(city))
    VacantSpaceFactory.create_batch(19, municipality=city)

    with django_assert_max_num_queries(one_row):
        response = client.get(list_url(city))

    assert len(listed_ids(response)) == 20


def test_editor_registers_a_space_through_the_form(personas, city):
    client = page_client(personas["city_editor"])

    response = client.post(create_url(city), form_data(city))

    space = VacantSpace.objects.get(address="시장길 7")
    assert response.status_code == 302
    assert response["Location"] == detail_url(space)
    assert space.municipality == city
    assert space.kind == "house"
    assert space.grade == 2
    assert space.created_by == personas["city_editor"]
    assert space.location.x == pytest.approx(city.location.x + 0.001)
    assert space.location.y == pytest.approx(city.location.y + 0.001)
    assert space.owner.name == "김영희"
    assert InventoryChange.objects.filter(
        object_id=space.pk, action=ChangeAction.CREATE
    ).exists()
    assert "김영희" in client.get(response["Location"]).content.decode()


def test_register_form_shows_the_services_refusal(personas, city):
    client = page_client(personas["city_editor"])

    response = client.post(
        create_url(city), form_data(city, grading_scheme="", grade="2")
    )

    assert response.status_code == 200
    assert not VacantSpace.objects.exists()
    errors = response.context["form"].errors
    assert "grading_scheme" in errors
    assert errors["__all__"]


def test_register_form_refuses_coordinates_outside_korea(personas, city):
    response = page_client(personas["city_editor"]).post(
        create_url(city), form_data(city, longitude="2.35", latitude="48.85")
    )

    assert response.status_code == 200
    assert "longitude" in response.context["form"].errors
    assert not VacantSpace.objects.exists()


@pytest.mark.parametrize(
    "persona", ["resident", "org_member", "city_viewer", "other_city_editor"]
)
def test_non_editors_get_403_on_the_forms(personas, city, owned_space, persona):
    client = page_client(personas[persona])

    assert client.get(create_url(city)).status_code == 403
    assert client.post(create_url(city), form_data(city)).status_code == 403
    assert client.get(edit_url(owned_space)).status_code == 403
    assert (
        client.post(edit_url(owned_space), form_data(city, address="X")).status_code
        == 403
    )
    assert VacantSpace.objects.count() == 1
    owned_space.refresh_from_db()
    assert owned_space.address == "중앙로 12"


def test_anonymous_is_sent_to_login_from_the_forms(client, city, owned_space):
    for url in (create_url(city), edit_url(owned_space)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/ko/accounts/login/?next=")


def test_editor_edits_a_space_and_its_owner_through_the_form(
    personas, city, owned_space
):
    client = page_client(personas["city_editor"])
    form = client.get(edit_url(owned_space)).context["form"]
    assert form.initial["owner_name"] == "박철수"

    response = client.post(
        edit_url(owned_space),
        form_data(city, address="중앙로 14", owner_name="박철수", owner_note="상속 중"),
    )

    assert response.status_code == 302
    owned_space.refresh_from_db()
    assert owned_space.address == "중앙로 14"
    assert owned_space.owner.note == "상속 중"
    change = InventoryChange.objects.get(
        object_id=owned_space.pk, action=ChangeAction.UPDATE
    )
    assert change.changes["address"] == ["중앙로 12", "중앙로 14"]
    assert change.changes["owner"] == "changed"


def test_editor_transitions_a_space_from_the_detail_page(personas, owned_space):
    client = page_client(personas["city_editor"])
    page = client.get(detail_url(owned_space)).content.decode()
    assert 'name="to" value="surveyed"' in page

    response = client.post(
        transition_url(owned_space),
        {"to": "surveyed", "reason": "현장 확인"},
        follow=True,
    )

    owned_space.refresh_from_db()
    assert owned_space.status == "surveyed"
    assert response.redirect_chain[-1][0] == detail_url(owned_space)
    assert (
        InventoryChange.objects.get(
            object_id=owned_space.pk, action=ChangeAction.STATUS
        ).reason
        == "현장 확인"
    )


def test_illegal_transition_is_shown_as_a_message(personas, owned_space):
    client = page_client(personas["city_editor"])

    response = client.post(
        f"/en/spaces/{owned_space.pk}/transitions/", {"to": "matched"}, follow=True
    )

    owned_space.refresh_from_db()
    assert owned_space.status == "reported"
    messages = [str(message) for message in response.context["messages"]]
    assert any("cannot become" in message for message in messages)


@pytest.mark.parametrize("persona", ["resident", "city_viewer", "other_city_editor"])
def test_non_editors_cannot_transition_and_see_no_buttons(
    personas, owned_space, persona
):
    client = page_client(personas[persona])

    page = client.get(detail_url(owned_space)).content.decode()
    response = client.post(transition_url(owned_space), {"to": "surveyed"})

    assert 'name="to"' not in page
    assert response.status_code == 403
    owned_space.refresh_from_db()
    assert owned_space.status == "reported"


def test_anonymous_transition_goes_to_login(client, owned_space):
    response = client.post(transition_url(owned_space), {"to": "surveyed"})

    assert response.status_code == 302
    owned_space.refresh_from_db()
    assert owned_space.status == "reported"


def test_pages_are_in_english_under_en(personas, city):
    page = page_client(personas["resident"]).get(map_url(city, "en")).content.decode()

    assert "Vacant spaces in Home city" in page


def test_home_page_links_each_city_to_its_inventory_map(client, city):
    assert map_url(city) in client.get("/ko/").content.decode()


def test_space_pages_use_only_local_assets(personas, city, owned_space):
    external = re.compile(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', re.I)
    client = page_client(personas["city_editor"])

    for url in (map_url(city), detail_url(owned_space), create_url(city)):
        page = client.get(url).content.decode()
        assert "vendor/leaflet-1.9.4/leaflet.js" in page
        assert not external.search(page)


def test_the_history_names_kinds_and_statuses_in_the_pages_language(personas, city):
    from renewal.services.spaces import vacant_space_register, vacant_space_transition

    editor = personas["city_editor"]
    space = vacant_space_register(
        actor=editor,
        municipality=city,
        data={"kind": "house", "location": city.location, "address": "장터길 7"},
    )
    vacant_space_transition(actor=editor, space=space, to="surveyed", reason="현장")

    korean = page_client(editor).get(f"/ko/spaces/{space.pk}/").content.decode()
    english = page_client(editor).get(f"/en/spaces/{space.pk}/").content.decode()

    history = korean[korean.index('id="space-history"') :]
    assert "— → 빈집" in history and "신고됨 → 조사됨" in history
    assert "→ house" not in history and "→ surveyed" not in history
    assert "Reported → Surveyed" in english[english.index('id="space-history"') :]
