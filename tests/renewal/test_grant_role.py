import pytest
from django.core.management import CommandError, call_command

from renewal.models import CityMembership, OrganizationMembership
from tests.factories import UserFactory


def test_grant_role_makes_a_city_editor(city):
    user = UserFactory(username="staff1")

    call_command("grant_role", "staff1", "--city", city.code, "--role", "editor")

    user.refresh_from_db()
    assert CityMembership.objects.get(user=user).role == "editor"
    assert user.is_staff
    assert user.has_perm("renewal.add_vacantspace", city)


def test_granting_again_changes_the_role_without_duplicating(city):
    UserFactory(username="staff1")
    call_command("grant_role", "staff1", "--city", city.code, "--role", "editor")

    call_command("grant_role", "staff1", "--city", city.code, "--role", "viewer")

    assert list(CityMembership.objects.values_list("role", flat=True)) == ["viewer"]


def test_grant_role_for_organisation_staff(organization):
    UserFactory(username="ngo1")

    call_command("grant_role", "ngo1", "--organization", str(organization.pk))

    assert OrganizationMembership.objects.filter(organization=organization).count() == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody", "--city", "51110", "--role", "editor"], "No user"),
        (["staff1", "--city", "00000", "--role", "editor"], "No municipality"),
        (["staff1", "--city", "CITY"], "needs --role"),
        (["staff1", "--organization", "999999"], "No organisation"),
    ],
)
def test_grant_role_refuses_bad_input_and_grants_nothing(city, arguments, message):
    UserFactory(username="staff1")
    arguments = [city.code if a == "CITY" else a for a in arguments]

    with pytest.raises(CommandError, match=message):
        call_command("grant_role", *arguments)

    assert not CityMembership.objects.exists()
