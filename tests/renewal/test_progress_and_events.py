import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cities.models import MunicipalityGroup
from core.errors import DomainError, NotPermitted
from renewal.models import ParticipationEvent, ProgressUpdate, ProjectStatus
from renewal.selectors.progress import (
    participation_totals,
    participation_totals_per_municipality,
    participation_totals_per_municipality_group,
    participation_totals_per_organization,
    participation_totals_per_project,
)
from renewal.services.progress import participation_event_record, progress_update_post
from renewal.services.roles import organization_role_grant
from tests.factories import (
    CommunityOrganizationFactory,
    ParticipationEventFactory,
    ProgressUpdateFactory,
    RenewalProjectFactory,
    UserFactory,
)
from tests.helpers import api_client, count_queries

EVENTS_URL = "/api/v1/participation-events/"
TOTALS_URL = "/api/v1/participation-totals/"


def updates_url(project) -> str:
    return f"/api/v1/projects/{project.pk}/updates/"


@pytest.fixture
def led_project(city, organization):
    return RenewalProjectFactory(
        municipality=city,
        status=ProjectStatus.IN_PROGRESS,
        lead_organization=organization,
    )


def _event_payload(project, organization, **overrides):
    payload = {
        "project": project.pk,
        "organization": organization.pk,
        "kind": "workshop",
        "date": "2025-03-14",
        "place": "마을회관",
        "attendees_under_20": 2,
        "attendees_20_39": 3,
        "attendees_40_64": 4,
        "attendees_65_plus": 5,
        "volunteer_hours": "6.5",
    }
    payload.update(overrides)
    return payload


# Progress updates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("resident", 403),
        ("org_member", 201),  # a member of the lead organisation
        ("city_viewer", 403),
        ("city_editor", 201),
        ("other_city_editor", 403),
    ],
)
def test_progress_updates_come_from_the_lead_organisation_or_city_editors(
    personas, led_project, persona, expected
):
    response = api_client(personas[persona]).post(
        updates_url(led_project),
        {"text": "설계 완료", "percent_complete": 40, "milestone": "설계"},
        format="json",
    )

    assert response.status_code == expected
    assert ProgressUpdate.objects.filter(project=led_project).count() == (
        1 if expected == 201 else 0
    )
    if expected == 403:
        assert response.json()["error"]["code"] == "permission_denied"


def test_organisation_member_cannot_update_a_project_it_does_not_lead(personas, city):
    project = RenewalProjectFactory(municipality=city, status=ProjectStatus.IN_PROGRESS)

    with pytest.raises(NotPermitted):
        progress_update_post(
            author=personas["org_member"], project=project, text="x", percent_complete=1
        )


@pytest.mark.parametrize(
    ("status", "accepted"),
    [
        (ProjectStatus.PROPOSED, False),
        (ProjectStatus.UNDER_REVIEW, False),
        (ProjectStatus.REJECTED, False),
        (ProjectStatus.WITHDRAWN, False),
        (ProjectStatus.APPROVED, True),
        (ProjectStatus.IN_PROGRESS, True),
        (ProjectStatus.COMPLETED, False),
    ],
)
def test_progress_updates_only_while_approved_or_in_progress(
    personas, led_project, status, accepted
):
    led_project.status = status
    led_project.save()

    response = api_client(personas["city_editor"]).post(
        updates_url(led_project),
        {"text": "착공", "percent_complete": 10},
        format="json",
    )

    assert response.status_code == (201 if accepted else 400)


@pytest.mark.parametrize("percent", [-1, 101, 250])
def test_percentage_outside_0_to_100_is_refused_naming_the_field(
    personas, led_project, percent
):
    response = api_client(personas["city_editor"]).post(
        updates_url(led_project),
        {"text": "착공", "percent_complete": percent},
        format="json",
    )

    assert response.status_code == 400
    assert "percent_complete" in response.json()["error"]["fields"]
    assert not ProgressUpdate.objects.exists()


@pytest.mark.parametrize("percent", [0, 100])
def test_percentage_bounds_are_inclusive(personas, led_project, percent):
    update = progress_update_post(
        author=personas["city_editor"],
        project=led_project,
        text="경계값",
        percent_complete=percent,
    )

    assert update.percent_complete == percent


