"""Matching pages: the candidate panel of a project page, the city's assignment-run
pages for its editors, and the match page where the project answers an offer."""

import datetime
import json
import re

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from renewal.models import (
    AssignmentRun,
    Match,
    MatchStatus,
    RunStatus,
    UseAgreement,
)
from tests.factories import (
    MatchFactory,
    RenewalProjectFactory,
    VacantSpaceFactory,
)
from tests.helpers import count_queries, page_client

METRES_PER_DEGREE_LATITUDE = 111_320
NOT_EDITORS = ["resident", "org_member", "city_viewer", "other_city_editor"]


def north_of(point: Point, metres: float) -> Point:
    return Point(point.x, point.y + metres / METRES_PER_DEGREE_LATITUDE, srid=4326)


def json_script(html: str, element_id: str):
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>',
        html,
        re.S,
    )
    assert found, element_id
    return json.loads(found.group(1))


def candidate_rows(html: str) -> list[int]:
    table = html.split('id="candidate-table"', 1)[1].split("</table>", 1)[0]
    return [int(space) for space in re.findall(r'<tr data-space="(\d+)"', table)]


@pytest.fixture
def project(city):
    return RenewalProjectFactory(
        municipality=city,
        status="approved",
        needs_space_kinds=["shop"],
        needs_min_area_m2=50,
        needs_max_area_m2=120,
    )


def space_near(project, metres: float, **fields):
    fields.setdefault("status", "available")
    fields.setdefault("availability", "lease")
    return VacantSpaceFactory(
        municipality=project.municipality,
        location=north_of(project.place, metres),
        **fields,
    )


# The candidate panel on the project page.


