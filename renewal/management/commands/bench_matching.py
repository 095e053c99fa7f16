"""Matching benchmarks (not a test): candidate latency against bare KNN, a city-wide
run end to end, the optimal total score against greedy, and a national run split into
Celery tasks. Figures: docs/matching.md.

    DATABASE_URL=…/renewal_bench manage.py bench_matching --part candidates
    manage.py bench_matching --part city     # writes inside a rolled-back transaction
    DATABASE_URL=…/renewal_bench CELERY_BROKER_URL=redis://… \
        manage.py bench_matching --part national --workers 1 2

The national part writes: it generates illustrative projects and leaves the runs'
suggested matches behind, so it runs only on a `*_bench` database whose spaces all
come from `bench_spaces`.
"""

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from renewal.benchmarks.common import (
    bench_database_url,
    load_average,
    machine_description,
    percentile,
)
from renewal.benchmarks.inventory import BENCH_PREFIX, guard_database
from renewal.benchmarks.projects import PROJECT_PREFIX, bench_user, load_projects
from renewal.models import RenewalProject, VacantSpace
from renewal.selectors.matching import space_candidate_pool
from renewal.services.matching.scoring import (
    ProjectFacts,
    SpaceFacts,
    params_from,
    score_space,
)


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark candidate search and city-wide assignment."

    def add_arguments(self, parser):
        parser.add_argument(
            "--part",
            choices=["candidates", "city", "national", "all"],
            default="all",
            help="all = candidates and city; national needs a broker and writes",
        )
        parser.add_argument("--queries", type=int, default=200)
        parser.add_argument("--spaces", type=int, default=5000)
        parser.add_argument("--projects", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--national-projects",
            type=int,
            default=100_000,
            help="illustrative approved projects for --part national",
        )
        parser.add_argument(
            "--workers",
            type=int,
            nargs="+",
            default=[1, 2],
            help="worker process counts to measure the national run with, in turn",
        )

    def handle(self, *args, part, queries, spaces, projects, seed, **options):
        generator = random.Random(seed)
        if part in ("candidates", "all"):
            self._candidates(generator, queries)
        if part in ("city", "all"):
            self._city(generator, spaces, projects)
        if part == "national":
            NationalBench(self.stdout).run(
                projects=options["national_projects"],
                worker_counts=options["workers"],
                seed=seed,
            )

    def _candidates(self, generator, queries):
        total = VacantSpace.objects.count()
        cities = list(
            VacantSpace.objects.filter(status="available")
            .values_list("municipality_id", flat=True)
            .distinct()[:50]
        )
        params = params_from(None)
        today = timezone.localdate()
        starts = []
        for _ in range(queries):
            city = generator.choice(cities)
            anchor = (
                VacantSpace.objects.filter(municipality_id=city)
                .order_by("?")
                .values_list("location", flat=True)
                .first()
                if len(starts) < 20
                else None
            )
            starts.append((city, anchor or starts[generator.randrange(len(starts))][1]))
        ours, bare = [], []
        with connection.cursor() as cursor:
            for city, point in starts:
                project = RenewalProject(
                    municipality_id=city,
                    place=point,
                    category="village_renewal",
                    needs_space_kinds=["shop", "house"],
                    needs_min_area_m2=40,
                    needs_max_area_m2=150,
                    budget_krw=200_000_000,
                )
                facts = ProjectFacts.of(project)
                started = time.perf_counter()
                pool = space_candidate_pool(project=project)
                # Scored and ranked as the candidates API does; only the time counts.
                sorted(
                    (
                        score_space(
                            project=facts,
                            space=SpaceFacts.from_row(row),
                            params=params,
                            today=today,
                        )[0],
                        row["id"],
                    )
                    for row in pool
                )[-10:]
                ours.append(time.perf_counter() - started)
                started = time.perf_counter()
                cursor.execute(
                    "SELECT id FROM renewal_vacantspace ORDER BY location <-> %s::geometry LIMIT 10",
                    [point.ewkt],
                )
                cursor.fetchall()
                bare.append(time.perf_counter() - started)
        self.stdout.write(
            f"candidates: {total:,} spaces, {queries} queries, pool 200, top 10\n"
            f"  ours p50 {statistics.median(ours) * 1000:.1f} ms  "
            f"p95 {percentile(ours, 0.95) * 1000:.1f} ms\n"
            f"  bare KNN p50 {statistics.median(bare) * 1000:.2f} ms  "
            f"p95 {percentile(bare, 0.95) * 1000:.2f} ms\n"
            f"  ratio p95 {percentile(ours, 0.95) / percentile(bare, 0.95):.1f}×"
        )

    def _city(self, generator, n_spaces, n_projects):
        from django.contrib.auth.models import User

        from cities.models import Municipality, MunicipalityKind, Province
        from renewal.models import AssignmentRun, Match
        from renewal.selectors.matching import assignment_candidate_graph
        from renewal.services.matching.runs import assignment_run_execute

        kinds = ["shop", "house", "office", "factory", "land"]
        try:
            with transaction.atomic():
                centre = Point(128.6, 35.87, srid=4326)
                city = Municipality.objects.create(
                    code="99999",
                    kind=MunicipalityKind.CITY,
                    province=Province.GYEONGBUK,
                    name_ko="벤치시",
                    name_en="Benchcity",
                    location=centre,
                )
                user = User.objects.create(username=f"bench-{time.time_ns()}")

                def around():
                    return Point(
                        centre.x + generator.gauss(0, 0.03),
                        centre.y + generator.gauss(0, 0.03),
                        srid=4326,
                    )

                VacantSpace.objects.bulk_create(
                    [
                        VacantSpace(
                            municipality=city,
                            kind=generator.choice(kinds),
                            location=around(),
                            status="available",
                            availability=generator.choice(
                                ["lease", "free_use", "sale", "not_offered"]
                            ),
                            floor_area_m2=generator.randint(20, 400),
                            grading_scheme="national-2023",
                            grade=generator.randint(1, 3),
                            asking_rent_krw=generator.choice(
                                [None, 300_000, 1_000_000, 3_000_000]
                            ),
                        )
                        for _ in range(n_spaces)
                    ],
                    batch_size=2000,
                )
                RenewalProject.objects.bulk_create(
                    [
                        RenewalProject(
                            title="bench",
                            description="bench",
                            municipality=city,
                            place=around(),
                            category="village_renewal",
                            status="approved",
                            needs_space_kinds=generator.sample(kinds, 2),
                            needs_min_area_m2=50,
                            needs_max_area_m2=200,
                            budget_krw=generator.choice(
                                [None, 50_000_000, 300_000_000]
                            ),
                            proposer=user,
                        )
                        for _ in range(n_projects)
                    ],
                    batch_size=2000,
                )
                connection.cursor().execute("ANALYZE renewal_vacantspace")
                run = AssignmentRun.objects.create(municipality=city, trigger="manual")
                started = time.perf_counter()
                assignment_run_execute(run_id=run.pk)
                elapsed = time.perf_counter() - started
                run.refresh_from_db()
                # The same graph solved both ways, for the comparison alone.
                projects, rows = assignment_candidate_graph(
                    municipality_id=city.pk, k=30
                )
                self.stdout.write(
                    f"city run: {n_spaces:,} spaces × {n_projects:,} projects, k=30\n"
                    f"  end to end {elapsed:.2f} s; {run.candidate_pairs:,} pairs above "
                    f"minimum, {run.matched_count} matched\n"
                    f"  optimal total {run.total_score:.2f}  greedy total "
                    f"{run.greedy_total_score:.2f}  "
                    f"(+{(run.total_score / max(run.greedy_total_score, 1e-9) - 1) * 100:.2f}%)\n"
                    f"  suggested matches written: "
                    f"{Match.objects.filter(run=run).count()}; graph rows {len(rows):,}"
                )
                raise _Rollback
        except _Rollback:
            pass


