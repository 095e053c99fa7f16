"""Web requests run under a statement_timeout and answer 503 when PostgreSQL
cancels their statement; batch processes (worker, management commands) do not."""

import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from config.timeouts import batch_process
from tests.factories import MunicipalityFactory
from tests.helpers import HANG_GUARD_SECONDS, api_client, clean_environment, page_client

ROOT = Path(__file__).resolve().parent.parent


def show_statement_timeout(**environment: str) -> str:
    """`SHOW statement_timeout` as a management command sees it."""
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.db import connection\n"
            "with connection.cursor() as c:\n"
            "    c.execute('SHOW statement_timeout')\n"
            "    print('timeout=' + c.fetchone()[0])",
        ],
        cwd=ROOT,
        env={**clean_environment(), **environment},
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )
    assert result.returncode == 0, result.stderr
    return re.search(r"timeout=(\S+)", result.stdout).group(1)


def test_web_connections_run_under_the_statement_timeout(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        shown = cursor.fetchone()[0]

    assert settings.DATABASE_STATEMENT_TIMEOUT > 0
    assert shown == f"{settings.DATABASE_STATEMENT_TIMEOUT}s"


def test_management_commands_have_their_own_limit():
    assert show_statement_timeout(DATABASE_STATEMENT_TIMEOUT="15") == "0"
    assert (
        show_statement_timeout(
            DATABASE_STATEMENT_TIMEOUT="15", DATABASE_BATCH_STATEMENT_TIMEOUT="600"
        )
        == "10min"
    )


@pytest.mark.parametrize(
    ("argv", "batch"),
    [
        (["/srv/.venv/bin/celery", "-A", "config", "worker"], True),
        (["/srv/.venv/lib/python3.11/site-packages/celery/__main__.py", "beat"], True),
        (["manage.py", "migrate"], True),
        (["manage.py", "load_demo"], True),
        (["manage.py", "runserver"], False),
        (["/srv/.venv/bin/gunicorn", "config.wsgi"], False),
        (["/srv/.venv/bin/pytest"], False),
        ([], False),
    ],
)
def test_batch_processes_are_told_by_their_command_line(argv, batch):
    assert batch_process(argv) is batch


# --- A cancelled statement answers 503 -------------------------------------------------


@pytest.fixture
def one_second_statements(transactional_db):
    """Web connections with a one-second statement_timeout, through the same
    connection option the settings write (no test transaction around the request:
    as in production, the cancelled statement's transaction ends with it)."""
    options = connection.settings_dict["OPTIONS"]
    original = options["options"]
    assert "statement_timeout=" in original
    options["options"] = re.sub(
        r"statement_timeout=\d+", "statement_timeout=1000", original
    )
    connection.close()
    yield
    options["options"] = original
    connection.close()


@pytest.fixture
def history_locked(one_second_statements):
    """Another session holds the inventory history and the downtown health counts
    until the test ends, so a statement that reads them waits until its timeout
    cancels it."""
    database = connection.settings_dict
    with psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
    ) as locker:
        # A hang guard: should the timeout fail, the lock goes after a minute and
        # the request answers 200, which the test rejects.
        locker.execute("SET idle_in_transaction_session_timeout = '60s'")
        locker.execute(
            "LOCK TABLE renewal_inventorychange, renewal_downtownhealthcount "
            "IN ACCESS EXCLUSIVE MODE"
        )
        yield
        locker.rollback()


def test_a_cancelled_api_statement_answers_503_in_the_error_envelope(history_locked):
    city = MunicipalityFactory()

    response = api_client().get(
        f"/api/v1/municipalities/{city.code}/downtown-health/",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 503
    assert response["Retry-After"]
    error = response.json()["error"]
    assert error["code"] == "statement_timeout"
    assert "took too long" in error["message"]


def test_a_cancelled_page_statement_answers_a_503_page(history_locked):
    city = MunicipalityFactory()

    response = page_client().get(f"/en/cities/{city.code}/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert b"took too long" in response.content


def test_the_same_requests_answer_once_the_lock_is_gone(one_second_statements):
    city = MunicipalityFactory()

    assert (
        api_client()
        .get(f"/api/v1/municipalities/{city.code}/downtown-health/")
        .status_code
        == 200
    )
    assert page_client().get(f"/en/cities/{city.code}/").status_code == 200
