"""`/healthz`: what a load balancer or an operator needs to know in one request."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

from cities.selectors import database_status

BROKER_TIMEOUT_SECONDS = 2


def broker_status() -> dict:
    url = settings.CELERY_BROKER_URL
    if not url:
        return {
            "ok": True,
            "url": None,
            "detail": "not configured; tasks run in-process",
        }
    parts = urlsplit(url)
    # Never echo credentials back: scheme, host and port identify the broker.
    shown = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as error:  # kombu raises transport-specific errors
        return {
            "ok": False,
            "url": shown,
            "detail": str(error) or error.__class__.__name__,
        }
    return {"ok": True, "url": shown, "detail": "reachable"}


@never_cache
def healthz(request):
    try:
        database = {"ok": True, **database_status()}
    except DatabaseError as error:
        database = {"ok": False, "detail": str(error).strip().splitlines()[0]}
    broker = broker_status()
    healthy = database["ok"] and broker["ok"]
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "database": database,
            "broker": broker,
        },
        status=200 if healthy else 503,
    )
