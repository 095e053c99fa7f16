"""The owner portal: claims and their verification, what a verified owner sets, the
contact an owner consents to share, and the public listing (빈집은행)."""

from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from core.errors import DomainError, IllegalTransition, NotPermitted
from renewal.models import (
    ClaimStatus,
    ContactDisclosure,
    InventoryChange,
    Match,
    Notification,
    NotificationKind,
    OwnershipClaim,
    RenewalProject,
    SpaceOwner,
    VacantSpace,
)
from renewal.services.matching.matches import match_offer
from renewal.services.owners import (
    owner_contact_for,
    owner_match_decline,
    owner_space_update,
    ownership_claim_decide,
    ownership_claim_submit,
    ownership_claim_withdraw,
)
from renewal.services.projects import renewal_project_propose
from tests.factories import (
    MatchFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
    _square_around,
)
from tests.helpers import api_client, count_queries, page_client

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OWNER_EMAIL = "owner-kim@example.kr"
CHANNEL = "010-2345-6789"


def pdf(name="registry.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def _media_in_a_folder_of_the_tests_own(settings, tmp_path):
    # Claim documents have a private storage of their own (tests/conftest.py);
    # nothing of an owner's may land among the media files.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def editor(personas):
    return personas["city_editor"]


@pytest.fixture
def owner(db):
    return UserFactory(username="owner_kim", email=OWNER_EMAIL)


def _make_owner(space, user, editor, *, consent=False):
    claim = ownership_claim_submit(
        actor=user, municipality=space.municipality, space=space, evidence="on_site"
    )
    ownership_claim_decide(
        actor=editor, claim=claim, verify=True, reason="등기부와 현장 확인"
    )
    if consent:
        owner_space_update(
            actor=user,
            space=space,
            data={
                "availability": "free_use",
                "contact_channel": CHANNEL,
                "contact_consent": True,
            },
        )
    space.refresh_from_db()
    return space


# Claims.


def test_a_document_claim_is_stored_and_tells_the_citys_staff(
    city, personas, owner, settings, django_capture_on_commit_callbacks
):
    space = VacantSpaceFactory(municipality=city)

    with django_capture_on_commit_callbacks(execute=True):
        claim = ownership_claim_submit(
            actor=owner,
            municipality=city,
            space=space,
            evidence="document",
            document=pdf(),
        )

    assert claim.status == ClaimStatus.PENDING
    assert claim.document_type == "application/pdf"
    # Kept in the private documents storage, which has no URL; none in MEDIA_ROOT.
    assert storages["documents"].exists(claim.document.name)
    assert claim.document.read().startswith(b"%PDF-")
    with pytest.raises(ValueError):
        _ = claim.document.url
    assert not Path(settings.MEDIA_ROOT).exists() or not any(
        Path(settings.MEDIA_ROOT).rglob("*.pdf")
    )
    told = set(
        Notification.objects.filter(kind=NotificationKind.OWNERSHIP_CLAIM).values_list(
            "user__username", flat=True
        )
    )
    assert told == {"city_editor", "city_viewer"}


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (None, "Attach the document"),
        (pdf("x.pdf", b"MZ\x90\x00 not a pdf"), "PDF, JPEG or PNG"),
        (pdf("big.pdf", PDF + b"0" * (10 * 1024 * 1024)), "larger than 10 MB"),
    ],
)
def test_a_document_claim_refuses_a_missing_forged_or_huge_file(
    city, owner, upload, message
):
    space = VacantSpaceFactory(municipality=city)

    with translation.override("en"), pytest.raises(DomainError, match=message):
        ownership_claim_submit(
            actor=owner,
            municipality=city,
            space=space,
            evidence="document",
            document=upload,
        )

    assert not OwnershipClaim.objects.exists()


def test_a_second_claim_of_the_same_space_by_the_same_user_is_refused(city, owner):
    space = VacantSpaceFactory(municipality=city)
    ownership_claim_submit(
        actor=owner, municipality=city, space=space, evidence="on_site"
    )

    with pytest.raises(DomainError):
        ownership_claim_submit(
            actor=owner, municipality=city, space=space, evidence="on_site"
        )

    assert OwnershipClaim.objects.count() == 1


def test_a_space_with_a_verified_owner_cannot_be_claimed(city, owner, editor):
    space = _make_owner(VacantSpaceFactory(municipality=city), owner, editor)

    with translation.override("en"), pytest.raises(DomainError, match="verified owner"):
        ownership_claim_submit(
            actor=UserFactory(), municipality=city, space=space, evidence="on_site"
        )


