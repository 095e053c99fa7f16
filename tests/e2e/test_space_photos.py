"""Photos on the space page, in a real browser on a phone, in Korean: city staff
upload and publish from the keyboard, the public then sees the thumbnail."""

import pytest

from renewal.models import SpacePhoto
from tests.e2e.test_accessibility import AXE_RUN, AXE_SOURCE, AXE_TAGS
from tests.e2e.test_space_pages import sign_in
from tests.factories import VacantSpaceFactory
from tests.photos import jpeg_bytes, marked_image

PHONE = {"width": 390, "height": 844}


def _phone(browser, live_server, user=None):
    context = browser.browser.new_context(viewport=PHONE, locale="ko-KR")
    context.add_init_script(script=AXE_SOURCE)
    if user is not None:
        sign_in(context, live_server, user)
    page = context.new_page()
    return context, page


def _problems(page) -> list[str]:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    problems = [f"scrolls sideways: {width}"] if width[0] > width[1] else []
    return problems + page.evaluate(AXE_RUN, [AXE_TAGS, []])


@pytest.mark.browser
def test_staff_upload_and_publish_a_photo_that_the_public_then_sees(
    browser, live_server, personas, city
):
    space = VacantSpaceFactory(municipality=city, address="장터길 3")
    url = f"{live_server.url}/ko/spaces/{space.pk}/"
    staff, page = _phone(browser, live_server, personas["city_editor"])
    try:
        page.goto(url)
        assert page.locator("#space-no-photos").is_visible()
        page.set_input_files(
            "#photo-file",
            {
                "name": "현장.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_bytes(marked_image((800, 600))),
            },
        )
        # From the keyboard: Enter in the caption field sends the form.
        page.focus("#photo-caption")
        page.keyboard.type("정면 모습")
        with page.expect_navigation():
            page.keyboard.press("Enter")

        photo = SpacePhoto.objects.get(space=space)
        card = page.locator(f"#photo-{photo.pk}")
        assert "사진을 추가했습니다" in page.locator(".messages").inner_text()
        assert card.locator(".photo-state").inner_text() == "비공개"
        assert card.get_by_role("img", name="정면 모습").is_visible()
        assert _problems(page) == []

        publish = card.get_by_role("button", name=f"공개 사진 #{photo.pk}")
        publish.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator(f"#photo-{photo.pk} .photo-state").inner_text() == "공개"
    finally:
        staff.close()

    public, page = _phone(browser, live_server)
    try:
        page.goto(url)
        image = page.get_by_role("img", name="정면 모습")
        image.wait_for()
        # Visible is not yet loaded: wait for the file itself.
        image.element_handle().wait_for_element_state("stable")
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        loaded = image.evaluate("img => img.naturalWidth")
        assert loaded == 320  # the thumbnail, not the published image
        assert page.locator("#photo-upload-form").count() == 0
        assert page.locator(f"a[href='/photos/{photo.pk}/original']").count() == 0
        assert _problems(page) == []
    finally:
        public.close()


@pytest.mark.browser
def test_a_refused_file_is_explained_on_the_page(browser, live_server, personas, city):
    space = VacantSpaceFactory(municipality=city)
    staff, page = _phone(browser, live_server, personas["city_editor"])
    try:
        page.goto(f"{live_server.url}/ko/spaces/{space.pk}/")
        page.set_input_files(
            "#photo-file",
            {"name": "계약서.pdf", "mimeType": "image/jpeg", "buffer": b"%PDF-1.4\n"},
        )
        page.locator("#photo-upload-form button[type='submit']").click()
        page.wait_for_load_state("load")

        assert "“계약서.pdf”은(는) 이미지가 아닙니다" in (
            page.locator(".messages").inner_text()
        )
        assert not SpacePhoto.objects.exists()
        assert _problems(page) == []
    finally:
        staff.close()
