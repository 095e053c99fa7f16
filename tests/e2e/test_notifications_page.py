"""The unread badge and the notifications page on a 390 px phone."""

import uuid

import pytest

from renewal.models import Notification, NotificationKind
from tests.e2e.helpers import sign_in
from tests.factories import RenewalProjectFactory, UserFactory


@pytest.mark.browser
def test_the_badge_leads_to_a_page_that_fits_a_phone(browser, live_server, city):
    resident = UserFactory(username="minji")
    project = RenewalProjectFactory(
        municipality=city,
        title="시장 빈 점포를 주민 공유부엌과 마을 식당으로 바꾸는 사업",
    )
    for status in ("under_review", "approved", "in_progress"):
        Notification.objects.create(
            user=resident,
            kind=NotificationKind.STATUS_CHANGED,
            event_key=f"test:{uuid.uuid4().hex}",
            project=project,
            params={"title": project.title, "status": status, "reason": "예산 확보"},
        )
    context = browser.browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = sign_in(context, live_server, "minji", "/ko/me/")
        # What a screen reader announces: the visible "3" is read as words.
        badge = page.get_by_role("link", name="알림 3건 읽지 않음", exact=True)
        assert badge.is_visible()
        box = badge.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.inner_text("#notification-badge .notification-count") == "3"

        badge.click()
        page.wait_for_url(f"{live_server.url}/ko/notifications/")
        assert page.locator("#notification-list li").count() == 3
        assert page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        )
        # Keyboard only: focus the first "mark as read" and press Enter.
        page.locator("#notification-list form button").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#notification-badge .notification-count:text('2')")
        assert Notification.objects.filter(read_at__isnull=True).count() == 2
    finally:
        context.close()
