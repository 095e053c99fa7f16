import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.utils import timezone

from cities.demo.indicators import demo_indicators_load
from cities.models import Indicator, Municipality, MunicipalityGroup, Observation
from cities.typology import STUDY_GROUP
from renewal.demo.spaces import demo_spaces_generate
from renewal.models import ChangeAction, InventoryChange, VacantSpace
from renewal.selectors.downtown import (
    IMPROVING,
    STABLE,
    WORSENING,
    downtown_health,
    downtown_health_by_city_type,
    downtown_health_by_year,
    health_rows,
    health_rows_from_history,
    trend_direction,
)
from renewal.services.downtown import downtown_health_counts_compact
from renewal.services.history import inventory_change_record
from renewal.services.spaces import SpaceWrite, space_status_set, vacant_spaces_create
from tests.factories import MunicipalityFactory, VacantSpaceFactory
from tests.helpers import HANG_GUARD_SECONDS

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
    study, _created = MunicipalityGroup.objects.get_or_create(
        slug=STUDY_GROUP, defaults={"name_ko": "연구대상", "name_en": "Study"}
    )
    for town, population in ((hand_placed, 100_000), (other, 90_000)):
        observe(town, "population", 2015, population)
        observe(town, "manufacturing_employment_share", 2015, 10)
        study.members.add(town)
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


# --- Inside means inside the polygon ------------------------------------------------

# An L: the box (128.49, 36.49)–(128.51, 36.51) without its north-east quarter.
L_SHAPE = Polygon(
    (
        (128.49, 36.49),
        (128.51, 36.49),
        (128.51, 36.50),
        (128.50, 36.50),
        (128.50, 36.51),
        (128.49, 36.51),
        (128.49, 36.49),
    ),
    srid=4326,
)


@pytest.fixture
def l_town(db):
    return MunicipalityFactory(
        location=Point(128.495, 36.495, srid=4326),
        downtown=MultiPolygon(L_SHAPE, srid=4326),
    )


def test_a_space_in_the_downtowns_box_but_outside_its_polygon_is_outside(l_town):
    since = datetime.date(2019, 1, 1)
    VacantSpaceFactory(
        municipality=l_town, location=Point(128.495, 36.495), vacant_since=since
    )
    # In the missing quarter of the L: inside the bounding box, outside the polygon.
    VacantSpaceFactory(
        municipality=l_town,
        location=Point(128.505, 36.505),
        kind="house",
        vacant_since=since,
    )

    health = downtown_health(l_town, year=2020)

    assert health.downtown.by_kind == {"shop": 1}
    assert health.outside.by_kind == {"house": 1}


def test_a_space_on_the_downtowns_edge_counts_inside(l_town):
    # The L's inner corner: covered by the polygon, not in its interior.
    VacantSpaceFactory(
        municipality=l_town,
        location=Point(128.50, 36.50),
        vacant_since=datetime.date(2019, 1, 1),
    )

    health = downtown_health(l_town, year=2020)

    assert (health.downtown.vacant, health.outside.vacant) == (1, 0)


# --- Which status changes are re-uses -----------------------------------------------

STATUSES = ["reported", "surveyed", "available", "matched", "in_use", "retired"]
# From vacant to used; matched → in use is the same re-use going ahead, not another.
REUSE_TRANSITIONS = {
    ("reported", "matched"),
    ("reported", "in_use"),
    ("surveyed", "matched"),
    ("surveyed", "in_use"),
    ("available", "matched"),
    ("available", "in_use"),
}


@pytest.mark.parametrize(
    ("old", "new"),
    [(old, new) for old in STATUSES for new in STATUSES if old != new],
)
def test_only_a_change_from_vacant_to_used_is_a_reuse(town, old, new):
    space = place(town, inside=True, since=datetime.date(2018, 1, 1), status=new)
    change_status(space, old, new, at(2020, 6, 1))

    health = downtown_health(town, year=2020)

    assert health.downtown.reuses == (1 if (old, new) in REUSE_TRANSITIONS else 0)


def test_a_reuse_counts_once_per_space_and_only_in_its_year(town):
    space = place(town, inside=True, since=datetime.date(2018, 1, 1), status="matched")
    change_status(space, "surveyed", "matched", at(2020, 3, 1))
    change_status(space, "matched", "available", at(2020, 4, 1))
    change_status(space, "available", "matched", at(2020, 5, 1))

    assert downtown_health(town, year=2020).downtown.reuses == 1
    assert downtown_health(town, year=2021).downtown.reuses == 0


