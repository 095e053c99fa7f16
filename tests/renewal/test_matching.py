import dataclasses
import datetime
import itertools
import math
import random
import threading

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core import mail
from django.db import IntegrityError, connection, transaction

from cities.demo import illustrative_downtown
from renewal.models import (
    AssignmentRun,
    InventoryChange,
    Match,
    MatchingSettings,
    RunStatus,
    UseAgreement,
)
from renewal.models.projects import PROJECT_NEEDS_FIELDS
from renewal.selectors.matching import match_candidates
from renewal.services.matching.assignment import (
    assignment_greedy,
    assignment_optimal,
    total_score,
)
from renewal.services.matching.matches import use_agreement_reminders_send
from renewal.services.matching.runs import enqueue_assignment_rerun
from renewal.services.matching.scoring import (
    ProjectFacts,
    SpaceFacts,
    availability_fit,
    condition_fit,
    cost_fit,
    distance_fit,
    kind_fit,
    params_from,
    score_space,
    size_fit,
)
from tests.factories import (
    CommunityOrganizationFactory,
    MatchFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)
from tests.helpers import api_client

TODAY = datetime.date(2026, 6, 1)
METRES_PER_DEGREE_LATITUDE = 111_320


def north_of(point: Point, metres: float) -> Point:
    return Point(point.x, point.y + metres / METRES_PER_DEGREE_LATITUDE, srid=4326)


# Scoring components, on hand-made cases.


def test_kind_fit_is_one_for_a_wanted_kind_and_for_projects_that_take_any():
    assert kind_fit(wanted=["shop", "house"], kind="shop") == 1.0
    assert kind_fit(wanted=["shop"], kind="factory") == 0.0
    assert kind_fit(wanted=[], kind="factory") == 1.0


def test_size_fit_falls_linearly_within_the_margin_outside_the_range():
    def fit(area):
        return size_fit(min_area=100, max_area=200, area=area, margin=0.25)

    assert fit(150) == 1.0
    assert fit(100) == 1.0
    assert fit(90) == pytest.approx(0.6)  # 10 short of 100, margin 25
    assert fit(75) == 0.0
    assert fit(225) == pytest.approx(0.5)  # 25 over 200, margin 50
    assert fit(400) == 0.0
    assert fit(None) == 0.5
    assert size_fit(min_area=None, max_area=None, area=10, margin=0.25) == 1.0


def test_distance_fit_decays_with_the_city_scale():
    assert distance_fit(distance_m=0, scale_m=1000) == 1.0
    assert distance_fit(distance_m=1000, scale_m=1000) == pytest.approx(math.exp(-1))
    assert distance_fit(distance_m=1000, scale_m=2000) == pytest.approx(math.exp(-0.5))


def test_condition_fit_reads_the_grade_within_its_scheme():
    assert condition_fit(grading_scheme="national-2023", grade=1, rebuild=False) == 1
    assert condition_fit(
        grading_scheme="national-2023", grade=2, rebuild=False
    ) == pytest.approx(0.5)
    assert condition_fit(
        grading_scheme="urban-2021", grade=2, rebuild=False
    ) == pytest.approx(2 / 3)
    assert condition_fit(grading_scheme="urban-2021", grade=4, rebuild=True) == 1.0
    assert condition_fit(grading_scheme="", grade=None, rebuild=False) == 0.5


def test_availability_fit_weighs_the_offer_and_the_wait_for_the_start():
    now = availability_fit(
        availability="lease", earliest_start=TODAY, today=TODAY, scale_days=180
    )
    later = availability_fit(
        availability="lease",
        earliest_start=TODAY + datetime.timedelta(days=180),
        today=TODAY,
        scale_days=180,
    )
    not_offered = availability_fit(
        availability="not_offered", earliest_start=None, today=TODAY, scale_days=180
    )

    assert now == 1.0
    assert later == pytest.approx(math.exp(-1))
    assert not_offered == pytest.approx(0.3)


