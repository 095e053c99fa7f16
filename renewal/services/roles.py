from django.db import transaction

from cities.models import Municipality
from renewal.models import (
    CityMembership,
    CityRole,
    CommunityOrganization,
    OrganizationMembership,
)


@transaction.atomic
def city_role_grant(
    *, user, municipality: Municipality, role: CityRole
) -> CityMembership:
    """Make user a staff member of municipality (idempotent; changes an existing role).

    City staff work in the admin back office, so they become `is_staff`; what they may
    see and change there is still decided by renewal/rules.py.
    """
    membership, _created = CityMembership.objects.update_or_create(
        user=user, municipality=municipality, defaults={"role": role}
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


@transaction.atomic
def organization_role_grant(
    *, user, organization: CommunityOrganization
) -> OrganizationMembership:
    membership, _created = OrganizationMembership.objects.get_or_create(
        user=user, organization=organization
    )
    return membership
