"""Reads of the owner portal and the public listing (빈집은행).

The listing names no owner: it reads LISTING_FIELDS of the space and the city's
names, never SpaceOwner, the claims or the users.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from cities.models import Municipality, SubMunicipality
from renewal.models import ClaimStatus, Match, OwnershipClaim, VacantSpace
from renewal.models.matching import HOLDING_STATUSES
from renewal.models.spaces import (
    LISTING_FIELDS,
    OFFERED_AVAILABILITIES,
    UNLISTED_SPACE_STATUSES,
    Ownership,
)
from renewal.selectors.photos import public_space_photos


@dataclass(frozen=True)
class ListingFilters:
    city: str = ""
    area: str = ""  # a 읍면동's SGIS code
    kind: str = ""
    availability: str = ""
    min_area: Decimal | None = None
    max_area: Decimal | None = None
    max_rent: int | None = None
    max_price: int | None = None


def listed_spaces() -> QuerySet[VacantSpace]:
    """Spaces their owners offer, not taken, retired or promised to a project.

    The offer is the owner's: a verified owner's, or the city's own for publicly
    owned buildings. An availability a survey recorded for a privately owned
    building the owner never confirmed stays out of the bank."""
    return VacantSpace.objects.filter(
        Q(owner__user__isnull=False) | Q(ownership=Ownership.PUBLIC),
        availability__in=OFFERED_AVAILABILITIES,
    ).exclude(
        Q(status__in=UNLISTED_SPACE_STATUSES)
        | Q(
            Exists(
                Match.objects.filter(
                    space_id=OuterRef("pk"), status__in=HOLDING_STATUSES
                )
            )
        )
    )


def listing_search(filters: ListingFilters) -> QuerySet:
    """The listing as rows of plain values (one query per page), newest first."""
    spaces = listed_spaces()
    if filters.city:
        spaces = spaces.filter(municipality__code=filters.city)
    if filters.area:
        spaces = spaces.filter(
            Exists(
                SubMunicipality.objects.filter(
                    sgis_code=filters.area, boundary__intersects=OuterRef("location")
                )
            )
        )
    if filters.kind:
        spaces = spaces.filter(kind=filters.kind)
    if filters.availability:
        spaces = spaces.filter(availability=filters.availability)
    if filters.min_area is not None:
        spaces = spaces.filter(floor_area_m2__gte=filters.min_area)
    if filters.max_area is not None:
        spaces = spaces.filter(floor_area_m2__lte=filters.max_area)
    # Free use asks no rent and no price: it passes every ceiling.
    if filters.max_rent is not None:
        spaces = spaces.filter(
            Q(availability="free_use") | Q(asking_rent_krw__lte=filters.max_rent)
        )
    if filters.max_price is not None:
        spaces = spaces.filter(
            Q(availability="free_use") | Q(asking_price_krw__lte=filters.max_price)
        )
    return (
        spaces.annotate(
            city_code=F("municipality__code"),
            city_ko=F("municipality__name_ko"),
            city_en=F("municipality__name_en"),
        )
        .order_by("-updated_at", "-id")
        .values("id", *LISTING_FIELDS, "location", "city_code", "city_ko", "city_en")
    )


def listing_photos(space_ids) -> dict[int, list[dict]]:
    """Space id → its published photos (thumbnail address and text), one query for
    a page of the listing."""
    photos: dict[int, list[dict]] = {}
    for photo in public_space_photos(space_ids).only("id", "space_id", "caption"):
        photos.setdefault(photo.space_id, []).append(
            {
                "url": reverse("space-photo-file", args=[photo.pk, "thumbnail"]),
                "alt": photo.caption or _("Photo of the space"),
            }
        )
    return photos


def listed_space(pk: int) -> VacantSpace | None:
    return listed_spaces().select_related("municipality").filter(pk=pk).first()


def listing_cities() -> QuerySet[Municipality]:
    """Cities with at least one listed space, for the listing's city filter."""
    return Municipality.objects.filter(
        Exists(listed_spaces().filter(municipality_id=OuterRef("pk")))
    ).order_by("name_ko")


def claimable_spaces(*, municipality, query: str, limit: int) -> list[VacantSpace]:
    """Spaces of the city whose address holds `query` (two characters at least)
    and that have no verified owner yet: the ones a claim can be made for."""
    query = " ".join(query.split())
    if len(query) < 2:
        return []
    return list(
        VacantSpace.objects.filter(municipality=municipality, address__icontains=query)
        .exclude(owner__user__isnull=False)
        .only("id", "kind", "address")
        .order_by("address", "id")[:limit]
    )


def owned_spaces(*, user) -> QuerySet[VacantSpace]:
    """The spaces whose ownership the city verified for the user."""
    return (
        VacantSpace.objects.filter(owner__user=user)
        .select_related("owner", "municipality")
        .order_by("id")
    )


def claims_of(*, user) -> QuerySet[OwnershipClaim]:
    return (
        OwnershipClaim.objects.filter(claimant=user)
        .select_related("space", "municipality")
        .order_by("-created_at", "-id")
    )


def pending_claims(*, municipality: Municipality) -> QuerySet[OwnershipClaim]:
    return (
        OwnershipClaim.objects.filter(
            municipality=municipality, status=ClaimStatus.PENDING
        )
        .select_related("space", "claimant")
        .order_by("created_at", "id")
    )


def pending_claim_count(*, municipality_ids) -> int:
    return OwnershipClaim.objects.filter(
        municipality_id__in=list(municipality_ids), status=ClaimStatus.PENDING
    ).count()


def owner_matches(*, user) -> QuerySet[Match]:
    """Matches on the user's spaces that the city has offered (or later)."""
    return (
        Match.objects.filter(space__owner__user=user)
        .exclude(status="suggested")
        .select_related("project", "space")
        .order_by("-updated_at", "-id")
    )