def test_cost_fit_compares_a_year_of_rent_with_the_budget():
    def fit(rent):
        return cost_fit(
            budget_krw=120_000_000,
            monthly_rent_krw=rent,
            availability="lease",
            share=0.25,
        )

    assert fit(2_500_000) == 1.0  # 30 M a year: a quarter of the budget
    assert fit(10_000_000) == 0.0  # a year's rent is the whole budget
    assert fit(6_250_000) == pytest.approx(0.5)  # 75 M: halfway from 25% to 100%
    assert (
        cost_fit(
            budget_krw=1, monthly_rent_krw=None, availability="free_use", share=0.25
        )
        == 1.0
    )


PROJECT = ProjectFacts(
    id=None,
    category="village_renewal",
    needs_space_kinds=("shop",),
    needs_min_area_m2=50,
    needs_max_area_m2=120,
    budget_krw=None,
    earliest_start=None,
    partner_capabilities=(),
)
SPACE = SpaceFacts(
    kind="shop",
    floor_area_m2=80.0,
    grading_scheme="national-2023",
    grade=2,
    availability="lease",
    asking_rent_krw=None,
    distance_m=0.0,
    in_downtown=True,
)


def test_project_facts_read_every_needs_field_of_the_model():
    """A needs field added to the model reaches scoring, or this fails."""
    assert [field.name for field in dataclasses.fields(ProjectFacts)] == [
        "id",
        "category",
        *PROJECT_NEEDS_FIELDS,
    ]


def test_total_is_the_weighted_mean_of_the_components():
    params = params_from(MatchingSettings())

    total, breakdown = score_space(
        project=PROJECT, space=SPACE, params=params, today=TODAY
    )

    weights = {name: part["weight"] for name, part in breakdown.items()}
    expected = sum(part["score"] * part["weight"] for part in breakdown.values()) / (
        sum(weights.values())
    )
    assert total == pytest.approx(expected, abs=1e-4)
    assert breakdown["condition"]["score"] == 0.5
    assert breakdown["cost"]["score"] == 0.5  # no budget, no rent: unknown
    assert "downtown" not in breakdown


def test_downtown_bonus_only_under_the_compact_centre_strategy():
    params = params_from(MatchingSettings(compact_centre=True))
    outside = dataclasses.replace(SPACE, in_downtown=False)

    inside_total, inside = score_space(
        project=PROJECT, space=SPACE, params=params, today=TODAY
    )
    outside_total, _ = score_space(
        project=PROJECT, space=outside, params=params, today=TODAY
    )

    assert inside["downtown"] == {"score": 1.0, "weight": 1.5}
    assert inside_total > outside_total


@pytest.mark.parametrize(
    "space",
    [
        SPACE,
        dataclasses.replace(SPACE, in_downtown=False, grade=3),
        dataclasses.replace(SPACE, kind="house"),
    ],
)
def test_unexplained_score_equals_the_explained_one(space):
    params = params_from(MatchingSettings(compact_centre=True))

    explained, breakdown = score_space(
        project=PROJECT, space=space, params=params, today=TODAY
    )
    quick, nothing = score_space(
        project=PROJECT, space=space, params=params, today=TODAY, explain=False
    )

    assert quick == explained
    assert breakdown is not None
    assert nothing is None


# Candidates: hard constraints exclude, the rest is ranked.


@pytest.fixture
def project(city, personas):
    return RenewalProjectFactory(
        municipality=city,
        proposer=personas["resident"],
        status="approved",
        needs_space_kinds=["shop"],
        needs_min_area_m2=50,
        needs_max_area_m2=150,
    )


def _space(city, metres=0, **fields):
    fields.setdefault("status", "available")
    fields.setdefault("availability", "lease")
    fields.setdefault("location", north_of(city.location, metres))
    return VacantSpaceFactory(municipality=city, **fields)


