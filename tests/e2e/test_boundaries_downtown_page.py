"""The downtown page and the decline map in a browser: an editor picks 읍면동 on the
map and with the keyboard, records them, and the city page shows the downtown and
the 읍면동 in decline with a legend and the boundaries' attribution."""

import pytest

from cities.demo.decline import demo_decline_figures_load
from cities.models import Municipality
from cities.services.boundaries import boundaries_load
from renewal.models import CityRole
from renewal.services.roles import city_role_grant
from tests.e2e.helpers import sign_in, submit
from tests.factories import MunicipalityFactory, UserFactory


@pytest.fixture
def yeongju(transactional_db):
    city = MunicipalityFactory(
        code="47210", province="경북", name_ko="영주시", name_en="Yeongju"
    )
    boundaries_load(municipality_codes=["47210"])
    demo_decline_figures_load()
    editor = UserFactory(username="yeongju_editor")
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    return city


@pytest.mark.browser
def test_an_editor_chooses_the_downtown_on_the_map_and_by_keyboard(
    browser, live_server, yeongju
):
    path = f"/en/cities/{yeongju.code}/downtown/"
    page = sign_in(browser, live_server, "yeongju_editor", path)
    page.wait_for_selector("#downtown-picker-map[data-ready='true']")

    # A click on 영주1동's outline ticks its box in the list.
    page.locator("path.submunicipality-3706055").dispatch_event("click")
    assert page.locator("input[value='3706055']").is_checked()
    # The keyboard's way: tick 영주2동 in the list; the map follows.
    page.locator("input[value='3706058']").focus()
    page.keyboard.press("Space")
    assert page.locator("#downtown-picker-map").get_attribute("data-chosen") == (
        "3706055,3706058"
    )
    assert (
        "Statistics Korea SGIS (2018)"
        in page.locator(
            "#downtown-picker-map .leaflet-control-attribution"
        ).inner_text()
    )

    page.fill("#id_list-source", "Yeongju urban regeneration strategy (2016)")
    submit(page, "#downtown-list-form")

    page.wait_for_url(f"{live_server.url}/en/cities/{yeongju.code}/#downtown-heading")
    city = Municipality.objects.get(pk=yeongju.pk)
    assert sorted(s.sgis_code for s in city.downtown_submunicipalities.all()) == [
        "3706055",
        "3706058",
    ]
    assert page.locator("#downtown-map").count() == 1
    # The decline test: the map colours the 읍면동, the list says why.
    page.wait_for_selector("#decline-map[data-ready='true']")
    assert page.locator("#decline-map path.decline-area").count() == 19
    assert page.locator("#decline-legend li").count() == 2
    assert page.locator("#decline-illustrative").is_visible()
    in_decline = page.locator("#decline-list > li.in-decline").count()
    assert page.locator("#decline-map path.in-decline").count() == in_decline
    assert page.locator("#decline-list > li").count() == 19
    page.close()
