"""Benchmark the city workbench (docs/performance.md).

Fills one city with the synthetic workbench data (renewal.benchmarks.workbench:
30,000 spaces and 2,000 projects by default, with matches, agreements, imports and
reports), then times `GET /ko/cities/<code>/work/` for a signed-in editor through
the whole Django request path, against the statements that page issues run bare on
a cursor (the lower bound). Target: p95 < 150 ms, and the same number of
statements whatever the city holds.
"""

import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from cities.models import Municipality
from cities.services import demo_municipalities_load
from renewal.benchmarks.common import load_average, machine_description, percentile
from renewal.benchmarks.inventory import guard_database
from renewal.benchmarks.workbench import load_workbench_city, workbench_editor
from renewal.selectors.workbench import workbench

TARGET_P95_MS = 150.0


class Command(BaseCommand):
    help = "Benchmark the city workbench page against its bare statements."

    def add_arguments(self, parser):
        parser.add_argument("--spaces", type=int, default=30_000)
        parser.add_argument("--projects", type=int, default=2_000)
        parser.add_argument("--repeat", type=int, default=200)
        parser.add_argument(
            "--city", help="administrative code; default the first demo city"
        )
        parser.add_argument("--rebuild", action="store_true")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--allow-test-database",
            action="store_true",
            help="also run on a test_* database (the pytest smoke test)",
        )

    def out(self, line: str = "") -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args, spaces, projects, repeat, city, seed, **options):
        if repeat < 1 or spaces < 10 or projects < 20:
            raise CommandError("Give --repeat ≥ 1, --spaces ≥ 10, --projects ≥ 20.")
        guard_database(options["allow_test_database"])
        demo_municipalities_load()
        municipalities = Municipality.objects.defer("boundary").order_by("code")
        municipality = (
            municipalities.filter(code=city).first() if city else municipalities.first()
        )
        if municipality is None:
            raise CommandError(f"Unknown city {city!r}.")
        self.out(f"Machine: {machine_description()}")
        self.out(load_average())
        load_workbench_city(
            city=municipality,
            spaces=spaces,
            projects=projects,
            seed=seed,
            rebuild=options["rebuild"],
            out=self.out,
        )
        editor = workbench_editor(municipality)
        with override_settings(
            DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]
        ):
            self.latency(municipality, editor, repeat)
        self.out(load_average())

    @staticmethod
    def page_statements(municipality) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            workbench(municipality=municipality)
        return [query["sql"] for query in queries.captured_queries]

    @staticmethod
    def bare(statements: list[str]) -> float:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
        return (time.perf_counter() - started) * 1000

    def latency(self, municipality, editor, repeat: int) -> None:
        client = Client()
        client.force_login(editor)
        url = f"/ko/cities/{municipality.code}/work/"
        statements = self.page_statements(municipality)
        page_ms, raw_ms, cpu_ms, queries = [], [], [], set()
        for repetition in range(repeat):
            # Alternate the order so neither path always finds a warm cache.
            if repetition % 2 == 0:
                raw_ms.append(self.bare(statements))
            with CaptureQueriesContext(connection) as captured:
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(url)
                page_ms.append((time.perf_counter() - started) * 1000)
                # The web process's own work: what a busy machine inflates least.
                cpu_ms.append((time.process_time() - cpu_started) * 1000)
            queries.add(len(captured))
            if response.status_code != 200:
                raise CommandError(f"page answered {response.status_code}")
            if repetition % 2 == 1:
                raw_ms.append(self.bare(statements))
        sections = workbench(municipality=municipality).sections
        counts = ", ".join(f"{s.key} {s.count:,}" for s in sections)
        page_p95 = percentile(page_ms, 0.95)
        verdict = "ok" if page_p95 < TARGET_P95_MS else "MISS"
        self.out(f"\nWorkbench of {municipality.name_en}, {repeat} repetitions (ms):")
        self.out(
            f"{'page_med':>8} {'page_p95':>8} {'raw_med':>8} {'raw_p95':>8} "
            f"{'ratio_p95':>9} {'cpu_med':>8} {'queries':>7}  target"
        )
        raw_p95 = percentile(raw_ms, 0.95)
        self.out(
            f"{statistics.median(page_ms):8.1f} {page_p95:8.1f} "
            f"{statistics.median(raw_ms):8.1f} {raw_p95:8.1f} "
            f"{page_p95 / raw_p95:9.2f} {statistics.median(cpu_ms):8.1f} "
            f"{'/'.join(map(str, sorted(queries))):>7}  "
            f"p95<{TARGET_P95_MS:.0f}ms {verdict}"
        )
        self.out(f"Sections: {counts}")
        self.out(f"Bare statements of the sections: {len(statements)}")