def test_anonymous_cannot_claim(city, personas):
    with pytest.raises(NotPermitted):
        ownership_claim_submit(
            actor=personas["anonymous"],
            municipality=city,
            space=VacantSpaceFactory(municipality=city),
            evidence="on_site",
        )


def test_a_new_building_outside_the_city_is_refused_naming_the_boundary(city, owner):
    city.boundary = _square_around(city.location, 0.01)
    city.save()
    far = Point(city.location.x + 0.5, city.location.y, srid=4326)

    with pytest.raises(DomainError) as refused:
        ownership_claim_submit(
            actor=owner,
            municipality=city,
            evidence="on_site",
            building={"address": "산골길 1", "kind": "house", "location": far},
        )

    assert "location" in refused.value.fields
    assert not OwnershipClaim.objects.exists()


def test_verifying_a_new_building_creates_its_space_by_the_editor(city, owner, editor):
    city.boundary = _square_around(city.location, 0.01)
    city.save()
    claim = ownership_claim_submit(
        actor=owner,
        municipality=city,
        evidence="document",
        document=pdf(),
        building={
            "address": "새뜰길 7",
            "kind": "house",
            "location": city.location.clone(),
            "floor_area_m2": 64,
        },
    )

    ownership_claim_decide(actor=editor, claim=claim, verify=True)

    claim.refresh_from_db()
    space = claim.space
    assert space.address == "새뜰길 7" and space.created_by == editor
    assert space.owner.user == owner and space.owner.verified_at is not None
    assert InventoryChange.objects.filter(
        object_id=space.pk, actor=editor, changes={"owner": "changed"}
    ).exists()


def test_rejecting_or_verifying_on_site_needs_a_reason(city, owner, editor):
    claim = ownership_claim_submit(
        actor=owner,
        municipality=city,
        space=VacantSpaceFactory(municipality=city),
        evidence="on_site",
    )

    for verify in (True, False):
        with pytest.raises(DomainError):
            ownership_claim_decide(actor=editor, claim=claim, verify=verify, reason=" ")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING


def test_a_double_verify_is_refused_and_changes_nothing(city, owner, editor):
    claim = ownership_claim_submit(
        actor=owner,
        municipality=city,
        space=VacantSpaceFactory(municipality=city),
        evidence="document",
        document=pdf(),
    )
    ownership_claim_decide(actor=editor, claim=claim, verify=True)

    with pytest.raises(IllegalTransition):
        ownership_claim_decide(actor=editor, claim=claim, verify=True)

    assert SpaceOwner.objects.filter(user=owner).count() == 1


def test_only_the_claims_city_editors_decide(city, owner, personas):
    claim = ownership_claim_submit(
        actor=owner,
        municipality=city,
        space=VacantSpaceFactory(municipality=city),
        evidence="on_site",
    )
    for name in ("city_viewer", "other_city_editor", "resident"):
        with pytest.raises(NotPermitted):
            ownership_claim_decide(
                actor=personas[name], claim=claim, verify=True, reason="봤음"
            )


def test_verifying_one_claim_rejects_the_others_of_the_space_with_a_reason(
    city, owner, editor, django_capture_on_commit_callbacks
):
    space = VacantSpaceFactory(municipality=city)
    rival = UserFactory()
    other = ownership_claim_submit(
        actor=rival, municipality=city, space=space, evidence="on_site"
    )
    claim = ownership_claim_submit(
        actor=owner, municipality=city, space=space, evidence="on_site"
    )

    with django_capture_on_commit_callbacks(execute=True):
        ownership_claim_decide(actor=editor, claim=claim, verify=True, reason="확인")

    other.refresh_from_db()
    assert other.status == ClaimStatus.REJECTED
    decided = Notification.objects.get(user=rival, kind=NotificationKind.CLAIM_DECIDED)
    with translation.override("en"):
        assert "another claim" in decided.message
    with translation.override("ko"):
        assert "다른" in decided.message