def test_service_refuses_percentage_above_100_too(personas, led_project):
    with pytest.raises(DomainError) as refused:
        progress_update_post(
            author=personas["city_editor"],
            project=led_project,
            text="x",
            percent_complete=101,
        )

    assert "percent_complete" in refused.value.fields


def test_database_refuses_percentage_above_100(led_project):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressUpdateFactory(project=led_project, percent_complete=101)


def test_percentage_goes_down_only_with_a_milestone_that_explains_it(
    personas, led_project
):
    editor = personas["city_editor"]
    progress_update_post(
        author=editor, project=led_project, text="공사 중", percent_complete=60
    )

    with pytest.raises(DomainError) as refused:
        progress_update_post(
            author=editor, project=led_project, text="재설계", percent_complete=40
        )
    assert "milestone" in refused.value.fields

    progress_update_post(
        author=editor,
        project=led_project,
        text="재설계",
        percent_complete=40,
        milestone="2층 증축으로 범위 확대",
    )
    assert list(
        ProgressUpdate.objects.filter(project=led_project).values_list(
            "percent_complete", flat=True
        )
    ) == [40, 60]


def test_anyone_reads_updates_newest_first(led_project):
    older = ProgressUpdateFactory(project=led_project, percent_complete=10)
    newer = ProgressUpdateFactory(project=led_project, percent_complete=20)
    ProgressUpdateFactory()  # another project's update stays out

    body = api_client().get(updates_url(led_project)).json()

    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]


def test_updates_of_an_unknown_project_are_404(personas):
    response = api_client(personas["city_editor"]).get(
        "/api/v1/projects/999999/updates/"
    )

    assert response.status_code == 404


# Participation events ------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("resident", 403),
        ("org_member", 201),
        ("city_viewer", 403),
        # City staff do not record events in an organisation's name.
        ("city_editor", 403),
        ("other_city_editor", 403),
    ],
)
def test_events_are_recorded_by_members_of_the_organisation(
    personas, led_project, organization, persona, expected
):
    response = api_client(personas[persona]).post(
        EVENTS_URL, _event_payload(led_project, organization), format="json"
    )

    assert response.status_code == expected
    assert ParticipationEvent.objects.count() == (1 if expected == 201 else 0)
    if expected == 201:
        body = response.json()
        assert body["attendees"] == 14
        assert body["volunteer_hours"] == 6.5
        assert body["municipality"] == led_project.municipality.code
        event = ParticipationEvent.objects.get()
        assert event.recorded_by == personas["org_member"]


def test_organisation_from_elsewhere_records_only_for_a_project_it_leads(
    city, other_city
):
    project = RenewalProjectFactory(municipality=city, status=ProjectStatus.APPROVED)
    outsider = CommunityOrganizationFactory(municipality=other_city)
    member = UserFactory()
    organization_role_grant(user=member, organization=outsider)
    client = api_client(member)

    refused = client.post(EVENTS_URL, _event_payload(project, outsider), format="json")
    assert refused.status_code == 400
    assert "organization" in refused.json()["error"]["fields"]

    project.lead_organization = outsider
    project.save()
    accepted = client.post(EVENTS_URL, _event_payload(project, outsider), format="json")
    assert accepted.status_code == 201


def test_organisation_of_the_same_city_records_without_leading(
    personas, city, organization
):
    project = RenewalProjectFactory(municipality=city, status=ProjectStatus.PROPOSED)

    event = participation_event_record(
        actor=personas["org_member"],
        project=project,
        organization=organization,
        data={"kind": "public_hearing", "date": datetime.date(2025, 2, 1)},
    )

    assert event.attendees == 0


