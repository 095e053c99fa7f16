"""A real Celery worker process over the configured Redis broker (not eager mode)."""

import pytest

from cities.tasks import system_probe
from tests.factories import MunicipalityFactory
from tests.helpers import HANG_GUARD_SECONDS


@pytest.fixture
def worker_queue(celery_worker):
    """A worker on a queue of its own, pointed at the test database."""
    return celery_worker()


@pytest.mark.worker
def test_worker_runs_a_task_against_the_same_database(worker_queue):
    MunicipalityFactory.create_batch(3)

    result = system_probe.apply_async(queue=worker_queue).get(
        timeout=HANG_GUARD_SECONDS
    )

    assert result["municipalities"] == 3
    assert result["postgis"].startswith("3.")
    assert result["worker"]
