import datetime

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone

from cities.models import Indicator, Municipality, Observation
from cities.services import demo_indicators_load
from renewal.models import ChangeAction, InventoryChange, VacantSpace
from renewal.selectors.downtown import (
    IMPROVING,
    STABLE,
    WORSENING,
    downtown_health,
    downtown_health_by_city_type,
    trend_direction,
)
from renewal.services.demo import demo_spaces_generate
from renewal.services.history import inventory_change_record
from tests.factories import MunicipalityFactory, VacantSpaceFactory

SEOUL = timezone.get_fixed_timezone(9 * 60)


def at(year, month, day):
    return datetime.datetime(year, month, day, 12, tzinfo=SEOUL)


@pytest.fixture
def town(db):
    centre = Point(128.5, 36.5, srid=4326)
    municipality = MunicipalityFactory(location=centre)
    municipality.downtown = MultiPolygon(
        Polygon.from_bbox((128.495, 36.495, 128.505, 36.505)), srid=4326
    )
    municipality.save()
    return municipality


def place(town, *, inside, kind="shop", since=None, status="surveyed", created=None):
    location = Point(128.5 if inside else 128.52, 36.5, srid=4326)
    space = VacantSpaceFactory(
        municipality=town,
        location=location,
        kind=kind,
        vacant_since=since,
        status=status,
    )
    if created:
        VacantSpace.objects.filter(pk=space.pk).update(created_at=created)
    return space


def change_status(space, old, new, when):
    entry = inventory_change_record(
        record=space,
        actor=None,
        action=ChangeAction.STATUS,
        changes={"status": [old, new]},
    )
    InventoryChange.objects.filter(pk=entry.pk).update(at=when)


def observe(town, code, year, value):
    indicator, _ = Indicator.objects.get_or_create(
        code=code, defaults={"name_ko": code, "name_en": code, "unit": "n"}
    )
    Observation.objects.create(
        municipality=town, indicator=indicator, year=year, value=value, source="test"
    )


@pytest.fixture
def hand_placed(town):
    place(town, inside=True, since=datetime.date(2019, 5, 1))  # A: vacant throughout
    place(town, inside=True, kind="house", since=datetime.date(2020, 3, 1))  # B: new
    reused = place(town, inside=True, since=datetime.date(2018, 1, 1), status="matched")
    change_status(reused, "available", "matched", at(2020, 6, 1))  # C: re-used 2020
    later = place(town, inside=True, since=datetime.date(2019, 1, 1), status="in_use")
    change_status(later, "available", "matched", at(2021, 3, 1))  # F: re-used 2021
    change_status(later, "matched", "in_use", at(2021, 4, 1))
    place(town, inside=False, kind="house", since=datetime.date(2020, 2, 1))  # D
    place(town, inside=False, created=at(2021, 2, 1))  # E: recorded in 2021
    observe(town, "buildings", 2019, 1000)
    observe(town, "buildings_downtown", 2019, 100)
    observe(town, "population", 2020, 100_000)
    observe(town, "population_downtown", 2020, 5_000)
    return town


def test_downtown_counts_match_a_hand_count(hand_placed, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        health = downtown_health(hand_placed, year=2020)

    assert health.downtown.as_dict() == {
        "vacant": 3,
        "vacant_by_kind": {"house": 1, "shop": 2},
        "vacant_previous_year": 3,
        "new_vacancies": 1,
        "reuses": 1,
        "buildings": 100.0,
        "rate_per_1000_buildings": 30.0,
    }
    assert health.outside.vacant == 1
    assert health.outside.new_vacancies == 1
    assert health.outside.rate_per_1000_buildings == pytest.approx(1.11)
    assert health.population_share_pct == 5.0
    assert health.businesses_share_pct is None
    assert health.trend == STABLE


def test_next_year_reads_the_history_and_improves(hand_placed):
    health = downtown_health(hand_placed, year=2021)

    assert health.downtown.vacant == 2  # F went into use in 2021
    assert health.downtown.reuses == 1
    assert health.outside.vacant == 2  # E recorded in 2021
    assert health.outside.new_vacancies == 1
    assert health.trend == IMPROVING


def test_city_without_downtown_counts_everything_outside(db):
    town = MunicipalityFactory()
    VacantSpaceFactory(municipality=town, vacant_since=datetime.date(2020, 1, 1))

    health = downtown_health(town, year=2020)

    assert (health.downtown.vacant, health.outside.vacant) == (0, 1)


@pytest.mark.parametrize(
    ("before", "now", "direction"),
    [
        (100, 105, STABLE),
        (100, 106, WORSENING),
        (100, 95, STABLE),
        (100, 94, IMPROVING),
        (0, 0, STABLE),
        (0, 1, WORSENING),
    ],
)
def test_trend_rule_boundaries(before, now, direction):
    assert trend_direction(before, now) == direction


def test_city_type_aggregates_are_the_sums_of_their_cities(hand_placed):
    other = MunicipalityFactory(location=Point(128.7, 36.5, srid=4326))
    VacantSpaceFactory(municipality=other, vacant_since=datetime.date(2020, 1, 1))
    for town, population in ((hand_placed, 100_000), (other, 90_000)):
        observe(town, "population", 2015, population)
        if town != hand_placed:
            observe(town, "population", 2020, population)

    by_type = downtown_health_by_city_type(
        year=2020, municipalities=[hand_placed, other]
    )

    small = by_type["small_city"]
    parts = [downtown_health(m, year=2020) for m in (hand_placed, other)]
    assert sorted(small["cities"]) == sorted([hand_placed.code, other.code])
    assert small["downtown_vacant"] == sum(p.downtown.vacant for p in parts) == 3
    assert small["outside_vacant"] == sum(p.outside.vacant for p in parts) == 2
    assert small["reuses"] == 1
    assert small["downtown_rate_per_1000_buildings"] == 30.0


def test_downtown_health_endpoint(client, demo_data):
    demo_indicators_load()
    demo_spaces_generate(municipalities=Municipality.objects.filter(code="47170"))

    body = client.get(
        "/api/v1/municipalities/47170/downtown-health/", {"period": 2030}
    ).json()

    assert body["has_downtown"] is True
    assert body["downtown"]["vacant"] + body["outside"]["vacant"] > 0
    assert body["downtown"]["rate_per_1000_buildings"] is not None
    assert 0 < body["downtown_population_share_pct"] < 20


def test_schema_documents_the_downtown_endpoint(openapi_schema):
    assert "/api/v1/municipalities/{code}/downtown-health/" in openapi_schema["paths"]
