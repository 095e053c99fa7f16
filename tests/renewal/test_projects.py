import itertools

import pytest
from django.contrib.auth.models import User

from core.errors import DomainError, IllegalTransition, NotPermitted
from renewal.models.projects import (
    PROJECT_TRANSITIONS,
    ProjectStatus,
    ProjectSupport,
    ProjectTransition,
    RenewalProject,
)
from renewal.services.projects import renewal_project_transition
from tests.factories import RenewalProjectFactory, UserFactory
from tests.helpers import api_client, count_queries, run_with_writes_held

URL = "/api/v1/projects/"
ALL_PAIRS = list(itertools.product(ProjectStatus.values, ProjectStatus.values))
# The review workflow as the city's procedure describes it, written out here rather
# than read from PROJECT_TRANSITIONS, so that a step added to or dropped from the
# table (say, rejected → approved) fails this test.
ALLOWED_TRANSITIONS = {
    ("proposed", "under_review"),
    ("proposed", "withdrawn"),
    ("under_review", "approved"),
    ("under_review", "rejected"),
    ("under_review", "withdrawn"),
    ("under_review", "changes_requested"),
    ("changes_requested", "proposed"),
    ("changes_requested", "withdrawn"),
    ("approved", "in_progress"),
    ("in_progress", "completed"),
}


def _proposal(city, geometry=None, **properties):
    x, y = city.location.x, city.location.y
    return {
        "type": "Feature",
        "geometry": geometry or {"type": "Point", "coordinates": [x, y]},
        "properties": {
            "title": "폐교를 마을 도서관으로",
            "description": "문 닫은 초등학교를 주민 도서관과 돌봄 공간으로",
            "municipality": city.code,
            "category": "community_facility",
            **properties,
        },
    }


def test_resident_proposes_a_project_at_a_point_with_needs(personas, city):
    response = api_client(personas["resident"]).post(
        URL,
        _proposal(
            city,
            needs={
                "space_kinds": ["school"],
                "min_area_m2": 300,
                "budget_krw": 50_000_000,
            },
        ),
        format="json",
    )

    assert response.status_code == 201, response.content
    project = RenewalProject.objects.get()
    assert project.proposer == personas["resident"]
    assert project.status == ProjectStatus.PROPOSED
    assert project.needs_space_kinds == ["school"]
    properties = response.json()["properties"]
    assert properties["support_count"] == 0
    assert properties["allowed_transitions"] == ["withdrawn"]
    assert properties["needs"]["min_area_m2"] == 300


def test_resident_proposes_an_area(personas, city):
    x, y = city.location.x, city.location.y
    square = [[x, y], [x + 0.002, y], [x + 0.002, y + 0.002], [x, y + 0.002], [x, y]]

    response = api_client(personas["resident"]).post(
        URL,
        _proposal(city, {"type": "Polygon", "coordinates": [square]}),
        format="json",
    )

    assert response.status_code == 201, response.content
    assert RenewalProject.objects.get().place.geom_type == "Polygon"