def test_candidates_exclude_other_cities_unavailable_and_demolition_grade(
    city, other_city, project
):
    good = _space(city, 300)
    _space(other_city, 0, location=project.place.clone())
    _space(city, 10, status="surveyed")
    _space(city, 20, grading_scheme="national-2023", grade=3)
    _space(city, 30, grading_scheme="urban-2021", grade=4)

    found = match_candidates(project=project, limit=10, today=TODAY)

    assert [c["id"] for c in found] == [good.pk]


def test_a_rebuild_may_take_a_demolition_grade_space(city, project):
    ruin = _space(city, 20, grading_scheme="national-2023", grade=3, kind="land")
    project.needs_space_kinds = ["land"]

    found = match_candidates(project=project, limit=10, today=TODAY)

    assert [c["id"] for c in found] == [ruin.pk]
    assert found[0]["breakdown"]["condition"]["score"] == 1.0


def test_candidates_rank_by_score_with_distance_in_metres(city, project):
    near_wrong_kind = _space(city, 100, kind="factory")
    far_right = _space(city, 2000)
    near_right = _space(city, 500)

    found = match_candidates(project=project, limit=10, today=TODAY)

    assert [c["id"] for c in found] == [near_right.pk, far_right.pk, near_wrong_kind.pk]
    assert found[0]["distance_m"] == pytest.approx(500, rel=0.01)
    assert found[0]["breakdown"]["distance"]["score"] == pytest.approx(
        math.exp(-0.5), rel=0.01
    )
    assert found[2]["breakdown"]["kind"]["score"] == 0.0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("proposed", 200),
        ("under_review", 200),
        ("approved", 200),
        ("in_progress", 200),
        ("rejected", 400),
        ("completed", 400),
        ("withdrawn", 400),
    ],
)
def test_candidates_api_refuses_projects_that_can_no_longer_take_a_space(
    city, project, status, expected
):
    _space(city, 100)
    project.status = status
    project.save()

    response = api_client().get(
        f"/api/v1/projects/{project.pk}/candidates/", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == expected, response.content
    if expected == 400:
        error = response.json()["error"]
        assert error["code"] == "not_a_candidate_status"
        assert "has no candidates" in error["message"]
    else:
        assert len(response.json()["candidates"]) == 1


def test_candidates_api_returns_top_n_with_breakdown(city, project):
    for metres in (100, 200, 300, 400):
        _space(city, metres)

    body = (
        api_client()
        .get(f"/api/v1/projects/{project.pk}/candidates/", {"limit": 3})
        .json()
    )

    assert body["kind"] == "space"
    assert len(body["candidates"]) == 3
    first = body["candidates"][0]
    assert set(first["breakdown"]) == {
        "kind",
        "size",
        "distance",
        "condition",
        "availability",
        "cost",
    }
    assert first["location"]["type"] == "Point"
    scores = [c["score"] for c in body["candidates"]]
    assert scores == sorted(scores, reverse=True)


def test_candidates_api_downtown_bonus_follows_the_city_setting(city, project):
    city.downtown = illustrative_downtown(city.location, 300)
    city.save()
    MatchingSettings.objects.create(municipality=city, compact_centre=True)
    inside = _space(city, 200)
    outside = _space(city, 350)

    body = api_client().get(f"/api/v1/projects/{project.pk}/candidates/").json()

    by_id = {c["id"]: c for c in body["candidates"]}
    assert by_id[inside.pk]["breakdown"]["downtown"]["score"] == 1.0
    assert by_id[outside.pk]["breakdown"]["downtown"]["score"] == 0.0


def test_organization_and_resource_candidates(city, project):
    project.partner_capabilities = ["cafe_food", "care"]
    project.save()
    CommunityOrganizationFactory(
        municipality=city, capabilities=["care"], location=north_of(city.location, 50)
    )
    best = CommunityOrganizationFactory(
        municipality=city,
        capabilities=["cafe_food", "care"],
        location=north_of(city.location, 100),
    )

    organizations = (
        api_client()
        .get(f"/api/v1/projects/{project.pk}/candidates/", {"kind": "organization"})
        .json()["candidates"]
    )
    resources = api_client().get(
        f"/api/v1/projects/{project.pk}/candidates/", {"kind": "resource"}
    )

    assert organizations[0]["id"] == best.pk
    assert organizations[0]["breakdown"]["capability"]["score"] == 1.0
    assert organizations[1]["breakdown"]["capability"]["score"] == 0.5
    assert resources.status_code == 200


def test_candidates_api_rejects_unknown_kind_and_hides_hidden_projects(project):
    bad = api_client().get(
        f"/api/v1/projects/{project.pk}/candidates/", {"kind": "car"}
    )
    project.is_hidden = True
    project.save()
    hidden = api_client().get(f"/api/v1/projects/{project.pk}/candidates/")

    assert bad.status_code == 400
    assert "kind" in bad.json()["error"]["fields"]
    assert hidden.status_code == 404


def test_candidates_query_count_does_not_grow_with_candidates(
    city, project, django_assert_max_num_queries
):
    _space(city, 100)
    with django_assert_max_num_queries(6):
        one = api_client().get(f"/api/v1/projects/{project.pk}/candidates/")
    for metres in range(200, 2200, 100):
        _space(city, metres)
    with django_assert_max_num_queries(6):
        many = api_client().get(f"/api/v1/projects/{project.pk}/candidates/")

    assert len(one.json()["candidates"]) == 1
    assert len(many.json()["candidates"]) == 10


# The solver: optimal, not greedy.


def _brute_force(edges):
    score = {(p, s): w for p, s, w in edges}
    projects = sorted({p for p, _, _ in edges})
    spaces = sorted({s for _, s, _ in edges})
    best = 0.0
    for choice in itertools.product([None, *spaces], repeat=len(projects)):
        taken = [s for s in choice if s is not None]
        if len(taken) != len(set(taken)):
            continue
        if any(
            s is not None and (p, s) not in score
            for p, s in zip(projects, choice, strict=True)
        ):
            continue
        best = max(
            best,
            sum(
                score[(p, s)]
                for p, s in zip(projects, choice, strict=True)
                if s is not None
            ),
        )
    return best


@pytest.mark.parametrize("seed", range(40))
def test_assignment_equals_the_brute_force_optimum_and_beats_greedy(seed):
    generator = random.Random(seed)
    n, m = generator.randint(1, 5), generator.randint(1, 6)
    edges = [
        (p, 100 + s, round(generator.uniform(0.05, 1.0), 3))
        for p in range(n)
        for s in range(m)
        if generator.random() < 0.6
    ]

    pairs = assignment_optimal(edges)

    assert total_score(pairs) == pytest.approx(_brute_force(edges))
    assert len({p for p, _, _ in pairs}) == len(pairs)
    assert len({s for _, s, _ in pairs}) == len(pairs)
    assert total_score(pairs) >= total_score(assignment_greedy(edges)) - 1e-9


def test_optimal_assignment_beats_greedy_where_greedy_is_short_sighted():
    # Greedy takes the 0.9 pair and leaves project 2 without a space.
    edges = [(1, 10, 0.9), (1, 11, 0.8), (2, 10, 0.85)]

    assert total_score(assignment_greedy(edges)) == pytest.approx(0.9)
    assert assignment_optimal(edges) == [(1, 11, 0.8), (2, 10, 0.85)]


# City-wide runs through the API.


def _run(client, city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/municipalities/{city.code}/assignment-runs/")
    return response


def test_city_editor_starts_a_run_and_follows_it(
    city, personas, project, django_capture_on_commit_callbacks
):
    MatchingSettings.objects.create(municipality=city, minimum_score=0.6)
    space = _space(city, 100)
    RenewalProjectFactory(
        municipality=city,
        status="approved",
        place=north_of(city.location, 3000),
        needs_space_kinds=["house"],
    )
    RenewalProjectFactory(municipality=city, status="proposed")  # not open
    _space(city, 5000, kind="factory")  # far, and the wrong kind: below minimum

    started = _run(
        api_client(personas["city_editor"]), city, django_capture_on_commit_callbacks
    )
    run = (
        api_client(personas["city_viewer"])
        .get(f"/api/v1/assignment-runs/{started.json()['id']}/")
        .json()
    )

    assert started.status_code == 202
    assert run["status"] == "done"
    assert run["progress"] == 100
    assert run["projects_count"] == 2
    assert run["matched_count"] == 1
    assert [(p["project"]["id"], p["space"]["id"]) for p in run["pairs"]] == [
        (project.pk, space.pk)
    ]
    assert run["pairs"][0]["breakdown"]["kind"]["score"] == 1.0
    assert run["total_score"] == pytest.approx(run["pairs"][0]["score"])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("resident", 403),
        ("org_member", 403),
        ("city_viewer", 403),
        ("other_city_editor", 403),
        ("city_editor", 202),
    ],
)
def test_only_editors_of_the_city_start_runs(
    city, personas, persona, expected, django_capture_on_commit_callbacks
):
    response = _run(
        api_client(personas[persona]), city, django_capture_on_commit_callbacks
    )

    assert response.status_code == expected
    assert AssignmentRun.objects.filter(municipality=city).exists() is (expected == 202)


