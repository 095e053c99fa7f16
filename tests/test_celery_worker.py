"""A real Celery worker process over the configured Redis broker (not eager mode)."""

import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from cities.tasks import system_probe
from config.celery import app as celery_app
from tests.factories import MunicipalityFactory
from tests.helpers import clean_environment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker_queue(transactional_db):
    """Start a worker on a queue of its own, pointed at the test database."""
    broker = django_settings.CELERY_BROKER_URL
    if not broker:
        pytest.fail("CELERY_BROKER_URL is not set: run the suite with `make test`.")
    database = connection.settings_dict
    database_url = (
        f"postgis://{quote(database['USER'] or '')}:{quote(database['PASSWORD'] or '')}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    queue = f"test-{uuid.uuid4().hex[:12]}"
    worker = subprocess.Popen(
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
            f"{queue}@%h",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={
            **clean_environment(),
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    celery_app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        if worker.returncode not in (0, -15):
            print(output)


@pytest.mark.worker
def test_worker_runs_a_task_against_the_same_database(worker_queue):
    MunicipalityFactory.create_batch(3)

    result = system_probe.apply_async(queue=worker_queue).get(timeout=90)

    assert result["municipalities"] == 3
    assert result["postgis"].startswith("3.")
    assert result["worker"]
