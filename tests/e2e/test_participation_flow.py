"""The participation issue's "done when", as people would do it in a browser: two
residents sign up, one proposes a project on the map, the other supports, follows
and comments; city staff review and approve it; the lead NGO records a workshop;
the proposer answers the comment; both residents find the notifications on their
page.

Each person has a browser context of their own (separate cookies). Notification
tasks run eagerly (tests/conftest.py) after each commit of the live server.
"""

import re

import pytest
from django.utils import timezone

from cities.demo import illustrative_downtown
from renewal.models import (
    CityRole,
    Notification,
    ParticipationEvent,
    ProjectSupport,
    RenewalProject,
)
from renewal.services.roles import city_role_grant, organization_role_grant
from tests.e2e.helpers import sign_in, submit
from tests.factories import (
    CommunityOrganizationFactory,
    MunicipalityFactory,
    UserFactory,
)

NEW_PASSWORD = "Maeul-jaesaeng-2026!"


@pytest.fixture
def city(db):
    city = MunicipalityFactory(name_en="Home city")
    city.downtown = illustrative_downtown(city.location, 800)
    city.save()
    return city


@pytest.fixture
def staff(city):
    """A city editor and a member of the NGO that runs the workshops, set up as the
    personas are; both sign in through the sign-in form."""
    editor = UserFactory(username="city_editor")
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    ngo = CommunityOrganizationFactory(
        municipality=city, kind="ngo", name="골목재생 시민모임"
    )
    ngo_member = UserFactory(username="ngo_member")
    organization_role_grant(user=ngo_member, organization=ngo)
    return {"editor": editor, "ngo": ngo, "ngo_member": ngo_member}


def sign_up(context, live_server, username: str):
    page = context.new_page()
    page.goto(f"{live_server.url}/ko/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.kr")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    submit(page)
    page.wait_for_url(f"{live_server.url}/ko/")
    assert page.locator("header .user").inner_text() == username
    return page


