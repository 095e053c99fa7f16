"""The read-replica router: reads to "replica", writes and transactions to "default"."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from config.db_router import ReplicaRouter
from tests.helpers import HANG_GUARD_SECONDS, clean_environment

ROOT = Path(__file__).resolve().parent.parent
router = ReplicaRouter()


def shell(command: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", command],
        cwd=ROOT,
        env={**clean_environment(), **environment},
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )


def test_reads_outside_a_transaction_go_to_the_replica():
    assert router.db_for_read(User) == "replica"


def test_writes_go_to_the_primary():
    assert router.db_for_write(User) == "default"


def test_relations_of_an_object_read_from_the_primary_stay_on_the_primary():
    user = User(username="loaded")
    user._state.db = "default"

    assert router.db_for_read(User, instance=user) == "default"


def test_relations_of_an_object_read_from_the_replica_stay_on_the_replica():
    user = User(username="loaded")
    user._state.db = "replica"

    assert router.db_for_read(User, instance=user) == "replica"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_write_transaction_go_to_the_primary():
    with transaction.atomic():
        assert router.db_for_read(User) == "default"
    assert router.db_for_read(User) == "replica"


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "renewal")
    assert not router.allow_migrate("replica", "renewal")


def test_rows_of_either_alias_may_relate():
    primary, replica, other = User(), User(), User()
    primary._state.db, replica._state.db, other._state.db = (
        "default",
        "replica",
        "archive",
    )

    assert router.allow_relation(primary, replica)
    assert not router.allow_relation(primary, other)


def test_replica_url_setting_routes_querysets_to_the_replica(settings):
    replica_url = "postgis://reader@replica.example.kr:5432/renewal"

    result = shell(
        "from django.conf import settings; from django.contrib.auth.models import User;"
        " print(settings.DATABASES['replica']['HOST'],"
        " settings.DATABASES['replica']['TEST']['MIRROR'], User.objects.all().db,"
        " User.objects.db_manager().get_queryset().db)",
        DATABASE_REPLICA_URL=replica_url,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "replica.example.kr",
        "default",
        "replica",
        "replica",
    ]


def test_without_a_replica_url_there_is_one_database_and_no_router():
    result = shell(
        "from django.conf import settings;"
        " print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS)"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['default'] []"


def test_invalid_replica_url_is_one_sentence():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean_environment(), "DATABASE_REPLICA_URL": "not a url"},
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )

    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "error: DATABASE_REPLICA_URL is not a valid database URL; write it like "
        "DATABASE_URL, e.g. postgres://reader@replica.example.kr:5432/renewal."
    ]
