"""A city editor starts a district on a phone-sized screen: draws it on the downtown
map, uploads the member list, opens a ballot, records a paper and closes it."""

import datetime

import pytest

from cities.demo import illustrative_downtown
from renewal.models import BidStatus, BusinessImprovementDistrict
from tests.e2e.test_space_pages import sign_in
from tests.factories import CommunityOrganizationFactory
from tests.renewal.test_bids import near

PHONE = {"width": 390, "height": 844}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.browser
def test_editor_draws_a_district_uploads_members_and_runs_a_ballot_at_390px(
    page, browser, live_server, personas, city, tmp_path
):
    city.downtown = illustrative_downtown(city.location, 800)
    city.save()
    CommunityOrganizationFactory(municipality=city, kind="bid_body", name="Body")
    sign_in(browser, live_server, personas["city_editor"])
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/en/cities/{city.code}/bids/")
    page.locator("#bid-start-link").click()
    page.wait_for_selector("#bid-draw-map[data-ready='true']")
    assert no_horizontal_scroll(page)
    box = page.locator("#bid-draw-map").bounding_box()
    cx, cy = box["width"] / 2, box["height"] / 2
    # Four corners around the map's centre, the city's downtown.
    for dx, dy in ((-60, -60), (60, -60), (60, 60), (-60, 60)):
        page.locator("#bid-draw-map").click(position={"x": cx + dx, "y": cy + dy})
    assert page.locator("#bid-draw-count").inner_text() == "Corners drawn: 4"
    page.fill("#id_name", "Market street")
    page.select_option("#id_management_organization", label="Body")
    page.select_option("#id_preset", "england")
    page.locator("#bid-start-form button[type='submit']").click()
    page.wait_for_selector("#bid-members-form")

    district = BusinessImprovementDistrict.objects.get()
    assert district.polygon.covers(city.downtown.centroid)
    assert no_horizontal_scroll(page)
    inside = near(city)
    members = tmp_path / "members.csv"
    members.write_text(
        "name,role,rateable_value_krw,lon,lat\n"
        f"Bakery,occupier,30000000,{inside.x},{inside.y}\n"
        f"Landlord Kim,landlord,50000000,{inside.x},{inside.y}\n"
    )
    page.set_input_files("#id_file", str(members))
    page.locator("#bid-members-form button[type='submit']").click()
    page.wait_for_selector("#bid-ballot-open-form")
    assert page.locator("#bid-member-count").inner_text() == "2"

    today = datetime.date.today().isoformat()
    page.fill("#id_opens_on", today)
    page.fill("#id_closes_on", today)
    # From the keyboard: Enter in the last field submits its form.
    page.locator("#id_closes_on").press("Enter")
    page.wait_for_selector("#bid-vote-form")
    page.select_option("#id_member", label="Bakery")
    page.locator("#id_in_favour_0").check()
    page.locator("#bid-vote-form button[type='submit']").click()
    page.wait_for_selector("#bid-ballot-close-form")
    page.locator("#bid-ballot-close-form button[type='submit']").click()
    page.wait_for_selector("#bid-ballot-open-form")

    district.refresh_from_db()
    # One paper, in favour, by a member holding 30 of 30 million voting: passed.
    assert district.status == BidStatus.ACTIVE
    assert "Passed" in page.locator("#bid-ballot-results").inner_text()
    assert no_horizontal_scroll(page)