@pytest.mark.parametrize(
    "field",
    [
        "attendees_under_20",
        "attendees_20_39",
        "attendees_40_64",
        "attendees_65_plus",
        "volunteer_hours",
    ],
)
def test_negative_counts_are_refused_naming_the_field(
    personas, led_project, organization, field
):
    client = api_client(personas["org_member"])

    response = client.post(
        EVENTS_URL,
        _event_payload(led_project, organization, **{field: -1}),
        format="json",
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    with pytest.raises(DomainError) as refused:
        participation_event_record(
            actor=personas["org_member"],
            project=led_project,
            organization=organization,
            data={"kind": "workshop", "date": datetime.date(2025, 1, 1), field: -1},
        )
    assert field in refused.value.fields
    assert not ParticipationEvent.objects.exists()


def test_event_dated_in_the_future_is_refused(personas, led_project, organization):
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    client = api_client(personas["org_member"])

    refused = client.post(
        EVENTS_URL,
        _event_payload(led_project, organization, date=tomorrow.isoformat()),
        format="json",
    )
    accepted = client.post(
        EVENTS_URL,
        _event_payload(led_project, organization, date=today.isoformat()),
        format="json",
    )

    assert refused.status_code == 400
    assert "date" in refused.json()["error"]["fields"]
    assert accepted.status_code == 201


def test_event_location_must_be_inside_korea(personas, led_project, organization):
    response = api_client(personas["org_member"]).post(
        EVENTS_URL,
        _event_payload(
            led_project,
            organization,
            location={"type": "Point", "coordinates": [953000, 1950000]},
        ),
        format="json",
    )

    assert response.status_code == 400
    assert "location" in response.json()["error"]["fields"]


def test_event_list_filters(city, other_city, organization):
    here = RenewalProjectFactory(municipality=city, lead_organization=organization)
    there = RenewalProjectFactory(municipality=other_city)
    workshop = ParticipationEventFactory(
        project=here,
        organization=organization,
        kind="workshop",
        date=datetime.date(2025, 1, 10),
    )
    festival = ParticipationEventFactory(
        project=there, kind="festival", date=datetime.date(2025, 3, 10)
    )
    client = api_client()

    def ids(**params):
        return {row["id"] for row in client.get(EVENTS_URL, params).json()["results"]}

    assert ids() == {workshop.pk, festival.pk}
    assert ids(project=here.pk) == {workshop.pk}
    assert ids(organization=festival.organization_id) == {festival.pk}
    assert ids(city=other_city.code) == {festival.pk}
    assert ids(kind="workshop") == {workshop.pk}
    assert ids(date_from="2025-02-01") == {festival.pk}
    assert ids(date_to="2025-02-01") == {workshop.pk}


def test_event_list_queries_do_not_grow_with_rows(db):
    client = api_client()

    def queries_for(rows: int) -> int:
        ParticipationEvent.objects.all().delete()
        ParticipationEventFactory.create_batch(rows)
        response, queries = count_queries(client, EVENTS_URL)
        assert response.json()["count"] == rows
        return queries

    assert queries_for(1) == queries_for(20)


def test_update_list_queries_do_not_grow_with_rows(led_project):
    client = api_client()

    def queries_for(rows: int) -> int:
        ProgressUpdate.objects.all().delete()
        ProgressUpdateFactory.create_batch(rows, project=led_project)
        response, queries = count_queries(client, updates_url(led_project))
        assert response.json()["count"] == rows
        return queries

    assert queries_for(1) == queries_for(20)


# Totals --------------------------------------------------------------------------


@pytest.fixture
def ledger(city, other_city, organization):
    """Hand-made events: two cities, three organisations, two projects, January and
    March 2025 (February has none)."""
    partner = CommunityOrganizationFactory(municipality=city)
    far_org = CommunityOrganizationFactory(municipality=other_city)
    here = RenewalProjectFactory(municipality=city, lead_organization=organization)
    there = RenewalProjectFactory(municipality=other_city, lead_organization=far_org)
    home_group = MunicipalityGroup.objects.create(
        slug="home-only", name_ko="홈", name_en="Home"
    )
    home_group.members.add(city)
    both = MunicipalityGroup.objects.create(slug="both", name_ko="둘", name_en="Both")
    both.members.add(city, other_city)

    def event(project, org, date, ages, hours):
        return ParticipationEventFactory(
            project=project,
            organization=org,
            date=date,
            attendees_under_20=ages[0],
            attendees_20_39=ages[1],
            attendees_40_64=ages[2],
            attendees_65_plus=ages[3],
            volunteer_hours=Decimal(hours),
        )

    events = [
        event(here, organization, datetime.date(2025, 1, 10), (3, 4, 5, 6), "2.5"),
        event(here, organization, datetime.date(2025, 3, 5), (1, 0, 2, 0), "0"),
        event(here, partner, datetime.date(2025, 3, 28), (2, 2, 2, 2), "1.5"),
        event(there, far_org, datetime.date(2025, 1, 20), (0, 10, 0, 1), "4.0"),
    ]
    return {
        "events": events,
        "here": here,
        "there": there,
        "organization": organization,
        "partner": partner,
        "far_org": far_org,
        "city": city,
        "other_city": other_city,
    }


def _expected(events):
    return {
        "events": len(events),
        "attendees": sum(e.attendees for e in events),
        "volunteer_hours": sum((e.volunteer_hours for e in events), Decimal(0)),
        "under_20": sum(e.attendees_under_20 for e in events),
        "65_plus": sum(e.attendees_65_plus for e in events),
    }


def _actual(totals):
    return {
        "events": totals.events,
        "attendees": totals.attendees,
        "volunteer_hours": totals.volunteer_hours,
        "under_20": totals.attendees_by_age["under_20"],
        "65_plus": totals.attendees_by_age["65_plus"],
    }


def test_project_totals_and_monthly_series_are_counted_exactly(ledger):
    totals = participation_totals_per_project()[ledger["here"].pk]

    assert totals.events == 3
    assert totals.attendees == 29
    assert totals.attendees_by_age == {
        "under_20": 6,
        "20_39": 6,
        "40_64": 9,
        "65_plus": 8,
        "unknown": 0,
    }
    assert totals.volunteer_hours == Decimal("4.0")
    assert [(m.month, m.events, m.attendees) for m in totals.monthly] == [
        (datetime.date(2025, 1, 1), 1, 18),
        (datetime.date(2025, 2, 1), 0, 0),
        (datetime.date(2025, 3, 1), 2, 11),
    ]


@pytest.mark.parametrize(
    ("per", "part_of"),
    [
        (participation_totals_per_project, lambda e: e.project_id),
        (participation_totals_per_organization, lambda e: e.organization_id),
        (
            participation_totals_per_municipality,
            lambda e: e.project.municipality_id,
        ),
    ],
)
def test_totals_equal_the_sum_of_their_events(ledger, per, part_of):
    by_key = per()
    everything = participation_totals()

    keys = {part_of(e) for e in ledger["events"]}
    assert set(by_key) == keys
    for key in keys:
        mine = [e for e in ledger["events"] if part_of(e) == key]
        assert _actual(by_key[key]) == _expected(mine)
        monthly_events = sum(month.events for month in by_key[key].monthly)
        assert monthly_events == len(mine)
    # The parts add up to the whole.
    assert sum(t.attendees for t in by_key.values()) == everything.attendees
    assert sum(t.events for t in by_key.values()) == everything.events == 4
    assert _actual(everything) == _expected(ledger["events"])


def test_group_totals_count_the_events_of_member_municipalities(ledger):
    by_group = participation_totals_per_municipality_group()
    home_events = [e for e in ledger["events"] if e.project == ledger["here"]]

    assert set(by_group) == {"home-only", "both"}
    assert _actual(by_group["home-only"]) == _expected(home_events)
    assert _actual(by_group["both"]) == _expected(ledger["events"])


def test_totals_are_one_query(ledger, django_assert_num_queries):
    with django_assert_num_queries(1):
        participation_totals_per_municipality_group()
    with django_assert_num_queries(1):
        participation_totals()


@pytest.mark.parametrize(
    ("scope", "selected"),
    [
        ("project", lambda ledger, e: e.project == ledger["here"]),
        ("organization", lambda ledger, e: e.organization == ledger["organization"]),
        ("city", lambda ledger, e: e.project.municipality == ledger["other_city"]),
        ("group", lambda ledger, e: True),
    ],
)
def test_totals_endpoint_answers_for_one_scope(ledger, scope, selected):
    value = {
        "project": ledger["here"].pk,
        "organization": ledger["organization"].pk,
        "city": ledger["other_city"].code,
        "group": "both",
    }[scope]
    mine = [e for e in ledger["events"] if selected(ledger, e)]

    body = api_client().get(TOTALS_URL, {scope: value}).json()

    expected = _expected(mine)
    assert body["events"] == expected["events"]
    assert body["attendees"] == expected["attendees"]
    assert Decimal(str(body["volunteer_hours"])) == expected["volunteer_hours"]
    assert body["attendees_by_age"]["under_20"] == expected["under_20"]
    assert body["attendees_by_age"]["65_plus"] == expected["65_plus"]
    assert sum(month["events"] for month in body["monthly"]) == len(mine)
    assert all(len(month["month"]) == 7 for month in body["monthly"])  # YYYY-MM


def test_totals_for_a_scope_without_events_are_zero(city):
    body = api_client().get(TOTALS_URL, {"city": city.code}).json()

    assert body["events"] == 0
    assert body["attendees"] == 0
    assert body["monthly"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"city": "00000"}, "city"),
        ({"group": "no-such-group"}, "group"),
        ({"project": "abc"}, "project"),
        ({"organization": 999999}, "organization"),
    ],
)
def test_totals_endpoint_names_an_unknown_scope(db, params, field):
    response = api_client().get(TOTALS_URL, params)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize("scopes", [(), ("project", "city")])
