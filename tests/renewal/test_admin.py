"""The admin back office asks the same rules as the API."""

from django.contrib.auth.models import User

from renewal.models import SpaceOwner
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


def _change_form(space, *, owner: dict | None = None, **values) -> dict:
    """What the admin's change page posts for `space`, with `values` changed and,
    for a user who sees the owner inline, `owner` filled in for a space that had
    no owner yet."""
    form = {
        "external_id": space.external_id,
        "kind": space.kind,
        "address": space.address,
        "location": f"SRID=4326;{space.location.wkt}",
        "footprint": "",
        "floor_area_m2": str(space.floor_area_m2),
        "land_area_m2": "",
        "year_built": "",
        "grading_scheme": space.grading_scheme,
        "grade": "" if space.grade is None else str(space.grade),
        "vacant_since": "",
        "ownership": space.ownership,
        "availability": space.availability,
        "asking_rent_krw": "",
        "source": space.source,
    }
    if owner is not None:
        form.update(
            {
                "owner-TOTAL_FORMS": "1",
                "owner-INITIAL_FORMS": "0",
                "owner-MIN_NUM_FORMS": "0",
                "owner-MAX_NUM_FORMS": "1",
                "owner-0-id": "",
                "owner-0-space": str(space.pk),
                **{f"owner-0-{name}": value for name, value in owner.items()},
                "evidence-TOTAL_FORMS": "0",
                "evidence-INITIAL_FORMS": "0",
                "evidence-MIN_NUM_FORMS": "0",
                "evidence-MAX_NUM_FORMS": "1000",
            }
        )
    return {**form, **values}


def test_admin_edit_of_a_space_records_history_and_refreshes_tiles(
    client, personas, city, django_capture_on_commit_callbacks
):
    from renewal.models import AssignmentRun, ChangeAction, InventoryChange
    from tests.renewal.test_tiles import tile_url

    space = VacantSpaceFactory(municipality=city, address="옛 주소")
    tile = tile_url("spaces", space.location)
    etag = client.get(tile)["ETag"]
    editor = User.objects.get(username="city_editor")
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(
            f"{LIST}{space.pk}/change/",
            _change_form(space, address="새 주소"),
        )

    assert saved.status_code == 302, saved.content.decode()[:2000]
    space.refresh_from_db()
    assert space.address == "새 주소"
    change = InventoryChange.objects.get(object_id=space.pk)
    assert change.action == ChangeAction.UPDATE
    assert change.actor == editor
    assert change.changes == {"address": ["옛 주소", "새 주소"]}
    assert client.get(tile, HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert AssignmentRun.objects.filter(municipality=city).exists()


def test_admin_edit_with_a_point_outside_korea_is_refused_and_changes_nothing(
    client, personas, city, django_capture_on_commit_callbacks
):
    from renewal.models import InventoryChange

    space = VacantSpaceFactory(municipality=city, address="옛 주소")
    before = space.location.clone()
    client.force_login(User.objects.get(username="city_editor"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refused = client.post(
            f"{LIST}{space.pk}/change/",
            _change_form(
                space, address="도쿄", location="SRID=4326;POINT (139.69 35.69)"
            ),
        )

    assert refused.status_code == 200
    # The refusal names the coordinates given (in the page's language).
    assert "139.690000, 35.690000" in refused.content.decode()
    space.refresh_from_db()
    assert space.address == "옛 주소"
    assert space.location.equals_exact(before)
    assert not InventoryChange.objects.filter(object_id=space.pk).exists()
    assert callbacks == []


def test_admin_adds_a_space_through_the_services(
    client, personas, city, django_capture_on_commit_callbacks
):
    from renewal.models import ChangeAction, InventoryChange, VacantSpace

    client.force_login(User.objects.get(username="city_editor"))
    template = VacantSpaceFactory.build(municipality=city, address="새 빈집")
    form = _change_form(template, municipality=str(city.pk))

    with django_capture_on_commit_callbacks(execute=True):
        added = client.post(f"{LIST}add/", form)

    assert added.status_code == 302, added.content.decode()[:2000]
    space = VacantSpace.objects.get(address="새 빈집")
    change = InventoryChange.objects.get(object_id=space.pk)
    assert change.action == ChangeAction.CREATE
    assert change.changes["address"] == [None, "새 빈집"]


def test_other_inventory_is_read_only_in_admin(client, personas, city):
    from tests.factories import CommunityOrganizationFactory

    organization = CommunityOrganizationFactory(municipality=city, name="마을 조합")
    client.force_login(User.objects.get(username="city_editor"))
    url = f"/ko/admin/renewal/communityorganization/{organization.pk}/change/"

    page = client.get(url)
    saved = client.post(url, {"name": "바뀐 이름", "kind": "bid_body"})

    organization.refresh_from_db()
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()
    assert saved.status_code == 403
    assert organization.name == "마을 조합"


def test_admin_owner_edit_is_recorded_without_its_values(
    client, city, django_capture_on_commit_callbacks
):
    from renewal.models import InventoryChange

    space = VacantSpaceFactory(municipality=city, address="옛 주소")
    client.force_login(User.objects.create_superuser("admin", "a@example.org", "x"))

    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(
            f"{LIST}{space.pk}/change/",
            _change_form(space, owner={"name": "김영희", "contact": "", "note": ""}),
        )

    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert SpaceOwner.objects.get(space=space).name == "김영희"
    # Personal data: the history says the owner changed, never to what.
    assert InventoryChange.objects.get(object_id=space.pk).changes == {
        "owner": "changed"
    }


def test_claims_and_survey_rounds_show_read_only_to_their_city_staff(
    client, personas, city, other_city
):
    import datetime

    from renewal.models import OwnershipClaim
    from renewal.services.surveys import survey_round_create

    def claim(municipality, address):
        return OwnershipClaim.objects.create(
            claimant=personas["resident"],
            municipality=municipality,
            address=address,
            kind="house",
            evidence="on_site",
        )

    def survey_round(municipality, name):
        return survey_round_create(
            actor=None,
            municipality=municipality,
            data={
                "name": name,
                "grading_scheme": "national-2023",
                "starts_on": datetime.date(2026, 3, 1),
                "ends_on": datetime.date(2026, 5, 31),
            },
        )

    mine = claim(city, "우리 시 신청 주소")
    claim(other_city, "다른 시 신청 주소")
    my_round = survey_round(city, "우리 시 조사")
    survey_round(other_city, "다른 시 조사")
    client.force_login(User.objects.get(username="city_viewer"))

    claims = client.get("/ko/admin/renewal/ownershipclaim/").content.decode()
    rounds = client.get("/ko/admin/renewal/surveyround/").content.decode()
    claim_page = client.get(f"/ko/admin/renewal/ownershipclaim/{mine.pk}/change/")
    round_page = client.get(f"/ko/admin/renewal/surveyround/{my_round.pk}/change/")
    changed = client.post(
        f"/ko/admin/renewal/surveyround/{my_round.pk}/change/", {"name": "바뀜"}
    )

    assert "우리 시 신청 주소" in claims and "다른 시 신청 주소" not in claims
    assert "우리 시 조사" in rounds and "다른 시 조사" not in rounds
    assert claim_page.status_code == round_page.status_code == 200
    assert 'name="name"' not in round_page.content.decode()
    assert changed.status_code == 403
    my_round.refresh_from_db()
    assert my_round.name == "우리 시 조사"
    assert client.get("/ko/admin/renewal/ownershipclaim/").status_code == 200
    client.force_login(User.objects.get(username="resident"))
    assert client.get("/ko/admin/renewal/ownershipclaim/").status_code == 302
