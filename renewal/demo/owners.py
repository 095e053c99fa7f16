"""An illustrative owner with three listed spaces of the demo city (Gyeongju),
written through the owner portal's services: a claim each, verified by the city,
then offered by the owner, one of them with consent to share a contact."""

from django.contrib.auth import get_user_model
from django.db import transaction

from cities.models import Municipality
from renewal.demo.bids import CITY_CODE, _DemoLoader
from renewal.models import SpaceOwner, SpaceStatus, VacantSpace
from renewal.services.owners import (
    owner_space_update,
    ownership_claim_decide,
    ownership_claim_submit,
)

USERNAME = "demo_owner"
# Illustrative offers, in the order of the spaces chosen.
OFFERS = (
    {
        "availability": "free_use",
        "contact_channel": "054-000-0000",
        "contact_consent": True,
    },
    {"availability": "lease", "asking_rent_krw": 300_000},
    {"availability": "sale", "asking_price_krw": 150_000_000},
)


@transaction.atomic
def demo_owners_load() -> int:
    """Create the demo owner and their listed spaces; how many spaces were listed
    (0 when they exist already or the demo city has no spaces)."""
    city = Municipality.objects.filter(code=CITY_CODE).first()
    if city is None:
        return 0
    owner, _created = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"email": "demo-owner@example.kr"}
    )
    if _created:
        owner.set_unusable_password()
        owner.save(update_fields=["password"])
    if SpaceOwner.objects.filter(user=owner).exists():
        return 0
    spaces = list(
        VacantSpace.objects.filter(
            municipality=city,
            external_id__startswith="demo-",
            status__in=[SpaceStatus.SURVEYED, SpaceStatus.AVAILABLE],
            owner__isnull=True,
        ).order_by("external_id")[: len(OFFERS)]
    )
    city_loader = _DemoLoader()
    for space, offer in zip(spaces, OFFERS, strict=False):
        claim = ownership_claim_submit(
            actor=owner, municipality=city, space=space, evidence="on_site"
        )
        ownership_claim_decide(
            actor=city_loader,
            claim=claim,
            verify=True,
            reason="Illustrative on-site check (demo).",
        )
        owner_space_update(actor=owner, space=space, data=offer)
    return len(spaces)
