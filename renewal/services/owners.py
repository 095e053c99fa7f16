"""Owners: claiming a space, the city's verification, what a verified owner sets,
and the contact an owner consented to share with the parties of an offered match.

Check, then do, as everywhere: each service asks the rules (renewal/rules.py) and
writes through the do-functions of the spaces (`vacant_space_create`,
`vacant_space_change`), so the history names who changed what. The verified owner
of a space is SpaceOwner.user, written here only.
"""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cities.models import Municipality
from core.errors import DomainError, NotPermitted, check_transition, require_perm
from renewal.models import (
    CLAIM_TRANSITIONS,
    Availability,
    ClaimEvidence,
    ClaimStatus,
    ContactDisclosure,
    Match,
    MatchStatus,
    OwnershipClaim,
    PhotoSource,
    SpaceKind,
    SpaceOwner,
    SpacePhoto,
    VacantSpace,
)
from renewal.models.owners import (
    CLAIM_BUILDING_FIELDS,
    CLAIM_DOCUMENT_MAX_BYTES,
    CLAIM_DOCUMENT_TYPES,
)
from renewal.models.spaces import (
    SPACE_OWNER_CONSENT_FIELDS,
    SPACE_OWNER_EDITABLE_FIELDS,
)
from renewal.rules import space_owner_of
from renewal.services.history import record_updated
from renewal.services.matching.matches import match_status_set
from renewal.services.notifications import enqueue_claim_notifications
from renewal.services.photos import space_photo_create
from renewal.services.spaces import (
    vacant_space_change,
    vacant_space_check,
    vacant_space_create,
)

# A phone number as people write it in Korea (010-1234-5678, 02 123 4567,
# +82 10 …), or an e-mail address: what the owner shares must be reachable.
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_REASON = 2000