# National run -------------------------------------------------------------------

NATIONAL_TARGET_S = 120.0
RUN_TIMEOUT_S = 1800.0
# The largest city's run takes well under a minute (docs/matching.md): this long
# without a run starting or finishing means the tasks went elsewhere or stopped.
STALL_TIMEOUT_S = 300.0


class NationalBench:
    """100,000 projects over the bench inventory, one assignment run per city as a
    Celery task on real worker processes over the broker, timed per worker count."""

    def __init__(self, stdout):
        self.stdout = stdout

    def out(self, line: str = "") -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def run(self, *, projects: int, worker_counts: list[int], seed: int) -> None:
        if projects < 1 or not worker_counts or min(worker_counts) < 1:
            raise CommandError("--national-projects and --workers must be positive.")
        self.guard()
        self.out(f"Machine: {machine_description()}")
        self.out(f"Database: {connection.settings_dict['NAME']}")
        self.out(load_average())
        user = bench_user()
        load_projects(projects=projects, seed=seed, user=user, out=self.out)
        results = {}
        for workers in worker_counts:
            results[workers] = self.measure(workers=workers, user=user)
        if len(results) > 1:
            base = min(results)
            for workers, wall in sorted(results.items()):
                self.out(
                    f"scaling: {workers} worker(s) {wall:.1f} s "
                    f"(speed-up {results[base] / wall:.2f}× over {base})"
                )
        self.profile_largest_city()
        self.forget_suggestions()
        self.out(load_average())

    def forget_suggestions(self) -> None:
        from renewal.models import Match

        # Suggestions hold the bench spaces (PROTECT): bench_spaces could not
        # reload its inventory while they exist. The projects stay for reuse.
        deleted = Match.objects.filter(
            project__title__startswith=PROJECT_PREFIX
        )._raw_delete(Match.objects.db)
        self.out(f"\nDeleted the {deleted:,} suggestions of the bench projects.")

    # Safety ---------------------------------------------------------------------

    def guard(self) -> None:
        # Also refuses spaces that bench_spaces did not generate.
        guard_database(
            why="the national benchmark writes projects and replaces suggested "
            "matches. Point DATABASE_URL at the database of manage.py bench_spaces "
            "(name ending in _bench)."
        )
        if not VacantSpace.objects.filter(
            external_id__startswith=BENCH_PREFIX
        ).exists():
            raise CommandError("No bench spaces: run manage.py bench_spaces first.")
        others = RenewalProject.objects.exclude(title__startswith=PROJECT_PREFIX)
        if others.exists():
            raise CommandError(
                f"Refusing to run: the database holds {others.count()} projects that "
                "this benchmark did not generate; their suggestions would be replaced."
            )
        if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError(
                "The national run needs a broker: set CELERY_BROKER_URL (a Redis "
                "database of its own) so that runs go to real workers."
            )

    # Runs -----------------------------------------------------------------------

    def measure(self, *, workers: int, user) -> float:
        from cities.models import Municipality
        from renewal.models import AssignmentRun, Match, RunStatus
        from renewal.services.matching.runs import MATCHING_QUEUE, assignment_run_start

        # Each measurement starts from the same state: no suggestions to replace.
        Match.objects.filter(
            project__title__startswith=PROJECT_PREFIX, status="suggested"
        )._raw_delete(Match.objects.db)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) renewal_match")
        self.purge(MATCHING_QUEUE)
        # Largest cities first: the longest tasks start at once, the small ones
        # fill the gaps (longest-processing-time scheduling).
        cities = list(
            Municipality.objects.filter(projects__title__startswith=PROJECT_PREFIX)
            .annotate(n=models.Count("projects"))
            .order_by("-n", "id")
        )
        processes, log = self.start_workers(workers, MATCHING_QUEUE)
        try:
            started = timezone.now()
            run_ids = [
                assignment_run_start(actor=user, municipality=city).pk
                for city in cities
            ]
            deadline = time.monotonic() + RUN_TIMEOUT_S
            pending = AssignmentRun.objects.filter(
                pk__in=run_ids, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
            )
            last_change, last_state = time.monotonic(), None
            while state := self.pending_state(pending):
                if state != last_state:
                    last_change, last_state = time.monotonic(), state
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"Runs not finished after {RUN_TIMEOUT_S:.0f} s: "
                        f"{self.describe(state)}; worker log {log.name}."
                    )
                if time.monotonic() - last_change > STALL_TIMEOUT_S:
                    raise CommandError(
                        f"No run started or finished for {STALL_TIMEOUT_S:.0f} s: "
                        f"{self.describe(state)}. Do the workers consume queue "
                        f"{MATCHING_QUEUE!r}? See {log.name}."
                    )
                if any(process.poll() is not None for process in processes):
                    raise CommandError(f"A worker exited; see {log.name}.")
                time.sleep(0.2)
        finally:
            self.stop_workers(processes)
        runs = list(
            AssignmentRun.objects.filter(pk__in=run_ids).select_related("municipality")
        )
        failed = [run for run in runs if run.status != RunStatus.DONE]
        if failed:
            raise CommandError(
                f"{len(failed)} runs failed, e.g. {failed[0].error[:500]}; "
                f"worker log {log.name}"
            )
        log.close()
        os.unlink(log.name)  # kept only when something failed
        wall = (max(run.finished_at for run in runs) - started).total_seconds()
        durations = [(run.finished_at - run.started_at).total_seconds() for run in runs]
        slowest = max(runs, key=lambda run: run.finished_at - run.started_at)
        optimal = sum(run.total_score for run in runs)
        greedy = sum(run.greedy_total_score for run in runs)
        verdict = "met" if wall < NATIONAL_TARGET_S else "MISSED"
        self.out(
            f"\nnational run, {workers} worker process(es), {len(runs)} cities "
            f"(one Celery task each, queue {MATCHING_QUEUE!r})\n"
            f"  wall {wall:.1f} s (target {NATIONAL_TARGET_S:.0f} s: {verdict})\n"
            f"  per run p50 {percentile(durations, 0.5):.2f} s  "
            f"p95 {percentile(durations, 0.95):.2f} s  max {max(durations):.2f} s "
            f"({slowest.municipality.name_en}, {slowest.projects_count:,} projects)\n"
            f"  projects {sum(r.projects_count for r in runs):,}  spaces in graphs "
            f"{sum(r.spaces_count for r in runs):,}  candidate pairs "
            f"{sum(r.candidate_pairs for r in runs):,}\n"
            f"  matched {sum(r.matched_count for r in runs):,}  total score "
            f"{optimal:,.2f}  greedy {greedy:,.2f} "
            f"(+{(optimal / max(greedy, 1e-9) - 1) * 100:.2f}%)\n"
            f"  {load_average()}"
        )
        return wall

    @staticmethod
    def pending_state(pending) -> tuple[int, int, int]:
        """Queued and running runs, and the progress summed over the running."""
        counts = pending.aggregate(
            queued=models.Count("pk", filter=models.Q(status="queued")),
            running=models.Count("pk", filter=models.Q(status="running")),
            progress=models.Sum("progress", filter=models.Q(status="running")),
        )
        return (
            (counts["queued"], counts["running"], counts["progress"] or 0)
            if counts["queued"] or counts["running"]
            else ()
        )

    @staticmethod
    def describe(state: tuple[int, int, int]) -> str:
        return f"{state[0]} still queued, {state[1]} running"

    @staticmethod
    def purge(queue: str) -> None:
        from config.celery import app

        # Leftovers of an interrupted benchmark would be run by the new workers.
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)

    def start_workers(self, count: int, queue: str):
        from config.celery import app

        env = {
            **os.environ,
            "DATABASE_URL": bench_database_url(connection.settings_dict["NAME"]),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept for the report
            prefix="bench-matching-workers-", suffix=".log", delete=False
        )
        names = [f"bench-matching-{i}-{time.monotonic_ns()}" for i in range(count)]
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--queues",
                    queue,
                    "--hostname",
                    f"{name}@%h",
                    # One process each, one task at a time: N processes are N
                    # tasks in parallel, and an idle worker takes the next city.
                    "--pool",
                    "solo",
                    "--prefetch-multiplier",
                    "1",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for name in names
        ]
        deadline = time.monotonic() + 60
        ready: set[str] = set()
        while len(ready) < count:
            if time.monotonic() > deadline or any(
                p.poll() is not None for p in processes
            ):
                self.stop_workers(processes)
                raise CommandError(f"Workers did not start; see {log.name}.")
            for reply in app.control.ping(timeout=0.5):
                ready.update(
                    host.split("@")[0] for host in reply if host.split("@")[0] in names
                )
        return processes, log

    @staticmethod
    def stop_workers(processes) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()  # warm shutdown: a task in hand finishes
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    # Profile --------------------------------------------------------------------

    def profile_largest_city(self) -> None:
        """Where the time of the largest city's run goes: the graph query, the
        scoring in Python, the solver, and greedy; in-process, nothing written."""
        from cities.models import Municipality
        from renewal.selectors.matching import assignment_candidate_graph
        from renewal.services.matching.assignment import (
            assignment_greedy,
            assignment_optimal,
        )
        from renewal.services.matching.scoring import (
            SpaceFacts,
            score_space,
            scoring_params,
        )

        # The projects of the last run are matched only as suggestions, so they
        # are still open: the graph is the one the run built.
        city = (
            Municipality.objects.filter(projects__title__startswith=PROJECT_PREFIX)
            .annotate(n=models.Count("projects"))
            .order_by("-n")
            .first()
        )
        params = scoring_params(municipality_id=city.pk)
        today = timezone.localdate()
        timings = {}
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")  # as the run does
            projects, rows = assignment_candidate_graph(
                municipality_id=city.pk, k=params.candidates_per_project
            )
        timings["graph SQL + rows"] = time.perf_counter() - started
        started = time.perf_counter()
        edges = []
        for row in rows:
            score, _breakdown = score_space(
                project=projects[row["project_id"]],
                space=SpaceFacts.from_row(row),
                params=params,
                today=today,
                explain=False,
            )
            if score >= params.minimum_score:
                edges.append((row["project_id"], row["id"], score))
        timings["scoring (Python)"] = time.perf_counter() - started
        started = time.perf_counter()
        assignment_optimal(edges)
        timings["solver (optimal)"] = time.perf_counter() - started
        started = time.perf_counter()
        assignment_greedy(edges)
        timings["greedy baseline"] = time.perf_counter() - started
        self.out(
            f"\nprofile of the largest city ({city.name_en}): {len(projects):,} "
            f"projects, {len(rows):,} graph rows, {len(edges):,} edges"
        )
        for name, seconds in timings.items():
            self.out(f"  {name:<20} {seconds:6.2f} s")
