"""The synthetic city of the workbench benchmark (`manage.py bench_workbench`).

One municipality gets N spaces, M projects and the rows every workbench section
reads: proposals waiting for review, offered matches, active matches with use
agreements ending over the next year, spaces whose status moved at any time in the
last three years, failed and finished imports, and reports on projects and
comments. Every row carries WORKBENCH_PREFIX (in external_id, title, file name or
reason), so a reload deletes exactly the benchmark's own rows.
"""

import random
import time
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from cities.models import Municipality
from renewal.benchmarks.inventory import BENCH_PREFIX
from renewal.models import (
    CityMembership,
    CityRole,
    Comment,
    ContentReport,
    Match,
    RenewalProject,
    SpaceImport,
    UseAgreement,
    VacantSpace,
)

WORKBENCH_PREFIX = f"{BENCH_PREFIX}wb-"
EDITOR = "bench-workbench-editor"
SOURCE = "illustrative: synthetic workbench benchmark (manage.py bench_workbench)"

# Only module constants are formatted in; values go through parameters.
SPACES_SQL = f"""
INSERT INTO renewal_vacantspace (
    municipality_id, external_id, kind, address, location, floor_area_m2,
    grading_scheme, ownership, availability, status, source, created_at,
    updated_at, status_changed_at, vacancy_exclusion
)
SELECT %(city)s, '{WORKBENCH_PREFIX}' || g,
    (ARRAY['house','shop','office','factory','land'])[1 + (g %% 5)],
    '',
    ST_SetSRID(ST_MakePoint(%(x)s + (random() - 0.5) * 0.2,
                            %(y)s + (random() - 0.5) * 0.2), 4326),
    round((30 + random() * 270)::numeric, 2),
    '',
    'unknown',
    'not_offered',
    (ARRAY['reported','surveyed','surveyed','available','available','matched',
           'in_use','retired'])[1 + floor(random() * 8)::int],
    %(source)s,
    now() - interval '4 years',
    now(),
    now() - random() * interval '3 years',
    ''
FROM generate_series(1, %(spaces)s) AS g
"""  # noqa: S608

PROJECTS_SQL = f"""
INSERT INTO renewal_renewalproject (
    title, description, place, category, status, needs_space_kinds,
    partner_capabilities, created_at, updated_at, municipality_id, proposer_id,
    is_hidden
)
SELECT '{WORKBENCH_PREFIX}project-' || g, %(source)s,
    ST_SetSRID(ST_MakePoint(%(x)s + (random() - 0.5) * 0.1,
                            %(y)s + (random() - 0.5) * 0.1), 4326),
    'village_renewal',
    -- About one in twelve waits for review; the rest are decided or closed.
    (ARRAY['proposed','under_review','approved','approved','in_progress',
           'in_progress','completed','completed','rejected','withdrawn',
           'approved','in_progress'])[1 + (g %% 12)],
    '{{}}', '{{}}',
    now() - random() * interval '2 years',
    now(), %(city)s, %(proposer)s, FALSE
FROM generate_series(1, %(projects)s) AS g
"""  # noqa: S608


def _delete(city: Municipality) -> None:
    projects = RenewalProject.objects.filter(
        municipality=city, title__startswith=WORKBENCH_PREFIX
    )
    ContentReport.objects.filter(reason__startswith=WORKBENCH_PREFIX).delete()
    UseAgreement.objects.filter(match__project__in=projects).delete()
    Match.objects.filter(project__in=projects)._raw_delete(Match.objects.db)
    Comment.objects.filter(project__in=projects)._raw_delete(Comment.objects.db)
    projects._raw_delete(RenewalProject.objects.db)
    SpaceImport.objects.filter(
        municipality=city, original_filename__startswith=WORKBENCH_PREFIX
    ).delete()
    VacantSpace.objects.filter(
        municipality=city, external_id__startswith=WORKBENCH_PREFIX
    )._raw_delete(VacantSpace.objects.db)


def workbench_editor(city: Municipality) -> User:
    user, created = User.objects.get_or_create(username=EDITOR)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    CityMembership.objects.update_or_create(
        user=user, municipality=city, defaults={"role": CityRole.EDITOR}
    )
    return user


