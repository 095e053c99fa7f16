import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.result import _set_task_join_will_block
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser, Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from cities.services import demo_municipalities_load
from config.celery import app as celery_app
from renewal.models import CityRole
from renewal.services.roles import city_role_grant, organization_role_grant
from tests.factories import (
    CommunityOrganizationFactory,
    MunicipalityFactory,
    UserFactory,
)
from tests.helpers import HANG_GUARD_SECONDS, clean_environment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _default_language():
    # A page in English leaves English active in the thread that served it, the
    # test's own with the test client: each test starts in the site's language.
    with translation.override(django_settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _tasks_run_in_process(settings):
    """Most tests run tasks eagerly; tests marked `worker` use a real worker."""
    # Rate-limit counters live in the cache; each test starts with none.
    cache.clear()
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    settings.MAP_TILE_URL = ""  # the test machine has no internet for base maps
    # Real password hashing costs ~150 ms a user; the personas would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    celery_app.conf.task_always_eager = previous
    # Eager calls mark the process "inside a task" in a process-wide flag and put
    # back what they found; two at once (the live server's threads) can leave it
    # set, and the next `result.get()` of a worker test would refuse to wait.
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def photo_root(settings, tmp_path_factory) -> Path:
    """Photos of spaces go to a folder of the test's own (workers: PHOTO_ROOT), and
    ownership documents to another."""
    root = tmp_path_factory.mktemp("photos")
    documents = tmp_path_factory.mktemp("documents")
    settings.STORAGES = {
        **settings.STORAGES,
        "photos": {**settings.STORAGES["photos"], "OPTIONS": {"location": str(root)}},
        "documents": {
            **settings.STORAGES["documents"],
            "OPTIONS": {"location": str(documents)},
        },
    }
    return root


@pytest.fixture
def demo_data(db):
    return demo_municipalities_load()


@pytest.fixture
def resident(db):
    return UserFactory()


# Personas for the permission matrix: each a user with one kind of right.


@pytest.fixture
def city(db):
    return MunicipalityFactory(name_en="Home city")


@pytest.fixture
def other_city(db):
    return MunicipalityFactory(name_en="Other city")


@pytest.fixture
def organization(city):
    return CommunityOrganizationFactory(municipality=city)


@pytest.fixture
def lead_organization(city):
    """An organisation of the home city that leads projects; org_member is not in it,
    so that leading a project is told apart from belonging to some organisation."""
    return CommunityOrganizationFactory(municipality=city)


@pytest.fixture
def moderator(db):
    """A member of the site-wide moderators group (renewal.rules.is_moderator).
    Its username leaves "moderator" free for tests that make their own."""
    user = UserFactory(username="site_moderator")
    user.groups.add(Group.objects.get_or_create(name="moderators")[0])
    return user


@pytest.fixture
def personas(city, other_city, organization, lead_organization, moderator):

    city_editor = UserFactory(username="city_editor")
    city_role_grant(user=city_editor, municipality=city, role=CityRole.EDITOR)
    city_viewer = UserFactory(username="city_viewer")
    city_role_grant(user=city_viewer, municipality=city, role=CityRole.VIEWER)
    other_city_editor = UserFactory(username="other_city_editor")
    city_role_grant(
        user=other_city_editor, municipality=other_city, role=CityRole.EDITOR
    )
    org_member = UserFactory(username="org_member")
    organization_role_grant(user=org_member, organization=organization)
    lead_org_member = UserFactory(username="lead_org_member")
    organization_role_grant(user=lead_org_member, organization=lead_organization)
    return {
        "anonymous": AnonymousUser(),
        "resident": UserFactory(username="resident"),
        "org_member": org_member,
        "lead_org_member": lead_org_member,
        "city_viewer": city_viewer,
        "city_editor": city_editor,
        "other_city_editor": other_city_editor,
        "moderator": moderator,
    }


# A real Celery worker process over the configured Redis broker (not eager mode).


@pytest.fixture
def celery_worker(transactional_db):
    """Start workers pointed at the test database: `celery_worker(**env)` starts one
    on a queue of its own, with `env` added to its environment, and returns the
    queue; `queue=` names the queue (or queues, comma-separated) instead. Every worker started is stopped at
    teardown."""
    broker = django_settings.CELERY_BROKER_URL
    if not broker:
        pytest.fail("CELERY_BROKER_URL is not set: run the suite with `make test`.")
    database = connection.settings_dict
    database_url = (
        f"postgis://{quote(database['USER'] or '')}:{quote(database['PASSWORD'] or '')}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    workers = []

    def start(queue: str = "", **env: str) -> str:
        queue = queue or f"test-{uuid.uuid4().hex[:12]}"
        workers.append(
            subprocess.Popen(
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
                    f"{queue.split(',')[0]}-{len(workers)}@%h",
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
                    **env,
                },
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
        celery_app.conf.task_always_eager = False
        return queue

    # The processes, for tests that kill one.
    start.processes = workers
    try:
        yield start
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
            output, _ = worker.communicate(timeout=HANG_GUARD_SECONDS)
            if worker.returncode not in (0, -15, -9):
                print(output)


# The OpenAPI schema, built and validated once for the tests that read it.


@pytest.fixture(scope="session")
def openapi_schema(tmp_path_factory) -> dict:
    output = tmp_path_factory.mktemp("openapi") / "schema.json"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(output),
    )
    return json.loads(output.read_text())


# A Redis server of a test's own, which the test may stop and start again: the
# shared one serves every other test.


class RedisServer:
    def __init__(self, directory: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.process.poll() is None, "redis-server did not start"
                assert time.monotonic() < deadline, "redis-server did not answer"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(HANG_GUARD_SECONDS)


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server, not started yet: `.start()`, `.stop()`, `.url`."""
    server = RedisServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()
