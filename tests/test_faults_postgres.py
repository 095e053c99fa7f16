"""A PostgreSQL restart, with real processes: the web server and the worker ride it
out without being restarted themselves; the import it cut short runs again; nothing
is lost, nothing stays stuck.

The shared server serves every other test, so this one restarts a cluster of its
own (config/local_services.py), with a Redis of its own.
"""

import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
import requests

from config import local_services
from tests.helpers import HANG_GUARD_SECONDS, clean_environment
from tests.test_faults import LAT, LON, wait_until

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "renewal"
# The worker's queues for a database named DATABASE (settings.TASK_QUEUES).
QUEUES = f"imports.{DATABASE},default.{DATABASE}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    """A PostGIS cluster of one test: `.restart()`, `.url`, `.connect()`."""

    def __init__(self):
        self.port = free_port()
        self.user = local_services.service_user()
        # Not under pytest's tmp_path: the server's user must reach it.
        self.directory = Path(tempfile.mkdtemp(prefix="renewal-pg-"))
        if self.user is not None:
            shutil.chown(self.directory, user=self.user)

    @property
    def url(self) -> str:
        return f"postgis://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> None:
        local_services.postgres_cluster_start(
            cluster=self.directory, port=self.port, user=self.user
        )

    def stop(self) -> None:
        local_services.postgres_cluster_stop(cluster=self.directory, user=self.user)

    def restart(self) -> None:
        # A fast stop, as systemd's or an upgrade's: every session is ended.
        self.stop()
        self.start()

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname={DATABASE}",
            **kwargs,
        )


@pytest.fixture
def private_postgres():
    cluster = PostgresCluster()
    try:
        cluster.start()
        local_services.postgres_database_create(port=cluster.port, name=DATABASE)
        manage(cluster, "migrate", "--noinput")
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.directory, ignore_errors=True)


def manage(cluster: PostgresCluster, *args: str, **env: str) -> str:
    """Run a management command against the cluster; its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_environment(), "DATABASE_URL": cluster.url, **env},
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


# An editor of one city, with an API token; prints "<token> <city code>".
SEED = """
from rest_framework.authtoken.models import Token
from renewal.models import CityRole
from renewal.services.roles import city_role_grant
from tests.factories import MunicipalityFactory, UserFactory
city = MunicipalityFactory()
editor = UserFactory(username="city_editor")
city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
print(Token.objects.create(user=editor).key, city.code)
"""


@pytest.fixture
def web(private_postgres, private_redis, tmp_path):
    """gunicorn serving the platform on the private cluster: one process, one
    thread, so that every request reuses one persistent database connection."""
    port = free_port()
    private_redis.start()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1"]
        + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env={
            **clean_environment(),
            "DATABASE_URL": private_postgres.url,
            "CELERY_BROKER_URL": private_redis.url,
            "MEDIA_ROOT": str(tmp_path / "media"),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server.base_url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert server.poll() is None, server.communicate()[0]
        try:
            return requests.get(f"{server.base_url}/healthz", timeout=5).ok
        except requests.ConnectionError:
            return False

    try:
        # Healthy: it reaches both the database and the broker.
        wait_until(answers, "gunicorn to answer")
        yield server
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=HANG_GUARD_SECONDS)
        if server.returncode not in (0, -15):
            print(output)


def waiting_for_a_lock(cluster: PostgresCluster) -> bool:
    with cluster.connect(autocommit=True) as watcher:
        return (
            watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            ).fetchone()[0]
            > 0
        )


@pytest.mark.worker
def test_a_postgres_restart_loses_nothing_and_leaves_nothing_stuck(
    private_postgres, private_redis, web, celery_worker, tmp_path
):
    token, city_code = manage(private_postgres, "shell", "-c", SEED).split()[-2:]
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"

    def upload(prefix: str, count: int) -> str:
        survey = tmp_path / f"{prefix}.csv"
        survey.write_text(
            "external_id,kind,lon,lat\n"
            + "".join(f"{prefix}-{i},shop,{LON},{LAT}\n" for i in range(count))
        )
        with survey.open("rb") as handle:
            response = session.post(
                f"{web.base_url}/api/v1/spaces/imports/",
                files={"file": handle},
                data={"municipality": city_code},
                timeout=HANG_GUARD_SECONDS,
            )
        assert response.status_code == 202, response.text
        return response.json()["url"]

    def status(url: str) -> str:
        response = session.get(url, timeout=HANG_GUARD_SECONDS)
        assert response.status_code == 200, response.text
        return response.json()["status"]

    celery_worker(
        queue=QUEUES,
        DATABASE_URL=private_postgres.url,
        CELERY_BROKER_URL=private_redis.url,
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    worker = celery_worker.processes[0]
    # A first import: the web server and the worker each hold a database
    # connection that outlives the request or task, as in production.
    first = upload("A", 3)
    wait_until(lambda: status(first) == "succeeded", "the first import")

    # The second import's write waits behind this lock; the restart cuts it short.
    holder = private_postgres.connect()
    try:
        holder.execute("LOCK TABLE renewal_vacantspace IN SHARE MODE")
        second = upload("B", 5)
        wait_until(lambda: waiting_for_a_lock(private_postgres), "the import to write")
        private_postgres.restart()
    finally:
        holder.close()  # its session ended with the restart

    # The first request after the restart is answered: the dead connection is
    # noticed and replaced, not turned into an error.
    assert status(second) == "running"
    # Beat's recovery (every minute) sends the import again; here at once.
    manage(
        private_postgres,
        "shell",
        "-c",
        "from renewal.services.background import background_recover;"
        "background_recover()",
        CELERY_BROKER_URL=private_redis.url,
    )
    wait_until(lambda: status(second) != "running", "the import to run again")

    assert status(second) == "succeeded"
    # Neither the web server nor the worker was restarted.
    assert web.poll() is None and worker.poll() is None
    with private_postgres.connect() as db:
        counts = db.execute(
            "SELECT (SELECT count(*) FROM renewal_vacantspace),"
            " (SELECT count(*) FROM renewal_taskoutbox),"
            " (SELECT attempts FROM renewal_spaceimport ORDER BY id DESC LIMIT 1)"
        ).fetchone()
    assert counts == (3 + 5, 0, 2)