def load_workbench_city(
    *,
    city: Municipality,
    spaces: int,
    projects: int,
    seed: int,
    rebuild: bool,
    out: Callable[[str], None],
) -> None:
    """Fill `city` unless it already holds this many benchmark rows."""
    have = VacantSpace.objects.filter(
        municipality=city, external_id__startswith=WORKBENCH_PREFIX
    ).count()
    have_projects = RenewalProject.objects.filter(
        municipality=city, title__startswith=WORKBENCH_PREFIX
    ).count()
    if (have, have_projects) == (spaces, projects) and not rebuild:
        out(f"City: reusing {spaces:,} spaces and {projects:,} projects.")
        return
    started = time.perf_counter()
    rng = random.Random(seed)
    editor = workbench_editor(city)
    params = {
        "city": city.pk,
        "x": city.location.x,
        "y": city.location.y,
        "source": SOURCE,
        "spaces": spaces,
        "projects": projects,
        "proposer": editor.pk,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        _delete(city)
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute(SPACES_SQL, params)
        cursor.execute(PROJECTS_SQL, params)
        space_ids = list(
            VacantSpace.objects.filter(
                municipality=city, external_id__startswith=WORKBENCH_PREFIX
            ).values_list("pk", flat=True)
        )
        project_ids = list(
            RenewalProject.objects.filter(
                municipality=city, title__startswith=WORKBENCH_PREFIX
            ).values_list("pk", flat=True)
        )
        rng.shuffle(space_ids)
        # A space is promised to one project at a time: offered and active matches
        # take different spaces.
        offered_n = max(1, projects // 10)
        active_n = max(1, projects // 4)
        matches = [
            Match(
                municipality=city,
                project_id=rng.choice(project_ids),
                space_id=space_ids[n],
                status="offered" if n < offered_n else "active",
                score=round(rng.uniform(0.4, 1), 3),
            )
            for n in range(offered_n + active_n)
        ]
        Match.objects.bulk_create(matches)
        today = timezone.localdate()
        UseAgreement.objects.bulk_create(
            UseAgreement(
                match=match,
                kind="lease",
                start_date=today - timedelta(days=400),
                end_date=today + timedelta(days=rng.randint(0, 400)),
            )
            for match in matches
            if match.status == "active"
        )
        SpaceImport.objects.bulk_create(
            SpaceImport(
                municipality=city,
                original_filename=f"{WORKBENCH_PREFIX}{n}.csv",
                status="failed" if n % 3 == 0 else "succeeded",
                report=[{"line": None, "field": "", "message": "synthetic"}],
            )
            for n in range(60)
        )
        comments = Comment.objects.bulk_create(
            Comment(project_id=rng.choice(project_ids), author=editor, body="의견")
            for _ in range(projects // 4)
        )
        project_type = ContentType.objects.get_for_model(RenewalProject)
        comment_type = ContentType.objects.get_for_model(Comment)
        ContentReport.objects.bulk_create(
            [
                *(
                    ContentReport(
                        reporter=editor,
                        content_type=project_type,
                        object_id=pk,
                        reason=f"{WORKBENCH_PREFIX}report",
                        resolved=n % 2 == 0,
                    )
                    for n, pk in enumerate(project_ids[: projects // 20])
                ),
                *(
                    ContentReport(
                        reporter=editor,
                        content_type=comment_type,
                        object_id=comment.pk,
                        reason=f"{WORKBENCH_PREFIX}report",
                        resolved=n % 2 == 0,
                    )
                    for n, comment in enumerate(comments[: projects // 20])
                ),
            ]
        )
    with connection.cursor() as cursor:
        for model in (VacantSpace, RenewalProject, Match, UseAgreement, ContentReport):
            # Fresh visibility maps let the counts read their indexes alone, as
            # autovacuum keeps them on a live database.
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    out(
        f"City: loaded {spaces:,} spaces and {projects:,} projects "
        f"({time.perf_counter() - started:.1f} s)"
    )
