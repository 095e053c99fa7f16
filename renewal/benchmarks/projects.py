"""The illustrative projects of the national matching benchmark
(`bench_matching --part national`), which the load test (`loadtest_setup`) reuses.

They are generated near the spaces of the synthetic inventory
(renewal.benchmarks.inventory) and carry PROJECT_PREFIX in their titles, so the
benchmark can tell its own rows from any other.
"""

import time
from collections.abc import Callable

from django.contrib.auth.models import User
from django.core.management.base import CommandError
from django.db import connection, transaction

from renewal.benchmarks.inventory import BENCH_PREFIX
from renewal.models import (
    Match,
    ProjectCategory,
    RenewalProject,
    SpaceKind,
    VacantSpace,
)

PROJECT_PREFIX = "bench-project-"
PROJECT_DESCRIPTION = (
    "illustrative: synthetic benchmark project (manage.py bench_matching --part "
    "national), not a real proposal"
)
BENCH_USER = "bench-matching"

# Every n-th bench space (by id: the load numbers each city's spaces in one random
# layout, so this is a uniform sample per city) becomes a project near it. Cities
# thus get projects in proportion to their spaces, and projects sit where spaces
# are, as they do in a real inventory. Only module constants are formatted in.
PROJECTS_SQL = f"""
WITH sample AS (
    SELECT s.municipality_id, s.location, row_number() OVER (ORDER BY s.id) AS n
    FROM renewal_vacantspace s
    WHERE s.external_id LIKE '{BENCH_PREFIX}%%'
), picked AS (
    SELECT municipality_id, location, n / %(step)s AS k,
           random() AS u_cat, random() AS u_kind, random() AS u_kind2,
           random() AS u_area, random() AS u_budget, random() AS u_start,
           random() AS u_dx, random() AS u_dy
    FROM sample
    WHERE n %% %(step)s = 0
    ORDER BY n
    LIMIT %(projects)s
)
INSERT INTO renewal_renewalproject (
    title, description, place, category, status, needs_space_kinds,
    needs_min_area_m2, needs_max_area_m2, budget_krw, earliest_start,
    partner_capabilities, created_at, updated_at, municipality_id, proposer_id,
    is_hidden
)
SELECT
    '{PROJECT_PREFIX}' || p.k,
    %(description)s,
    -- Within about 300 m of the sampled space.
    ST_SetSRID(ST_MakePoint(ST_X(p.location) + (p.u_dx - 0.5) * 0.006,
                            ST_Y(p.location) + (p.u_dy - 0.5) * 0.006), 4326),
    (%(categories)s::varchar[])[1 + floor(p.u_cat * %(n_categories)s)::int],
    'approved',
    ARRAY[(%(kinds)s::varchar[])[1 + floor(p.u_kind * %(n_kinds)s)::int],
          (%(kinds)s::varchar[])[1 + floor(p.u_kind2 * %(n_kinds)s)::int]],
    (20 + floor(p.u_area * 80))::int,
    (120 + floor(p.u_area * 180))::int,
    CASE WHEN p.u_budget < 0.2 THEN NULL
         ELSE (20 + floor(p.u_budget * 480))::bigint * 1000000 END,
    CASE WHEN p.u_start < 0.5 THEN NULL
         ELSE CURRENT_DATE + floor((p.u_start - 0.5) * 730)::int END,
    '{{}}',
    now(),
    now(),
    p.municipality_id,
    %(proposer)s,
    FALSE
FROM picked p
"""  # noqa: S608


def bench_user():
    # The actor the runs are started by; it cannot log in.
    user, created = User.objects.get_or_create(
        username=BENCH_USER, defaults={"is_superuser": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def load_projects(
    *, projects: int, seed: int, user, out: Callable[[str], None]
) -> None:
    """Generate `projects` approved projects near the bench spaces unless as many
    are there already."""
    existing = RenewalProject.objects.filter(title__startswith=PROJECT_PREFIX)
    if existing.count() == projects:
        out(f"Projects: reusing {projects:,} bench projects.")
        return
    started = time.perf_counter()
    spaces = VacantSpace.objects.filter(external_id__startswith=BENCH_PREFIX).count()
    step = spaces // projects
    if step < 1:
        raise CommandError(f"{projects:,} projects need at least as many spaces.")
    with transaction.atomic(), connection.cursor() as cursor:
        # Matches reference the projects; both are the benchmark's own rows.
        Match.objects.filter(project__title__startswith=PROJECT_PREFIX)._raw_delete(
            Match.objects.db
        )
        existing._raw_delete(RenewalProject.objects.db)
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        kinds = list(SpaceKind.values)
        categories = list(ProjectCategory.values)
        cursor.execute(
            PROJECTS_SQL,
            {
                "step": step,
                "projects": projects,
                "description": PROJECT_DESCRIPTION,
                "categories": categories,
                "n_categories": len(categories),
                "kinds": kinds,
                "n_kinds": len(kinds),
                "proposer": user.pk,
            },
        )
        loaded = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE renewal_renewalproject")
    out(
        f"Projects: generated {loaded:,} approved bench projects (every "
        f"{step}th space) in {time.perf_counter() - started:.1f} s."
    )
