"""The assignment run on a real Celery worker that consumes the "matching" queue."""

import time

import pytest
from rest_framework.test import APIClient

from renewal.models import AssignmentRun, CityRole, Match
from renewal.services.matching.runs import MATCHING_QUEUE
from renewal.services.roles import city_role_grant
from tests.factories import (
    MunicipalityFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)


@pytest.fixture
def matching_worker(transactional_db, monkeypatch):
    """A worker on the queue the services send runs to."""
    import subprocess
    import sys
    from pathlib import Path
    from urllib.parse import quote

    from django.conf import settings
    from django.db import connection

    from config.celery import app as celery_app
    from tests.helpers import clean_environment

    database = connection.settings_dict
    database_url = (
        f"postgis://{quote(database['USER'] or '')}:{quote(database['PASSWORD'] or '')}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--queues",
            MATCHING_QUEUE,
            "--hostname",
            f"matching-test-{time.monotonic_ns()}@%h",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env={
            **clean_environment(),
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    celery_app.conf.task_always_eager = False
    try:
        yield MATCHING_QUEUE
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        if worker.returncode not in (0, -15):
            print(output)


@pytest.mark.worker
def test_assignment_run_completes_on_a_real_worker(matching_worker):
    city = MunicipalityFactory()
    editor = UserFactory()
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    project = RenewalProjectFactory(
        municipality=city, status="approved", needs_space_kinds=["shop"]
    )
    space = VacantSpaceFactory(municipality=city, status="available")
    client = APIClient()
    client.force_authenticate(editor)

    started = client.post(f"/api/v1/municipalities/{city.code}/assignment-runs/")
    deadline = time.monotonic() + 90
    run = started.json()
    while run["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        run = client.get(f"/api/v1/assignment-runs/{run['id']}/").json()

    assert started.status_code == 202
    assert run["status"] == "done"
    assert run["pairs"][0]["project"]["id"] == project.pk
    assert run["pairs"][0]["space"]["id"] == space.pk
    assert AssignmentRun.objects.get(pk=run["id"]).finished_at is not None
    assert Match.objects.filter(project=project, status="suggested").count() == 1
