"""Owners of vacant spaces: the claim that a user owns a space (or a building not
yet in the inventory), verified by the city's staff, and the record of each time an
owner's contact was shown to a party of a match.

Who the verified owner of a space is lives in one place: SpaceOwner.user
(renewal/models/spaces.py), written only by ownership_claim_decide.
"""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.core.files.storage import Storage
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.storage import StorageAlias
from renewal.models.spaces import SpaceKind

_claim_document_storage = StorageAlias("documents")


def claim_document_storage() -> Storage:
    return _claim_document_storage


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the city")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ClaimEvidence(models.TextChoices):
    DOCUMENT = "document", _("A document (registry extract, tax notice)")
    ON_SITE = "on_site", _("An on-site check by the city")


# The claim lifecycle: every caller asks this table.
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimStatus.PENDING: frozenset(
        {ClaimStatus.VERIFIED, ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN}
    ),
    ClaimStatus.VERIFIED: frozenset(),
    ClaimStatus.REJECTED: frozenset(),
    ClaimStatus.WITHDRAWN: frozenset(),
}
# The files accepted as evidence, by the first bytes each must start with (the
# name and the browser's declared type prove nothing).
CLAIM_DOCUMENT_TYPES = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
CLAIM_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
# A new building proposed by its owner: the fields of a space the claim carries
# until the city verifies it and creates the space from them.
CLAIM_BUILDING_FIELDS = ("address", "kind", "floor_area_m2")


def claim_document_path(claim, filename: str) -> str:
    """A name that says nothing: the uploaded file's own name may carry the owner's
    name or address. Kept under MEDIA_ROOT, which no route serves."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"ownership-claims/{uuid.uuid4().hex}.{extension[:5]}"


class OwnershipClaim(models.Model):
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ownership_claims",
    )
    municipality = models.ForeignKey(
        "cities.Municipality",
        on_delete=models.CASCADE,
        related_name="ownership_claims",
    )
    # Null while the claim is for a building not yet in the inventory; set to the
    # space created when the city verifies it.
    space = models.ForeignKey(
        "renewal.VacantSpace",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ownership_claims",
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=SpaceKind.choices, blank=True
    )
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    floor_area_m2 = models.DecimalField(
        _("floor area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    evidence = models.CharField(
        _("evidence"), max_length=10, choices=ClaimEvidence.choices
    )
    # Private (registry extracts and tax notices carry personal data): kept outside
    # MEDIA_ROOT, with no URL; only the claim's page hands it out.
    document = models.FileField(
        _("document"),
        upload_to=claim_document_path,
        blank=True,
        storage=claim_document_storage,
    )
    document_type = models.CharField(max_length=40, blank=True)
    note = models.TextField(_("note to the city"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ClaimStatus.choices,
        default=ClaimStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    class Meta:
        verbose_name = _("ownership claim")
        verbose_name_plural = _("ownership claims")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["municipality", "status"])]
        constraints = [
            # A double click submits one claim.
            models.UniqueConstraint(
                fields=["claimant", "space"],
                condition=Q(status="pending"),
                name="one_pending_claim_per_user_and_space",
            ),
            models.CheckConstraint(
                condition=~Q(evidence="document") | ~Q(document=""),
                name="claim_document_evidence_has_a_file",
            ),
        ]

    def __str__(self) -> str:
        return f"claim #{self.pk} by {self.claimant_id} ({self.status})"

    @property
    def is_new_building(self) -> bool:
        return self.space_id is None


class ContactDisclosure(models.Model):
    """The record that a party of a match saw the owner's consented contact."""

    space = models.ForeignKey(
        "renewal.VacantSpace", on_delete=models.CASCADE, related_name="disclosures"
    )
    match = models.ForeignKey(
        "renewal.Match", on_delete=models.CASCADE, related_name="disclosures"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("contact shown"), max_length=120)
    at = models.DateTimeField(_("shown"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact disclosure")
        verbose_name_plural = _("contact disclosures")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["match", "recipient", "channel"],
                name="contact_disclosed_once_per_party",
            )
        ]

    def __str__(self) -> str:
        return f"contact of space {self.space_id} to {self.recipient_id}"