# --- The SQL against a straightforward count ------------------------------------------

EDGE_POINTS = [(128.50, 36.50), (128.49, 36.495), (128.50, 36.505)]


def random_point(rng):
    """Inside the L, in its missing quarter, on its edge, or away from it."""
    choice = rng.random()
    if choice < 0.1:
        return Point(*rng.choice(EDGE_POINTS), srid=4326)
    if choice < 0.4:
        return Point(
            rng.uniform(128.49, 128.4999), rng.uniform(36.49, 36.51), srid=4326
        )
    if choice < 0.6:  # the notch: inside the box, outside the polygon
        return Point(
            rng.uniform(128.5001, 128.51), rng.uniform(36.5001, 36.51), srid=4326
        )
    return Point(rng.uniform(128.52, 128.6), rng.uniform(36.4, 36.6), srid=4326)


def status_at(moment, changes, current):
    """The definition, word for word: the last change before the moment, else the
    first change at or after it, else the current status."""
    before = [c for c in changes if c.at < moment]
    if before:
        return before[-1].changes["status"][1]
    after = [c for c in changes if c.at >= moment]
    if after:
        return after[0].changes["status"][0]
    return current


def reference_health(municipality, year):
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=tz)
    downtown = municipality.downtown
    areas = {True: {}, False: {}}
    for space in VacantSpace.objects.filter(municipality=municipality):
        changes = sorted(
            (
                c
                for c in InventoryChange.objects.filter(
                    object_id=space.pk, municipality=municipality
                )
                if "status" in c.changes
            ),
            key=lambda c: (c.at, c.id),
        )
        entered = space.vacant_since or timezone.localtime(space.created_at, tz).date()
        inside = bool(downtown and downtown.covers(space.location))
        area = areas[inside]
        vacant_statuses = {"reported", "surveyed", "available"}
        if entered < end.date() and status_at(end, changes, space.status) in (
            vacant_statuses
        ):
            area.setdefault("by_kind", {}).setdefault(space.kind, 0)
            area["by_kind"][space.kind] += 1
            area["vacant"] = area.get("vacant", 0) + 1
        if entered < start.date() and status_at(start, changes, space.status) in (
            vacant_statuses
        ):
            area["before"] = area.get("before", 0) + 1
        if start.date() <= entered < end.date():
            area["new"] = area.get("new", 0) + 1
        if any(
            start <= c.at < end
            and c.changes["status"][0] in vacant_statuses
            and c.changes["status"][1] in ("matched", "in_use")
            for c in changes
        ):
            area["reuses"] = area.get("reuses", 0) + 1
    return {
        inside: (
            area.get("vacant", 0),
            area.get("by_kind", {}),
            area.get("before", 0),
            area.get("new", 0),
            area.get("reuses", 0),
        )
        for inside, area in areas.items()
    }


