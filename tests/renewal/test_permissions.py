"""The permission matrix: every persona × every permission × home/other city."""

import pytest

from tests.factories import CommunityOrganizationFactory, VacantSpaceFactory

PERSONAS = [
    "anonymous",
    "resident",
    "org_member",
    "city_viewer",
    "city_editor",
    "other_city_editor",
]

# permission → the personas allowed on a record of the home city. On a record of the
# other city only other_city_editor (and, for viewing, nobody else) is allowed.
SPACE_MATRIX = {
    "renewal.add_vacantspace": {"city_editor"},
    "renewal.change_vacantspace": {"city_editor"},
    "renewal.transition_vacantspace": {"city_editor"},
    "renewal.view_vacantspace": {"city_editor", "city_viewer"},
    "renewal.view_space_personal_data": {"city_editor", "city_viewer"},
    "renewal.view_inventory_history": {"city_editor", "city_viewer"},
    "renewal.add_neighborhoodresource": {"city_editor"},
    "renewal.change_neighborhoodresource": {"city_editor"},
}
ORGANIZATION_MATRIX = {
    "renewal.change_communityorganization": {"city_editor", "org_member"},
    "renewal.view_communityorganization": {"city_editor", "city_viewer", "org_member"},
    "renewal.verify_communityorganization": {"city_editor"},
}


def _target(permission, city):
    """`add` permissions are asked of the municipality, the rest of a record."""
    if permission.startswith("renewal.add_"):
        return city
    return VacantSpaceFactory(municipality=city)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("permission", sorted(SPACE_MATRIX))
def test_city_scoped_permissions_in_the_home_city(personas, city, persona, permission):
    allowed = persona in SPACE_MATRIX[permission]

    assert personas[persona].has_perm(permission, _target(permission, city)) is allowed


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("permission", sorted(SPACE_MATRIX))
def test_city_scoped_permissions_in_the_other_city(
    personas, other_city, persona, permission
):
    other_editor_may = "city_editor" in SPACE_MATRIX[permission]
    allowed = persona == "other_city_editor" and other_editor_may

    assert (
        personas[persona].has_perm(permission, _target(permission, other_city))
        is allowed
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("permission", sorted(ORGANIZATION_MATRIX))
def test_organization_permissions_on_own_organization(
    personas, organization, persona, permission
):
    allowed = persona in ORGANIZATION_MATRIX[permission]

    assert personas[persona].has_perm(permission, organization) is allowed


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("permission", sorted(ORGANIZATION_MATRIX))
def test_organization_permissions_on_another_organization_of_the_other_city(
    personas, other_city, persona, permission
):
    stranger = CommunityOrganizationFactory(municipality=other_city)
    allowed = (
        persona == "other_city_editor"
        and "city_editor" in ORGANIZATION_MATRIX[permission]
    )

    assert personas[persona].has_perm(permission, stranger) is allowed