def claim_document_type(upload) -> str:
    """The content type of an evidence file, read from its first bytes; refuses a
    file too large or of another type."""
    if upload is None:
        raise DomainError(
            _("Attach the document that shows you own the building."),
            fields={"document": [_("Required for evidence by document.")]},
        )
    if upload.size > CLAIM_DOCUMENT_MAX_BYTES:
        raise DomainError(
            _("The document is larger than %(mb)d MB.")
            % {"mb": CLAIM_DOCUMENT_MAX_BYTES // (1024 * 1024)},
            fields={"document": [_("Too large.")]},
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, magic in CLAIM_DOCUMENT_TYPES.items():
        if head.startswith(magic):
            return content_type
    raise DomainError(
        _("The document must be a PDF, JPEG or PNG file."),
        fields={"document": [_("Not a PDF, JPEG or PNG file.")]},
    )


def _building_data(municipality: Municipality, building: dict | None) -> dict:
    """The proposed new building, checked as the space it would become (inside
    Korea and inside the city's boundary)."""
    building = building or {}
    data = {name: building.get(name) for name in CLAIM_BUILDING_FIELDS}
    data["address"] = (data["address"] or "").strip()
    if not data["address"]:
        raise DomainError(
            _("Give the building's address."), fields={"address": [_("Required.")]}
        )
    if data["kind"] not in SpaceKind.values:
        raise DomainError(
            _("Choose what kind of building it is."),
            fields={"kind": [_("Required.")]},
        )
    location = building.get("location")
    vacant_space_check(
        VacantSpace(
            municipality=municipality,
            kind=data["kind"],
            location=location,
            floor_area_m2=data["floor_area_m2"],
        )
    )
    data["location"] = location
    return data


@transaction.atomic
def ownership_claim_submit(
    *,
    actor,
    municipality: Municipality,
    evidence: str,
    space: VacantSpace | None = None,
    building: dict | None = None,
    document=None,
    note: str = "",
) -> OwnershipClaim:
    """Claim a space of the inventory, or (space=None) a building not in it yet,
    with the evidence the city is to check."""
    if not actor.is_authenticated:
        raise NotPermitted(_("Sign in to claim a space."))
    claim = OwnershipClaim(
        claimant=actor, municipality=municipality, note=(note or "").strip()[:2000]
    )
    if space is not None:
        # Locked: a claim racing the verification of another sees its outcome.
        space = (
            VacantSpace.objects.select_for_update(of=("self",))
            .select_related("owner")
            .get(pk=space.pk)
        )
        if space.municipality_id != municipality.pk:
            raise DomainError(_("This space belongs to another city."))
        owner = space_owner_of(space)
        if owner is not None and owner.user_id is not None:
            raise DomainError(
                _("This space already has a verified owner."),
                fields={"space": [_("Already owned.")]},
            )
        if OwnershipClaim.objects.filter(
            claimant=actor, space=space, status=ClaimStatus.PENDING
        ).exists():
            raise DomainError(
                _("You have already claimed this space; the city is checking it."),
                fields={"space": [_("Claim pending.")]},
            )
        require_perm(actor, "renewal.claim_space", space)
        claim.space = space
    else:
        require_perm(actor, "renewal.claim_space", municipality)
        for name, value in _building_data(municipality, building).items():
            setattr(claim, name, value)
    if evidence not in ClaimEvidence.values:
        raise DomainError(
            _("Choose how the city can check that you own it."),
            fields={"evidence": [_("Choose a document or an on-site check.")]},
        )
    claim.evidence = evidence
    if evidence == ClaimEvidence.DOCUMENT:
        claim.document_type = claim_document_type(document)
        claim.document = document
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        # Two submissions of the same form racing: the first one stands.
        raise DomainError(
            _("You have already claimed this space; the city is checking it.")
        ) from None
    enqueue_claim_notifications(claim.pk)
    return claim


def _lock_claim(claim: OwnershipClaim) -> OwnershipClaim:
    return (
        OwnershipClaim.objects.select_for_update(of=("self",))
        .select_related("municipality")
        .get(pk=claim.pk)
    )


def _check_claim_transition(claim: OwnershipClaim, to: str) -> None:
    check_transition(
        CLAIM_TRANSITIONS,
        ClaimStatus,
        claim.status,
        to,
        _("A claim that is “%(current)s” cannot become “%(target)s”."),
    )


def _make_owner(*, actor, claim: OwnershipClaim, space: VacantSpace) -> None:
    owner = space_owner_of(space) or SpaceOwner(space=space)
    if owner.user_id is not None and owner.user_id != claim.claimant_id:
        raise DomainError(_("This space already has a verified owner."))
    owner.user_id = claim.claimant_id
    owner.verified_at = timezone.now()
    owner.save()
    # Who owns it is personal data: the history says only that it changed.
    record_updated(record=space, actor=actor, changes={"owner": "changed"})


@transaction.atomic
def ownership_claim_decide(
    *, actor, claim: OwnershipClaim, verify: bool, reason: str = ""
) -> OwnershipClaim:
    """Verify or reject a pending claim. A rejection says why, and so does a
    verification by an on-site check (what was seen is all the evidence kept).
    Verifying a claim for a new building creates its space, the decider as its
    author. Other pending claims of the space are rejected with it."""
    claim = _lock_claim(claim)
    require_perm(actor, "renewal.verify_ownershipclaim", claim)
    to = ClaimStatus.VERIFIED if verify else ClaimStatus.REJECTED
    _check_claim_transition(claim, to)
    reason = (reason or "").strip()[:MAX_REASON]
    if not reason and (not verify or claim.evidence == ClaimEvidence.ON_SITE):
        raise DomainError(
            _("Say why you reject the claim.")
            if not verify
            else _("Note what the on-site check found."),
            fields={"reason": [_("Required.")]},
        )
    if verify:
        if claim.space_id is None:
            space = vacant_space_create(
                actor=actor,
                municipality=claim.municipality,
                data={
                    "kind": claim.kind,
                    "address": claim.address,
                    "location": claim.location,
                    "floor_area_m2": claim.floor_area_m2,
                    "source": _("Registered by its owner"),
                },
            )
            claim.space = space
        else:
            space = (
                VacantSpace.objects.select_for_update(of=("self",))
                .select_related("owner")
                .get(pk=claim.space_id)
            )
        _make_owner(actor=actor, claim=claim, space=space)
    claim.status = to
    claim.reason = reason
    # The demo loader decides as nobody (it is not a person).
    claim.decided_by = actor if actor.is_authenticated else None
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "reason", "decided_by", "decided_at", "space"])
    enqueue_claim_notifications(claim.pk)
    if verify:
        for other in OwnershipClaim.objects.filter(
            space=claim.space, status=ClaimStatus.PENDING
        ).exclude(pk=claim.pk):
            # No reason typed: the notification and the claimant's page say,
            # in the reader's language, that another claim was verified.
            other.status = ClaimStatus.REJECTED
            other.reason = ""
            other.decided_by = claim.decided_by
            other.decided_at = claim.decided_at
            other.save(update_fields=["status", "reason", "decided_by", "decided_at"])
            enqueue_claim_notifications(other.pk)
    return claim


