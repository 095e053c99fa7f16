"""What services do around a change: tiles, re-runs, queued tasks, permissions."""

import datetime
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from renewal.models import AssignmentRun, InventoryChange, MatchStatus, VacantSpace
from renewal.services.matching.matches import (
    match_accept,
    match_activate,
    match_end,
)
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
def test_a_space_edit_is_saved_while_the_broker_refuses_connections(
    personas, city, monkeypatch, caplog
):
    space = VacantSpaceFactory(municipality=city, availability="sale")

    def refuse(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(assignment_run_task, "apply_async", refuse)
    client = APIClient()
    client.force_authenticate(personas["city_editor"])

    with caplog.at_level(logging.ERROR):
        response = client.patch(
            f"/api/v1/spaces/{space.pk}/",
            {"properties": {"availability": "lease"}},
            format="json",
        )

    assert response.status_code == 200, response.content
    assert VacantSpace.objects.get(pk=space.pk).availability == "lease"
    assert InventoryChange.objects.filter(object_id=space.pk).exists()
    # The run waits in the table; the next change or a manual start sends it.
    assert AssignmentRun.objects.filter(municipality=city, status="queued").exists()
    assert "renewal.tasks.assignment_run_task" in caplog.text
    assert "Connection refused" in caplog.text


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
