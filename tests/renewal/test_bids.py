import datetime
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction

from cities.demo import illustrative_downtown
from core.errors import DomainError, NotPermitted
from renewal.models import (
    Ballot,
    BallotRule,
    BidStatus,
    BusinessImprovementDistrict,
    Vote,
)
from renewal.services.bids import (
    ballot_outcome,
    bid_ballot_close,
    bid_ballot_open,
    bid_budget_line_set,
    bid_budget_summary,
    bid_create,
    bid_kpi_set,
    bid_levy_summary,
    bid_member_add,
    bid_member_levies,
    kpi_attainment,
    kpi_observation_record,
    vote_cast,
)
from renewal.services.roles import organization_role_grant
from tests.factories import CommunityOrganizationFactory, UserFactory
from tests.helpers import api_client, count_queries

OPENS = datetime.date(2024, 3, 1)
CLOSES = datetime.date(2024, 3, 29)


@pytest.fixture
def downtown_city(city):
    city.downtown = illustrative_downtown(city.location, 800)
    city.save()
    return city


@pytest.fixture
def bid_body(downtown_city):
    return CommunityOrganizationFactory(municipality=downtown_city, kind="bid_body")


@pytest.fixture
def bid_manager(bid_body):
    user = UserFactory(username="bid_manager")
    organization_role_grant(user=user, organization=bid_body)
    return user


def district_area(city, radius_m=300):
    return illustrative_downtown(city.location, radius_m)


def near(city, east_m=0.0, north_m=0.0) -> Point:
    # About 111 km per degree of latitude and 90 km per degree of longitude at 36°N.
    return Point(
        city.location.x + east_m / 90_000,
        city.location.y + north_m / 111_000,
        srid=4326,
    )


@pytest.fixture
def district(personas, downtown_city, bid_body):
    return bid_create(
        actor=personas["city_editor"],
        municipality=downtown_city,
        name="Central BID",
        polygon=district_area(downtown_city),
        management_organization=bid_body,
        levy_rate_percent=Decimal("1.5"),
        levy_threshold_krw=10_000_000,
        levy_cap_krw=600_000,
    )


def add_members(district, actor, values) -> list:
    return [
        bid_member_add(
            actor=actor,
            district=district,
            name=f"shop {index}",
            location=near(district.municipality, east_m=10 * index),
            rateable_value_krw=value,
        )
        for index, value in enumerate(values)
    ]


def run_ballot(district, actor, members, votes: dict[int, bool]) -> Ballot:
    ballot = bid_ballot_open(
        actor=actor, district=district, opens_on=OPENS, closes_on=CLOSES
    )
    for index, in_favour in votes.items():
        vote_cast(
            actor=actor, ballot=ballot, member=members[index], in_favour=in_favour
        )
    return bid_ballot_close(actor=actor, ballot=ballot, today=CLOSES)


# Ballots ------------------------------------------------------------------------


def test_formation_ballot_passing_both_majorities_activates_the_district(
    personas, district
):
    editor = personas["city_editor"]
    members = add_members(district, editor, [100, 100, 100, 100])

    ballot = run_ballot(district, editor, members, {0: True, 1: True, 2: False})

    district.refresh_from_db()
    assert ballot.passed is True
    assert (ballot.votes_cast, ballot.yes_count) == (3, 2)
    assert (ballot.value_cast_krw, ballot.yes_value_krw) == (300, 200)
    assert ballot.turnout_count_percent == Decimal("75.00")
    assert district.status == BidStatus.ACTIVE
    assert district.term_start == datetime.date(2024, 3, 30)
    assert district.term_end == datetime.date(2029, 3, 29)


def test_majority_by_count_but_not_by_value_fails(personas, district):
    editor = personas["city_editor"]
    # Three small shops say yes, one large store says no.
    members = add_members(district, editor, [10, 10, 10, 1000])

    ballot = run_ballot(
        district, editor, members, {0: True, 1: True, 2: True, 3: False}
    )

    district.refresh_from_db()
    assert ballot.passed is False
    assert [r["passed"] for r in ballot.result_reasons] == [True, False]
    assert district.status == BidStatus.PROPOSED
    assert district.term_start is None


def test_majority_by_value_but_not_by_count_fails(personas, district):
    editor = personas["city_editor"]
    # One large store says yes, three small shops say no.
    members = add_members(district, editor, [10, 10, 10, 1000])

    ballot = run_ballot(
        district, editor, members, {0: False, 1: False, 2: False, 3: True}
    )

    assert ballot.passed is False
    assert [r["passed"] for r in ballot.result_reasons] == [False, True]


