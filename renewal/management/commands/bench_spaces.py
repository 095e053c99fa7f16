"""Benchmark the vacant-spaces API against the raw SQL that builds the same page.

Loads a synthetic national inventory (N spaces scattered around the demo
municipalities, dense downtowns, sparser outskirts), then times a 100-feature page
of `/api/v1/spaces/` through the real view and through one SQL statement that builds
the same GeoJSON inside PostgreSQL, for three query kinds. See docs/performance.md.

The inventory and its safety rules live in renewal.benchmarks.inventory: the command
runs only against a database whose name ends in `_bench` (or, with
--allow-test-database, a `test_` database of the test runner).
"""

import math
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
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from cities.models import Municipality
from renewal.api.spaces import KOREA_BOUNDS, VacantSpaceViewSet
from renewal.benchmarks.common import (
    load_average,
    machine_description,
    percentile,
    rss_kib,
)
from renewal.benchmarks.inventory import guard_database, load, spatial_index_name
from renewal.benchmarks.spaces_sql import PAGE_SIZE, RAW_FILTERS, RAW_PAGE_SQL

URL = "/api/v1/spaces/"
EXPORT_URL = "/api/v1/spaces/export/?format=geojson"
WARMUP = 3
KINDS = ("bbox", "near", "in_downtown")
TARGET_P95_MS = 25.0
TARGET_RATIO = 3.0
FEATURE = re.compile(rb'"type"\s{0,2}:\s{0,2}"Feature"')


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
        guard_database(options["allow_test_database"])
        self.out(f"Machine: {machine_description()}")
        self.out(f"Database: {connection.settings_dict['NAME']}")
        self.out(load_average())

        load(spaces=spaces, rebuild=rebuild, seed=seed, out=self.out)
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
        self.out(load_average())

    # Output -------------------------------------------------------------------

    def out(self, line: str = "") -> None:
        self.stdout.write(line)
        self.stdout.flush()

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
        spatial_index = spatial_index_name()
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
