"""The owner portal's "done when", on a phone (390×844) in Korean: an owner signs up
through the sign-up page, claims a space with a document, the city's editor
verifies the claim on the city's claims page, the owner offers the space for free
or meanwhile use with a photo and consents to share a contact; the space bank shows
it without anything of the owner; a resident proposes a project there; the city
offers the match; only then does the proposer see the owner's contact, and the
disclosure is recorded.

Each person has a browser context of their own. Tasks (notifications, the photo's
stripped copy) run eagerly after each commit of the live server (tests/conftest.py).
"""

import io
import re

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from PIL import Image

from renewal.models import (
    CityRole,
    ClaimStatus,
    ContactDisclosure,
    Match,
    Notification,
    NotificationKind,
    OwnershipClaim,
    RenewalProject,
    SpacePhoto,
)
from renewal.services.roles import city_role_grant
from tests.e2e.helpers import sign_in, submit
from tests.factories import MunicipalityFactory, UserFactory, VacantSpaceFactory

PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "Maeul-jaesaeng-2026!"
OWNER = "binjip_owner"
OWNER_EMAIL = "binjip.owner@example.kr"
CHANNEL = "010-4321-8765"
ADDRESS = "영주시 광복로 41"
SEAT = Point(128.624, 36.806, srid=4326)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 120, 90)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _media_in_a_folder_of_the_tests_own(settings, tmp_path):
    # Claim documents have a private storage of their own (tests/conftest.py);
    # nothing of an owner's may land among the media files.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def town(db):
    city = MunicipalityFactory(
        name_ko="영주시",
        name_en="Yeongju",
        location=SEAT,
        boundary=MultiPolygon(
            Polygon.from_bbox((128.42, 36.6, 128.82, 37.0)), srid=4326
        ),
    )
    editor = UserFactory(username="city_editor")
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    space = VacantSpaceFactory(
        municipality=city,
        kind="house",
        address=ADDRESS,
        location=Point(128.6250, 36.8290, srid=4326),
        status="available",
        floor_area_m2=72,
    )
    resident = UserFactory(username="minji")
    return {"city": city, "editor": editor, "space": space, "resident": resident}


def assert_fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        page.url
    )


def step_sign_up(context, live_server):
    page = context.new_page()
    page.goto(f"{live_server.url}/ko/accounts/signup/")
    page.fill("#id_username", OWNER)
    page.fill("#id_email", OWNER_EMAIL)
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    submit(page)
    page.wait_for_url(f"{live_server.url}/ko/")
    assert page.locator("header .user").text_content().strip() == OWNER
    return page


def step_claim_the_space(page, live_server, town):
    page.goto(f"{live_server.url}/ko/me/")
    page.locator("#my-spaces-link").click()
    page.wait_for_url(f"{live_server.url}/ko/me/spaces/")
    assert_fits_the_phone(page)
    page.fill("#claim-city", "영주시")
    page.locator("#claim-start button[type='submit']").click()
    page.wait_for_url(re.compile(rf"/ko/cities/{town['city'].code}/claim/$"))
    page.fill("#claim-q", "광복로")
    page.locator("#claim-search button[type='submit']").click()
    page.locator(f"input[name='space'][value='{town['space'].pk}']").check()
    page.check("input[name='evidence'][value='document']")
    page.set_input_files(
        "#id_document",
        files=[
            {"name": "등기부등본.pdf", "mimeType": "application/pdf", "buffer": PDF}
        ],
    )
    assert_fits_the_phone(page)
    page.locator("#claim-submit").click()
    page.wait_for_url(f"{live_server.url}/ko/me/spaces/")
    assert page.locator("#my-claims tr[data-status='pending']").count() == 1
    claim = OwnershipClaim.objects.get(claimant__username=OWNER)
    assert claim.space == town["space"] and claim.document_type == "application/pdf"
    # Before the city has decided, the owner cannot change anything.
    response = page.goto(f"{live_server.url}/ko/me/spaces/{town['space'].pk}/")
    assert response.status == 404
    return claim


def step_staff_verify(context, live_server, town, claim):
    code = town["city"].code
    page = sign_in(context, live_server, "city_editor", f"/ko/cities/{code}/work/")
    assert page.locator(f"#claims [data-claim='{claim.pk}']").count() == 1
    page.locator("#claim-review-link").click()
    page.wait_for_url(f"{live_server.url}/ko/cities/{code}/claims/")
    card = page.locator(f"#claims li[data-id='{claim.pk}']")
    with page.expect_download() as download:
        card.get_by_role("link", name="서류 열기").click()
    assert download.value.path().read_bytes().startswith(b"%PDF-")
    card.locator("textarea").fill("등기사항증명서의 소유자와 신청인 일치")
    card.get_by_role("button", name="확인").click()
    page.wait_for_url(f"{live_server.url}/ko/cities/{code}/claims/")
    assert page.locator(f"#claims li[data-id='{claim.pk}']").count() == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFIED
    return page