def test_runs_are_visible_to_staff_of_their_city_only(city, personas):
    run = AssignmentRun.objects.create(municipality=city, trigger="manual")

    seen = {
        name: api_client(personas[name])
        .get(f"/api/v1/assignment-runs/{run.pk}/")
        .status_code
        for name in ("anonymous", "resident", "other_city_editor", "city_viewer")
    }

    assert seen == {
        "anonymous": 404,
        "resident": 404,
        "other_city_editor": 404,
        "city_viewer": 200,
    }


@pytest.mark.parametrize("rebuild", [False, True])
def test_city_wide_run_never_offers_a_demolition_grade_space_unless_rebuilding(
    city, project, rebuild, django_capture_on_commit_callbacks
):
    """The ruin is the nearest space and of the wanted kind; only a project that
    rebuilds may be given it."""
    MatchingSettings.objects.create(municipality=city, minimum_score=0.0)
    kind = "land" if rebuild else "shop"
    project.needs_space_kinds = [kind]
    project.save()
    ruin = _space(city, 10, kind=kind, grading_scheme="urban-2021", grade=4)

    with django_capture_on_commit_callbacks(execute=True):
        run = enqueue_assignment_rerun(city.pk)

    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    suggested = list(Match.objects.filter(project=project).values_list("space_id"))
    assert suggested == ([(ruin.pk,)] if rebuild else [])


