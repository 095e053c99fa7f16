"""Benchmark the vacant-spaces API against the raw SQL that builds the same page.

Loads a synthetic national inventory (N spaces scattered around the demo
municipalities, dense downtowns, sparser outskirts), then times a 100-feature page
of `/api/v1/spaces/` through the real view and through one SQL statement that builds
the same GeoJSON inside PostgreSQL, for three query kinds. See docs/performance.md.

Safety: the load drops and rebuilds the table's secondary indexes, CLUSTERs the
table and deletes earlier bench rows, so the command runs only against a database
whose name ends in `_bench` (or, with --allow-test-database, a `test_` database of
the test runner), and never when the table holds spaces it did not generate.
"""

import math
import os
import random
import re
import resource
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Sum
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from cities.models import Municipality, Observation
from cities.services import demo_municipalities_load
from renewal.api.spaces import (
    KOREA_BOUNDS,
    VacantSpaceViewSet,
)
from renewal.models import VacantSpace

BENCH_PREFIX = "bench-"
BENCH_SOURCE = (
    "illustrative: synthetic benchmark inventory (manage.py bench_spaces), "
    "not survey data"
)
TABLE = VacantSpace._meta.db_table
MUNICIPALITY_TABLE = Municipality._meta.db_table
METRIC_SRID = 5179
PAGE_SIZE = 100
URL = "/api/v1/spaces/"
EXPORT_URL = "/api/v1/spaces/export/?format=geojson"
WARMUP = 3
KINDS = ("bbox", "near", "in_downtown")
TARGET_P95_MS = 25.0
TARGET_RATIO = 3.0
FEATURE = re.compile(rb'"type"\s{0,2}:\s{0,2}"Feature"')

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

# What the API writes for each feature of the page (anonymous caller: no owner,
# no transitions).
FEATURE_SQL = """json_build_object(
    'id', s.id,
    'type', 'Feature',
    'geometry', ST_AsGeoJSON(s.location, 15)::json,
    'properties', json_build_object(
        'municipality', m.code,
        'external_id', s.external_id,
        'kind', s.kind,
        'status', s.status,
        'address', s.address,
        'floor_area_m2', s.floor_area_m2::text,
        'land_area_m2', s.land_area_m2::text,
        'year_built', s.year_built,
        'grading_scheme', s.grading_scheme,
        'grade', s.grade,
        'vacant_since', s.vacant_since,
        'ownership', s.ownership,
        'availability', s.availability,
        'asking_rent_krw', s.asking_rent_krw,
        'source', s.source,
        'in_downtown', s.in_downtown,
        'allowed_transitions', '[]'::json
    )
)"""

# One statement that builds the same FeatureCollection page the API returns, as
# SQL written by hand would: the filter runs once, its ids (up to the count limit)
# give the count and the page; past the limit the page is read in id order over
# the whole filter and the count is the limit.
RAW_PAGE_SQL = f"""
WITH hits AS MATERIALIZED (
    SELECT s.id FROM {TABLE} s {{join}} WHERE {{where}} LIMIT %(count_limit)s + 1
), matched AS (SELECT count(*) AS n FROM hits)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'count', LEAST(matched.n, %(count_limit)s),
    'count_exact', matched.n <= %(count_limit)s,
    'features', COALESCE(CASE WHEN matched.n <= %(count_limit)s THEN (
        SELECT json_agg(f.feature ORDER BY f.id) FROM (
            SELECT s.id, {FEATURE_SQL} AS feature
            FROM {TABLE} s JOIN {MUNICIPALITY_TABLE} m ON m.id = s.municipality_id
            WHERE s.id IN (SELECT id FROM hits ORDER BY id LIMIT {PAGE_SIZE})
        ) f
    ) ELSE (
        SELECT json_agg(f.feature ORDER BY f.id) FROM (
            SELECT s.id, {FEATURE_SQL} AS feature
            FROM {TABLE} s JOIN {MUNICIPALITY_TABLE} m ON m.id = s.municipality_id
            WHERE {{where}}
            ORDER BY s.id
            LIMIT {PAGE_SIZE}
        ) f
    ) END, '[]'::json)
)::text
FROM matched
"""  # noqa: S608

