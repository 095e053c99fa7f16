"""The synthetic national inventory the benchmarks run on.

N spaces scattered around the demo municipalities in proportion to their census
population: dense downtowns, a built-up ring and a wide rural area. Loading drops and
rebuilds the table's secondary indexes, CLUSTERs the table and deletes earlier bench
rows, so it runs only on a database whose name ends in `_bench` (or, when allowed, a
`test_` database of the test runner), and never when the table holds spaces it did
not generate.
"""

import time
from collections.abc import Callable

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Sum

from cities.models import Municipality, Observation
from cities.services import demo_municipalities_load
from renewal.models import VacantSpace

BENCH_PREFIX = "bench-"
BENCH_SOURCE = (
    "illustrative: synthetic benchmark inventory (manage.py bench_spaces), "
    "not survey data"
)
TABLE = VacantSpace._meta.db_table
MUNICIPALITY_TABLE = Municipality._meta.db_table
METRIC_SRID = 5179

# Where the points go, per municipality: a dense downtown, the built-up town
# around it and a wide rural area; radii in metres in EPSG:5179.
ZONES = (  # (share, radius)
    (0.25, 1_000),
    (0.35, 5_000),
    (0.40, 20_000),
)

# The f-strings below interpolate module constants only (table names, SRIDs, the
# page size); every value from outside goes through query parameters.
LOAD_SQL = f"""
WITH alloc AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(counts)s::int[], %(firsts)s::bigint[])
        AS a(municipality_id, n, first)
), centre AS (
    SELECT a.municipality_id, a.n, a.first,
           ST_Transform(m.location, {METRIC_SRID}) AS origin
    FROM alloc a JOIN {MUNICIPALITY_TABLE} m ON m.id = a.municipality_id
), pts AS (
    -- A CTE with random() is evaluated once per row (never inlined), so the
    -- columns below stay consistent with each other.
    SELECT c.municipality_id, c.first + g AS n, c.origin,
           random() AS u_zone, random() AS u_r, random() * 2 * pi() AS theta,
           random() AS u_kind, random() AS u_status, random() AS u_grade,
           random() AS u_avail, random() AS u_misc
    FROM centre c CROSS JOIN LATERAL generate_series(0, c.n - 1) AS g
)
INSERT INTO {TABLE} (
    municipality_id, external_id, kind, address, location, floor_area_m2,
    year_built, grading_scheme, grade, vacant_since, ownership, availability,
    asking_rent_krw, status, source, created_at, updated_at
)
SELECT
    p.municipality_id,
    '{BENCH_PREFIX}' || p.n,
    (ARRAY['house','house','house','house','house','shop','shop','office',
           'factory','land','public_building','school'])[1 + floor(p.u_kind * 12)::int],
    '',
    ST_Transform(ST_SetSRID(ST_MakePoint(
        ST_X(p.origin) + r.radius * cos(p.theta),
        ST_Y(p.origin) + r.radius * sin(p.theta)), {METRIC_SRID}), 4326),
    round((30 + p.u_misc * 270)::numeric, 2),
    1950 + floor(p.u_misc * 60)::int,
    CASE WHEN p.u_grade < 0.4 THEN ''
         WHEN p.u_grade < 0.7 THEN 'urban-2021' ELSE 'national-2023' END,
    CASE WHEN p.u_grade < 0.4 THEN NULL
         WHEN p.u_grade < 0.7 THEN 1 + floor((p.u_grade - 0.4) / 0.3 * 4)::int
         ELSE 1 + floor((p.u_grade - 0.7) / 0.3 * 3)::int END,
    DATE '2015-01-01' + floor(p.u_status * 3650)::int,
    (ARRAY['private','private','private','corporate','public','unknown'])
        [1 + floor(p.u_avail * 6)::int],
    (ARRAY['not_offered','not_offered','lease','sale','free_use'])
        [1 + floor(p.u_misc * 5)::int],
    CASE WHEN p.u_avail < 0.2 THEN 100000 + floor(p.u_avail * 5000000)::int END,
    (ARRAY['reported','surveyed','surveyed','available','available','matched',
           'in_use','retired'])[1 + floor(p.u_status * 8)::int],
    %(source)s,
    now(),
    now()
FROM pts p
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN p.u_zone < {ZONES[0][0]} THEN {ZONES[0][1]} * sqrt(p.u_r)
        WHEN p.u_zone < {ZONES[0][0] + ZONES[1][0]} THEN {ZONES[1][1]} * sqrt(p.u_r)
        ELSE {ZONES[2][1]} * sqrt(p.u_r)
    END AS radius
) r
"""  # noqa: S608


