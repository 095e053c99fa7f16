from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import Municipality
from core.errors import DomainError, require_perm
from renewal.models import CommunityOrganization
from renewal.services.history import apply_changes, record_created, record_updated
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
    "contact_email",
    "contact_phone",
    "contact_public",
]


@transaction.atomic
def community_organization_register(
    *, actor, municipality: Municipality, data: dict
) -> CommunityOrganization:
    """City editors register organisations of their city; a registration starts
    unverified unless the registering editor vouches for it."""
    require_perm(actor, "renewal.add_communityorganization", municipality)
    organization = CommunityOrganization.objects.create(
        municipality=municipality, **data
    )
    record_created(record=organization, actor=actor, fields=TRACKED_FIELDS)
    tiles_invalidate("organizations")
    return organization


@transaction.atomic
def community_organization_update(
    *, actor, organization: CommunityOrganization, data: dict
) -> CommunityOrganization:
    organization = CommunityOrganization.objects.select_for_update().get(
        pk=organization.pk
    )
    require_perm(actor, "renewal.change_communityorganization", organization)
    if "municipality" in data:
        raise DomainError(_("An organisation cannot move to another municipality."))
    # Organisation staff edit their own profile; only the city vouches for it.
    verifying = "verified" in data and data["verified"] != organization.verified
    if verifying:
        require_perm(
            actor,
            "renewal.verify_communityorganization",
            organization,
            message=_("Only the city's staff can verify an organisation."),
        )
    if "kind" in data and data["kind"] != organization.kind:
        require_perm(
            actor,
            "renewal.classify_communityorganization",
            organization,
            message=_("Only the city's staff can change an organisation's kind."),
        )
    changes = apply_changes(organization, data, TRACKED_FIELDS)
    if record_updated(record=organization, actor=actor, changes=changes):
        tiles_invalidate("organizations")
    return organization
