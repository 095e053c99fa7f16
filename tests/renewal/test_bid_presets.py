"""Rule sets of Business Improvement Districts: England, Scotland, Korea's autonomous
commercial zone and Japan's area-management charge."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from cities.demo import illustrative_downtown
from core.errors import DomainError
from renewal.models import BidStatus, MemberRole
from renewal.services.bids import (
    ballot_failures_text,
    bid_ballot_close,
    bid_ballot_open,
    bid_create,
    bid_members_import,
    bid_preset_set,
    vote_cast,
)
from tests.factories import CommunityOrganizationFactory
from tests.helpers import api_client
from tests.renewal.test_bids import CLOSES, OPENS, district_area, near


@pytest.fixture
def downtown_city(city):
    city.downtown = illustrative_downtown(city.location, 800)
    city.save()
    return city


@pytest.fixture
def bid_body(downtown_city):
    return CommunityOrganizationFactory(municipality=downtown_city, kind="bid_body")


def make_district(editor, city, body, preset, **fields):
    return bid_create(
        actor=editor,
        municipality=city,
        name=f"{preset} district",
        polygon=district_area(city),
        management_organization=body,
        preset=preset,
        **fields,
    )


def add(district, actor, role, values) -> list:
    """Members through the list upload, in one statement: the Korean rule set needs
    a hundred stores."""
    start = district.members.count()
    lines = ["name,role,rateable_value_krw,lon,lat"]
    for index, value in enumerate(values, start=start):
        point = near(district.municipality, east_m=index % 200, north_m=index // 200)
        lines.append(f"{role} {index},{role},{value},{point.x},{point.y}")
    upload = SimpleUploadedFile("members.csv", "\n".join(lines).encode())
    report = bid_members_import(actor=actor, district=district, upload=upload)
    assert report.ok, report.problems
    return list(district.members.order_by("id")[start:])


def ballot_with(district, actor, yes: list, no: list = ()):
    ballot = bid_ballot_open(
        actor=actor, district=district, opens_on=OPENS, closes_on=CLOSES
    )
    for member in yes:
        vote_cast(actor=actor, ballot=ballot, member=member, in_favour=True)
    for member in no:
        vote_cast(actor=actor, ballot=ballot, member=member, in_favour=False)
    return bid_ballot_close(actor=actor, ballot=ballot, today=CLOSES)


@pytest.fixture
def korean_district(personas, downtown_city, bid_body):
    return make_district(
        personas["city_editor"],
        downtown_city,
        bid_body,
        "korea_acz",
        declining_businesses=True,
        declining_sales=True,
    )


def test_korean_ballot_with_two_thirds_of_occupiers_but_not_landlords_fails(
    personas, korean_district
):
    editor = personas["city_editor"]
    occupiers = add(korean_district, editor, MemberRole.OCCUPIER, [100] * 100)
    landlords = add(korean_district, editor, MemberRole.LANDLORD, [5000] * 3)

    # 67 of 100 merchants (two thirds) and 1 of 3 landlords consent; landlords'
    # large values would carry any pooled or value-based count.
    ballot = ballot_with(
        korean_district, editor, yes=occupiers[:67] + landlords[:1], no=landlords[1:]
    )

    korean_district.refresh_from_db()
    assert ballot.preset == "korea_acz"
    assert ballot.passed is False
    assert korean_district.status == BidStatus.PROPOSED
    assert [(r["group"], r["passed"]) for r in ballot.result_reasons] == [
        ("occupiers", True),
        ("landlords", False),
    ]
    with translation.override("ko"):
        assert ballot_failures_text(ballot) == ["임대인 동의율 2/3 미달 (3명 중 1명)"]
    with translation.override("en"):
        assert ballot_failures_text(ballot) == ["landlords: below two-thirds (1 of 3)"]


def test_korean_preset_refuses_a_ballot_without_100_stores_or_decline(
    personas,
    downtown_city,
    bid_body,
):
    editor = personas["city_editor"]
    district = make_district(
        editor, downtown_city, bid_body, "korea_acz", declining_sales=True
    )
    add(district, editor, MemberRole.OCCUPIER, [100] * 99)

    with translation.override("en"), pytest.raises(DomainError) as refused:
        bid_ballot_open(
            actor=editor, district=district, opens_on=OPENS, closes_on=CLOSES
        )

    assert "Stores: 99 of at least 100" in refused.value.message
    assert "Commercial decline: 1 of at least 2" in refused.value.message
    district.refresh_from_db()
    assert district.status == BidStatus.PROPOSED
    assert not district.ballots.exists()


def test_england_preset_keeps_the_pooled_count_and_value_majority(
    personas,
    downtown_city,
    bid_body,
):
    editor = personas["city_editor"]
    district = make_district(editor, downtown_city, bid_body, "england")
    shops = add(district, editor, MemberRole.OCCUPIER, [10, 10])
    (landlord,) = add(district, editor, MemberRole.LANDLORD, [1000])

    # Two of three by count, but the landlord's value says no.
    ballot = ballot_with(district, editor, yes=shops, no=[landlord])

    assert district.ballot_rule == "dual_majority"
    assert [(r["group"], r["test"], r["passed"]) for r in ballot.result_reasons] == [
        ("ratepayers", "majority_by_count", True),
        ("ratepayers", "majority_by_value", False),
    ]
    assert ballot.passed is False


def test_scotland_preset_needs_a_quarter_turnout(
    personas,
    downtown_city,
    bid_body,
):
    editor = personas["city_editor"]
    district = make_district(editor, downtown_city, bid_body, "scotland")
    members = add(district, editor, MemberRole.OCCUPIER, [100] * 5)

    ballot = ballot_with(district, editor, yes=members[:1])

    assert ballot.passed is False
    with translation.override("en"):
        assert ballot_failures_text(ballot) == [
            "ratepayers: turnout by count 20.00% below the minimum 25.00%",
            "ratepayers: turnout by value 20.00% below the minimum 25.00%",
        ]


def test_japan_preset_needs_two_thirds_by_count_and_by_value(
    personas,
    downtown_city,
    bid_body,
):
    editor = personas["city_editor"]
    district = make_district(editor, downtown_city, bid_body, "japan_amc")
    small = add(district, editor, MemberRole.OCCUPIER, [10, 10])
    large = add(district, editor, MemberRole.LANDLORD, [1000])

    ballot = ballot_with(district, editor, yes=small, no=large)

    assert [r["passed"] for r in ballot.result_reasons] == [True, False]
    assert ballot.passed is False


def test_preset_changes_only_while_proposed_and_within_its_term(
    personas,
    downtown_city,
    bid_body,
):
    editor = personas["city_editor"]
    district = make_district(editor, downtown_city, bid_body, "england")

    with pytest.raises(DomainError) as too_long:
        bid_preset_set(actor=editor, district=district, preset="scotland", term_years=7)
    changed = bid_preset_set(actor=editor, district=district, preset="scotland")
    add(district, editor, MemberRole.OCCUPIER, [100])
    bid_ballot_open(actor=editor, district=district, opens_on=OPENS, closes_on=CLOSES)
    with pytest.raises(DomainError) as running:
        bid_preset_set(actor=editor, district=district, preset="england")

    assert "term_years" in too_long.value.fields
    assert changed.min_turnout_count_percent == Decimal(25)
    assert "preset" in running.value.fields
    district.refresh_from_db()
    assert district.preset == "scotland"


def test_api_creates_a_korean_district_and_explains_a_failed_ballot(
    personas, korean_district
):
    editor = personas["city_editor"]
    add(korean_district, editor, MemberRole.OCCUPIER, [100] * 100)
    landlords = add(korean_district, editor, MemberRole.LANDLORD, [100] * 3)
    client = api_client(editor)
    base = f"/api/v1/bids/{korean_district.pk}"

    opened = client.post(
        f"{base}/ballots/",
        {"opens_on": str(OPENS), "closes_on": str(datetime.date.today())},
        format="json",
    ).json()
    client.post(
        f"{base}/ballots/{opened['id']}/votes/",
        {"member": landlords[0].pk, "in_favour": True},
        format="json",
    )
    closed = client.post(
        f"{base}/ballots/{opened['id']}/close/", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    district = client.get(f"{base}/").json()

    assert closed["passed"] is False
    assert "merchants: below two-thirds (0 of 100)" in closed["failures"]
    assert "landlords: below two-thirds (1 of 3)" in closed["failures"]
    assert district["properties"]["preset"] == "korea_acz"
    assert district["properties"]["funding_model"] == "voluntary_dues"