def test_the_claimant_hears_of_the_decision_in_their_language(
    city, owner, editor, django_capture_on_commit_callbacks
):
    claim = ownership_claim_submit(
        actor=owner,
        municipality=city,
        space=VacantSpaceFactory(municipality=city, address="중앙로 5"),
        evidence="on_site",
    )
    with django_capture_on_commit_callbacks(execute=True):
        ownership_claim_decide(
            actor=editor, claim=claim, verify=False, reason="서류 불일치"
        )

    notification = Notification.objects.get(user=owner)
    with translation.override("en"):
        assert "rejected" in notification.message
        assert "서류 불일치" in notification.message
    with translation.override("ko"):
        assert "중앙로 5" in notification.message and "거절" in notification.message


def test_a_claimant_withdraws_a_pending_claim_only(city, owner, editor, personas):
    claim = ownership_claim_submit(
        actor=owner,
        municipality=city,
        space=VacantSpaceFactory(municipality=city),
        evidence="on_site",
    )
    with pytest.raises(NotPermitted):
        ownership_claim_withdraw(actor=personas["resident"], claim=claim)

    ownership_claim_withdraw(actor=owner, claim=claim)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.WITHDRAWN
    with pytest.raises(IllegalTransition):
        ownership_claim_decide(actor=editor, claim=claim, verify=False, reason="x")


# What a verified owner sets.


def test_an_owner_offers_the_space_for_free_use_and_the_history_names_them(
    city, owner, editor
):
    space = VacantSpaceFactory(municipality=city, asking_rent_krw=300_000)
    _make_owner(space, owner, editor)

    owner_space_update(
        actor=owner,
        space=space,
        data={
            "availability": "free_use",
            "asking_rent_krw": 100,
            "contact_channel": CHANNEL,
            "contact_consent": True,
        },
    )

    space.refresh_from_db()
    assert space.availability == "free_use" and space.asking_rent_krw is None
    assert space.owner.contact_consented_at is not None
    change = InventoryChange.objects.filter(object_id=space.pk, actor=owner).latest(
        "pk"
    )
    assert change.changes["availability"] == ["not_offered", "free_use"]
    assert change.changes["owner"] == "changed"
    assert CHANNEL not in str(change.changes)


@pytest.mark.parametrize(
    "data",
    [
        {"availability": "given_away"},
        {"status": "available"},
        {"address": "다른 주소"},
        {"asking_rent_krw": -5},
        {"contact_channel": "call me maybe"},
        {"contact_consent": True, "contact_channel": ""},
    ],
)
def test_an_owner_update_refuses_what_an_owner_may_not_set(city, owner, editor, data):
    space = _make_owner(VacantSpaceFactory(municipality=city), owner, editor)
    before = InventoryChange.objects.count()

    with pytest.raises(DomainError):
        owner_space_update(actor=owner, space=space, data=data)

    space.refresh_from_db()
    assert space.availability == "not_offered" and not space.owner.contact_consent
    assert InventoryChange.objects.count() == before


def test_only_the_verified_owner_changes_the_space_as_owner(city, owner, editor):
    space = VacantSpaceFactory(municipality=city)
    ownership_claim_submit(
        actor=owner, municipality=city, space=space, evidence="on_site"
    )

    # A pending claim is not ownership; nor is being the city's editor.
    for user in (owner, editor):
        with pytest.raises(NotPermitted):
            owner_space_update(
                actor=user, space=space, data={"availability": "free_use"}
            )


# The contact, and the owner's answer to an offer.


def test_the_contact_reaches_the_proposer_only_after_the_offer_and_is_recorded_once(
    city, owner, editor, personas, django_capture_on_commit_callbacks
):
    space = _make_owner(
        VacantSpaceFactory(municipality=city, status="available"),
        owner,
        editor,
        consent=True,
    )
    proposer = personas["resident"]
    match = MatchFactory(
        project=RenewalProjectFactory(municipality=city, proposer=proposer),
        space=space,
    )
    match = Match.objects.select_related("project", "space__owner").get(pk=match.pk)

    assert owner_contact_for(user=proposer, match=match) is None
    with django_capture_on_commit_callbacks(execute=True):
        match_offer(actor=editor, match=match)
    match = Match.objects.select_related("project", "space__owner").get(pk=match.pk)

    assert owner_contact_for(user=proposer, match=match) == CHANNEL
    assert owner_contact_for(user=proposer, match=match) == CHANNEL
    assert owner_contact_for(user=editor, match=match) is None
    assert owner_contact_for(user=UserFactory(), match=match) is None
    disclosure = ContactDisclosure.objects.get()
    assert (disclosure.recipient, disclosure.match, disclosure.channel) == (
        proposer,
        match,
        CHANNEL,
    )
    told = Notification.objects.get(user=owner, kind=NotificationKind.OWNED_SPACE_MATCH)
    assert told.params["status"] == "offered"
    # The proposer hears of the offer that waits for an answer; the editor who made
    # it does not.
    offered = Notification.objects.get(kind=NotificationKind.MATCH_OFFERED)
    assert offered.user == proposer
    assert offered.get_absolute_url().endswith(f"/matches/{match.pk}/")
    with translation.override("ko"):
        assert "수락하거나 거절하세요" in offered.message