def test_project_page_shows_candidate_spaces_best_first_with_their_breakdown(
    project, other_city, personas
):
    near = space_near(project, 100)
    far = space_near(project, 900)
    wrong_kind = space_near(project, 50, kind="factory")
    space_near(project, 10, status="retired")
    VacantSpaceFactory(municipality=other_city, status="available")

    # Shown to everyone who may see the project, signed in or not.
    response = page_client(personas["anonymous"]).get(f"/en/projects/{project.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="candidates"' in html
    assert candidate_rows(html) == [near.pk, far.pk, wrong_kind.pk]
    table = html.split('id="candidate-table"', 1)[1].split("</table>", 1)[0]
    for heading in ("Kind", "Size", "Distance", "Condition", "Availability", "Cost"):
        assert f'<th scope="col">{heading} ' in table
    # The city has no compact-centre strategy: no downtown column.
    assert "Downtown bonus" not in table
    near_row = table.split(f'<tr data-space="{near.pk}">', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'data-component="kind"><meter [^>]*value="1\.0+"', near_row)
    wrong_row = table.split(f'<tr data-space="{wrong_kind.pk}">', 1)[1]
    assert re.search(r'data-component="kind"><meter [^>]*value="0\.0+"', wrong_row)
    config = json_script(html, "candidate-map-config")
    assert [(c["rank"], c["id"]) for c in config["candidates"]] == [
        (1, near.pk),
        (2, far.pk),
        (3, wrong_kind.pk),
    ]
    assert config["place"]["type"] == "Point"
    assert config["candidates"][0]["lat"] == pytest.approx(near.location.y)
    assert "js/assignment-map.js" in html


def test_candidate_panel_shows_the_downtown_bonus_where_the_city_is_compact(project):
    from renewal.models import MatchingSettings

    MatchingSettings.objects.create(
        municipality=project.municipality, compact_centre=True
    )
    space_near(project, 100)

    html = Client().get(f"/en/projects/{project.pk}/").content.decode()

    table = html.split('id="candidate-table"', 1)[1].split("</table>", 1)[0]
    assert "Downtown bonus" in table
    assert 'data-component="downtown"' in table


def test_candidate_panel_is_left_out_for_a_completed_project(project):
    space_near(project, 100)
    project.status = "completed"
    project.save()

    html = Client().get(f"/en/projects/{project.pk}/").content.decode()

    assert 'id="candidates"' not in html
    assert "assignment-map.js" not in html


def test_candidate_panel_says_so_when_no_space_fits(project):
    html = Client().get(f"/en/projects/{project.pk}/").content.decode()

    assert 'id="no-candidates"' in html
    assert 'id="candidate-map"' not in html


def test_project_page_queries_do_not_grow_with_the_candidates(project):
    space_near(project, 100)

    def page_queries() -> int:
        response, number = count_queries(Client(), f"/en/projects/{project.pk}/")
        assert response.status_code == 200
        return number

    one = page_queries()
    for metres in range(200, 2000, 200):
        space_near(project, metres)
    assert (
        len(
            candidate_rows(Client().get(f"/en/projects/{project.pk}/").content.decode())
        )
        == 10
    )
    assert page_queries() == one


def test_project_page_links_the_proposer_to_an_offer(project):
    match = MatchFactory(project=project, status="offered")
    suggested = MatchFactory(project=project)

    html = page_client(project.proposer).get(f"/en/projects/{project.pk}/").content
    html = html.decode()

    assert f'href="/en/matches/{match.pk}/"' in html
    assert "answer the offer" in html
    # Suggestions are the city's working material until offered.
    assert f'href="/en/matches/{suggested.pk}/"' not in html
    # Others do not see the project's matches.
    other = Client().get(f"/en/projects/{project.pk}/").content.decode()
    assert f"/en/matches/{match.pk}/" not in other


# Assignment-run pages: city editors only.


def test_assignment_page_is_for_the_city_editor(city, personas):
    AssignmentRun.objects.create(municipality=city, trigger="manual")
    url = f"/en/cities/{city.code}/assignment/"

    response = page_client(personas["city_editor"]).get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="start-run"' in html
    assert html.count("<tr data-status=") == 1


@pytest.mark.parametrize("persona", NOT_EDITORS)
def test_assignment_page_is_forbidden_to_others(city, personas, persona):
    response = page_client(personas[persona]).get(f"/en/cities/{city.code}/assignment/")

    assert response.status_code == 403


def test_assignment_page_sends_anonymous_visitors_to_sign_in(city):
    response = Client().get(f"/en/cities/{city.code}/assignment/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("persona", NOT_EDITORS)
def test_only_city_editors_may_start_a_run(city, personas, persona):
    response = page_client(personas[persona]).post(
        f"/en/cities/{city.code}/assignment/start/"
    )

    assert response.status_code == 403
    assert not AssignmentRun.objects.exists()


@pytest.mark.parametrize(
    "persona, status",
    [
        ("city_editor", 200),
        ("city_viewer", 403),
        ("other_city_editor", 404),
        ("resident", 404),
        ("org_member", 404),
    ],
)
def test_run_page_is_hidden_outside_the_city_and_forbidden_to_viewers(
    city, personas, persona, status
):
    run = AssignmentRun.objects.create(municipality=city, trigger="manual")

    response = page_client(personas[persona]).get(f"/en/assignment-runs/{run.pk}/")

    assert response.status_code == status


def test_a_running_run_page_reloads_itself_and_a_finished_one_does_not(city, personas):
    run = AssignmentRun.objects.create(
        municipality=city, trigger="manual", status=RunStatus.RUNNING, progress=40
    )
    editor = page_client(personas["city_editor"])

    running = editor.get(f"/en/assignment-runs/{run.pk}/").content.decode()
    run.status = RunStatus.DONE
    run.save()
    done = editor.get(f"/en/assignment-runs/{run.pk}/").content.decode()

    assert '<meta http-equiv="refresh"' in running
    assert 'value="40"' in running
    assert '<meta http-equiv="refresh"' not in done
    assert 'id="no-pairs"' in done


def test_editor_starts_a_run_and_sees_the_proposed_pairs(
    project, personas, django_capture_on_commit_callbacks
):
    space = space_near(project, 150)
    editor = page_client(personas["city_editor"])

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            f"/en/cities/{project.municipality.code}/assignment/start/"
        )

    run = AssignmentRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/assignment-runs/{run.pk}/"
    assert run.status == RunStatus.DONE
    html = editor.get(response["Location"]).content.decode()
    match = Match.objects.get(run=run)
    assert (match.project, match.space) == (project, space)
    assert f'<tr data-match="{match.pk}" data-status="suggested">' in html
    assert html.count('class="inline offer-form"') == 1
    config = json_script(html, "assignment-map-config")
    [pair] = config["pairs"]
    assert pair["match"] == match.pk
    assert pair["from"] == pytest.approx([project.place.x, project.place.y])
    assert pair["to"] == pytest.approx([space.location.x, space.location.y])


# Offering and accepting through the pages.


def test_offer_and_accept_through_the_pages_move_the_space_to_matched(
    project, personas
):
    space = space_near(project, 100)
    run = AssignmentRun.objects.create(
        municipality=project.municipality, trigger="manual", status=RunStatus.DONE
    )
    match = MatchFactory(project=project, space=space, run=run)
    editor = page_client(personas["city_editor"])
    run_page = f"/en/assignment-runs/{run.pk}/"

    offered = editor.post(
        f"/en/matches/{match.pk}/steps/", {"action": "offer", "next": run_page}
    )

    assert offered.status_code == 302
    assert offered["Location"] == run_page
    match.refresh_from_db()
    assert match.status == MatchStatus.OFFERED
    assert 'class="inline offer-form"' not in editor.get(run_page).content.decode()

    proposer = page_client(project.proposer)
    page = proposer.get(f"/en/matches/{match.pk}/").content.decode()
    assert 'id="accept-form"' in page
    accepted = proposer.post(
        f"/en/matches/{match.pk}/accept/",
        {
            "kind": "lease",
            "start_date": "2027-03-01",
            "end_date": "2029-02-28",
            "monthly_rent_krw": "300000",
        },
    )

    assert accepted.status_code == 302
    assert accepted["Location"] == f"/en/matches/{match.pk}/"
    match.refresh_from_db()
    space.refresh_from_db()
    assert match.status == MatchStatus.ACCEPTED
    assert space.status == "matched"
    agreement = UseAgreement.objects.get(match=match)
    assert (agreement.kind, agreement.end_date, agreement.monthly_rent_krw) == (
        "lease",
        datetime.date(2029, 2, 28),
        300_000,
    )
    after = proposer.get(f"/en/matches/{match.pk}/").content.decode()
    assert 'id="agreement-facts"' in after
    assert 'id="accept-form"' not in after


def test_a_second_acceptance_of_the_same_space_shows_an_error(project, personas):
    space = space_near(project, 100)
    other_project = RenewalProjectFactory(
        municipality=project.municipality, status="approved"
    )
    first = MatchFactory(project=project, space=space, status="offered")
    second = MatchFactory(project=other_project, space=space, status="offered")
    agreement = {"kind": "free_use", "start_date": "2027-03-01"}

    assert (
        page_client(project.proposer)
        .post(f"/en/matches/{first.pk}/accept/", agreement)
        .status_code
        == 302
    )
    response = page_client(other_project.proposer).post(
        f"/en/matches/{second.pk}/accept/", agreement
    )

    assert response.status_code == 400
    assert "already been promised to another project" in response.content.decode()
    second.refresh_from_db()
    assert second.status == MatchStatus.OFFERED
    assert not UseAgreement.objects.filter(match=second).exists()


def test_an_agreement_that_ends_before_it_starts_is_refused_on_the_form(
    project, personas
):
    match = MatchFactory(project=project, status="offered")

    response = page_client(project.proposer).post(
        f"/en/matches/{match.pk}/accept/",
        {"kind": "lease", "start_date": "2027-03-01", "end_date": "2027-01-01"},
    )

    assert response.status_code == 400
    assert "An agreement cannot end before it starts." in response.content.decode()
    match.refresh_from_db()
    assert match.status == MatchStatus.OFFERED


def test_the_proposer_declines_an_offer(project, django_capture_on_commit_callbacks):
    match = MatchFactory(project=project, status="offered")

    with django_capture_on_commit_callbacks(execute=True):
        response = page_client(project.proposer).post(
            f"/en/matches/{match.pk}/steps/", {"action": "decline"}
        )

    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.DECLINED


@pytest.mark.parametrize(
    "persona, status",
    [
        ("city_editor", 200),
        ("city_viewer", 200),
        ("other_city_editor", 404),
        ("resident", 404),
        ("org_member", 404),
    ],
)
def test_match_page_is_for_staff_and_the_project(project, personas, persona, status):
    match = MatchFactory(project=project, status="offered")

    response = page_client(personas[persona]).get(f"/en/matches/{match.pk}/")

    assert response.status_code == status
    if status == 200:
        # Staff see the match; only the project answers it.
        assert 'id="accept-form"' not in response.content.decode()


def test_the_lead_organisation_may_answer_an_offer(project, organization, personas):
    project.lead_organization = organization
    project.save()
    match = MatchFactory(project=project, status="offered")

    page = page_client(personas["org_member"]).get(f"/en/matches/{match.pk}/")

    assert page.status_code == 200
    assert 'id="accept-form"' in page.content.decode()


def test_the_proposer_cannot_offer_and_a_viewer_cannot_accept(project, personas):
    match = MatchFactory(project=project)

    offer = page_client(project.proposer).post(
        f"/en/matches/{match.pk}/steps/", {"action": "offer"}
    )
    match.status = "offered"
    match.save()
    accept = page_client(personas["city_viewer"]).post(
        f"/en/matches/{match.pk}/accept/",
        {"kind": "free_use", "start_date": "2027-03-01"},
    )

    assert offer.status_code == 403
    assert accept.status_code == 403
    match.refresh_from_db()
    assert match.status == MatchStatus.OFFERED


def test_a_step_goes_back_only_to_a_page_of_this_site(project, personas):
    match = MatchFactory(project=project)

    response = page_client(personas["city_editor"]).post(
        f"/en/matches/{match.pk}/steps/",
        {"action": "offer", "next": "https://evil.example/"},
    )

    assert response["Location"] == f"/en/matches/{match.pk}/"
