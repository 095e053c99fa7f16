"""Matching benchmarks (not a test): candidate latency against bare KNN, a city-wide
run end to end, and the optimal total score against greedy. Figures: docs/matching.md.

    DATABASE_URL=…/renewal_bench manage.py bench_matching --part candidates
    manage.py bench_matching --part city     # writes inside a rolled-back transaction
"""

import random
import statistics
import time

from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from renewal.models import RenewalProject, VacantSpace
from renewal.selectors.matching import space_candidate_pool
from renewal.services.matching.scoring import params_from, score_space


class _Rollback(Exception):
    pass


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


class Command(BaseCommand):
    help = "Benchmark candidate search and city-wide assignment."

    def add_arguments(self, parser):
        parser.add_argument(
            "--part", choices=["candidates", "city", "all"], default="all"
        )
        parser.add_argument("--queries", type=int, default=200)
        parser.add_argument("--spaces", type=int, default=5000)
        parser.add_argument("--projects", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, part, queries, spaces, projects, seed, **options):
        generator = random.Random(seed)
        if part in ("candidates", "all"):
            self._candidates(generator, queries)
        if part in ("city", "all"):
            self._city(generator, spaces, projects)

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
        facts = {
            "category": "village_renewal",
            "needs_space_kinds": ["shop", "house"],
            "needs_min_area_m2": 40,
            "needs_max_area_m2": 150,
            "budget_krw": 200_000_000,
            "earliest_start": None,
        }
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
                started = time.perf_counter()
                pool = space_candidate_pool(project=project, exclude_declined=False)
                ranked = sorted(
                    (
                        score_space(
                            project=facts, space=row, params=params, today=today
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
                assert len(ranked) <= 10
        self.stdout.write(
            f"candidates: {total:,} spaces, {queries} queries, pool 200, top 10\n"
            f"  ours p50 {statistics.median(ours) * 1000:.1f} ms  p95 {_p95(ours) * 1000:.1f} ms\n"
            f"  bare KNN p50 {statistics.median(bare) * 1000:.2f} ms  p95 {_p95(bare) * 1000:.2f} ms\n"
            f"  ratio p95 {_p95(ours) / _p95(bare):.1f}×"
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