def test_exact_half_is_not_a_majority():
    outcome = ballot_outcome(
        rule=BallotRule.DUAL_MAJORITY,
        eligible_count=4,
        eligible_value=400,
        votes_cast=4,
        value_cast=400,
        yes_count=2,
        yes_value=300,
    )

    assert outcome.passed is False


@pytest.mark.parametrize(
    ("votes_cast", "value_cast", "passed"),
    [(25, 250, True), (24, 250, False), (25, 249, False)],
)
def test_minimum_turnout_by_count_and_by_value(votes_cast, value_cast, passed):
    outcome = ballot_outcome(
        rule=BallotRule.DUAL_MAJORITY,
        eligible_count=100,
        eligible_value=1000,
        votes_cast=votes_cast,
        value_cast=value_cast,
        yes_count=votes_cast,
        yes_value=value_cast,
        min_turnout_count_percent=Decimal(25),
        min_turnout_value_percent=Decimal(25),
    )

    assert outcome.passed is passed


def test_turnout_minimum_applies_through_the_ballot(personas, district):
    editor = personas["city_editor"]
    district.min_turnout_count_percent = Decimal(50)
    district.save()
    members = add_members(district, editor, [100, 100, 100, 100, 100])

    ballot = run_ballot(district, editor, members, {0: True, 1: True})

    assert ballot.turnout_count_percent == Decimal("40.00")
    assert ballot.passed is False


@pytest.mark.parametrize(("yes", "passed"), [(6, True), (5, False)])
def test_two_thirds_consent_counts_all_members(personas, district, yes, passed):
    editor = personas["city_editor"]
    district.ballot_rule = BallotRule.TWO_THIRDS_CONSENT
    district.save()
    members = add_members(district, editor, [100] * 9)

    # Everyone who votes says yes: abstentions count against under this rule.
    ballot = run_ballot(district, editor, members, dict.fromkeys(range(yes), True))

    assert ballot.rule == BallotRule.TWO_THIRDS_CONSENT
    assert ballot.passed is passed


def test_failed_renewal_ballot_ends_and_passed_one_extends_the_term(personas, district):
    editor = personas["city_editor"]
    members = add_members(district, editor, [100, 100, 100])
    run_ballot(district, editor, members, {0: True, 1: True})
    district.refresh_from_db()
    first_end = district.term_end

    renewal = bid_ballot_open(
        actor=editor,
        district=district,
        opens_on=datetime.date(2028, 10, 1),
        closes_on=datetime.date(2028, 10, 29),
    )
    vote_cast(actor=editor, ballot=renewal, member=members[0], in_favour=True)
    bid_ballot_close(actor=editor, ballot=renewal, today=datetime.date(2028, 10, 29))
    district.refresh_from_db()

    assert renewal.kind == "renewal"
    assert district.status == BidStatus.ACTIVE
    assert district.term_start == first_end + datetime.timedelta(days=1)
    assert district.term_end == datetime.date(2034, 3, 29)

    second = bid_ballot_open(
        actor=editor,
        district=district,
        opens_on=datetime.date(2033, 10, 1),
        closes_on=datetime.date(2033, 10, 29),
    )
    vote_cast(actor=editor, ballot=second, member=members[0], in_favour=False)
    bid_ballot_close(actor=editor, ballot=second, today=datetime.date(2033, 10, 29))
    district.refresh_from_db()
    assert district.status == BidStatus.ENDED


def test_a_member_votes_only_once(personas, district):
    editor = personas["city_editor"]
    members = add_members(district, editor, [100, 100])
    ballot = bid_ballot_open(
        actor=editor, district=district, opens_on=OPENS, closes_on=CLOSES
    )
    vote_cast(actor=editor, ballot=ballot, member=members[0], in_favour=True)

    with pytest.raises(DomainError):
        vote_cast(actor=editor, ballot=ballot, member=members[0], in_favour=False)

    assert Vote.objects.get(ballot=ballot, member=members[0]).in_favour is True