def figures(area):
    return (
        area.vacant,
        area.by_kind,
        area.vacant_before,
        area.new_vacancies,
        area.reuses,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_downtown_health_equals_a_straightforward_count(l_town, seed):
    import random

    rng = random.Random(seed)
    other = MunicipalityFactory(downtown=MultiPolygon(L_SHAPE, srid=4326))
    kinds = ["shop", "house", "office"]
    # Midnight on 1 January in the city's time: the boundary itself.
    boundaries = [
        timezone.make_aware(datetime.datetime(y, 1, 1)) for y in range(2019, 2024)
    ]
    for _ in range(40):
        space = VacantSpaceFactory(
            municipality=rng.choice([l_town, l_town, other]),
            location=random_point(rng),
            kind=rng.choice(kinds),
            vacant_since=rng.choice(
                [None, datetime.date(2018 + rng.randrange(6), 1 + rng.randrange(12), 1)]
            ),
        )
        VacantSpace.objects.filter(pk=space.pk).update(
            created_at=at(2018 + rng.randrange(6), 1 + rng.randrange(12), 15)
        )
        status = rng.choice(STATUSES)
        for _change in range(rng.randrange(5)):
            new = rng.choice([s for s in STATUSES if s != status])
            when = rng.choice(
                [
                    rng.choice(boundaries),
                    at(2018 + rng.randrange(6), 1 + rng.randrange(12), 1),
                ]
            )
            change_status(space, status, new, when)
            status = new
        if rng.random() < 0.3:  # moved in or out of the downtown
            moved = random_point(rng)
            entry = inventory_change_record(
                record=space,
                actor=None,
                action=ChangeAction.UPDATE,
                changes={"location": [space.location.wkt, moved.wkt]},
            )
            InventoryChange.objects.filter(pk=entry.pk).update(
                at=at(2020, 1 + rng.randrange(12), 1)
            )
            VacantSpace.objects.filter(pk=space.pk).update(location=moved)
        VacantSpace.objects.filter(pk=space.pk).update(status=status)
    l_town.refresh_from_db()
    other.refresh_from_db()

    by_year = downtown_health_by_year([l_town, other], years=range(2019, 2024))

    for year, entries in by_year.items():
        for entry in entries:
            expected = reference_health(entry.municipality, year)
            assert figures(entry.downtown) == expected[True], (year, "downtown")
            assert figures(entry.outside) == expected[False], (year, "outside")


# --- Every write path keeps the counts -------------------------------------------------
# The counts are kept by triggers in the database: whatever writes a space or its
# history, the next request must see it.


def test_a_status_change_through_the_service_is_counted(town):
    space = place(
        town, inside=True, since=datetime.date(2019, 1, 1), status="available"
    )
    this_year = timezone.localdate().year
    assert downtown_health(town, year=this_year).downtown.vacant == 1

    space_status_set(space=space, to="matched", actor=None, refusal="refused")

    health = downtown_health(town, year=this_year)
    assert (health.downtown.vacant, health.downtown.reuses) == (0, 1)
    # The year before still reads the space as vacant at its end.
    assert downtown_health(town, year=this_year - 1).downtown.vacant == 1


def test_spaces_created_by_the_import_s_bulk_path_are_counted(town):
    writes = [
        SpaceWrite(
            data={
                "kind": kind,
                "address": f"중앙로 {n}",
                "location": Point(128.5 if inside else 128.52, 36.5, srid=4326),
                "vacant_since": datetime.date(2020, 4, 1),
                "status": status,
            }
        )
        for n, (kind, inside, status) in enumerate(
            [
                ("shop", True, "surveyed"),
                ("house", True, "available"),
                ("shop", True, "in_use"),
                ("shop", False, "reported"),
            ]
        )
    ]
    vacant_spaces_create(actor=None, municipality=town, writes=writes)

    health = downtown_health(town, year=2020)
    assert health.downtown.by_kind == {"house": 1, "shop": 1}
    assert health.downtown.new_vacancies == 3
    assert (health.outside.vacant, health.outside.new_vacancies) == (1, 1)
    assert downtown_health(town, year=2019).downtown.vacant == 0


def test_history_written_and_removed_in_raw_sql_is_counted(town):
    space = place(town, inside=True, since=datetime.date(2018, 1, 1), status="matched")
    space_type = ContentType.objects.get_for_model(VacantSpace).pk
    # No history: the current status stands for every year.
    assert downtown_health(town, year=2020).downtown.vacant == 0

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO renewal_inventorychange (content_type_id, object_id, "
            "municipality_id, action, changes, reason, at) VALUES "
            "(%s, %s, %s, 'status', %s, '', %s)",
            [
                space_type,
                space.pk,
                town.pk,
                '{"status": ["available", "matched"]}',
                at(2021, 6, 1),
            ],
        )
    assert downtown_health(town, year=2020).downtown.vacant == 1
    assert downtown_health(town, year=2021).downtown.reuses == 1

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM renewal_inventorychange WHERE object_id = %s", [space.pk]
        )
    assert downtown_health(town, year=2020).downtown.vacant == 0
    assert downtown_health(town, year=2021).downtown.reuses == 0


def test_spaces_updated_and_deleted_in_raw_sql_are_counted(town):
    space = place(town, inside=True, since=datetime.date(2019, 1, 1), status="in_use")
    assert downtown_health(town, year=2020).downtown.vacant == 0

    VacantSpace.objects.filter(pk=space.pk).update(status="available")
    assert downtown_health(town, year=2020).downtown.by_kind == {"shop": 1}

    VacantSpace.objects.filter(pk=space.pk).update(kind="house")
    VacantSpace.objects.filter(pk=space.pk).update(location=Point(128.52, 36.5))
    health = downtown_health(town, year=2020)
    assert (health.downtown.by_kind, health.outside.by_kind) == ({}, {"house": 1})

    VacantSpace.objects.filter(pk=space.pk).delete()
    assert downtown_health(town, year=2020).outside.vacant == 0