@pytest.mark.browser
def test_residents_propose_support_and_hear_about_review_and_participation(
    browser, live_server, city, staff
):
    chromium = browser.browser
    contexts = [chromium.new_context() for _person in range(4)]
    minji, junho, editor, ngo = contexts
    try:
        # A resident signs up and proposes a project by clicking on the map.
        proposer = sign_up(minji, live_server, "minji")
        proposer.goto(f"{live_server.url}/ko/cities/{city.code}/projects/")
        proposer.wait_for_selector("#project-map[data-ready='true']")
        assert proposer.get_attribute("#project-map", "data-count") == "0"
        proposer.locator("#propose-link").click()
        proposer.wait_for_selector("#project-place-map[data-ready='true']")
        box = proposer.locator("#project-place-map").bounding_box()
        proposer.locator("#project-place-map").click(
            position={"x": box["width"] / 2, "y": box["height"] / 2}
        )
        assert proposer.locator("#project-place-map .picked-location").count() == 1
        longitude = float(proposer.input_value("#id_longitude"))
        latitude = float(proposer.input_value("#id_latitude"))
        assert longitude == pytest.approx(city.location.x, abs=0.002)
        assert latitude == pytest.approx(city.location.y, abs=0.002)
        proposer.fill("#id_title", "시장 빈 점포 공유부엌")
        proposer.fill("#id_description", "어르신과 청년이 함께 쓰는 부엌과 식당")
        proposer.select_option("#id_category", "community_facility")
        proposer.check("input[name='needs_space_kinds'][value='shop']")
        proposer.fill("#id_needs_min_area_m2", "40")
        proposer.fill("#id_needs_max_area_m2", "120")
        submit(proposer, "#project-form")
        proposer.wait_for_url(re.compile(r"/ko/projects/\d+/\?at=top#message$"))
        project = RenewalProject.objects.get(title="시장 빈 점포 공유부엌")
        assert project.proposer.username == "minji"
        assert project.place.x == pytest.approx(longitude, abs=1e-6)
        assert project.place.y == pytest.approx(latitude, abs=1e-6)
        assert project.needs_space_kinds == ["shop"]
        proposer.wait_for_selector("#project-detail-map[data-ready='true']")
        project_path = f"/en/projects/{project.pk}/"

        # Another resident supports it (twice: it counts once), follows, comments.
        supporter = sign_up(junho, live_server, "junho")
        supporter.goto(f"{live_server.url}/ko/cities/{city.code}/projects/")
        supporter.wait_for_selector("#project-map[data-count='1'][data-ready='true']")
        supporter.locator(f"#project-list a[href='/ko/projects/{project.pk}/']").click()
        supporter.goto(f"{live_server.url}{project_path}")
        supporter.locator("#support-button").click()
        supporter.wait_for_selector("#support-button[aria-pressed='true']")
        assert "1 person supports" in supporter.inner_text("#support-count")
        supporter.locator("#follow-button").click()
        supporter.wait_for_selector("#follow-button[aria-pressed='true']")
        supporter.fill("#comment-body", "좋은 제안입니다. 주말 봉사에 참여할게요.")
        submit(supporter, "#comment-form")
        supporter.wait_for_selector("#project-comments >> text=주말 봉사에 참여할게요")
        assert ProjectSupport.objects.filter(project=project).count() == 1

        # The proposer answers the comment in its thread.
        proposer.goto(f"{live_server.url}{project_path}")
        comment = proposer.locator("#project-comments li.comment").first
        comment.locator("details.reply summary").click()
        comment.locator("details.reply textarea").fill("고맙습니다! 함께해요.")
        comment.locator("details.reply button[type='submit']").click()
        proposer.wait_for_selector(
            "#project-comments li.comment li.comment >> text=고맙습니다! 함께해요."
        )

        # City staff sign in and take it through review, with a reason.
        reviewer = sign_in(editor, live_server, "city_editor", project_path)
        reviewer.locator("button[name='to'][value='under_review']").click()
        reviewer.wait_for_selector("#project-status:has-text('Under review')")
        reviewer.fill("#transition-reason", "Budget secured in the 2027 plan.")
        reviewer.locator("button[name='to'][value='approved']").click()
        reviewer.wait_for_selector("#project-status:has-text('Approved')")
        timeline = reviewer.inner_text("#project-timeline")
        assert "Budget secured in the 2027 plan." in timeline
        assert "city_editor" in timeline

        # The NGO records a workshop with its attendance.
        member = sign_in(ngo, live_server, "ngo_member", project_path)
        member.select_option("#id_organization", str(staff["ngo"].pk))
        member.select_option("#id_kind", "workshop")
        member.fill("#id_date", timezone.localdate().isoformat())
        member.fill("#id_place", "시장 2층 회의실")
        member.fill("#id_attendees_20_39", "6")
        member.fill("#id_attendees_40_64", "9")
        member.fill("#id_attendees_65_plus", "12")
        member.fill("#id_volunteer_hours", "8")
        submit(member, "#event-form")
        member.wait_for_selector(".messages >> text=The event has been recorded.")
        event = ParticipationEvent.objects.get(project=project)
        assert (event.kind, event.attendees, event.organization) == (
            "workshop",
            27,
            staff["ngo"],
        )
        member.goto(
            f"{live_server.url}/en/organizations/{staff['ngo'].pk}/participation/"
        )
        assert member.inner_text("#total-attendees") == "27"
        assert member.locator("#chart-attendees svg rect").count() == 1

        # Both residents find the two status changes on their page; the supporter
        # also hears of the reply to their comment.
        for page, username, count in ((proposer, "minji", 2), (supporter, "junho", 3)):
            page.goto(f"{live_server.url}/en/")
            page.locator("#my-page-link").click()
            page.wait_for_url(f"{live_server.url}/en/me/")
            items = page.locator("#notification-list li.notification")
            assert items.count() == count, username
            text = page.inner_text("#notification-list")
            assert "“Under review”" in text
            assert "“Approved”" in text
            assert "Budget secured in the 2027 plan." in text
            assert f"({count} unread)" in page.inner_text("#unread-count")
        assert "New reply to your comment" in supporter.inner_text("#notification-list")
        assert "시장 빈 점포 공유부엌" in proposer.inner_text("#proposals-list")
        assert "시장 빈 점포 공유부엌" in supporter.inner_text("#supports-list")
        assert "시장 빈 점포 공유부엌" in supporter.inner_text("#followed-list")

        proposer.locator("#read-all").click()
        proposer.wait_for_selector("#unread-count:has-text('(0 unread)')")
        assert not Notification.objects.filter(
            user__username="minji", read_at__isnull=True
        ).exists()
        assert (
            Notification.objects.filter(
                user__username="junho", read_at__isnull=True
            ).count()
            == 3
        )
    finally:
        for context in contexts:
            context.close()