def test_the_database_refuses_a_second_vote(personas, district):
    editor = personas["city_editor"]
    members = add_members(district, editor, [100])
    ballot = bid_ballot_open(
        actor=editor, district=district, opens_on=OPENS, closes_on=CLOSES
    )
    Vote.objects.create(ballot=ballot, member=members[0], in_favour=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(ballot=ballot, member=members[0], in_favour=False)


def test_ballot_cannot_close_before_its_last_day(personas, district):
    editor = personas["city_editor"]
    add_members(district, editor, [100])
    ballot = bid_ballot_open(
        actor=editor, district=district, opens_on=OPENS, closes_on=CLOSES
    )

    with pytest.raises(DomainError):
        bid_ballot_close(
            actor=editor, ballot=ballot, today=CLOSES - datetime.timedelta(days=1)
        )

    ballot.refresh_from_db()
    assert ballot.closed_at is None


def test_members_cannot_join_during_a_ballot(personas, district):
    editor = personas["city_editor"]
    add_members(district, editor, [100])
    bid_ballot_open(actor=editor, district=district, opens_on=OPENS, closes_on=CLOSES)

    with pytest.raises(DomainError):
        add_members(district, editor, [100])


# Geometry -----------------------------------------------------------------------


def test_member_outside_the_polygon_is_refused(personas, district):
    with pytest.raises(DomainError) as refused:
        bid_member_add(
            actor=personas["city_editor"],
            district=district,
            name="far away",
            location=near(district.municipality, east_m=600),
            rateable_value_krw=100,
        )

    assert "location" in refused.value.fields
    assert not district.members.exists()


def test_district_outside_the_downtown_is_refused(personas, downtown_city, bid_body):
    far = illustrative_downtown(near(downtown_city, east_m=3000), 300)

    with pytest.raises(DomainError):
        bid_create(
            actor=personas["city_editor"],
            municipality=downtown_city,
            name="Outside",
            polygon=far,
            management_organization=bid_body,
        )

    assert not BusinessImprovementDistrict.objects.exists()


# Levy ---------------------------------------------------------------------------


def test_levy_exempts_members_below_the_threshold_and_caps_the_rest(personas, district):
    editor = personas["city_editor"]
    # 1.5 %, threshold 10,000,000, cap 600,000.
    add_members(district, editor, [9_999_999, 10_000_000, 20_000_033, 50_000_000])

    levies = [m.levy_krw for m in bid_member_levies(district=district)]
    summary = bid_levy_summary(district=district)

    assert levies == [0, 150_000, 300_000, 600_000]
    assert summary["total_krw"] == 1_050_000
    assert summary["exempt_members"] == 1
    assert summary["capped_members"] == 1


def test_levy_without_cap_or_threshold_is_rate_times_value(personas, district):
    district.levy_cap_krw = None
    district.levy_threshold_krw = 0
    district.save()
    add_members(district, personas["city_editor"], [1_000, 50_000_000])

    assert bid_levy_summary(district=district)["total_krw"] == 15 + 750_000


# Budget and KPIs ----------------------------------------------------------------


def test_budget_totals_and_management_share(personas, district):
    editor = personas["city_editor"]
    for line, planned, spent in [
        ("cleaning", 40, 35),
        ("events", 35, 30),
        ("management", 25, 15),
    ]:
        bid_budget_line_set(
            actor=editor,
            district=district,
            year=2024,
            service_line=line,
            planned_krw=planned,
            spent_krw=spent,
        )

    (year,) = bid_budget_summary(district=district)

    assert (year["planned_krw"], year["spent_krw"]) == (100, 80)
    assert year["management_share_planned_percent"] == Decimal("25.00")
    assert year["management_share_spent_percent"] == Decimal("18.75")
    assert year["management_share_over_limit"] is True


@pytest.mark.parametrize(
    ("higher_is_better", "values", "attained", "percent"),
    [
        (True, ["80", "120"], True, Decimal("120.0")),
        (True, ["120", "80"], False, Decimal("80.0")),
        (False, ["120", "80"], True, Decimal("125.0")),
        (False, ["80", "125"], False, Decimal("80.0")),
    ],
)
def test_kpi_attainment_uses_the_latest_observation(
    personas, district, higher_is_better, values, attained, percent
):
    editor = personas["city_editor"]
    kpi = bid_kpi_set(
        actor=editor,
        district=district,
        code="footfall",
        unit="people/day",
        target=Decimal(100),
        higher_is_better=higher_is_better,
    )
    for year, value in zip((2023, 2024), values, strict=True):
        kpi_observation_record(
            actor=editor,
            kpi=kpi,
            period=datetime.date(year, 12, 31),
            value=Decimal(value),
            source="test",
        )

    result = kpi_attainment(kpi=kpi)

    assert result["latest_value"] == Decimal(values[-1])
    assert result["attained"] is attained
    assert result["attainment_percent"] == percent


# Permissions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("anonymous", False),
        ("resident", False),
        ("org_member", False),  # a member of another organisation of the city
        ("city_viewer", False),
        ("other_city_editor", False),
        ("city_editor", True),
        ("bid_manager", True),
    ],
)
def test_who_manages_a_district(personas, bid_manager, district, persona, allowed):
    actor = bid_manager if persona == "bid_manager" else personas[persona]
    attempts = [
        lambda: add_members(district, actor, [100]),
        lambda: bid_budget_line_set(
            actor=actor,
            district=district,
            year=2024,
            service_line="cleaning",
            planned_krw=1,
        ),
    ]
    for attempt in attempts:
        if allowed:
            attempt()
        else:
            with pytest.raises(NotPermitted):
                attempt()

    assert district.members.exists() is allowed