def test_totals_endpoint_needs_exactly_one_scope(ledger, scopes):
    known = {"project": ledger["here"].pk, "city": ledger["city"].code}

    response = api_client().get(
        TOTALS_URL, {name: known[name] for name in scopes}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == (
        "Give exactly one of project, organization, city or group."
    )
    assert error["fields"] == {}


# Hidden projects ------------------------------------------------------------------


@pytest.fixture
def hidden_ledger(ledger):
    """The ledger with the "here" project hidden by moderation."""
    ledger["here"].is_hidden = True
    ledger["here"].save(update_fields=["is_hidden"])
    return ledger


def test_events_of_a_hidden_project_are_listed_only_for_those_who_see_it(
    personas, hidden_ledger
):
    there = {
        e.pk for e in hidden_ledger["events"] if e.project == hidden_ledger["there"]
    }
    everything = {e.pk for e in hidden_ledger["events"]}

    def listed(user):
        body = api_client(user).get(EVENTS_URL).json()
        return {row["id"] for row in body["results"]}

    assert listed(personas["anonymous"]) == there
    assert listed(personas["other_city_editor"]) == there
    # The city's staff still review the hidden project, and so see its events.
    assert listed(personas["city_viewer"]) == everything


def test_totals_of_a_hidden_project_answer_as_for_an_unknown_project(
    personas, hidden_ledger
):
    client = api_client(personas["resident"])
    hidden = client.get(TOTALS_URL, {"project": hidden_ledger["here"].pk})
    unknown = client.get(TOTALS_URL, {"project": 999999})
    staff = api_client(personas["city_editor"]).get(
        TOTALS_URL, {"project": hidden_ledger["here"].pk}
    )

    assert hidden.status_code == unknown.status_code >= 400
    assert hidden.json()["error"]["code"] == unknown.json()["error"]["code"]
    assert "events" not in hidden.json()
    assert staff.status_code == 200
    assert staff.json()["events"] == 3


def test_totals_of_a_city_leave_out_hidden_projects_for_the_public(
    personas, hidden_ledger
):
    city = hidden_ledger["city"]

    public = api_client().get(TOTALS_URL, {"city": city.code}).json()
    staff = api_client(personas["city_viewer"]).get(TOTALS_URL, {"city": city.code})

    assert public["events"] == 0
    assert public["attendees"] == 0
    assert staff.json()["events"] == 3


def test_selector_refuses_a_hidden_project_with_404(personas, hidden_ledger):
    from django.http import Http404

    from renewal.selectors.progress import participation_events_in_scope

    with pytest.raises(Http404):
        participation_events_in_scope(
            user=personas["resident"], project=hidden_ledger["here"]
        )


def test_organisation_page_leaves_out_hidden_projects(client, hidden_ledger):
    organization = hidden_ledger["organization"]  # ran two events of the hidden one

    response = client.get(f"/en/organizations/{organization.pk}/participation/")

    assert response.status_code == 200
    assert response.context["totals"].events == 0
    assert list(response.context["recent_events"]) == []
