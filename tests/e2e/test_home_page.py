import pytest

from cities.models import Municipality


@pytest.mark.browser
def test_home_page_shows_the_cities_on_a_map_and_in_a_list(
    page, live_server, demo_data
):
    page.goto(f"{live_server.url}/ko/")

    page.wait_for_selector("#city-map[data-ready='true']")
    assert page.locator("#city-map .leaflet-pane").count() > 0
    assert (
        page.locator("#city-map path.city-marker").count()
        == Municipality.objects.count()
    )
    assert page.locator("#city-list li.city-card").count() == (
        Municipality.objects.count()
    )
    assert page.locator("#city-list").get_by_text("안동시", exact=True).is_visible()


@pytest.mark.browser
def test_clicking_a_marker_highlights_its_row(page, live_server, demo_data):
    page.goto(f"{live_server.url}/ko/")
    page.wait_for_selector("#city-map[data-ready='true']")

    page.locator("#city-map path.city-marker").first.click(force=True)

    assert page.locator("#city-list li.highlight").count() == 1


@pytest.mark.browser
def test_language_switch_turns_the_page_english(page, live_server, demo_data):
    page.goto(f"{live_server.url}/ko/")

    page.select_option("#language-select", "en")
    page.get_by_role("button", name="변경").click()

    page.wait_for_url(f"{live_server.url}/en/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Small and medium-sized provincial cities"
    )
    assert page.locator("#city-list").get_by_text("Andong", exact=True).is_visible()