def test_only_managers_record_votes_and_close(personas, district):
    editor = personas["city_editor"]
    members = add_members(district, editor, [100])
    ballot = bid_ballot_open(
        actor=editor, district=district, opens_on=OPENS, closes_on=CLOSES
    )

    with pytest.raises(NotPermitted):
        vote_cast(
            actor=personas["resident"], ballot=ballot, member=members[0], in_favour=True
        )
    with pytest.raises(NotPermitted):
        bid_ballot_close(
            actor=personas["other_city_editor"], ballot=ballot, today=CLOSES
        )

    assert not ballot.votes.exists()


# API ----------------------------------------------------------------------------


def test_api_ballot_round_trip(personas, district):
    editor = api_client(personas["city_editor"])
    base = f"/api/v1/bids/{district.pk}"
    member_ids = []
    for index, value in enumerate([100, 300]):
        location = near(district.municipality, north_m=20 * index)
        response = editor.post(
            f"{base}/members/",
            {
                "name": f"shop {index}",
                "location": {"type": "Point", "coordinates": [location.x, location.y]},
                "rateable_value_krw": value,
                "role": "occupier",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        member_ids.append(response.json()["id"])

    ballot = editor.post(
        f"{base}/ballots/",
        {"opens_on": "2024-03-01", "closes_on": "2024-03-29"},
        format="json",
    ).json()
    for member_id, in_favour in zip(member_ids, [False, True], strict=True):
        assert (
            editor.post(
                f"{base}/ballots/{ballot['id']}/votes/",
                {"member": member_id, "in_favour": in_favour},
                format="json",
            ).status_code
            == 201
        )
    again = editor.post(
        f"{base}/ballots/{ballot['id']}/votes/",
        {"member": member_ids[0], "in_favour": True},
        format="json",
    )
    closed = editor.post(f"{base}/ballots/{ballot['id']}/close/")

    assert again.status_code == 400
    assert again.json()["error"]["fields"]["member"]
    assert closed.status_code == 200
    # One yes of two by count fails, whatever the value says.
    assert closed.json()["passed"] is False
    assert closed.json()["yes_value_krw"] == 300
    public = api_client().get(f"{base}/ballots/").json()
    assert public[0]["votes_cast"] == 2


def test_api_hides_members_from_the_public_but_shows_totals(personas, district):
    add_members(district, personas["city_editor"], [20_000_000])
    base = f"/api/v1/bids/{district.pk}"

    members = api_client(personas["resident"]).get(f"{base}/members/")
    levy = api_client().get(f"{base}/levy/").json()
    managed = api_client(personas["city_editor"]).get(f"{base}/levy/").json()

    assert members.status_code == 403
    assert levy["total_krw"] == 300_000
    assert "members_levy" not in levy
    assert managed["members_levy"][0]["levy_krw"] == 300_000


def test_api_create_refuses_a_polygon_outside_the_downtown(
    personas, downtown_city, bid_body
):
    far = illustrative_downtown(near(downtown_city, east_m=5000), 200)
    response = api_client(personas["city_editor"]).post(
        "/api/v1/bids/",
        {
            "type": "Feature",
            "geometry": {"type": "MultiPolygon", "coordinates": far.coords},
            "properties": {
                "municipality": downtown_city.code,
                "name": "Elsewhere",
                "management_organization": bid_body.pk,
            },
        },
        format="json",
    )

    assert response.status_code == 400
    assert "polygon" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("resident", 403),
        ("city_viewer", 403),
        ("other_city_editor", 403),
        (
            "bid_manager",
            403,
        ),  # the management body runs a district, the city creates it
        ("city_editor", 201),
    ],
)
def test_api_only_the_city_creates_a_district(
    personas, bid_manager, downtown_city, bid_body, persona, expected
):
    actor = bid_manager if persona == "bid_manager" else personas[persona]
    area = district_area(downtown_city, 200)
    response = api_client(actor).post(
        "/api/v1/bids/",
        {
            "type": "Feature",
            "geometry": {"type": "MultiPolygon", "coordinates": area.coords},
            "properties": {
                "municipality": downtown_city.code,
                "name": "Market street",
                "management_organization": bid_body.pk,
                "levy_rate_percent": "1.25",
            },
        },
        format="json",
    )

    assert response.status_code == expected, response.json()
    assert BusinessImprovementDistrict.objects.exists() is (expected == 201)
    if expected == 201:
        assert response.json()["properties"]["status"] == "proposed"