def test_a_burst_of_changes_queues_one_run(city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        runs = {enqueue_assignment_rerun(city.pk).pk for _ in range(5)}

    assert len(runs) == 1
    assert len(callbacks) == 1
    assert AssignmentRun.objects.filter(municipality=city, status="queued").count() == 1


def test_rerun_after_an_inventory_change_suggests_the_new_space(
    city, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_assignment_rerun(city.pk)
    assert not Match.objects.filter(project=project).exists()

    space = _space(city, 50)
    with django_capture_on_commit_callbacks(execute=True):
        run = enqueue_assignment_rerun(city.pk)

    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert list(
        Match.objects.filter(project=project).values_list("space_id", "status")
    ) == [(space.pk, "suggested")]


def test_a_declined_pair_is_not_suggested_again(
    city, personas, project, django_capture_on_commit_callbacks
):
    first = _space(city, 50)
    second = _space(city, 400)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_assignment_rerun(city.pk)
    suggestion = Match.objects.get(project=project, status="suggested")
    assert suggestion.space_id == first.pk

    with django_capture_on_commit_callbacks(execute=True):
        declined = api_client(personas["city_editor"]).post(
            f"/api/v1/matches/{suggestion.pk}/decline/"
        )

    assert declined.status_code == 200
    assert list(
        Match.objects.filter(project=project, status="suggested").values_list(
            "space_id", flat=True
        )
    ) == [second.pk]
    found = match_candidates(project=project, today=TODAY)
    assert first.pk not in [c["id"] for c in found]


# The match lifecycle through HTTP.


AGREEMENT = {
    "kind": "lease",
    "start_date": "2026-07-01",
    "end_date": "2027-06-30",
    "monthly_rent_krw": 300_000,
}


def test_full_lifecycle_moves_the_space_with_the_match(
    city, personas, project, django_capture_on_commit_callbacks
):
    match = MatchFactory(project=project)
    editor = api_client(personas["city_editor"])

    offered = editor.post(f"/api/v1/matches/{match.pk}/offer/")
    seen_by_proposer = api_client(personas["resident"]).get(
        f"/api/v1/matches/{match.pk}/"
    )
    accepted = api_client(personas["resident"]).post(
        f"/api/v1/matches/{match.pk}/accept/", AGREEMENT, format="json"
    )
    match.space.refresh_from_db()
    space_after_accept = match.space.status
    activated = editor.post(f"/api/v1/matches/{match.pk}/activate/")
    match.space.refresh_from_db()
    space_after_activate = match.space.status
    ended = editor.post(f"/api/v1/matches/{match.pk}/end/")
    match.space.refresh_from_db()

    assert offered.json()["status"] == "offered"
    assert seen_by_proposer.json()["allowed_actions"] == ["accept", "decline"]
    assert accepted.status_code == 200
    assert accepted.json()["agreement"]["kind"] == "lease"
    assert space_after_accept == "matched"
    assert activated.json()["status"] == "active"
    assert space_after_activate == "in_use"
    assert ended.json()["status"] == "ended"
    assert match.space.status == "available"
    assert (
        InventoryChange.objects.filter(
            object_id=match.space_id, action="status"
        ).count()
        == 3
    )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("org_member", 200),  # member of the project's lead organisation
        ("resident", 200),  # the proposer
        ("city_viewer", 403),
        ("city_editor", 403),
        ("other_city_editor", 404),
    ],
)
def test_who_may_accept_an_offer(city, personas, organization, persona, expected):
    project = RenewalProjectFactory(
        municipality=city,
        status="approved",
        proposer=personas["resident"],
        lead_organization=organization,
    )
    match = MatchFactory(project=project, status="offered")

    response = api_client(personas[persona]).post(
        f"/api/v1/matches/{match.pk}/accept/", AGREEMENT, format="json"
    )

    assert response.status_code == expected
    match.refresh_from_db()
    assert (match.status == "accepted") is (expected == 200)