def test_without_consent_the_contact_never_leaves(city, owner, editor, personas):
    space = _make_owner(
        VacantSpaceFactory(municipality=city, status="available"), owner, editor
    )
    match = MatchFactory(
        project=RenewalProjectFactory(municipality=city, proposer=personas["resident"]),
        space=space,
        status="offered",
    )
    match = Match.objects.select_related("project", "space__owner").get(pk=match.pk)

    assert owner_contact_for(user=personas["resident"], match=match) is None
    assert not ContactDisclosure.objects.exists()


def test_an_owner_declines_an_offer_with_a_reason(city, owner, editor, personas):
    space = _make_owner(
        VacantSpaceFactory(municipality=city, status="available"), owner, editor
    )
    match = MatchFactory(
        project=RenewalProjectFactory(municipality=city), space=space, status="offered"
    )

    with pytest.raises(DomainError):
        owner_match_decline(actor=owner, match=match, reason="")
    with pytest.raises(NotPermitted):
        owner_match_decline(actor=UserFactory(), match=match, reason="싫어요")
    owner_match_decline(actor=owner, match=match, reason="가족이 들어와 삽니다")

    match.refresh_from_db()
    assert match.status == "declined"
    assert match.decline_reason == "가족이 들어와 삽니다"
    assert match.decided_by == owner


# Proposals from the listing.


def test_a_proposal_from_the_listing_stands_on_the_space_and_starts_a_match(
    city, owner, editor, personas
):
    space = _make_owner(
        VacantSpaceFactory(municipality=city, status="available"),
        owner,
        editor,
        consent=True,
    )

    project = renewal_project_propose(
        proposer=personas["resident"],
        municipality=city,
        data={
            "title": "골목 공유부엌",
            "description": "주민이 함께 쓰는 부엌",
            "category": "community_facility",
            "place": Point(127.0, 37.0, srid=4326),
            "space": space,
        },
    )

    assert project.space == space and project.place.equals(space.location)
    match = Match.objects.get(project=project)
    assert match.space == space and match.status == "suggested" and match.run is None


def test_a_proposal_for_a_space_no_longer_offered_is_refused(city, personas):
    space = VacantSpaceFactory(municipality=city, availability="not_offered")

    with (
        pytest.raises(DomainError, match="no longer offered"),
        translation.override("en"),
    ):
        renewal_project_propose(
            proposer=personas["resident"],
            municipality=city,
            data={
                "title": "x",
                "description": "y",
                "category": "other",
                "place": space.location,
                "space": space,
            },
        )

    assert not RenewalProject.objects.exists()


# The listing.


def test_the_listing_api_filters_and_never_names_the_owner(city, owner, editor):
    listed = _make_owner(
        VacantSpaceFactory(municipality=city, kind="house", floor_area_m2=60),
        owner,
        editor,
        consent=True,
    )
    SpaceOwner.objects.filter(space=listed).update(name="김소유", contact="010-9999")
    leased = VacantSpaceFactory(
        municipality=city,
        kind="shop",
        ownership="public",
        availability="lease",
        asking_rent_krw=500_000,
    )
    VacantSpaceFactory(municipality=city, availability="not_offered")
    # A survey's "for lease" on a private building its owner never confirmed.
    VacantSpaceFactory(municipality=city, ownership="private", availability="lease")
    VacantSpaceFactory(
        municipality=city, ownership="public", availability="lease", status="retired"
    )

    everything = api_client().get("/api/v1/listings/")
    cheap = api_client().get("/api/v1/listings/", {"max_rent": 100_000})
    houses = api_client().get("/api/v1/listings/", {"kind": "house", "city": city.code})
    other_city = api_client().get("/api/v1/listings/", {"city": "00000"})

    assert everything.status_code == 200
    assert {row["id"] for row in everything.json()["results"]} == {
        listed.pk,
        leased.pk,
    }
    assert [row["id"] for row in cheap.json()["results"]] == [listed.pk]
    assert [row["id"] for row in houses.json()["results"]] == [listed.pk]
    assert other_city.json()["results"] == []
    body = everything.content.decode()
    for secret in ("김소유", "010-9999", CHANNEL, OWNER_EMAIL, "owner_kim", "owner"):
        assert secret not in body