def test_redrawing_the_downtown_moves_its_spaces(l_town):
    # On the edge of the L: inside as drawn, outside once the downtown shrinks.
    VacantSpaceFactory(
        municipality=l_town,
        location=Point(128.50, 36.50),
        vacant_since=datetime.date(2019, 1, 1),
    )
    assert downtown_health(l_town, year=2020).downtown.vacant == 1

    l_town.downtown = MultiPolygon(
        Polygon.from_bbox((128.49, 36.49, 128.499, 36.499)), srid=4326
    )
    l_town.save()
    health = downtown_health(l_town, year=2020)
    assert (health.downtown.vacant, health.outside.vacant) == (0, 1)

    l_town.downtown = None
    l_town.save()
    assert downtown_health(l_town, year=2020).outside.vacant == 1


def test_the_kept_counts_equal_the_counts_from_the_history(l_town):
    """The same random inventory, read from the kept counts and computed from the
    history (what a request in another time zone gets), in the project's zone."""
    import random

    rng = random.Random(7)
    for _ in range(30):
        space = VacantSpaceFactory(
            municipality=l_town,
            location=random_point(rng),
            kind=rng.choice(["shop", "house"]),
            vacant_since=rng.choice(
                [None, datetime.date(2018 + rng.randrange(6), 3, 1)]
            ),
        )
        status = "reported"
        for _change in range(rng.randrange(4)):
            new = rng.choice([s for s in STATUSES if s != status])
            change_status(space, status, new, at(2018 + rng.randrange(6), 7, 1))
            status = new
        VacantSpace.objects.filter(pk=space.pk).update(status=status)
    years = list(range(2017, 2025))

    kept = sorted(health_rows([l_town.pk], years))
    computed = sorted(health_rows_from_history([l_town.pk], years))

    def nonzero(rows):
        return [row for row in rows if any(row[4:])]

    assert nonzero(kept) == nonzero(computed)
    assert nonzero(kept)


def _count_rows(municipality) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM renewal_downtownhealthcount"
            " WHERE municipality_id = %s",
            [municipality.pk],
        )
        return cursor.fetchone()[0]


def test_compacting_the_counts_folds_their_rows_and_changes_no_answer(l_town):
    import random

    rng = random.Random(11)
    for _ in range(12):
        space = VacantSpaceFactory(
            municipality=l_town,
            location=random_point(rng),
            vacant_since=datetime.date(2019, 3, 1),
        )
        change_status(space, "reported", "available", at(2020, 5, 1))
        VacantSpace.objects.filter(pk=space.pk).update(status="available")
    years = list(range(2018, 2023))
    before = sorted(health_rows([l_town.pk], years))
    appended = _count_rows(l_town)

    downtown_health_counts_compact()

    assert sorted(health_rows([l_town.pk], years)) == before
    # Every write appended its own rows; folded, one per city, area, kind and year.
    assert _count_rows(l_town) < appended
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM renewal_downtownhealthcount"
            " GROUP BY municipality_id, year, downtown, kind HAVING count(*) > 1) d"
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_two_writers_in_one_city_do_not_wait_for_each_other(town):
    """An import holds its transaction for its whole length: the counts must not
    make an editor's save in the same city wait for it."""
    import threading

    from django.db import connection as this_threads_connection
    from django.db import transaction

    written, release = threading.Event(), threading.Event()

    def first_writer():
        try:
            with transaction.atomic():
                place(town, inside=True, since=datetime.date(2020, 1, 1))
                written.set()
                release.wait(HANG_GUARD_SECONDS)
        finally:
            this_threads_connection.close()

    first = threading.Thread(target=first_writer)
    first.start()
    try:
        assert written.wait(HANG_GUARD_SECONDS)
        with connection.cursor() as cursor:
            # The same city, area, kind and year: a correct writer does not wait at
            # all, so any wait long enough to reach this limit is the bug.
            cursor.execute("SET lock_timeout = '5s'")
        try:
            place(town, inside=True, since=datetime.date(2020, 1, 1))
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
    finally:
        release.set()
        first.join(HANG_GUARD_SECONDS)

    assert downtown_health(town, year=timezone.localdate().year).downtown.vacant == 2
