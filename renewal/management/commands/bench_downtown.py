"""Benchmark downtown health on the synthetic national inventory (docs/performance.md).

Runs on the inventory of `manage.py bench_spaces` (2,000,000 spaces; the cities get
spaces in proportion to their population, so the largest hold about 100,000 to
160,000). It adds a status history to a share of the measured cities' spaces
(renewal.benchmarks.downtown, once: every space's creation and, for a share of
them, two status changes), then times for each measured city:

- `GET /api/v1/municipalities/<code>/downtown-health/` through the whole Django
  request path, against the health rows read bare on a cursor (the lower bound;
  target p95 < 200 ms);
- the same rows computed from the history for every year since 2000, which the
  kept counts must equal (and how long that takes);
- the city page `/ko/cities/<code>/`, which reads five years of health and more;
- the bare read for cities of every size, in ms per 1,000 spaces.

Every repetition checks that the API's vacant counts equal the bare statement's.
"""

import random
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings

from cities.models import Municipality
from renewal.benchmarks.common import load_average, machine_description, percentile
from renewal.benchmarks.downtown import history_load
from renewal.benchmarks.inventory import guard_database
from renewal.models import InventoryChange, VacantSpace
from renewal.selectors.downtown import health_rows, health_rows_from_history

TARGET_P95_MS = 200.0
TARGET_SPACES = 100_000
YEAR = 2026


