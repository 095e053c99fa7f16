"""The matching pages in a browser: a city editor starts an assignment run, sees
the proposed pairs on the map and offers one; the project's proposer finds the offer
on the project page, next to the candidate spaces, and accepts it with its use
agreement.

Tasks run eagerly (tests/conftest.py): the run is done by the time the start
request has committed and redirected.
"""

import pytest
from django.contrib.gis.geos import Point

from renewal.models import (
    AssignmentRun,
    CityRole,
    Match,
    MatchingSettings,
    UseAgreement,
)
from renewal.services.roles import city_role_grant
from tests.e2e.helpers import sign_in, submit
from tests.factories import (
    MunicipalityFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)


@pytest.fixture
def scene(db):
    city = MunicipalityFactory(name_en="Home city")
    editor = UserFactory(username="city_editor")
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    proposer = UserFactory(username="minji")
    place = city.location
    project = RenewalProjectFactory(
        municipality=city,
        proposer=proposer,
        status="approved",
        title="시장 빈 점포 공유부엌",
        needs_space_kinds=["shop"],
        needs_min_area_m2=40,
        needs_max_area_m2=120,
    )
    spaces = [
        VacantSpaceFactory(
            municipality=city,
            status="available",
            availability="lease",
            location=Point(place.x + dx, place.y + dy, srid=4326),
            address=address,
        )
        for dx, dy, address in (
            (0.0008, 0.0005, "중앙로 12"),
            (-0.0030, 0.0020, "시장길 3"),
            (0.0050, -0.0040, "역전로 40"),
        )
    ]
    return {"city": city, "project": project, "spaces": spaces}


@pytest.mark.browser
def test_editor_runs_an_assignment_offers_a_pair_and_the_proposer_accepts(
    browser, live_server, scene
):
    city, project = scene["city"], scene["project"]
    nearest = scene["spaces"][0]
    chromium = browser.browser
    editor_context, proposer_context = (chromium.new_context() for _ in range(2))
    try:
        # The editor starts a run from the city's assignment page.
        editor = sign_in(
            editor_context,
            live_server,
            "city_editor",
            f"/en/cities/{city.code}/assignment/",
        )
        assert "No assignment has been run" in editor.inner_text("#run-list")
        editor.locator("#start-run").click()
        editor.wait_for_url(f"{live_server.url}/en/assignment-runs/*/")
        run = AssignmentRun.objects.get(municipality=city)
        assert editor.get_attribute("#run-status", "data-status") == "done"
        assert editor.inner_text("#run-matched") == "1"

        # The one proposed pair is a line from the project to the nearest space.
        editor.wait_for_selector("#assignment-map[data-ready='true']")
        assert editor.get_attribute("#assignment-map", "data-count") == "1"
        assert editor.locator("#assignment-map path.pair-line").count() == 1
        assert editor.locator("#assignment-map path.pair-space").count() == 1
        match = Match.objects.get(run=run)
        assert (match.project, match.space) == (project, nearest)
        row = editor.locator(f"#pair-table tr[data-match='{match.pk}']")
        assert project.title in row.inner_text()

        # One click offers it; the page comes back with the pair offered.
        row.locator(".offer-form button").click()
        editor.wait_for_selector(
            f"#pair-table tr[data-match='{match.pk}'][data-status='offered']"
        )
        assert "The space has been offered" in editor.inner_text(".messages")
        assert editor.locator("#pair-table .offer-form").count() == 0

        # The proposer sees the candidates with their numbered markers and the offer.
        proposer = sign_in(
            proposer_context, live_server, "minji", f"/en/projects/{project.pk}/"
        )
        proposer.wait_for_selector("#candidate-map[data-ready='true']")
        assert proposer.get_attribute("#candidate-map", "data-count") == "3"
        assert proposer.locator("#candidate-map .candidate-marker").count() == 3
        first_row = proposer.locator("#candidate-table tbody tr").first
        assert first_row.get_attribute("data-space") == str(nearest.pk)
        assert proposer.locator("#candidate-table thead th").count() == 10
        proposer.locator(f"#project-matches a[href='/en/matches/{match.pk}/']").click()
        proposer.wait_for_url(f"{live_server.url}/en/matches/{match.pk}/")
        proposer.wait_for_selector("#match-map[data-ready='true']")

        # It accepts with the use agreement.
        proposer.select_option("#id_kind", "meanwhile")
        proposer.fill("#id_start_date", "2027-03-01")
        proposer.fill("#id_end_date", "2027-12-31")
        proposer.fill("#id_monthly_rent_krw", "150000")
        submit(proposer, "#accept-form")
        proposer.wait_for_selector("#match-status[data-status='accepted']")
        assert "Matched" in proposer.inner_text("#space-status")
        assert "Meanwhile" in proposer.inner_text("#agreement-facts")

        nearest.refresh_from_db()
        assert nearest.status == "matched"
        agreement = UseAgreement.objects.get(match=match)
        assert (agreement.kind, agreement.monthly_rent_krw) == ("meanwhile", 150_000)
    finally:
        for context in (editor_context, proposer_context):
            context.close()


@pytest.mark.browser
def test_editor_tunes_the_matching_weights_with_the_keyboard_alone(
    browser, live_server, scene
):
    city = scene["city"]
    context = browser.browser.new_context()
    try:
        path = f"/en/cities/{city.code}/matching-settings/"
        page = sign_in(context, live_server, "city_editor", path)
        page.focus("#id_weight_cost")
        page.keyboard.press("Control+A")
        page.keyboard.type("2.5")
        # Space toggles the checkbox; Enter in a field submits the form.
        page.focus("#id_compact_centre")
        page.keyboard.press("Space")
        page.focus("#id_weight_cost")
        page.keyboard.press("Enter")
        page.wait_for_selector(".messages")

        assert "The matching settings are saved" in page.inner_text(".messages")
        settings = MatchingSettings.objects.get(municipality=city)
        assert (settings.weight_cost, settings.compact_centre) == (2.5, True)
    finally:
        context.close()