@transaction.atomic
def ownership_claim_withdraw(*, actor, claim: OwnershipClaim) -> OwnershipClaim:
    claim = _lock_claim(claim)
    _check_claim_transition(claim, ClaimStatus.WITHDRAWN)
    require_perm(actor, "renewal.withdraw_ownershipclaim", claim)
    claim.status = ClaimStatus.WITHDRAWN
    claim.save(update_fields=["status"])
    return claim


def _owner_values(data: dict) -> tuple[dict, dict]:
    """Split and check what the owner sends: the space's fields and the consent."""
    allowed = {*SPACE_OWNER_EDITABLE_FIELDS, *SPACE_OWNER_CONSENT_FIELDS}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DomainError(
            _("An owner cannot change: %(fields)s.") % {"fields": ", ".join(unknown)},
            fields={name: [_("Not an owner's field.")] for name in unknown},
        )
    space_data = {n: data[n] for n in SPACE_OWNER_EDITABLE_FIELDS if n in data}
    consent = {n: data[n] for n in SPACE_OWNER_CONSENT_FIELDS if n in data}
    if "availability" in space_data and (
        space_data["availability"] not in Availability.values
    ):
        raise DomainError(
            _("Choose how the space is offered."),
            fields={"availability": [_("Unknown choice.")]},
        )
    for name in ("asking_rent_krw", "asking_price_krw"):
        value = space_data.get(name)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise DomainError(
                _("Amounts are whole won, zero or more."),
                fields={name: [_("A whole number of won.")]},
            )
    if "contact_channel" in consent:
        channel = (consent["contact_channel"] or "").strip()
        if channel and not (PHONE.match(channel) or EMAIL.match(channel)):
            raise DomainError(
                _("Give a phone number or an e-mail address to share."),
                fields={"contact_channel": [_("A phone number or e-mail address.")]},
            )
        consent["contact_channel"] = channel
    return space_data, consent


@transaction.atomic
def owner_space_update(*, actor, space: VacantSpace, data: dict) -> VacantSpace:
    """What a verified owner sets: availability, rent or price, and the consent to
    share a contact. Free or meanwhile use asks nothing: its rent and price are
    cleared. Recorded in the space's history with the owner as actor; the contact
    only as "changed"."""
    space = (
        VacantSpace.objects.select_for_update(of=("self",))
        .select_related("owner")
        .get(pk=space.pk)
    )
    require_perm(actor, "renewal.change_space_as_owner", space)
    space_data, consent = _owner_values(data)
    availability = space_data.get("availability", space.availability)
    if availability == Availability.FREE_USE:
        space_data["asking_rent_krw"] = None
        space_data["asking_price_krw"] = None
    owner = space.owner
    channel = consent.get("contact_channel", owner.contact_channel)
    if consent.get("contact_consent", owner.contact_consent) and not channel:
        raise DomainError(
            _("Give the contact you agree to share."),
            fields={"contact_channel": [_("Required to share a contact.")]},
        )
    vacant_space_change(
        actor=actor, space=space, data=space_data, owner=consent or None
    )
    return space


def owner_space_photo_add(
    *, actor, space: VacantSpace, upload, caption: str = "", publish: bool = True
) -> SpacePhoto:
    """A photo of the space by its verified owner, shown in the listing once the
    worker has made its stripped copy (publish=False keeps it for the city)."""
    require_perm(actor, "renewal.change_space_as_owner", space)
    return space_photo_create(
        actor=actor,
        space=space,
        upload=upload,
        source=PhotoSource.OWNER,
        publish=publish,
        caption=caption,
    )


def owner_contact_for(*, user, match: Match) -> str | None:
    """The contact the space's owner consented to share, for a party of the match
    once the city has offered it; None otherwise. Each party's first sight of it is
    recorded (ContactDisclosure), once."""
    if not user.has_perm("renewal.view_owner_contact", match):
        return None
    channel = match.space.owner.contact_channel
    ContactDisclosure.objects.get_or_create(
        match=match,
        recipient=user,
        channel=channel,
        defaults={"space_id": match.space_id},
    )
    return channel


@transaction.atomic
def owner_match_decline(*, actor, match: Match, reason: str) -> Match:
    """The space's owner turns down an offer of their space, saying why."""
    reason = (reason or "").strip()[:MAX_REASON]
    match = (
        Match.objects.select_for_update(of=("self",))
        .select_related("project", "space__owner")
        .get(pk=match.pk)
    )
    if not reason:
        raise DomainError(
            _("Say why you decline, for the project and the city."),
            fields={"reason": [_("Required.")]},
        )
    require_perm(actor, "renewal.decline_match", match)
    match.decline_reason = reason
    match.save(update_fields=["decline_reason"])
    return match_status_set(match=match, to=MatchStatus.DECLINED, actor=actor)
