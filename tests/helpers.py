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
