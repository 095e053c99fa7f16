"""Faults, with real processes: the broker stopped, a worker killed in the middle of
an import, a task sent for another database. Nothing is lost, nothing stays stuck.

A PostgreSQL restart, of a server of the test's own: tests/test_faults_postgres.py.
"""

import signal
import time
import uuid

import pytest
from django.core.files import File
from django.db import connection, transaction

from cities.tasks import system_probe
from config.celery import DATABASE_HEADER
from config.celery import app as celery_app
from renewal.models import AssignmentRun, SpaceImport, TaskOutbox, VacantSpace
from renewal.services import imports
from renewal.services.background import background_recover, work_lease_is_free
from renewal.services.imports import space_import_create
from renewal.services.matching import runs
from renewal.tasks import space_import_run_task
from tests.factories import VacantSpaceFactory
from tests.helpers import HANG_GUARD_SECONDS, api_client

# Daegu's old downtown (the factories' city lies there).
LON, LAT = 128.5934, 35.8691


@pytest.fixture
def media(settings, tmp_path):
    # Shared with the worker processes, which read the uploaded files.
    settings.MEDIA_ROOT = tmp_path / "media"
    return str(settings.MEDIA_ROOT)


@pytest.fixture
def private_queue(monkeypatch):
    """Imports and runs of this test go to a queue of its own."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(imports, "IMPORT_QUEUE", queue)
    monkeypatch.setattr(runs, "MATCHING_QUEUE", queue)
    return queue


def upload(client, city, path):
    with path.open("rb") as handle:
        response = client.post(
            "/api/v1/spaces/imports/",
            {"file": handle, "municipality": city.code},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    return response.json()


def survey(tmp_path, count: int, prefix: str = "K"):
    path = tmp_path / "survey.csv"
    path.write_text(
        "external_id,kind,lon,lat\n"
        + "".join(f"{prefix}-{i},shop,{LON},{LAT}\n" for i in range(1, count + 1))
    )
    return path


def wait_until(condition, what: str):
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"still waiting: {what}"
        time.sleep(0.1)


def finished(model, pk) -> bool:
    return model.objects.get(pk=pk).status not in ("queued", "running")


@pytest.mark.worker
def test_work_saved_while_the_broker_is_down_runs_when_it_returns(
    celery_worker,
    private_redis,
    private_queue,
    media,
    personas,
    city,
    monkeypatch,
    tmp_path,
):
    # This process's broker is stopped (Celery reads the variable before settings).
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)
    celery_app.conf.task_always_eager = False
    editor = api_client(personas["city_editor"])
    VacantSpaceFactory(municipality=city, status="available")

    space_import = upload(editor, city, survey(tmp_path, 3))
    started = editor.post(f"/api/v1/municipalities/{city.code}/assignment-runs/")

    # The changes stand and their tasks wait, instead of being lost.
    assert started.status_code == 202, started.content
    assert sorted(TaskOutbox.objects.values_list("task", flat=True)) == [
        "renewal.tasks.assignment_run_task",
        "renewal.tasks.space_import_run_task",
    ]
    assert SpaceImport.objects.get(pk=space_import["id"]).status == "queued"

    private_redis.start()
    # A worker starting sends what waited (beat does it every minute too).
    celery_worker(
        queue=private_queue, CELERY_BROKER_URL=private_redis.url, MEDIA_ROOT=media
    )
    wait_until(lambda: finished(SpaceImport, space_import["id"]), "the import")
    wait_until(lambda: finished(AssignmentRun, started.json()["id"]), "the run")

    done = editor.get(space_import["url"]).json()
    assert (done["status"], done["created_count"]) == ("succeeded", 3)
    assert AssignmentRun.objects.get(pk=started.json()["id"]).status == "done"
    # The finished import queues its notification just after saving its status.
    wait_until(lambda: not TaskOutbox.objects.exists(), "the outbox to empty")


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        # Inside a transaction the view is read once, then served from a snapshot.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_is_killed_runs_again_from_the_start(
    celery_worker, private_queue, media, personas, city, tmp_path
):
    queue = celery_worker(queue=private_queue, MEDIA_ROOT=media)
    editor = api_client(personas["city_editor"])
    space_import = upload(editor, city, survey(tmp_path, 300))

    with transaction.atomic():
        # Taken here first and not committed: the import's write reaches row 150,
        # then waits for this transaction. Its worker is killed there.
        VacantSpaceFactory(municipality=city, external_id="K-150")
        wait_until(waiting_for_a_lock, "the import to reach row 150")
        progress = SpaceImport.objects.get(pk=space_import["id"]).progress
        killed = celery_worker.processes[0]
        killed.send_signal(signal.SIGKILL)
        killed.wait(HANG_GUARD_SECONDS)
        transaction.set_rollback(True)
    # The dead worker's session ends (its write rolled back, its lease free).
    wait_until(
        lambda: work_lease_is_free(imports.IMPORT_LEASE, space_import["id"]),
        "the killed worker's database session to end",
    )

    # Progress counted written rows; nothing of the write was kept.
    assert 60 < progress < 100
    assert editor.get(space_import["url"]).json()["status"] == "running"
    assert not VacantSpace.objects.filter(municipality=city).exists()

    # Beat's recovery (every minute, and at each worker's start) sends it again;
    # here from this process, so that it goes to this test's queue.
    celery_app.conf.task_always_eager = False
    background_recover()
    celery_worker(queue=queue, MEDIA_ROOT=media)
    wait_until(lambda: finished(SpaceImport, space_import["id"]), "the import")

    done = editor.get(space_import["url"]).json()
    assert (done["status"], done["created_count"]) == ("succeeded", 300)
    assert SpaceImport.objects.get(pk=space_import["id"]).attempts == 2
    assert VacantSpace.objects.filter(municipality=city).count() == 300


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_import_whose_database_session_ends_runs_again_instead_of_failing(
    celery_worker, private_queue, media, personas, city, tmp_path
):
    # What a PostgreSQL restart or failover does to a running import, with the server
    # back at once (tests/test_faults_postgres.py restarts a whole server).
    queue = celery_worker(queue=private_queue, MEDIA_ROOT=media)
    editor = api_client(personas["city_editor"])
    space_import = upload(editor, city, survey(tmp_path, 5))

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE renewal_vacantspace IN SHARE MODE")
        wait_until(waiting_for_a_lock, "the import to write")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        transaction.set_rollback(True)

    # Tasks are taken in order: once this one answers, the import's was handled.
    system_probe.apply_async(queue=queue).get(timeout=HANG_GUARD_SECONDS)
    # Not failed for the file's sake: still running, its lease free.
    assert editor.get(space_import["url"]).json()["status"] == "running"
    assert work_lease_is_free(imports.IMPORT_LEASE, space_import["id"])

    celery_app.conf.task_always_eager = False
    background_recover()
    wait_until(lambda: finished(SpaceImport, space_import["id"]), "the import")

    done = editor.get(space_import["url"]).json()
    assert (done["status"], done["created_count"]) == ("succeeded", 5)
    assert SpaceImport.objects.get(pk=space_import["id"]).attempts == 2


@pytest.mark.worker
def test_a_worker_refuses_a_task_sent_for_another_database(
    celery_worker, private_queue, media, personas, city, tmp_path
):
    queue = celery_worker(queue=private_queue, MEDIA_ROOT=media)
    with survey(tmp_path, 1).open("rb") as handle:
        space_import = space_import_create(
            actor=personas["city_editor"],
            municipality=city,
            uploaded_file=File(handle, name="survey.csv"),
            run_in_background=False,
        )

    space_import_run_task.apply_async(
        (space_import.pk,), queue=queue, headers={DATABASE_HEADER: "renewal_other"}
    )
    # Tasks are taken in order: once this one answers, the first was handled.
    system_probe.apply_async(queue=queue).get(timeout=HANG_GUARD_SECONDS)

    assert SpaceImport.objects.get(pk=space_import.pk).status == "queued"

    space_import_run_task.apply_async((space_import.pk,), queue=queue).get(
        timeout=HANG_GUARD_SECONDS
    )

    assert SpaceImport.objects.get(pk=space_import.pk).status == "succeeded"