def test_bad_listing_filters_are_a_400_naming_the_filter(db):
    response = api_client().get("/api/v1/listings/", {"max_rent": "a lot"})

    assert response.status_code == 400
    assert "max_rent" in response.json()["error"]["fields"]


def test_the_listing_page_shows_offered_spaces_without_the_owner(city, owner, editor):
    space = _make_owner(
        VacantSpaceFactory(municipality=city, address="은행나무길 3"),
        owner,
        editor,
        consent=True,
    )

    response = page_client().get("/ko/listings/")

    body = response.content.decode()
    assert "은행나무길 3" in body
    assert f"?space={space.pk}" in body
    for secret in (CHANNEL, OWNER_EMAIL, "owner_kim"):
        assert secret not in body


def test_the_listing_takes_as_many_queries_for_twenty_spaces_as_for_one(city):
    VacantSpaceFactory(municipality=city, ownership="public", availability="free_use")
    _response, one = count_queries(api_client(), "/api/v1/listings/")
    for _ in range(19):
        VacantSpaceFactory(municipality=city, ownership="public", availability="lease")
    response, twenty = count_queries(api_client(), "/api/v1/listings/")

    assert response.json()["count"] == 20
    assert twenty == one

    _page, page_one = count_queries(page_client(), "/ko/listings/")
    assert page_one <= one + 4


# Pages: forged ids and the private document.


def test_the_claim_document_is_for_the_claimant_and_the_citys_staff_only(
    city, owner, personas
):
    claim = ownership_claim_submit(
        actor=owner,
        municipality=city,
        space=VacantSpaceFactory(municipality=city),
        evidence="document",
        document=pdf(),
    )
    url = f"/ko/claims/{claim.pk}/document/"

    assert page_client(owner).get(url).status_code == 200
    staff = page_client(personas["city_viewer"]).get(url)
    assert staff.status_code == 200
    assert b"".join(staff.streaming_content).startswith(b"%PDF-")
    assert page_client(personas["resident"]).get(url).status_code == 404
    assert page_client(personas["other_city_editor"]).get(url).status_code == 404
    assert page_client().get(url).status_code == 302  # to sign in


def test_forged_ids_are_404_not_500(city, owner, editor, personas):
    client = page_client(owner)
    space = VacantSpaceFactory(municipality=city)

    assert client.get("/ko/me/spaces/999999/").status_code == 404
    assert client.get(f"/ko/me/spaces/{space.pk}/").status_code == 404
    assert client.post("/ko/claims/999999/withdraw/").status_code == 404
    assert (
        page_client(editor)
        .post("/ko/claims/999999/decide/", {"decision": "verify"})
        .status_code
        == 404
    )
    assert (
        client.post(f"/ko/cities/{city.code}/claim/", {"space": "abc"}).status_code
        == 404
    )
    assert (
        client.get(f"/ko/cities/{city.code}/projects/new/?space=xyz").status_code == 404
    )


def test_staff_verify_through_the_claims_page_with_the_workbench_count(
    city, owner, editor, personas
):
    claim = ownership_claim_submit(
        actor=owner,
        municipality=city,
        space=VacantSpaceFactory(municipality=city),
        evidence="document",
        document=pdf(),
    )
    workbench = page_client(editor).get(f"/ko/cities/{city.code}/work/")
    assert f'data-claim="{claim.pk}"' in workbench.content.decode()
    assert (
        page_client(personas["city_viewer"])
        .get(f"/ko/cities/{city.code}/claims/")
        .status_code
        == 403
    )

    page_client(editor).post(
        f"/ko/claims/{claim.pk}/decide/", {"decision": "verify", "reason": ""}
    )
    page_client(editor).post(
        f"/ko/claims/{claim.pk}/decide/", {"decision": "verify", "reason": ""}
    )

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFIED
    assert VacantSpace.objects.get(pk=claim.space_id).owner.user == owner