def step_offer_for_free_use_with_a_photo_and_consent(page, live_server, town):
    page.goto(f"{live_server.url}/ko/me/spaces/")
    assert page.locator("#my-claims tr[data-status='verified']").count() == 1
    assert Notification.objects.filter(
        user__username=OWNER, kind=NotificationKind.CLAIM_DECIDED
    ).exists()
    page.locator(f"#owned-spaces tr[data-id='{town['space'].pk}'] a").click()
    page.wait_for_url(f"{live_server.url}/ko/me/spaces/{town['space'].pk}/")
    assert_fits_the_phone(page)
    page.select_option("#id_availability", "free_use")
    page.set_input_files(
        "#id_photo",
        files=[{"name": "앞마당.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}],
    )
    page.fill("#id_photo_caption", "앞마당과 대문")
    page.fill("#id_contact_channel", CHANNEL)
    page.check("#id_contact_consent")
    page.locator("#owner-save").click()
    page.wait_for_url(f"{live_server.url}/ko/me/spaces/{town['space'].pk}/")
    space = town["space"]
    space.refresh_from_db()
    assert space.availability == "free_use"
    assert space.owner.contact_consent and space.owner.contact_channel == CHANNEL
    photo = SpacePhoto.objects.get(space=space)
    assert photo.source == "owner" and photo.is_published
    assert photo.processed_at is not None


def step_find_it_in_the_space_bank_without_the_owner(page, live_server, town):
    page.goto(f"{live_server.url}/ko/")
    # On a phone the header's links are behind the menu.
    page.locator(".header-menu summary").click()
    page.locator("#listing-link").click()
    page.wait_for_url(f"{live_server.url}/ko/listings/")
    assert_fits_the_phone(page)
    page.select_option("#id_availability", "free_use")
    page.locator("#listing-filters button[type='submit']").click()
    card = page.locator(f"#listing li[data-id='{town['space'].pk}']")
    assert ADDRESS in card.inner_text()
    assert card.locator("[data-availability='free_use']").count() == 1
    image = card.locator("img")
    assert image.get_attribute("alt") == "앞마당과 대문"
    assert page.evaluate(
        "(img) => img.complete && img.naturalWidth > 0", image.element_handle()
    )
    html = page.content()
    for secret in (OWNER, OWNER_EMAIL, CHANNEL):
        assert secret not in html
    return card


def step_propose_a_project_there(page, live_server, town):
    card = page.locator(f"#listing li[data-id='{town['space'].pk}']")
    card.get_by_role("link", name="이 공간에 사업 제안하기").click()
    page.wait_for_url(re.compile(r"/ko/cities/\d+/projects/new/\?space=\d+$"))
    assert ADDRESS in page.locator("#listed-space").inner_text()
    assert_fits_the_phone(page)
    page.fill("#id_title", "골목 빈집 마을서재")
    page.fill("#id_description", "빈집을 고쳐 주민이 함께 쓰는 작은 도서관으로")
    page.select_option("#id_category", "community_facility")
    submit(page, "#project-form")
    page.wait_for_url(re.compile(r"/ko/projects/\d+/"))
    project = RenewalProject.objects.get(title="골목 빈집 마을서재")
    assert project.space == town["space"]
    assert project.place.equals(town["space"].location)
    return Match.objects.get(project=project, space=town["space"])


def step_no_contact_before_the_offer(page, live_server, match):
    # The proposal's page lists the project's matches once the city offers one.
    assert page.locator("#project-matches").count() == 0
    assert CHANNEL not in page.content()
    page.goto(f"{live_server.url}/ko/matches/{match.pk}/")
    assert page.locator("#match-status").get_attribute("data-status") == "suggested"
    assert page.locator("#owner-contact-channel").count() == 0
    assert CHANNEL not in page.content()
    assert not ContactDisclosure.objects.exists()


def step_staff_offer(page, live_server, match):
    page.goto(f"{live_server.url}/ko/matches/{match.pk}/")
    page.locator("#match-steps button[value='offer']").click()
    page.wait_for_url(f"{live_server.url}/ko/matches/{match.pk}/")
    match.refresh_from_db()
    assert match.status == "offered"
    assert Notification.objects.filter(
        user__username=OWNER, kind=NotificationKind.OWNED_SPACE_MATCH
    ).exists()


def step_the_contact_after_the_offer(page, live_server, match):
    page.goto(f"{live_server.url}/ko/projects/{match.project_id}/")
    page.locator(
        f"#project-matches li[data-status='offered'] a[href$='/matches/{match.pk}/']"
    ).click()
    page.wait_for_url(f"{live_server.url}/ko/matches/{match.pk}/")
    assert_fits_the_phone(page)
    assert page.locator("#owner-contact-channel").inner_text() == CHANNEL
    page.reload()
    disclosure = ContactDisclosure.objects.get()
    assert disclosure.recipient.username == "minji"
    assert (disclosure.match_id, disclosure.channel) == (match.pk, CHANNEL)
    # The owner's name and account stay hidden even now.
    assert OWNER not in page.content() and OWNER_EMAIL not in page.content()


@pytest.mark.browser
def test_owner_offers_a_space_and_the_proposer_sees_the_contact_only_after_the_offer(
    browser, live_server, town
):
    chromium = browser.browser
    owner, staff, resident = (
        chromium.new_context(viewport=PHONE, locale="ko-KR") for _ in range(3)
    )
    try:
        owner_page = step_sign_up(owner, live_server)
        claim = step_claim_the_space(owner_page, live_server, town)
        staff_page = step_staff_verify(staff, live_server, town, claim)
        step_offer_for_free_use_with_a_photo_and_consent(owner_page, live_server, town)
        proposer = sign_in(resident, live_server, "minji", "/ko/")
        step_find_it_in_the_space_bank_without_the_owner(proposer, live_server, town)
        match = step_propose_a_project_there(proposer, live_server, town)
        step_no_contact_before_the_offer(proposer, live_server, match)
        step_staff_offer(staff_page, live_server, match)
        step_the_contact_after_the_offer(proposer, live_server, match)
    finally:
        for context in (owner, staff, resident):
            context.close()
