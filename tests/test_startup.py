"""Bad configuration stops start-up with one sentence, not a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import HANG_GUARD_SECONDS, clean_environment

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {**clean_environment(), **environment}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )


def assert_one_sentence(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_unreachable_database_is_one_sentence():
    result = manage("migrate", DATABASE_URL="postgis://postgres@127.0.0.1:1/renewal")

    assert_one_sentence(result, "Cannot reach the database", "127.0.0.1:1/renewal")


def test_missing_secret_key_in_production_is_one_sentence():
    result = manage("check", DEBUG="false", SECRET_KEY="", ALLOWED_HOSTS="example.kr")

    assert_one_sentence(result, "SECRET_KEY must be set")


@pytest.mark.parametrize("key", ["x", "a" * 60, "abcd" * 20])
def test_weak_secret_key_in_production_is_one_sentence(key):
    result = manage("check", DEBUG="false", SECRET_KEY=key, ALLOWED_HOSTS="example.kr")

    assert_one_sentence(result, "SECRET_KEY is too weak")


def test_missing_gdal_is_one_sentence():
    result = manage("check", GDAL_LIBRARY_PATH="/nonexistent/libgdal.so")

    assert_one_sentence(result, "GDAL", "make setup")


def test_invalid_boolean_is_one_sentence():
    result = manage("check", DEBUG="maybe")

    assert_one_sentence(result, "DEBUG must be true or false")


def test_production_settings_pass_deploy_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="x7Hq0-production-like-secret-key-that-is-long-enough-4kP2zLm9vWq3",
        ALLOWED_HOSTS="renewal.example.kr",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_static_files_collect_with_hashed_names(tmp_path):
    # The manifest storage refuses a file that points at a missing one (e.g. a
    # vendored library's source-map comment), which would stop a deployment.
    result = manage(
        "collectstatic",
        "--noinput",
        "--verbosity",
        "0",
        DEBUG="false",
        SECRET_KEY="x7Hq0-production-like-secret-key-that-is-long-enough-4kP2zLm9vWq3",
        ALLOWED_HOSTS="renewal.example.kr",
        STATIC_ROOT=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()