def test_proposer_cannot_offer_and_cannot_accept_a_mere_suggestion(personas, project):
    match = MatchFactory(project=project)
    client = api_client(personas["resident"])

    offered = client.post(f"/api/v1/matches/{match.pk}/offer/")
    accepted = client.post(
        f"/api/v1/matches/{match.pk}/accept/", AGREEMENT, format="json"
    )

    assert offered.status_code == 403
    assert accepted.status_code == 400
    assert accepted.json()["error"]["code"] == "illegal_transition"


def test_agreement_that_ends_before_it_starts_changes_nothing(personas, project):
    match = MatchFactory(project=project, status="offered")

    response = api_client(personas["resident"]).post(
        f"/api/v1/matches/{match.pk}/accept/",
        dict(AGREEMENT, end_date="2026-01-01"),
        format="json",
    )

    assert response.status_code == 400
    assert "end_date" in response.json()["error"]["fields"]
    match.refresh_from_db()
    match.space.refresh_from_db()
    assert (match.status, match.space.status) == ("offered", "available")
    assert not UseAgreement.objects.exists()


def test_database_refuses_two_accepted_matches_for_one_space(project):
    first = MatchFactory(project=project, status="accepted")
    second = MatchFactory(
        project=RenewalProjectFactory(municipality=project.municipality),
        space=first.space,
        status="offered",
    )
    second.status = "accepted"

    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_match_list_query_count_does_not_grow(
    personas, project, django_assert_max_num_queries
):
    MatchFactory(project=project)
    client = api_client(personas["city_editor"])
    with django_assert_max_num_queries(8):
        one = client.get("/api/v1/matches/")
    for _ in range(19):
        MatchFactory(project=project)
    with django_assert_max_num_queries(8):
        twenty = client.get("/api/v1/matches/")

    assert one.json()["count"] == 1
    assert twenty.json()["count"] == 20


