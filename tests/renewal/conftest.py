"""Personas for the permission matrix: each a user with one kind of right."""

import pytest

from renewal.models import CityRole
from renewal.services.roles import city_role_grant, organization_role_grant
from tests.factories import (
    CommunityOrganizationFactory,
    MunicipalityFactory,
    UserFactory,
)


@pytest.fixture
def city(db):
    return MunicipalityFactory(name_en="Home city")


@pytest.fixture
def other_city(db):
    return MunicipalityFactory(name_en="Other city")


@pytest.fixture
def organization(city):
    return CommunityOrganizationFactory(municipality=city)


@pytest.fixture
def personas(city, other_city, organization):
    from django.contrib.auth.models import AnonymousUser

    city_editor = UserFactory(username="city_editor")
    city_role_grant(user=city_editor, municipality=city, role=CityRole.EDITOR)
    city_viewer = UserFactory(username="city_viewer")
    city_role_grant(user=city_viewer, municipality=city, role=CityRole.VIEWER)
    other_city_editor = UserFactory(username="other_city_editor")
    city_role_grant(
        user=other_city_editor, municipality=other_city, role=CityRole.EDITOR
    )
    org_member = UserFactory(username="org_member")
    organization_role_grant(user=org_member, organization=organization)
    return {
        "anonymous": AnonymousUser(),
        "resident": UserFactory(username="resident"),
        "org_member": org_member,
        "city_viewer": city_viewer,
        "city_editor": city_editor,
        "other_city_editor": other_city_editor,
    }
