"""What services do around a change: tiles, re-runs, queued tasks, permissions."""

import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from config.celery import app as celery_app
from renewal.models import (
    AssignmentRun,
    InventoryChange,
    Match,
    MatchStatus,
    TaskOutbox,
    VacantSpace,
)
from renewal.services.background import outbox_drain
from renewal.services.matching.matches import (
    match_accept,
    match_activate,
    match_end,
)
from renewal.services.matching.runs import MAX_ATTEMPTS, enqueue_assignment_rerun
from renewal.services.tiles import tiles_version
from renewal.tasks import assignment_run_task
from tests.factories import MatchFactory, RenewalProjectFactory, VacantSpaceFactory
from tests.helpers import HANG_GUARD_SECONDS, clean_environment

ROOT = Path(__file__).resolve().parent.parent.parent
AGREEMENT = {
    "kind": "lease",
    "start_date": datetime.date(2026, 7, 1),
    "end_date": datetime.date(2027, 6, 30),
    "monthly_rent_krw": 300_000,
}


@pytest.fixture
def offered_match(city, personas):
    project = RenewalProjectFactory(
        municipality=city, proposer=personas["resident"], status="approved"
    )
    return MatchFactory(project=project, status="offered")


def test_each_match_step_gives_spaces_tiles_a_new_version(
    personas, offered_match, django_capture_on_commit_callbacks
):
    editor = personas["city_editor"]
    steps = [
        lambda: match_accept(
            actor=personas["resident"], match=offered_match, agreement=AGREEMENT
        ),
        lambda: match_activate(actor=editor, match=offered_match),
        lambda: match_end(actor=editor, match=offered_match),
    ]
    statuses = []
    for step in steps:
        before = tiles_version("spaces")
        with django_capture_on_commit_callbacks(execute=True):
            step()
        offered_match.space.refresh_from_db()
        statuses.append(offered_match.space.status)

        assert tiles_version("spaces") != before

    assert statuses == ["matched", "in_use", "available"]


def test_a_space_leaving_or_entering_available_queues_one_rerun(
    personas, offered_match, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        match_accept(
            actor=personas["resident"], match=offered_match, agreement=AGREEMENT
        )

    # One run and one task, although both the match and the space changed.
    assert AssignmentRun.objects.filter(status="queued").count() == 1
    assert [c.__qualname__ for c in callbacks].count(
        "enqueue_after_commit[renewal.tasks.assignment_run_task]"
    ) == 1

    AssignmentRun.objects.all().delete()
    match_activate(actor=personas["city_editor"], match=offered_match)

    # Matched → in use changes nothing a run reads.
    assert not AssignmentRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_space_edit_is_saved_while_the_broker_is_down_and_its_task_waits(
    personas, city, private_redis, monkeypatch
):
    # Nothing listens there (Celery reads the variable before the settings).
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)
    celery_app.conf.task_always_eager = False
    space = VacantSpaceFactory(municipality=city, availability="sale")
    client = APIClient()
    client.force_authenticate(personas["city_editor"])

    response = client.patch(
        f"/api/v1/spaces/{space.pk}/",
        {"properties": {"availability": "lease"}},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert VacantSpace.objects.get(pk=space.pk).availability == "lease"
    assert InventoryChange.objects.filter(object_id=space.pk).exists()
    run = AssignmentRun.objects.get(municipality=city, status="queued")
    waiting = TaskOutbox.objects.get()
    assert (waiting.task, waiting.args) == (
        "renewal.tasks.assignment_run_task",
        [run.pk],
    )
    assert "Connection refused" in waiting.last_error

    # Still away: the drain sends nothing and keeps the task.
    assert outbox_drain() == 0
    assert TaskOutbox.objects.get().attempts == 2


def test_a_change_joining_a_run_that_lost_its_task_sends_it_again(
    city, django_capture_on_commit_callbacks
):
    run = AssignmentRun.objects.create(municipality=city, trigger="automatic")
    AssignmentRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )

    with django_capture_on_commit_callbacks() as callbacks:
        joined = enqueue_assignment_rerun(city.pk)

    assert joined == run
    assert [c.__qualname__ for c in callbacks] == [
        "enqueue_after_commit[renewal.tasks.assignment_run_task]"
    ]
    assert TaskOutbox.objects.get().args == [run.pk]


def test_a_run_whose_worker_died_runs_again(city):
    project = RenewalProjectFactory(
        municipality=city, status="approved", needs_space_kinds=["shop"]
    )
    space = VacantSpaceFactory(municipality=city, status="available")
    run = AssignmentRun.objects.create(
        municipality=city, trigger="manual", status="running", attempts=1
    )

    assignment_run_task(run.pk)

    run.refresh_from_db()
    assert (run.status, run.attempts) == ("done", 2)
    assert Match.objects.filter(project=project, space=space, run=run).exists()


def test_a_run_that_lost_its_worker_too_often_fails_and_says_why(city):
    run = AssignmentRun.objects.create(
        municipality=city, trigger="manual", status="running", attempts=MAX_ATTEMPTS
    )

    with translation.override("en"):
        assignment_run_task(run.pk)

    run.refresh_from_db()
    assert run.status == "failed"
    assert "stopped 3 times" in run.error


@pytest.mark.parametrize(
    ("persona", "status", "may"),
    [
        ("city_editor", MatchStatus.SUGGESTED, True),
        ("city_editor", MatchStatus.OFFERED, True),
        ("resident", MatchStatus.SUGGESTED, False),  # not offered to them yet
        ("resident", MatchStatus.OFFERED, True),  # the proposer
        ("org_member", MatchStatus.OFFERED, False),  # not the lead organisation
        ("city_viewer", MatchStatus.OFFERED, False),
    ],
)
def test_who_may_decline_a_match(city, personas, persona, status, may):
    project = RenewalProjectFactory(
        municipality=city, proposer=personas["resident"], status="approved"
    )
    match = MatchFactory(project=project, status=status)

    assert personas[persona].has_perm("renewal.decline_match", match) is may


def test_web_processes_do_not_load_scipy():
    code = (
        "import sys, django; django.setup();"
        "from django.urls import get_resolver; get_resolver().url_patterns;"
        "import renewal.admin, renewal.tasks;"
        "print('scipy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean_environment(), "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
