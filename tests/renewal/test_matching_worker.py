"""The assignment run on a real Celery worker that consumes the matching queue."""

import time

import pytest

from renewal.models import AssignmentRun, CityRole, Match
from renewal.services.matching import runs
from renewal.services.roles import city_role_grant
from tests.factories import (
    MunicipalityFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)
from tests.helpers import api_client


@pytest.fixture
def matching_worker(celery_worker, monkeypatch):
    """A worker on a queue of its own, where the services send runs for this test:
    a worker of the shared "matching" queue elsewhere cannot take them."""
    queue = celery_worker()
    monkeypatch.setattr(runs, "MATCHING_QUEUE", queue)
    return queue


@pytest.mark.worker
def test_assignment_run_completes_on_a_real_worker(matching_worker):
    city = MunicipalityFactory()
    editor = UserFactory()
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    project = RenewalProjectFactory(
        municipality=city, status="approved", needs_space_kinds=["shop"]
    )
    space = VacantSpaceFactory(municipality=city, status="available")
    client = api_client(editor)

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