def test_api_list_query_count_does_not_grow(personas, downtown_city, bid_body):
    editor = personas["city_editor"]

    def make(count_from, count_to):
        for index in range(count_from, count_to):
            bid_create(
                actor=editor,
                municipality=downtown_city,
                name=f"BID {index}",
                polygon=district_area(downtown_city, 100 + index),
                management_organization=bid_body,
            )

    make(0, 1)
    response, one = count_queries(api_client(), "/api/v1/bids/")
    assert response.json()["count"] == 1
    make(1, 20)
    response, twenty = count_queries(api_client(), "/api/v1/bids/")
    assert response.json()["count"] == 20

    assert twenty == one


# Pages --------------------------------------------------------------------------


def test_district_page_shows_ballot_levy_budget_and_kpis(client, personas, district):
    editor = personas["city_editor"]
    members = add_members(district, editor, [20_000_000, 30_000_000])
    run_ballot(district, editor, members, {0: True, 1: True})
    bid_budget_line_set(
        actor=editor,
        district=district,
        year=2024,
        service_line="cleaning",
        planned_krw=5_000_000,
        spent_krw=4_000_000,
    )
    kpi = bid_kpi_set(
        actor=editor, district=district, code="footfall", unit="people/day", target=900
    )
    kpi_observation_record(
        actor=editor,
        kpi=kpi,
        period=datetime.date(2024, 12, 31),
        value=Decimal(777),
        source="test",
    )

    page = client.get(f"/en/bids/{district.pk}/").content.decode()

    assert "Central BID" in page
    assert "Passed" in page
    assert "750,000" in page  # total levy: 300,000 + 450,000
    assert "5,000,000" in page
    assert "<svg" in page and "777" in page
    assert "target not met" in page
    assert "shop 0" not in page  # member names only for managers


def test_district_page_shows_member_levies_to_managers(client, bid_manager, district):
    add_members(district, bid_manager, [20_000_000])
    client.force_login(bid_manager)

    page = client.get(f"/ko/bids/{district.pk}/").content.decode()

    assert "shop 0" in page


def test_city_list_page_query_count_does_not_grow(
    client, personas, downtown_city, bid_body
):
    editor = personas["city_editor"]
    url = f"/en/cities/{downtown_city.code}/bids/"
    bid_create(
        actor=editor,
        municipality=downtown_city,
        name="BID 0",
        polygon=district_area(downtown_city, 100),
        management_organization=bid_body,
    )
    response, one = count_queries(client, url)
    assert "BID 0" in response.content.decode()
    for index in range(1, 20):
        bid_create(
            actor=editor,
            municipality=downtown_city,
            name=f"BID {index}",
            polygon=district_area(downtown_city, 100 + index),
            management_organization=bid_body,
        )
    response, twenty = count_queries(client, url)
    assert "BID 19" in response.content.decode()

    assert twenty == one


# Demo ---------------------------------------------------------------------------


def test_demo_bid_is_active_after_a_korean_consent_ballot_and_loads_once(
    client, demo_data
):
    from renewal.demo.bids import demo_bid_load

    assert demo_bid_load() == 1
    assert demo_bid_load() == 0

    district = BusinessImprovementDistrict.objects.get()
    (ballot,) = district.ballots.all()
    assert district.status == BidStatus.ACTIVE
    assert district.municipality.code == "47130"
    assert district.preset == "korea_acz"
    assert district.funding_model == "voluntary_dues"
    assert ballot.passed is True
    assert [(r["group"], r["passed"]) for r in ballot.result_reasons] == [
        ("occupiers", True),
        ("landlords", True),
        ("land_owners", True),
    ]
    assert district.kpis.count() == 4
    assert bid_levy_summary(district=district)["total_krw"] > 0
    page = client.get(f"/en/bids/{district.pk}/")
    assert page.status_code == 200
    assert page.content.decode().count("<circle") >= district.members.count()
