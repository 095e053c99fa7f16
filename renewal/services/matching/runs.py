"""City-wide assignment runs: started by staff or, debounced, by inventory changes."""

import logging
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cities.models import Municipality
from core.errors import require_perm
from renewal.models import AssignmentRun, Match, MatchStatus, RunStatus, RunTrigger
from renewal.selectors.matching import assignment_candidate_graph
from renewal.services.background import (
    enqueue_after_commit,
    work_lease,
    work_lease_is_free,
)
from renewal.services.matching.scoring import SpaceFacts, score_space, scoring_params
from renewal.tasks import assignment_run_task

MATCHING_QUEUE = settings.TASK_QUEUES["matching"]
# Changes within this many seconds of the first one join the same run.
RERUN_DEBOUNCE_SECONDS = 30
# Keys the advisory lock that keeps two runs of one city from writing at once.
_ADVISORY_LOCK_CLASS = 7_400_001
# Keys the lease a worker holds while it runs one run (background.work_lease).
_RUN_LEASE = 7_400_002
# Worker deaths a run survives (a city that kills its worker must not loop).
MAX_ATTEMPTS = 3
# Well past the debounce: the run's task was lost.
STALE_QUEUED_RUN = timedelta(seconds=RERUN_DEBOUNCE_SECONDS + 600)

logger = logging.getLogger(__name__)


def _enqueue(run: AssignmentRun, countdown: int) -> None:
    enqueue_after_commit(
        assignment_run_task, args=(run.pk,), queue=MATCHING_QUEUE, countdown=countdown
    )


def _queued_run(
    *, municipality_id: int, trigger: str, requested_by=None
) -> tuple[AssignmentRun, bool]:
    """The city's queued run, created if there is none. The partial unique
    constraint makes two processes racing here end with one row."""
    existing = AssignmentRun.objects.filter(
        municipality_id=municipality_id, status=RunStatus.QUEUED
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return (
                AssignmentRun.objects.create(
                    municipality_id=municipality_id,
                    trigger=trigger,
                    requested_by=requested_by,
                ),
                True,
            )
    except IntegrityError:
        return (
            AssignmentRun.objects.get(
                municipality_id=municipality_id, status=RunStatus.QUEUED
            ),
            False,
        )


@transaction.atomic
def assignment_run_start(*, actor, municipality: Municipality) -> AssignmentRun:
    """Queue a run now. A run already waiting for its debounce joins this request
    and starts now too; the task's claim makes the second delivery a no-op."""
    require_perm(actor, "renewal.run_assignment", municipality)
    run, _created = _queued_run(
        municipality_id=municipality.pk, trigger=RunTrigger.MANUAL, requested_by=actor
    )
    _enqueue(run, countdown=0)
    return run


def enqueue_assignment_rerun(
    municipality_id: int, *, countdown: int = RERUN_DEBOUNCE_SECONDS
) -> AssignmentRun:
    """Ask for a re-run after the city's inventory or projects changed. A burst of
    changes produces one run: while a run is queued, later calls join it. Call it
    inside the transaction of the change; the task is sent after commit.

    A run still queued well after its debounce has lost its task (a broker that
    lost its messages): joining it sends the task again, so that one lost message
    cannot stop the city's re-runs for good. A second delivery is harmless."""
    with transaction.atomic():
        run, created = _queued_run(
            municipality_id=municipality_id, trigger=RunTrigger.AUTOMATIC
        )
        if created:
            _enqueue(run, countdown=countdown)
        elif run.created_at < timezone.now() - STALE_QUEUED_RUN:
            _enqueue(run, countdown=0)
    return run


def assignment_runs_recover() -> int:
    """Send the task again for each run whose worker died; the task resumes or
    fails it. Returns how many."""
    orphans = [
        run
        for run in AssignmentRun.objects.filter(status=RunStatus.RUNNING).order_by("pk")
        if work_lease_is_free(_RUN_LEASE, run.pk)
    ]
    for run in orphans:
        logger.warning("assignment run %s lost its worker; sending it again", run.pk)
        _enqueue(run, countdown=0)
    return len(orphans)


def _progress(run: AssignmentRun, percent: int) -> None:
    AssignmentRun.objects.filter(pk=run.pk).update(progress=percent)


@contextmanager
def _city_lock(municipality_id: int):
    # One run of a city at a time: the next waits and then sees this one's
    # matches. A session lock, so that the progress written meanwhile commits.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_lock(%s, %s)", [_ADVISORY_LOCK_CLASS, municipality_id]
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)",
                [_ADVISORY_LOCK_CLASS, municipality_id],
            )