class Command(BaseCommand):
    help = "Benchmark downtown health (API and bare SQL) on the bench inventory."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=200)
        parser.add_argument(
            "--cities",
            nargs="*",
            help="codes of the cities to time; default the one nearest 100,000 "
            "spaces and the largest",
        )
        parser.add_argument(
            "--history-share",
            type=float,
            default=0.3,
            help="share of the measured cities' spaces given a status history",
        )
        parser.add_argument(
            "--rebuild-history",
            action="store_true",
            help="delete and reload the measured cities' synthetic history",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--allow-test-database",
            action="store_true",
            help="also run on a test_* database (the pytest smoke test)",
        )

    def out(self, line: str = "") -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args, repeat, cities, history_share, seed, **options):
        if repeat < 1:
            raise CommandError("--repeat must be positive.")
        guard_database(options["allow_test_database"])
        sizes = dict(
            VacantSpace.objects.values_list("municipality_id")
            .annotate(n=Count("id"))
            .values_list("municipality_id", "n")
        )
        if not sizes:
            raise CommandError("No spaces: run `manage.py bench_spaces` first.")
        measured = self.measured_cities(cities, sizes)
        self.out(f"Machine: {machine_description()}")
        self.out(
            f"Database: {connection.settings_dict['NAME']}, "
            f"{sum(sizes.values()):,} spaces"
        )
        self.out(load_average())
        started = time.perf_counter()
        changes = history_load(
            municipality_ids=[m.pk for m in measured],
            share=history_share,
            seed=seed,
            rebuild=options["rebuild_history"],
        )
        self.out(
            f"History: {changes:,} status entries in the measured cities "
            f"({time.perf_counter() - started:.1f} s)"
        )
        with override_settings(
            DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]
        ):
            self.latency(measured, sizes, repeat)
            self.against_history(measured)
            self.pages(measured, max(3, repeat // 20))
        self.scaling(sizes, seed)
        self.out(load_average())

    def measured_cities(self, codes, sizes) -> list[Municipality]:
        municipalities = Municipality.objects.defer("boundary").filter(
            pk__in=list(sizes)
        )
        if codes:
            found = list(municipalities.filter(code__in=codes))
            if len(found) != len(set(codes)):
                raise CommandError(f"Unknown or empty cities among {codes}.")
            return found
        by_pk = {m.pk: m for m in municipalities}
        nearest = min(sizes, key=lambda pk: abs(sizes[pk] - TARGET_SPACES))
        largest = max(sizes, key=sizes.get)
        return [by_pk[pk] for pk in dict.fromkeys([nearest, largest])]

    @staticmethod
    def bare(municipality: Municipality, years: list[int]) -> tuple[float, list]:
        started = time.perf_counter()
        rows = health_rows([municipality.pk], years)
        return (time.perf_counter() - started) * 1000, rows

    @staticmethod
    def vacant_counts(rows) -> tuple[int, int]:
        inside = sum(row[4] for row in rows if row[2])
        outside = sum(row[4] for row in rows if not row[2])
        return inside, outside

    def latency(self, measured, sizes, repeat: int) -> None:
        self.out(
            f"\nDowntown health of {YEAR}, {repeat} repetitions per city, "
            "API against the bare statement (ms):"
        )
        self.out(
            f"{'city':<16} {'spaces':>8} {'history':>8} {'api_med':>8} "
            f"{'api_p95':>8} {'raw_med':>8} {'raw_p95':>8} {'ratio_p95':>9}  target"
        )
        client = Client()
        url = "/api/v1/municipalities/{}/downtown-health/"
        for municipality in measured:
            history = InventoryChange.objects.filter(municipality=municipality).count()
            api_ms, raw_ms, mismatches = [], [], 0
            for repetition in range(repeat):
                # Alternate the order so neither path always finds a warm cache.
                first_raw = repetition % 2 == 0
                if first_raw:
                    elapsed, rows = self.bare(municipality, [YEAR])
                    raw_ms.append(elapsed)
                started = time.perf_counter()
                response = client.get(url.format(municipality.code), {"period": YEAR})
                body = response.json()
                api_ms.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"API answered {response.status_code}: {body}")
                if not first_raw:
                    elapsed, rows = self.bare(municipality, [YEAR])
                    raw_ms.append(elapsed)
                answered = (body["downtown"]["vacant"], body["outside"]["vacant"])
                if answered != self.vacant_counts(rows):
                    mismatches += 1
            api_p95 = percentile(api_ms, 0.95)
            verdict = "ok" if api_p95 < TARGET_P95_MS else "MISS"
            self.out(
                f"{municipality.name_en:<16} {sizes[municipality.pk]:>8,} "
                f"{history:>8,} {statistics.median(api_ms):8.1f} {api_p95:8.1f} "
                f"{statistics.median(raw_ms):8.1f} {percentile(raw_ms, 0.95):8.1f} "
                f"{api_p95 / percentile(raw_ms, 0.95):9.2f}  "
                f"p95<{TARGET_P95_MS:.0f}ms {verdict}"
            )
            if mismatches:
                self.out(f"  COUNT MISMATCH in {mismatches} repetitions")

    def against_history(self, measured) -> None:
        """The kept counts against the same rows computed from the history (the
        statement before the counts were kept), for every year from 2000."""
        years = list(range(2000, YEAR + 1))
        self.out(
            f"\nKept counts against the history statement, {years[0]}-{YEAR}, "
            "median of 3 (ms):"
        )
        for municipality in measured:
            times, computed = [], []
            for _ in range(3):
                started = time.perf_counter()
                computed = health_rows_from_history([municipality.pk], years)
                times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            kept = health_rows([municipality.pk], years)
            kept_ms = (time.perf_counter() - started) * 1000

            def nonzero(rows):
                return sorted(row for row in rows if any(row[4:]))

            equal = nonzero(kept) == nonzero(computed)
            self.out(
                f"{municipality.name_en:<16} history {statistics.median(times):8.1f} "
                f"kept {kept_ms:6.1f}  rows equal: {'yes' if equal else 'NO'}"
            )

    def pages(self, measured, repeat: int) -> None:
        self.out(
            f"\nThe city page (five years of health, map, projects), {repeat} "
            "repetitions (ms):"
        )
        client = Client()
        for municipality in measured:
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(f"/ko/cities/{municipality.code}/")
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"page answered {response.status_code}")
            self.out(
                f"{municipality.name_en:<16} median {statistics.median(times):7.1f} "
                f"p95 {percentile(times, 0.95):7.1f}"
            )

    def scaling(self, sizes, seed: int) -> None:
        """The bare statement for cities from small to large: ms per 1,000 spaces."""
        self.out("\nScaling: bare statement, median of 5, by city size")
        self.out(f"{'city':<16} {'spaces':>8} {'ms':>8} {'ms/1000 spaces':>15}")
        ordered = sorted(sizes, key=sizes.get)
        picks = sorted({ordered[round(i * (len(ordered) - 1) / 5)] for i in range(6)})
        names = dict(
            Municipality.objects.filter(pk__in=picks).values_list("pk", "name_en")
        )
        random.Random(seed).shuffle(picks)
        results = []
        for pk in picks:
            municipality = Municipality(pk=pk)
            times = [self.bare(municipality, [YEAR])[0] for _ in range(5)]
            results.append((sizes[pk], names[pk], statistics.median(times)))
        for size, name, median in sorted(results):
            self.out(
                f"{name:<16} {size:>8,} {median:8.1f} {median * 1000 / size:15.3f}"
            )
