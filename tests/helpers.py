import os

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

# A guard against a hung child process, not a speed limit: a slow machine never
# comes near it, and a test that reaches it has found a hang.
HANG_GUARD_SECONDS = 900


def clean_environment() -> dict[str, str]:
    """The environment for a child process that stands for a real deployment."""
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def api_client(user=None) -> APIClient:
    """An API client authenticated as `user` (anonymous for None or AnonymousUser)."""
    client = APIClient()
    if user is not None and user.is_authenticated:
        client.force_authenticate(user)
    return client


def page_client(user=None) -> Client:
    """A browser-like client signed in as `user` (anonymous for None or AnonymousUser)."""
    client = Client()
    if user is not None and user.is_authenticated:
        client.force_login(user)
    return client


def count_queries(client, url, data=None, **extra):
    """The response to one GET of `url` and the number of SQL queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data, **extra)
    return response, len(queries)


def run_with_writes_held(model, calls) -> list:
    """Run each call on a connection of its own while this connection holds a SHARE
    lock on `model`'s table: reading it goes on, writing it waits. The lock is let go
    only once every call waits on a lock, so every call has made its checks before
    any of them writes. A check-then-create that no lock or constraint protects
    then goes wrong every time, not now and then. Returns the calls' results
    (exceptions included) in order."""
    import threading
    import time

    from django.db import transaction

    results: list = [None] * len(calls)

    def run(index, call):
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - handed back to the test
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, call))
        for index, call in enumerate(calls)
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{model._meta.db_table}" IN SHARE MODE')
        for thread in threads:
            thread.start()
        give_up = time.monotonic() + HANG_GUARD_SECONDS
        while True:
            # pg_stat_activity is read once per transaction unless told otherwise.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            waiting = cursor.fetchone()[0]
            # A call that ended without waiting has failed; its result says how.
            if waiting >= len(calls) or not all(t.is_alive() for t in threads):
                break
            assert time.monotonic() < give_up, "the calls never reached the lock"
            time.sleep(0.01)
    for thread in threads:
        thread.join()
    return results