def assignment_run_execute(*, run_id: int) -> AssignmentRun | None:
    """Claim a queued run, build the city's sparse candidate graph, solve it, and
    replace the city's suggested matches with the optimum. Idempotent: a run that
    another worker runs, or that finished, is left alone; a run whose worker died
    runs again (up to MAX_ATTEMPTS starts), then fails with the reason."""
    with work_lease(_RUN_LEASE, run_id) as held:
        if not held:
            return None
        # Running with the lease free: its worker died.
        claimed = AssignmentRun.objects.filter(
            pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        ).update(
            status=RunStatus.RUNNING,
            started_at=timezone.now(),
            progress=5,
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return None
        run = AssignmentRun.objects.get(pk=run_id)
        if run.attempts > MAX_ATTEMPTS:
            AssignmentRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED,
                error=_(
                    "The run stopped %(count)d times before it finished (its "
                    "worker ended); start it again once the workers are sound."
                )
                % {"count": MAX_ATTEMPTS},
                finished_at=timezone.now(),
            )
            run.refresh_from_db()
            return run
        try:
            with _city_lock(run.municipality_id):
                _execute(run)
        except Exception as error:
            AssignmentRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED,
                error=repr(error)[:2000],
                finished_at=timezone.now(),
            )
            raise
    run.refresh_from_db()
    return run


def _execute(run: AssignmentRun) -> None:
    # Here, not at the top: scipy costs every web process ~85 ms and ~34 MB.
    from renewal.services.matching.assignment import (
        assignment_greedy,
        assignment_optimal,
        total_score,
    )

    params = scoring_params(municipality_id=run.municipality_id)
    with transaction.atomic(), connection.cursor() as cursor:
        # The graph query's cost estimate (thousands of LATERAL KNN scans) crosses
        # the JIT thresholds, yet each scan is a few index pages: compiling took
        # ~0.2 s per run and ~20 % of the graph time of a small city (measured on
        # the national benchmark, docs/matching.md).
        cursor.execute("SET LOCAL jit = off")
        projects, rows = assignment_candidate_graph(
            municipality_id=run.municipality_id, k=params.candidates_per_project
        )
    _progress(run, 40)
    today = timezone.localdate()
    edges = []
    edge_spaces = {}
    for row in rows:
        project_id = row["project_id"]
        space = SpaceFacts.from_row(row)
        score, _breakdown = score_space(
            project=projects[project_id],
            space=space,
            params=params,
            today=today,
            explain=False,
        )
        if score >= params.minimum_score:
            edges.append((project_id, row["id"], score))
            edge_spaces[(project_id, row["id"])] = space
    _progress(run, 60)
    pairs = assignment_optimal(edges)
    greedy = assignment_greedy(edges)
    _progress(run, 80)
    # Explained only for the pairs proposed, a few percent of the graph.
    breakdowns = {
        (project_id, space_id): score_space(
            project=projects[project_id],
            space=edge_spaces[(project_id, space_id)],
            params=params,
            today=today,
        )[1]
        for project_id, space_id, _score in pairs
    }
    with transaction.atomic():
        # A run replaces the suggestions of earlier runs; a suggestion no run made
        # (a resident's proposal from the listing) stays, and the run does not
        # suggest its pair again.
        Match.objects.filter(
            municipality_id=run.municipality_id,
            status=MatchStatus.SUGGESTED,
            run__isnull=False,
        ).delete()
        open_pairs = set(
            Match.objects.filter(
                municipality_id=run.municipality_id,
                status__in=(MatchStatus.SUGGESTED, MatchStatus.OFFERED),
            ).values_list("project_id", "space_id")
        )
        pairs = [pair for pair in pairs if (pair[0], pair[1]) not in open_pairs]
        Match.objects.bulk_create(
            [
                Match(
                    municipality_id=run.municipality_id,
                    project_id=project_id,
                    space_id=space_id,
                    run=run,
                    score=score,
                    breakdown=breakdowns[(project_id, space_id)],
                )
                for project_id, space_id, score in pairs
            ],
            batch_size=1000,
        )
        AssignmentRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            progress=100,
            projects_count=len(projects),
            spaces_count=len({row["id"] for row in rows}),
            candidate_pairs=len(edges),
            matched_count=len(pairs),
            total_score=round(total_score(pairs), 4),
            greedy_total_score=round(total_score(greedy), 4),
            finished_at=timezone.now(),
        )
