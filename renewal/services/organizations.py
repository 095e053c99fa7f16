from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import Municipality
from renewal.models import ChangeAction, CommunityOrganization
from renewal.services.errors import DomainError, NotPermitted
from renewal.services.history import apply_changes, inventory_change_record, snapshot
from renewal.services.tiles import tiles_invalidate

TRACKED_FIELDS = [
    "name",
    "kind",
    "location",
    "service_area",
    "capabilities",
    "description",
    "member_count",
    "verified",
    "website",
]


@transaction.atomic
def community_organization_register(
    *, actor, municipality: Municipality, data: dict
) -> CommunityOrganization:
    """City editors register organisations of their city; a registration starts
    unverified unless the registering editor vouches for it."""
    if not actor.has_perm("renewal.add_communityorganization", municipality):
        raise NotPermitted()
    organization = CommunityOrganization.objects.create(
        municipality=municipality, **data
    )
    inventory_change_record(
        record=organization,
        actor=actor,
        action=ChangeAction.CREATE,
        changes={
            k: [None, v] for k, v in snapshot(organization, TRACKED_FIELDS).items()
        },
    )
    tiles_invalidate("organizations")
    return organization


@transaction.atomic
def community_organization_update(
    *, actor, organization: CommunityOrganization, data: dict
) -> CommunityOrganization:
    organization = CommunityOrganization.objects.select_for_update().get(
        pk=organization.pk
    )
    if not actor.has_perm("renewal.change_communityorganization", organization):
        raise NotPermitted()
    if "municipality" in data:
        raise DomainError(_("An organisation cannot move to another municipality."))
    # Organisation staff edit their own profile; only the city vouches for it.
    verifying = "verified" in data and data["verified"] != organization.verified
    if verifying and not actor.has_perm(
        "renewal.verify_communityorganization", organization
    ):
        raise NotPermitted(_("Only the city's staff can verify an organisation."))
    changes = apply_changes(organization, data, TRACKED_FIELDS)
    if changes:
        inventory_change_record(
            record=organization,
            actor=actor,
            action=ChangeAction.UPDATE,
            changes=changes,
        )
    tiles_invalidate("organizations")
    return organization
