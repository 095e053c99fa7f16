import pytest
from django.core.cache import cache

from cities.services import demo_municipalities_load
from config.celery import app as celery_app
from tests.factories import UserFactory


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


@pytest.fixture
def demo_data(db):
    return demo_municipalities_load()


@pytest.fixture
def resident(db):
    return UserFactory()