def guard_database(
    allow_test_database: bool = False,
    *,
    why: str = (
        "the benchmark rebuilds indexes, CLUSTERs and deletes rows. Point "
        "DATABASE_URL at a database whose name ends in _bench (createdb "
        "renewal_bench; manage.py migrate)."
    ),
    check_spaces: bool = True,
) -> None:
    """Refuse any database but a bench (or, when allowed, a test) one, saying `why`;
    and, with check_spaces, one whose table holds spaces this module did not
    generate."""
    name = connection.settings_dict["NAME"] or ""
    is_bench = name.endswith("_bench")
    is_test = allow_test_database and name.startswith("test_")
    if not (is_bench or is_test):
        raise CommandError(f"Refusing to run against database {name!r}: {why}")
    if not check_spaces:
        return
    foreign = VacantSpace.objects.exclude(external_id__startswith=BENCH_PREFIX)
    if foreign.exists():
        raise CommandError(
            f"Refusing to run: {TABLE} holds {foreign.count()} spaces that the "
            "benchmark did not generate. Use an empty database."
        )


def load(*, spaces: int, rebuild: bool, seed: int, out: Callable[[str], None]) -> None:
    """Build the inventory unless one of this size is there (or rebuild)."""
    started = time.perf_counter()
    demo_municipalities_load()
    existing = VacantSpace.objects.count()
    if existing == spaces and not rebuild:
        out(f"Inventory: reusing {existing:,} bench spaces (--rebuild reloads).")
        return
    allocation = allocate(spaces)
    index_sql = secondary_indexes()
    spatial_index = spatial_index_name()
    if existing:
        # Committed before the load: CLUSTER in the same transaction would have
        # to keep the deleted rows, which other sessions still see.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE external_id LIKE %s",  # noqa: S608
                [BENCH_PREFIX + "%"],
            )
    with transaction.atomic(), connection.cursor() as cursor:
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED; checked at
        # commit they would leave trigger events that forbid CREATE INDEX.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Loading without secondary indexes and building them once afterwards
        # is several times faster than maintaining them row by row. DDL is
        # transactional: a failed load leaves the indexes as they were.
        for name, _definition in index_sql:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute(
            LOAD_SQL,
            {
                "ids": [municipality_id for municipality_id, _ in allocation],
                "counts": [count for _, count in allocation],
                "firsts": firsts(allocation),
                "source": BENCH_SOURCE,
            },
        )
        loaded = cursor.rowcount
        for _name, definition in index_sql:
            cursor.execute(definition)
        # GiST gives no index-only scans: every hit reads the heap. Clustering
        # on the spatial index puts neighbours on the same pages.
        cursor.execute(f'CLUSTER {TABLE} USING "{spatial_index}"')
    with connection.cursor() as cursor:
        # VACUUM sets the visibility map, without which the downtown's
        # partial index could not answer counts from the index alone.
        cursor.execute(f"VACUUM ANALYZE {TABLE}")
    out(
        f"Inventory: loaded {loaded:,} bench spaces around {len(allocation)} "
        f"municipalities in {time.perf_counter() - started:.1f} s "
        f"(indexes rebuilt, CLUSTER on {spatial_index}, VACUUM ANALYZE)."
    )


def allocate(spaces: int) -> list[tuple[int, int]]:
    """Spaces per municipality in proportion to its 2020 census population."""
    population = dict(
        Observation.objects.filter(indicator__code="population_census_total", year=2020)
        .values_list("municipality_id")
        .annotate(total=Sum("value"))
    )
    ids = list(Municipality.objects.order_by("id").values_list("id", flat=True))
    weights = [float(population.get(pk) or 100_000) for pk in ids]
    total = sum(weights)
    counts = [int(spaces * weight / total) for weight in weights]
    counts[weights.index(max(weights))] += spaces - sum(counts)
    return [(pk, count) for pk, count in zip(ids, counts, strict=True) if count]


def firsts(allocation: list[tuple[int, int]]) -> list[int]:
    firsts, running = [], 1
    for _, count in allocation:
        firsts.append(running)
        running += count
    return firsts


def secondary_indexes() -> list[tuple[str, str]]:
    """Indexes of the table that back no constraint (the primary key stays)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass
              AND NOT EXISTS (
                  SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid
              )
            ORDER BY i.relname
            """,
            [TABLE],
        )
        return cursor.fetchall()


def spatial_index_name() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT indexname FROM pg_indexes
            WHERE tablename = %s AND indexdef LIKE '%%USING gist (location)%%'
            """,
            [TABLE],
        )
        row = cursor.fetchone()
    if row is None:
        raise CommandError(f"{TABLE}.location has no GiST index.")
    return row[0]