@pytest.mark.parametrize(
    ("geometry", "field"),
    [
        (
            {"type": "LineString", "coordinates": [[128.0, 36.0], [128.1, 36.1]]},
            "place",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[128, 36], [128.1, 36.1], [128.1, 36], [128, 36.1], [128, 36]]
                ],
            },
            "place",
        ),
    ],
)
def test_a_line_or_a_self_crossing_area_is_refused(personas, city, geometry, field):
    response = api_client(personas["resident"]).post(
        URL, _proposal(city, geometry), format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not RenewalProject.objects.exists()


def test_anonymous_cannot_propose(city):
    response = api_client().post(URL, _proposal(city), format="json")

    assert response.status_code == 401
    assert not RenewalProject.objects.exists()


def test_unknown_category_is_400(personas, city):
    response = api_client(personas["resident"]).post(
        URL, _proposal(city, category="casino"), format="json"
    )

    assert response.status_code == 400
    assert "category" in response.json()["error"]["fields"]


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
@pytest.mark.parametrize(
    "actor", ["city_editor", "proposer", "city_viewer", "other_city_editor"]
)
def test_every_project_transition_by_every_actor(
    personas, city, actor, current, target
):
    proposer = personas["resident"]
    project = RenewalProjectFactory(
        municipality=city, proposer=proposer, status=current
    )
    user = proposer if actor == "proposer" else personas[actor]
    in_table = (current, target) in ALLOWED_TRANSITIONS
    # Withdrawing and resubmitting are the proposer's; every other step the
    # city editor's.
    permitted = (
        actor == "proposer"
        if target in (ProjectStatus.WITHDRAWN, ProjectStatus.PROPOSED)
        else actor == "city_editor"
    )

    if in_table and permitted:
        renewal_project_transition(
            actor=user, project=project, to=target, reason="검토 결과"
        )
        project.refresh_from_db()
        assert project.status == target
        assert ProjectTransition.objects.get().actor == user
    else:
        with pytest.raises(IllegalTransition if not in_table else NotPermitted):
            renewal_project_transition(
                actor=user, project=project, to=target, reason="x"
            )
        project.refresh_from_db()
        assert project.status == current
        assert not ProjectTransition.objects.exists()


def test_rejection_needs_a_reason(personas, city):
    project = RenewalProjectFactory(
        municipality=city, status=ProjectStatus.UNDER_REVIEW
    )

    with pytest.raises(DomainError) as refused:
        renewal_project_transition(
            actor=personas["city_editor"], project=project, to="rejected", reason="  "
        )

    project.refresh_from_db()
    assert "reason" in refused.value.fields
    assert project.status == ProjectStatus.UNDER_REVIEW


def test_transition_endpoint_logs_who_and_why(personas, city):
    project = RenewalProjectFactory(municipality=city)

    response = api_client(personas["city_editor"]).post(
        f"{URL}{project.pk}/transitions/",
        {"to": "under_review", "reason": "주민 공청회 후 검토"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["properties"]["status"] == "under_review"
    log = ProjectTransition.objects.get()
    assert (log.from_status, log.to_status, log.reason) == (
        "proposed",
        "under_review",
        "주민 공청회 후 검토",
    )


def test_support_twice_counts_once_and_withdraws(personas, city):
    project = RenewalProjectFactory(municipality=city)
    client = api_client(personas["resident"])

    first = client.post(f"{URL}{project.pk}/support/")
    second = client.post(f"{URL}{project.pk}/support/")
    listed = client.get(URL).json()["features"][0]["properties"]["support_count"]
    withdrawn = client.delete(f"{URL}{project.pk}/support/")

    assert first.json() == {"supported": True, "support_count": 1}
    assert second.status_code == 200
    assert second.json()["support_count"] == 1
    assert listed == 1
    assert withdrawn.json() == {"supported": False, "support_count": 0}


def test_the_transition_table_is_the_documented_workflow():
    assert {
        (current, target)
        for current, targets in PROJECT_TRANSITIONS.items()
        for target in targets
    } == ALLOWED_TRANSITIONS


def test_withdrawing_a_support_removes_only_ones_own(personas, city):
    project = RenewalProjectFactory(municipality=city)
    first, second = api_client(personas["resident"]), api_client(personas["org_member"])
    first.post(f"{URL}{project.pk}/support/")
    second.post(f"{URL}{project.pk}/support/")

    withdrawn = first.delete(f"{URL}{project.pk}/support/")

    assert withdrawn.json() == {"supported": False, "support_count": 1}
    assert list(ProjectSupport.objects.values_list("user__username", flat=True)) == [
        personas["org_member"].username
    ]


def test_anonymous_cannot_support(city):
    project = RenewalProjectFactory(municipality=city)

    response = api_client().post(f"{URL}{project.pk}/support/")

    assert response.status_code == 401
    assert not ProjectSupport.objects.exists()


def test_closed_projects_take_no_support(personas, city):
    project = RenewalProjectFactory(municipality=city, status=ProjectStatus.REJECTED)

    response = api_client(personas["resident"]).post(f"{URL}{project.pk}/support/")

    assert response.status_code == 400
    assert not ProjectSupport.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_supports_by_one_person_count_once():
    project = RenewalProjectFactory()
    resident = UserFactory()

    # Every request has looked for an existing support before any inserts one.
    statuses = run_with_writes_held(
        ProjectSupport,
        [
            lambda: (
                api_client(User.objects.get(pk=resident.pk))
                .post(f"{URL}{project.pk}/support/")
                .status_code
            )
            for _ in range(8)
        ],
    )

    assert statuses == [200] * 8
    assert ProjectSupport.objects.filter(project=project).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_supports_by_many_people_are_all_counted():
    project = RenewalProjectFactory()
    residents = UserFactory.create_batch(8)

    def support(user):
        return lambda: api_client(user).post(f"{URL}{project.pk}/support/").status_code

    statuses = run_with_writes_held(
        ProjectSupport, [support(user) for user in residents]
    )

    assert statuses == [200] * 8
    body = api_client().get(URL).json()
    assert body["features"][0]["properties"]["support_count"] == 8


def test_list_filters(personas, city, other_city):
    mine = RenewalProjectFactory(municipality=city, category="heritage_culture")
    RenewalProjectFactory(municipality=city, category="smart_city")
    RenewalProjectFactory(municipality=other_city, category="heritage_culture")
    x, y = city.location.x, city.location.y

    found = api_client().get(
        URL,
        {
            "city": city.code,
            "category": "heritage_culture",
            "status": "proposed",
            "bbox": f"{x - 0.01},{y - 0.01},{x + 0.01},{y + 0.01}",
        },
    )

    assert [f["id"] for f in found.json()["features"]] == [mine.pk]


def test_list_query_count_does_not_grow_with_rows(personas, city):
    def queries_for(rows: int) -> int:
        RenewalProject.objects.all().delete()
        RenewalProjectFactory.create_batch(rows, municipality=city)
        client = api_client(User.objects.get(username="city_editor"))
        response, queries = count_queries(client, URL)
        assert response.json()["count"] == rows
        return queries

    assert queries_for(1) == queries_for(20)


def test_proposing_too_fast_is_429_with_a_message(personas, city, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "propose", "2/min")
    client = api_client(personas["resident"])

    statuses = [client.post(URL, _proposal(city), format="json") for _ in range(3)]

    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert statuses[2].json()["error"]["code"] == "throttled"
    assert statuses[2].json()["error"]["message"]
    assert RenewalProject.objects.count() == 2


def test_many_accounts_from_one_address_share_a_budget(personas, city, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "support_ip", "2/min")
    project = RenewalProjectFactory(municipality=city)
    accounts = UserFactory.create_batch(3)

    statuses = [
        api_client(user).post(f"{URL}{project.pk}/support/").status_code
        for user in accounts
    ]

    assert statuses == [200, 200, 429]
    assert ProjectSupport.objects.count() == 2


def test_reading_is_not_throttled(city, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "propose_ip", "1/min")
    RenewalProjectFactory(municipality=city)

    statuses = {api_client().get(URL).status_code for _ in range(3)}

    assert statuses == {200}


def test_hidden_project_leaves_public_lists_but_stays_for_its_proposer(personas, city):
    from django.contrib.auth.models import Group

    from renewal.services.engagement import content_hide

    moderator = UserFactory()
    moderator.groups.add(Group.objects.get_or_create(name="moderators")[0])
    project = RenewalProjectFactory(municipality=city, proposer=personas["resident"])

    content_hide(moderator=moderator, content=project, reason="개인정보 노출")

    assert api_client().get(URL).json()["count"] == 0
    assert api_client().get(f"{URL}{project.pk}/").status_code == 404
    assert (
        api_client(personas["resident"]).get(f"{URL}{project.pk}/").status_code == 200
    )
    assert RenewalProject.objects.filter(pk=project.pk, is_hidden=True).exists()