def test_match_list_is_scoped(personas, project, other_city):
    MatchFactory(project=project)
    MatchFactory(project=RenewalProjectFactory(municipality=other_city))

    counts = {
        name: api_client(personas[name]).get("/api/v1/matches/").json()["count"]
        for name in ("anonymous", "resident", "city_viewer", "other_city_editor")
    }

    assert counts == {
        "anonymous": 0,
        "resident": 1,
        "city_viewer": 1,
        "other_city_editor": 1,
    }


def _in_parallel(calls):
    """Run the calls at the same moment, each on its own database connection."""
    barrier = threading.Barrier(len(calls))
    results = []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_parallel_acceptances_of_one_space_leave_one_accepted():
    space = VacantSpaceFactory(status="available")
    proposers = UserFactory.create_batch(6)
    matches = [
        MatchFactory(
            project=RenewalProjectFactory(
                municipality=space.municipality, proposer=proposer, status="approved"
            ),
            space=space,
            status="offered",
        )
        for proposer in proposers
    ]

    def accept(match):
        return lambda: (
            api_client(User.objects.get(pk=match.project.proposer_id))
            .post(f"/api/v1/matches/{match.pk}/accept/", AGREEMENT, format="json")
            .status_code
        )

    statuses = _in_parallel([accept(match) for match in matches])

    assert sorted(statuses) == [200] + [400] * 5
    assert Match.objects.filter(space=space, status="accepted").count() == 1
    space.refresh_from_db()
    assert space.status == "matched"
    assert UseAgreement.objects.count() == 1


# Reminders before an agreement ends.


def test_reminder_is_sent_once_within_the_period(personas, project):
    personas["resident"].email = "proposer@example.kr"
    personas["resident"].save()
    soon = MatchFactory(project=project, status="active")
    UseAgreement.objects.create(
        match=soon,
        kind="meanwhile",
        start_date=TODAY - datetime.timedelta(days=300),
        end_date=TODAY + datetime.timedelta(days=10),
    )
    later = MatchFactory(project=project, status="accepted")
    UseAgreement.objects.create(
        match=later,
        kind="lease",
        start_date=TODAY,
        end_date=TODAY + datetime.timedelta(days=60),
        monthly_rent_krw=100_000,
    )

    first = use_agreement_reminders_send(today=TODAY)
    second = use_agreement_reminders_send(today=TODAY)

    assert (first, second) == (1, 0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["proposer@example.kr"]
    assert TODAY.replace(day=11).isoformat() in mail.outbox[0].subject


@pytest.mark.parametrize(
    "permission",
    ["renewal.view_city_matching", "renewal.view_hidden_renewalproject"],
)
def test_city_scoped_reads_belong_to_the_city_staff(personas, city, permission):
    granted = {
        name for name, user in personas.items() if user.has_perm(permission, city)
    }

    assert granted == {"city_editor", "city_viewer"}


def test_matches_and_runs_share_one_scope_with_the_rules(personas, city, other_city):
    """match_list and assignment_run_list answer from the rules, city by city."""
    from renewal.selectors.matching import assignment_run_list, match_list

    ours = AssignmentRun.objects.create(municipality=city, trigger="manual")
    AssignmentRun.objects.create(municipality=other_city, trigger="manual")
    match = MatchFactory(project__municipality=city)
    MatchFactory(project__municipality=other_city)

    for name in ("city_viewer", "city_editor"):
        user = personas[name]
        assert list(assignment_run_list(user=user)) == [ours]
        assert list(match_list(user=user)) == [match]
    assert not assignment_run_list(user=personas["resident"]).exists()
