"""Benchmark vector tiles against the bare ST_AsMVT query (docs/gis.md).

Runs on the synthetic national inventory of `manage.py bench_spaces` (2,000,000
spaces in renewal_bench). Times, at random places around the municipalities:

- z14 tiles through the whole Django request path, against the same ST_AsMVT
  statement run bare on a cursor (the lower bound; target <= 1.5x, p95 < 50 ms);
- low-zoom (z6, z8, z10) tiles served from the pre-aggregated grid (target p95 <
  50 ms), against ST_AsMVT over the raw points of the same tile (a few runs only:
  that is the slow path the grid replaces);
- a revalidation answered 304 from the ETag.

Reads only, except that it builds the grid (`tiles_refresh_aggregates`) when the
grid is empty or --refresh is given.
"""

import math
import random
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client, override_settings

from cities.models import Municipality
from renewal.benchmarks.common import load_average, machine_description, percentile
from renewal.models import VacantSpace
from renewal.selectors.tiles import (
    CELL_TABLE,
    TILE_LAYERS,
    layer_tile_sql,
    tile_sql,
)
from renewal.services.tiles import space_tile_grid_refresh

TARGET_P95_MS = 50.0
TARGET_RATIO = 1.5
WARMUP = 5


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


class Command(BaseCommand):
    help = "Benchmark /tiles/ against the bare ST_AsMVT query on the bench data set."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=200)
        parser.add_argument("--raw-low-zoom-repeat", type=int, default=3)
        parser.add_argument("--refresh", action="store_true")
        parser.add_argument("--seed", type=int, default=1)

    def out(self, line: str = "") -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args, repeat, raw_low_zoom_repeat, refresh, seed, **options):
        if repeat < 1:
            raise CommandError("--repeat must be positive.")
        count = VacantSpace.objects.count()
        if count == 0:
            raise CommandError("No spaces: run `manage.py bench_spaces` first.")
        self.out(f"Machine: {machine_description()}")
        self.out(f"Database: {connection.settings_dict['NAME']}, {count:,} spaces")
        self.out(load_average())
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {CELL_TABLE}")  # noqa: S608
            cells = cursor.fetchone()[0]
        if refresh or cells == 0:
            started = time.perf_counter()
            rows = space_tile_grid_refresh()
            self.out(
                f"Grid rebuilt in {time.perf_counter() - started:.1f} s: "
                f"{sum(rows.values()):,} rows"
            )
        centres = list(Municipality.objects.values_list("location", flat=True))
        rng = random.Random(seed)
        with self.request_settings():
            client = Client()
            self.z14(client, rng, centres, repeat)
            self.low_zooms(client, rng, centres, repeat, raw_low_zoom_repeat)
            self.revalidation(client, rng, centres, repeat)
        self.out(load_average())

    @staticmethod
    def request_settings():
        # Production settings for the request path: no SQL logging (DEBUG off)
        # and the test client's host name accepted.
        return override_settings(
            DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]
        )

    def place(self, rng: random.Random, centres, spread_m: float):
        centre = rng.choice(centres)
        # Around the municipality: where the synthetic spaces are.
        radius = spread_m * math.sqrt(rng.random()) / 111_320
        theta = rng.random() * 2 * math.pi
        return centre.x + radius * math.cos(theta), centre.y + radius * math.sin(theta)

    @staticmethod
    def view(client: Client, z, x, y, query="") -> tuple[float, int]:
        started = time.perf_counter()
        response = client.get(f"/tiles/spaces/{z}/{x}/{y}.mvt{query}")
        body = response.content
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise CommandError(f"tile answered {response.status_code}: {body[:200]!r}")
        return elapsed, len(body)

    @staticmethod
    def bare(sql: str, params) -> tuple[float, int]:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            # The same session settings as the view (renewal.selectors.tiles).
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql, params)
            data = cursor.fetchone()[0]
        return (time.perf_counter() - started) * 1000, len(data or b"")

    def row(self, label, view_ms, bare_ms, sizes, targets: list[str]) -> None:
        view_p95 = percentile(view_ms, 0.95)
        line = (
            f"{label:<22} {statistics.median(view_ms):8.2f} {view_p95:8.2f} "
            f"{statistics.median(bare_ms):8.2f} {percentile(bare_ms, 0.95):8.2f} "
        )
        if bare_ms:
            ratio = view_p95 / percentile(bare_ms, 0.95)
            line += f"{ratio:7.2f} "
        else:
            line += f"{'':7} "
        line += f"{statistics.median(sizes) / 1024:8.1f}  {'; '.join(targets)}"
        self.out(line)

    def header(self, title: str) -> None:
        self.out(f"\n{title}")
        header = (
            f"{'tile':<22} {'view_med':>8} {'view_p95':>8} {'bare_med':>8} "
            f"{'bare_p95':>8} {'ratio':>7} {'KiB_med':>8}  targets"
        )
        self.out(header)
        self.out("-" * len(header))

    def z14(self, client, rng, centres, repeat) -> None:
        self.header(
            f"z14 spaces tiles, {repeat} random places within 2 km of a town "
            "centre (ms); ratio = view_p95 / bare_p95"
        )
        for label, query, filters in (
            ("z14", "", {}),
            ("z14 ?kind=shop", "?kind=shop", {"kind": "shop"}),
        ):
            view_ms, bare_ms, sizes = [], [], []
            for iteration in range(WARMUP + repeat):
                z, x, y = tile_at(*self.place(rng, centres, 2_000), 14)
                sql, params = tile_sql("spaces", z, x, y, filters)
                # Alternate which path goes first so neither always finds the
                # pages the other just read.
                if iteration % 2:
                    bare = self.bare(sql, params)
                    view = self.view(client, z, x, y, query)
                else:
                    view = self.view(client, z, x, y, query)
                    bare = self.bare(sql, params)
                if iteration >= WARMUP:
                    view_ms.append(view[0])
                    bare_ms.append(bare[0])
                    sizes.append(view[1])
            p95 = percentile(view_ms, 0.95)
            ratio = p95 / percentile(bare_ms, 0.95)
            self.row(
                label,
                view_ms,
                bare_ms,
                sizes,
                [
                    f"p95<{TARGET_P95_MS:g}ms "
                    + ("ok" if p95 < TARGET_P95_MS else "MISS"),
                    f"<={TARGET_RATIO}x " + ("ok" if ratio <= TARGET_RATIO else "MISS"),
                ],
            )

    def low_zooms(self, client, rng, centres, repeat, raw_repeat) -> None:
        self.header(
            f"Low zooms from the grid, {repeat} random places (ms); bare = ST_AsMVT "
            f"over the raw points of the same tile, {raw_repeat} runs"
        )
        for z in (6, 8, 10):
            for query, filters in (("", {}), ("?kind=shop", {"kind": "shop"})):
                view_ms, sizes = [], []
                for iteration in range(WARMUP + repeat):
                    z_, x, y = tile_at(*self.place(rng, centres, 20_000), z)
                    elapsed, size = self.view(client, z_, x, y, query)
                    if iteration >= WARMUP:
                        view_ms.append(elapsed)
                        sizes.append(size)
                bare_ms = []
                for _ in range(raw_repeat):
                    z_, x, y = tile_at(*self.place(rng, centres, 20_000), z)
                    sql, params = layer_tile_sql(
                        TILE_LAYERS["spaces"], z_, x, y, filters
                    )
                    bare_ms.append(self.bare(sql, params)[0])
                p95 = percentile(view_ms, 0.95)
                self.row(
                    f"z{z} grid {query}".strip(),
                    view_ms,
                    bare_ms,
                    sizes,
                    [
                        f"p95<{TARGET_P95_MS:g}ms "
                        + ("ok" if p95 < TARGET_P95_MS else "MISS")
                    ],
                )
        self.out(
            "ratio here = grid view p95 / raw-points ST_AsMVT p95: the time the grid "
            "saves."
        )

    def revalidation(self, client, rng, centres, repeat) -> None:
        timings = []
        for _ in range(repeat):
            z, x, y = tile_at(*self.place(rng, centres, 2_000), 14)
            url = f"/tiles/spaces/{z}/{x}/{y}.mvt"
            etag = client.get(url)["ETag"]
            started = time.perf_counter()
            response = client.get(url, HTTP_IF_NONE_MATCH=etag)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 304:
                raise CommandError(f"revalidation answered {response.status_code}")
        self.out(
            f"\nRevalidation (If-None-Match, 304): median "
            f"{statistics.median(timings):.2f} ms, p95 {percentile(timings, 0.95):.2f} ms"
        )