def test_the_owner_page_saves_through_the_service(city, owner, editor):
    space = _make_owner(VacantSpaceFactory(municipality=city), owner, editor)

    response = page_client(owner).post(
        f"/ko/me/spaces/{space.pk}/",
        {
            "availability": "sale",
            "asking_price_krw": "250000000",
            "contact_channel": "owner@example.kr",
            "contact_consent": "on",
        },
    )

    assert response.status_code == 302
    space.refresh_from_db()
    assert (space.availability, space.asking_price_krw) == ("sale", 250_000_000)
    assert space.owner.contact_channel == "owner@example.kr"


def test_the_api_gives_the_contact_after_the_offer_only(city, owner, editor, personas):
    space = _make_owner(
        VacantSpaceFactory(municipality=city, status="available"),
        owner,
        editor,
        consent=True,
    )
    match = MatchFactory(
        project=RenewalProjectFactory(municipality=city, proposer=personas["resident"]),
        space=space,
    )
    url = f"/api/v1/matches/{match.pk}/owner-contact/"
    proposer = api_client(personas["resident"])

    assert proposer.get(url).json() == {"contact": None}
    assert (
        api_client(editor).post(f"/api/v1/matches/{match.pk}/offer/").status_code == 200
    )
    assert proposer.get(url).json() == {"contact": CHANNEL}
    assert proposer.get(url).json() == {"contact": CHANNEL}
    assert api_client(UserFactory()).get(url).status_code == 404
    assert ContactDisclosure.objects.count() == 1

    declined = api_client(owner).post(
        f"/api/v1/matches/{match.pk}/decline/", {"reason": "수리 중"}, format="json"
    )
    assert declined.status_code == 200
    assert declined.json()["decline_reason"] == "수리 중"
    assert proposer.get(url).json() == {"contact": None}


def test_the_demo_lists_an_owners_spaces_through_the_services(db):
    from cities.models import Municipality
    from cities.services import demo_municipalities_load
    from renewal.demo.bids import CITY_CODE
    from renewal.demo.owners import demo_owners_load
    from renewal.demo.spaces import demo_spaces_generate

    demo_municipalities_load()
    demo_spaces_generate(municipalities=[Municipality.objects.get(code=CITY_CODE)])

    assert demo_owners_load() == 3
    assert demo_owners_load() == 0

    owned = VacantSpace.objects.filter(owner__user__username="demo_owner")
    assert sorted(owned.values_list("availability", flat=True)) == [
        "free_use",
        "lease",
        "sale",
    ]
    assert OwnershipClaim.objects.filter(status=ClaimStatus.VERIFIED).count() == 3
    listed = api_client().get("/api/v1/listings/", {"city": CITY_CODE}).json()
    assert {space.pk for space in owned} <= {row["id"] for row in listed["results"]}