RAW_FILTERS = {
    # (WHERE clause, join the WHERE clause needs)
    "bbox": (
        "ST_Intersects(s.location, "
        "ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326))",
        "",
    ),
    "near": (
        # The same test as the API: index-backed box, then the exact distance.
        "ST_Intersects(s.location, "
        "ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326)) "
        "AND ST_DistanceSphere(s.location, "
        "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)) <= %(radius)s",
        "",
    ),
    "in_downtown": (
        # The stored answer of ST_Contains (migration 0008), as the API reads it.
        "m.code = %(code)s AND s.in_downtown",
        f"JOIN {MUNICIPALITY_TABLE} m ON m.id = s.municipality_id",
    ),
}


@dataclass
class Case:
    kind: str
    api_params: dict
    sql_params: dict


@dataclass
class Timings:
    api_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    mismatches: int = 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = share * (len(ordered) - 1)
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def machine_description() -> str:
    total_kib = 0
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                total_kib = int(line.split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SELECT postgis_lib_version()")
        postgis = cursor.fetchone()[0]
    return (
        f"{os.cpu_count()} CPUs, {total_kib / 1024 / 1024:.1f} GiB RAM, "
        f"PostgreSQL {postgres}, PostGIS {postgis}"
    )


class Command(BaseCommand):
    help = (
        "Benchmark /api/v1/spaces/ pages against raw PostGIS JSON on a synthetic "
        "national inventory. Runs only on a database whose name ends in _bench."
    )

    def add_arguments(self, parser):
        parser.add_argument("--spaces", type=int, default=2_000_000)
        parser.add_argument("--repeat", type=int, default=200)
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="reload the synthetic inventory even if its size already matches",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--allow-test-database",
            action="store_true",
            help="also run on a test_* database (the pytest smoke test)",
        )
        parser.add_argument(
            "--skip-export", action="store_true", help="skip the export check"
        )

    def handle(self, *args, spaces, repeat, rebuild, seed, **options):
        if spaces < 1 or repeat < 1:
            raise CommandError("--spaces and --repeat must be positive.")
        self.guard_database(options["allow_test_database"])
        self.out(f"Machine: {machine_description()}")
        self.out(f"Database: {connection.settings_dict['NAME']}")
        self.out(self.load_average())

        self.load(spaces=spaces, rebuild=rebuild, seed=seed)
        rng = random.Random(seed)
        downtowns = list(
            Municipality.objects.filter(downtown__isnull=False).values_list(
                "code", "location"
            )
        )
        if not downtowns:
            raise CommandError("No municipality has a downtown; run load_demo.")

        with self.api_settings():
            self.explain(self.case(kind, rng, downtowns) for kind in KINDS)
            results = self.measure(repeat=repeat, rng=rng, downtowns=downtowns)
            self.report(results, repeat=repeat)
            self.profile(rng=rng, downtowns=downtowns, repeat=min(repeat, 20))
            self.windows(rng=rng, downtowns=downtowns, repeat=min(repeat, 5))
            if options["skip_export"]:
                self.out("\nExport: skipped (--skip-export).")
            else:
                self.export()
        self.out(self.load_average())

    # Output -------------------------------------------------------------------

    def out(self, line: str = "") -> None:
        self.stdout.write(line)
        self.stdout.flush()

    @staticmethod
    def load_average() -> str:
        # Other work on the machine shows up in the p95 figures; say how busy it was.
        one, five, fifteen = os.getloadavg()
        return f"Load average: {one:.2f} {five:.2f} {fifteen:.2f}"

    # Safety -------------------------------------------------------------------

    def guard_database(self, allow_test_database: bool) -> None:
        name = connection.settings_dict["NAME"] or ""
        is_bench = name.endswith("_bench")
        is_test = allow_test_database and name.startswith("test_")
        if not (is_bench or is_test):
            raise CommandError(
                f"Refusing to run against database {name!r}: the benchmark rebuilds "
                "indexes, CLUSTERs and deletes rows. Point DATABASE_URL at a "
                "database whose name ends in _bench (createdb renewal_bench; "
                "manage.py migrate)."
            )
        foreign = VacantSpace.objects.exclude(external_id__startswith=BENCH_PREFIX)
        if foreign.exists():
            raise CommandError(
                f"Refusing to run: {TABLE} holds {foreign.count()} spaces that the "
                "benchmark did not generate. Use an empty database."
            )

    # Load ---------------------------------------------------------------------

    def load(self, *, spaces: int, rebuild: bool, seed: int) -> None:
        started = time.perf_counter()
        demo_municipalities_load()
        existing = VacantSpace.objects.count()
        if existing == spaces and not rebuild:
            self.out(
                f"Inventory: reusing {existing:,} bench spaces (--rebuild reloads)."
            )
            return
        allocation = self.allocate(spaces)
        index_sql = self.secondary_indexes()
        spatial_index = self.spatial_index_name()
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
                    "firsts": self.firsts(allocation),
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
        self.out(
            f"Inventory: loaded {loaded:,} bench spaces around {len(allocation)} "
            f"municipalities in {time.perf_counter() - started:.1f} s "
            f"(indexes rebuilt, CLUSTER on {spatial_index}, VACUUM ANALYZE)."
        )

    def allocate(self, spaces: int) -> list[tuple[int, int]]:
        """Spaces per municipality in proportion to its 2020 census population."""
        population = dict(
            Observation.objects.filter(
                indicator__code="population_census_total", year=2020
            )
            .values_list("municipality_id")
            .annotate(total=Sum("value"))
        )
        ids = list(Municipality.objects.order_by("id").values_list("id", flat=True))
        weights = [float(population.get(pk) or 100_000) for pk in ids]
        total = sum(weights)
        counts = [int(spaces * weight / total) for weight in weights]
        counts[weights.index(max(weights))] += spaces - sum(counts)
        return [(pk, count) for pk, count in zip(ids, counts, strict=True) if count]

    @staticmethod
    def firsts(allocation: list[tuple[int, int]]) -> list[int]:
        firsts, running = [], 1
        for _, count in allocation:
            firsts.append(running)
            running += count
        return firsts

    def secondary_indexes(self) -> list[tuple[str, str]]:
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

    def spatial_index_name(self) -> str:
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

    # Cases --------------------------------------------------------------------

    def case(
        self,
        kind: str,
        rng: random.Random,
        downtowns: list,
        *,
        half_m: float | None = 500,
    ) -> Case:
        """A query at a random place inside a random downtown; a bbox spans
        2 x half_m metres each way (None: all of Korea)."""
        code, hall = rng.choice(downtowns)
        # Uniform within 400 m of the city hall (inside the 800 m downtown).
        distance = 400 * math.sqrt(rng.random())
        angle = rng.uniform(0, 2 * math.pi)
        dlat = 1 / 111_320
        dlon = dlat / math.cos(math.radians(hall.y))
        # Rounded as the query string carries them, so both paths filter alike.
        lon = round(hall.x + distance * math.cos(angle) * dlon, 6)
        lat = round(hall.y + distance * math.sin(angle) * dlat, 6)
        if kind == "bbox" and half_m is None:
            box = KOREA_BOUNDS
            return Case(
                kind,
                {"bbox": ",".join(repr(value) for value in box)},
                dict(zip(("x0", "y0", "x1", "y1"), box, strict=True)),
            )
        if kind == "bbox":
            half = half_m
            box = tuple(
                round(value, 6)
                for value in (
                    lon - half * dlon,
                    lat - half * dlat,
                    lon + half * dlon,
                    lat + half * dlat,
                )
            )
            return Case(
                kind,
                {"bbox": ",".join(repr(value) for value in box)},
                dict(zip(("x0", "y0", "x1", "y1"), box, strict=True)),
            )
        if kind == "near":
            radius = 500
            near_dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
            return Case(
                kind,
                {"near": f"{lon!r},{lat!r}", "radius_m": str(radius)},
                {
                    # The same box that renewal.selectors.spaces.near draws.
                    "x0": lon - radius * near_dlon,
                    "y0": lat - radius * dlat,
                    "x1": lon + radius * near_dlon,
                    "y1": lat + radius * dlat,
                    "lon": lon,
                    "lat": lat,
                    "radius": radius,
                },
            )
        return Case(kind, {"city": code, "in_downtown": "true"}, {"code": code})

    # Measure ------------------------------------------------------------------

    @contextmanager
    def api_settings(self):
        # Production settings for the request path: no SQL logging (DEBUG off)
        # and the test client's host name accepted.
        with override_settings(
            DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]
        ):
            yield

    def api_page(self, client: Client, case: Case) -> tuple[float, int]:
        params = {**case.api_params, "page_size": PAGE_SIZE}
        started = time.perf_counter()
        response = client.get(URL, params, HTTP_ACCEPT="application/json")
        body = response.content
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise CommandError(f"{URL} answered {response.status_code}: {body[:300]!r}")
        return elapsed, response.json()["count"]

    @staticmethod
    def raw_sql(case: Case) -> tuple[str, dict]:
        where, join = RAW_FILTERS[case.kind]
        params = {**case.sql_params, "count_limit": settings.SPACES_LIST_COUNT_LIMIT}
        return RAW_PAGE_SQL.format(where=where, join=join), params

    def raw_page(self, case: Case) -> tuple[float, int]:
        sql, params = self.raw_sql(case)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            text = cursor.fetchone()[0]
        elapsed = (time.perf_counter() - started) * 1000
        # The count sits before the features; read it without timing a parse.
        count = int(text.split('"count" : ', 1)[1].split(",", 1)[0])
        return elapsed, count

    def measure(self, *, repeat: int, rng: random.Random, downtowns: list):
        client = Client()
        results = {kind: Timings() for kind in KINDS}
        for kind in KINDS:
            for _ in range(WARMUP):
                case = self.case(kind, rng, downtowns)
                self.api_page(client, case)
                self.raw_page(case)
        for iteration in range(repeat):
            for kind in KINDS:
                case = self.case(kind, rng, downtowns)
                # Alternate which path goes first so neither always finds the
                # pages the other just read.
                if iteration % 2:
                    raw_ms, raw_count = self.raw_page(case)
                    api_ms, api_count = self.api_page(client, case)
                else:
                    api_ms, api_count = self.api_page(client, case)
                    raw_ms, raw_count = self.raw_page(case)
                timings = results[kind]
                timings.api_ms.append(api_ms)
                timings.raw_ms.append(raw_ms)
                timings.counts.append(api_count)
                timings.mismatches += api_count != raw_count
        return results

    def report(self, results: dict[str, Timings], *, repeat: int) -> None:
        self.out(
            f"\nLatency of one {PAGE_SIZE}-feature page, {repeat} repetitions per "
            "kind, random downtowns (ms):"
        )
        header = (
            f"{'kind':<12} {'api_med':>8} {'api_p95':>8} {'raw_med':>8} "
            f"{'raw_p95':>8} {'ratio_med':>9} {'ratio_p95':>9} {'count_med':>9}  "
            "targets"
        )
        self.out(header)
        self.out("-" * len(header))
        for kind, timings in results.items():
            api_median = statistics.median(timings.api_ms)
            api_p95 = percentile(timings.api_ms, 0.95)
            raw_median = statistics.median(timings.raw_ms)
            raw_p95 = percentile(timings.raw_ms, 0.95)
            ratio_median = api_median / raw_median
            ratio_p95 = api_p95 / raw_p95
            verdicts = [
                "p95<25ms " + ("ok" if api_p95 < TARGET_P95_MS else "MISS"),
                "<=3x " + ("ok" if ratio_median <= TARGET_RATIO else "MISS"),
            ]
            if timings.mismatches:
                verdicts.append(f"COUNT MISMATCH x{timings.mismatches}")
            self.out(
                f"{kind:<12} {api_median:8.2f} {api_p95:8.2f} {raw_median:8.2f} "
                f"{raw_p95:8.2f} {ratio_median:9.2f} {ratio_p95:9.2f} "
                f"{statistics.median(timings.counts):9.0f}  {'; '.join(verdicts)}"
            )
        self.out(
            "ratio_med = api_med / raw_med (the <=3x target); ratio_p95 = api_p95 / "
            "raw_p95; count = features matching the filter (the API's `count`)."
        )

    # Plans --------------------------------------------------------------------

    def explain(self, cases) -> None:
        spatial_index = self.spatial_index_name()
        self.out(f"\nQuery plans (spatial index {spatial_index}):")
        client = Client()
        for case in cases:
            raw_plan = self.plan(*self.raw_sql(case))
            self.out(f"  {case.kind} raw: {self.index_lines(raw_plan, spatial_index)}")
            api_plan = self.plan(self.api_statement(client, case), None)
            self.out(f"  {case.kind} api: {self.index_lines(api_plan, spatial_index)}")

    def plan(self, sql: str, params) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            return [row[0] for row in cursor.fetchall()]

    @staticmethod
    def index_lines(plan: list[str], spatial_index: str) -> str:
        # The downtown filter reads its partial B-tree index, the others GiST.
        used = [
            line.strip()
            for line in plan
            if spatial_index in line or "space_downtown_by_city" in line
        ]
        if used:
            return " | ".join(dict.fromkeys(used))
        scans = [line.strip() for line in plan if "Scan" in line]
        return "NO SPATIAL INDEX: " + " | ".join(dict.fromkeys(scans))

    def filtered_queryset(self, factory: RequestFactory, case: Case):
        """The queryset the list view pages through, built by the view's own code."""
        request = factory.get(URL, {**case.api_params, "page_size": PAGE_SIZE})
        request.user = AnonymousUser()
        view = VacantSpaceViewSet(
            action_map={"get": "list"}, format_kwarg=None, args=(), kwargs={}
        )
        view.request = view.initialize_request(request)
        view.request.user = AnonymousUser()
        return view.filter_queryset(view.get_queryset())

    def api_statement(self, client: Client, case: Case) -> str:
        """The SQL of the list's one statement for this case, parameters inlined."""
        with CaptureQueriesContext(connection) as queries:
            self.api_page(client, case)
        return queries.captured_queries[-1]["sql"]

    # Profile ------------------------------------------------------------------

    def profile(self, *, rng: random.Random, downtowns: list, repeat: int) -> None:
        """Where a request's time goes: its statement in PostgreSQL, the rest in
        Python (middleware, DRF, the filter form, compiling, rendering)."""
        client = Client()
        self.out(
            f"\nAPI profile, median of {repeat} (ms): queries per request, the "
            "request, its statement run again on its own, and the difference"
        )
        header = (
            f"{'kind':<12} {'queries':>7} {'request':>8} {'statement':>9} {'python':>8}"
        )
        self.out(header)
        self.out("-" * len(header))
        for kind in KINDS:
            queries_per_request, request_ms, statement_ms = [], [], []
            for _ in range(repeat):
                case = self.case(kind, rng, downtowns)
                with CaptureQueriesContext(connection) as queries:
                    request_ms.append(self.api_page(client, case)[0])
                queries_per_request.append(len(queries.captured_queries))
                sql = queries.captured_queries[-1]["sql"]
                started = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(sql)
                    cursor.fetchall()
                statement_ms.append((time.perf_counter() - started) * 1000)
            request, statement = (
                statistics.median(request_ms),
                statistics.median(statement_ms),
            )
            self.out(
                f"{kind:<12} {statistics.median(queries_per_request):7.0f} "
                f"{request:8.2f} {statement:9.2f} {request - statement:8.2f}"
            )

    def windows(self, *, rng: random.Random, downtowns: list, repeat: int) -> None:
        """The page stays 100 features; the matches grow with the window."""
        factory = RequestFactory()
        client = Client()
        self.out(
            f"\nWindow size, median of {repeat} (ms): the page is always "
            f"{PAGE_SIZE} features; `count` is exact up to "
            f"{settings.SPACES_LIST_COUNT_LIMIT:,}; COUNT(*) is the full count"
        )
        header = f"{'bbox':<22} {'count':>10} {'api':>8} {'COUNT(*)':>9} {'raw':>8}"
        self.out(header)
        self.out("-" * len(header))
        for label, half_m in (
            ("1 km (downtown)", 500),
            ("10 km (city)", 5_000),
            ("100 km (province)", 50_000),
            ("national", None),
        ):
            api_ms, count_ms, raw_ms, counts = [], [], [], []
            for _ in range(repeat):
                case = self.case("bbox", rng, downtowns, half_m=half_m)
                elapsed, count = self.api_page(client, case)
                api_ms.append(elapsed)
                counts.append(count)
                raw_ms.append(self.raw_page(case)[0])
                queryset = self.filtered_queryset(factory, case)
                started = time.perf_counter()
                queryset.count()
                count_ms.append((time.perf_counter() - started) * 1000)
            self.out(
                f"{label:<22} {statistics.median(counts):10,.0f} "
                f"{statistics.median(api_ms):8.1f} "
                f"{statistics.median(count_ms):9.1f} "
                f"{statistics.median(raw_ms):8.1f}"
            )

    # Export -------------------------------------------------------------------

    def export(self) -> None:
        path = EXPORT_URL.split("?", 1)[0]
        try:
            match = resolve(path)
        except Resolver404:
            match = None
        # Without an export route, "export" reads as a space id for the router.
        if match is None or match.url_name == "space-detail":
            self.out(f"\nExport: {path} does not exist yet; section skipped.")
            return
        client = Client()
        baseline_rss = rss_kib()
        baseline_hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        response = client.get(EXPORT_URL)
        if response.status_code in (401, 403):
            self.out(
                f"\nExport: {EXPORT_URL} answered {response.status_code} to an "
                "anonymous client; section skipped."
            )
            return
        if response.status_code != 200:
            self.out(
                f"\nExport: {EXPORT_URL} answered {response.status_code}; "
                "section skipped."
            )
            return
        chunks = (
            response.streaming_content
            if response.streaming
            else iter([response.content])
        )
        size = features = 0
        peak_rss = rss_kib()
        tail = b""
        for number, chunk in enumerate(chunks):
            size += len(chunk)
            # Count features across chunk borders: matches wholly inside the
            # previous tail were counted with the previous chunk.
            features += len(FEATURE.findall(tail + chunk)) - len(FEATURE.findall(tail))
            tail = chunk[-32:]
            if number % 16 == 0:
                peak_rss = max(peak_rss, rss_kib())
        response.close()
        elapsed = time.perf_counter() - started
        peak_rss = max(peak_rss, rss_kib())
        hwm_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_hwm
        self.out(
            f"\nExport {EXPORT_URL}: {'streamed' if response.streaming else 'NOT streamed'}, "
            f"{size / 1e6:,.1f} MB, {features:,} features in {elapsed:.1f} s "
            f"({features / elapsed if elapsed else 0:,.0f} features/s, "
            f"{size / 1e6 / elapsed if elapsed else 0:,.1f} MB/s); peak RSS "
            f"+{(peak_rss - baseline_rss) / 1024:,.1f} MiB over "
            f"{baseline_rss / 1024:,.0f} MiB (high-water mark "
            f"+{hwm_growth / 1024:,.1f} MiB)."
        )
