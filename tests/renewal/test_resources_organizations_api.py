import pytest

from renewal.models import CommunityOrganization, InventoryChange, NeighborhoodResource
from tests.factories import VacantSpaceFactory
from tests.helpers import api_client


def _feature(city, **properties):
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [city.location.x, city.location.y],
        },
        "properties": {"municipality": city.code, **properties},
    }


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("resident", 403),
        ("org_member", 403),
        ("city_viewer", 403),
        ("other_city_editor", 403),
        ("city_editor", 201),
    ],
)
def test_only_city_editors_add_resources(personas, city, persona, expected):
    response = api_client(personas[persona]).post(
        "/api/v1/resources/",
        _feature(city, category="market", name="중앙시장"),
        format="json",
    )

    assert response.status_code == expected, response.content
    assert NeighborhoodResource.objects.exists() is (expected == 201)


def test_resources_are_public_geojson_filtered_by_city_and_category(personas, city):
    api_client(personas["city_editor"]).post(
        "/api/v1/resources/",
        _feature(city, category="heritage", name="옛 역사"),
        format="json",
    )

    body = (
        api_client()
        .get("/api/v1/resources/", {"city": city.code, "category": "heritage"})
        .json()
    )
    empty = api_client().get("/api/v1/resources/", {"category": "park"}).json()

    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in body["features"]] == ["옛 역사"]
    assert empty["count"] == 0


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("resident", 403),
        ("city_viewer", 403),
        ("other_city_editor", 403),
        ("org_member", 200),
        ("city_editor", 200),
    ],
)
def test_organisation_profile_edited_by_its_staff_or_city_editors(
    personas, organization, persona, expected
):
    response = api_client(personas[persona]).patch(
        f"/api/v1/organizations/{organization.pk}/",
        {"properties": {"description": "주말 집수리 봉사"}},
        format="json",
    )

    organization.refresh_from_db()
    assert response.status_code == expected, response.content
    assert (organization.description == "주말 집수리 봉사") is (expected == 200)


def test_organisation_staff_cannot_verify_their_own_organisation(
    personas, organization
):
    response = api_client(personas["org_member"]).patch(
        f"/api/v1/organizations/{organization.pk}/",
        {"properties": {"verified": True}},
        format="json",
    )

    organization.refresh_from_db()
    assert response.status_code == 403
    assert organization.verified is False


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("resident", 403),
        ("city_viewer", 403),
        ("other_city_editor", 403),
        ("org_member", 403),
        ("city_editor", 200),
    ],
)
def test_only_the_city_changes_an_organisations_kind(
    personas, organization, persona, expected
):
    # A BID management body runs a district's ballots and levy: staff who could name
    # their own organisation one would run them without the city.
    response = api_client(personas[persona]).patch(
        f"/api/v1/organizations/{organization.pk}/",
        {"properties": {"kind": "bid_body"}},
        format="json",
    )

    organization.refresh_from_db()
    assert response.status_code == expected, response.content
    assert (organization.kind == "bid_body") is (expected == 200)


def test_organisation_staff_may_resend_their_unchanged_kind(personas, organization):
    response = api_client(personas["org_member"]).patch(
        f"/api/v1/organizations/{organization.pk}/",
        {"properties": {"kind": organization.kind, "description": "새 소개"}},
        format="json",
    )

    assert response.status_code == 200, response.content


def test_city_editor_verifies_and_the_change_is_recorded(personas, organization):
    api_client(personas["city_editor"]).patch(
        f"/api/v1/organizations/{organization.pk}/",
        {"properties": {"verified": True}},
        format="json",
    )

    organization.refresh_from_db()
    assert organization.verified is True
    assert InventoryChange.objects.get(object_id=organization.pk).changes == {
        "verified": [False, True]
    }


def test_organisations_filter_by_capability(personas, city, organization):
    CommunityOrganization.objects.filter(pk=organization.pk).update(
        capabilities=["housing_repair", "care"]
    )

    found = api_client().get("/api/v1/organizations/", {"capability": "care"}).json()
    none = api_client().get("/api/v1/organizations/", {"capability": "tourism"}).json()

    assert [f["id"] for f in found["features"]] == [organization.pk]
    assert none["count"] == 0


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 403),
        ("resident", 403),
        ("other_city_editor", 403),
        ("city_viewer", 200),
        ("city_editor", 200),
    ],
)
def test_space_history_for_staff_of_its_city(personas, city, persona, expected):
    space = VacantSpaceFactory(municipality=city)
    api_client(personas["city_editor"]).post(
        f"/api/v1/spaces/{space.pk}/transitions/",
        {"to": "surveyed", "reason": "현장 확인"},
        format="json",
    )

    response = api_client(personas[persona]).get(f"/api/v1/spaces/{space.pk}/history/")

    assert response.status_code == expected
    if expected == 200:
        [change] = response.json()
        assert change["action"] == "status"
        assert change["actor"] == "city_editor"
        assert change["reason"] == "현장 확인"
        assert change["changes"] == {"status": ["reported", "surveyed"]}