def test_the_listing_filters_by_town_area_and_price(city):
    from cities.models import SubMunicipality

    inside = VacantSpaceFactory(
        municipality=city,
        ownership="public",
        availability="sale",
        asking_price_krw=90_000_000,
        floor_area_m2=120,
    )
    far = VacantSpaceFactory(
        municipality=city,
        ownership="public",
        availability="sale",
        asking_price_krw=300_000_000,
        location=Point(city.location.x + 0.05, city.location.y, srid=4326),
    )
    SubMunicipality.objects.create(
        sgis_code="9990101",
        name_ko="시험동",
        name_en="Siheom-dong",
        municipality=city,
        boundary=_square_around(inside.location, 0.005),
    )

    def ids(**params):
        response = api_client().get("/api/v1/listings/", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {inside.pk, far.pk}
    assert ids(area="9990101") == {inside.pk}
    assert ids(max_price=100_000_000) == {inside.pk}
    assert ids(min_area=100) == {inside.pk}
    assert ids(max_area=100) == {far.pk}
    assert ids(availability="lease") == set()
    page = page_client().get(f"/en/listings/?city={city.code}").content.decode()
    assert "Siheom-dong" in page


def test_a_promised_space_leaves_the_listing(city, personas):
    match = MatchFactory(
        project=RenewalProjectFactory(municipality=city),
        space=VacantSpaceFactory(
            municipality=city, ownership="public", availability="lease"
        ),
        status="accepted",
    )
    other = VacantSpaceFactory(
        municipality=city, ownership="public", availability="lease"
    )

    rows = api_client().get("/api/v1/listings/").json()["results"]

    assert [row["id"] for row in rows] == [other.pk]
    assert match.space_id not in {row["id"] for row in rows}


def test_the_owner_declines_an_offer_on_the_match_page(city, owner, editor, personas):
    space = _make_owner(
        VacantSpaceFactory(municipality=city, status="available"), owner, editor
    )
    match = MatchFactory(
        project=RenewalProjectFactory(municipality=city, proposer=personas["resident"]),
        space=space,
        status="offered",
    )
    client = page_client(owner)

    page = client.get(f"/ko/matches/{match.pk}/").content.decode()
    assert 'id="owner-decline-form"' in page
    # The owner's decline asks for the reason; the plain decline button is not theirs.
    assert 'value="decline"' not in page
    client.post(f"/ko/matches/{match.pk}/owner-decline/", {"reason": ""})
    match.refresh_from_db()
    assert match.status == "offered"

    client.post(f"/ko/matches/{match.pk}/owner-decline/", {"reason": "직접 쓰게 됨"})

    match.refresh_from_db()
    assert (match.status, match.decline_reason) == ("declined", "직접 쓰게 됨")
    proposer_page = page_client(personas["resident"]).get(f"/ko/matches/{match.pk}/")
    assert "직접 쓰게 됨" in proposer_page.content.decode()
    # Someone else's match on a space they do not own stays out of sight.
    assert (
        page_client(UserFactory())
        .post(f"/ko/matches/{match.pk}/owner-decline/", {"reason": "x"})
        .status_code
        == 404
    )


def test_a_claim_of_another_citys_space_through_the_page_is_404(
    city, other_city, owner
):
    elsewhere = VacantSpaceFactory(municipality=other_city)

    response = page_client(owner).post(
        f"/ko/cities/{city.code}/claim/",
        {"space": elsewhere.pk, "evidence": "on_site"},
    )

    assert response.status_code == 404
    assert not OwnershipClaim.objects.exists()


def test_staff_see_the_verified_owner_on_the_space_page(city, owner, editor, personas):
    space = _make_owner(VacantSpaceFactory(municipality=city), owner, editor)

    staff = page_client(personas["city_viewer"]).get(f"/ko/spaces/{space.pk}/")
    public = page_client().get(f"/ko/spaces/{space.pk}/")

    assert "owner_kim" in staff.content.decode()
    assert "owner_kim" not in public.content.decode()


@pytest.mark.worker
def test_a_real_worker_tells_the_citys_staff_of_a_claim_once(
    celery_worker, city, personas, owner
):
    from renewal.tasks import notifications_for_claim_task
    from tests.helpers import HANG_GUARD_SECONDS

    queue = celery_worker()
    # Written directly: the service would queue the task on commit to the
    # "notifications" queue, which no worker of this test reads.
    claim = OwnershipClaim.objects.create(
        claimant=owner,
        municipality=city,
        space=VacantSpaceFactory(municipality=city),
        evidence="on_site",
    )

    for _redelivered in range(2):
        notifications_for_claim_task.apply_async((claim.pk,), queue=queue).get(
            timeout=HANG_GUARD_SECONDS
        )

    told = Notification.objects.filter(kind=NotificationKind.OWNERSHIP_CLAIM)
    assert sorted(told.values_list("user__username", flat=True)) == [
        "city_editor",
        "city_viewer",
    ]
    assert told.get(user__username="city_editor").params["city_code"] == city.code


def test_the_claim_search_leaves_out_spaces_that_have_a_verified_owner(
    city, owner, editor
):
    owned = _make_owner(
        VacantSpaceFactory(municipality=city, address="장터길 1"), owner, editor
    )
    free = VacantSpaceFactory(municipality=city, address="장터길 2")

    page = page_client(UserFactory()).get(
        f"/ko/cities/{city.code}/claim/", {"q": "장터길"}
    )

    body = page.content.decode()
    assert f'value="{free.pk}"' in body
    assert f'value="{owned.pk}"' not in body


def test_my_spaces_puts_the_claim_first_for_someone_who_owns_nothing_yet(
    city, owner, editor
):
    newcomer = page_client(UserFactory()).get("/ko/me/spaces/").content.decode()
    _make_owner(VacantSpaceFactory(municipality=city), owner, editor)
    verified = page_client(owner).get("/ko/me/spaces/").content.decode()

    assert newcomer.index('id="claim-start"') < newcomer.index('id="owned-heading"')
    assert verified.index('id="owned-heading"') < verified.index('id="claim-start"')
