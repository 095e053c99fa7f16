"""Every kind of page, with its vendored libraries, works under the platform's
Content-Security-Policy: the browser reports no violation and no script error."""

import pytest
from django.contrib.gis.geos import Point

from cities.models import Municipality
from renewal.models import CityRole
from renewal.services.roles import city_role_grant
from renewal.services.tiles import space_tile_grid_refresh
from tests.e2e.helpers import sign_in
from tests.factories import RenewalProjectFactory, UserFactory, VacantSpaceFactory
from tests.helpers import HANG_GUARD_SECONDS

# Recorded from the first script on: a violation while the page loads counts too.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
NATIONAL_MAP_IDLE = "() => window.nationalMap && window.nationalMap.idle"


@pytest.fixture
def inventory(demo_data):
    city = Municipality.objects.order_by("code").first()
    spaces = [
        VacantSpaceFactory(
            municipality=city,
            status="available",
            location=Point(city.location.x + 0.001 * n, city.location.y, srid=4326),
        )
        for n in range(3)
    ]
    project = RenewalProjectFactory(municipality=city)
    space_tile_grid_refresh()
    return {"city": city, "space": spaces[0], "project": project}


def visit(context, url: str, ready: str | None = None, function: str | None = None):
    """Open `url` in a new page of `context`, wait until its scripts have drawn it,
    and return what went wrong: policy violations, script errors and console errors
    that name the policy."""
    problems = []
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    if ready:
        page.wait_for_selector(ready)
    if function:
        page.wait_for_function(function, timeout=HANG_GUARD_SECONDS * 1000)
    page.wait_for_load_state("networkidle")
    problems += page.evaluate("window.cspViolations")
    page.close()
    return problems


@pytest.mark.browser
def test_public_pages_and_maps_load_without_policy_violations(
    browser, live_server, inventory
):
    city, space, project = inventory["city"], inventory["space"], inventory["project"]
    base = live_server.url
    pages = [
        (f"{base}/ko/", "#city-map[data-ready='true']", None),
        (f"{base}/en/cities/{city.code}/", "#city-type", None),
        (
            f"{base}/ko/cities/{city.code}/spaces/",
            "#space-map[data-ready='true']",
            None,
        ),
        (
            f"{base}/ko/cities/{city.code}/projects/",
            "#project-map[data-ready='true']",
            None,
        ),
        (f"{base}/ko/spaces/{space.pk}/", "main", None),
        (f"{base}/ko/projects/{project.pk}/", "main", None),
        (f"{base}/ko/map/", None, NATIONAL_MAP_IDLE),
        (f"{base}/api/v1/docs/", ".swagger-ui .info .title", None),
        # DRF's browsable API, which a browser gets for an API address.
        (f"{base}/api/v1/projects/{project.pk}/", ".response-info", None),
        (f"{base}/en/dashboard/", "main", None),
    ]

    problems = {
        url: visit(browser, url, ready, function) for url, ready, function in pages
    }

    assert problems == {url: [] for url, _ready, _function in pages}


@pytest.mark.browser
def test_map_forms_load_without_policy_violations(browser, live_server, inventory):
    city = inventory["city"]
    editor = UserFactory(username="editor")
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    sign_in(browser, live_server, "editor", "/en/").close()
    base = live_server.url
    pages = [
        (f"{base}/ko/cities/{city.code}/spaces/new/", "[data-ready='true']"),
        (f"{base}/ko/spaces/{inventory['space'].pk}/edit/", "[data-ready='true']"),
        (f"{base}/ko/cities/{city.code}/projects/new/", "[data-ready='true']"),
    ]

    problems = {url: visit(browser, url, ready) for url, ready in pages}

    assert problems == {url: [] for url, _ready in pages}


@pytest.mark.browser
def test_admin_map_widget_starts_under_the_policy(browser, live_server, inventory):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    city = inventory["city"]
    path = f"/en/admin/cities/municipality/{city.pk}/change/"
    sign_in(browser, live_server, "root", "/en/admin/").close()

    problems = visit(browser, f"{live_server.url}{path}", ".dj_map .ol-viewport")

    assert problems == []
