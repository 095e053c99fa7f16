import socket

from celery import shared_task

from cities.models import Municipality
from cities.selectors import database_status


@shared_task
def system_probe() -> dict:
    """Report what the worker sees: its host, PostGIS and the data it can read.

    Operators (and the test suite) use it to prove a worker shares the web tier's
    broker and database.
    """
    return {
        "worker": socket.gethostname(),
        "municipalities": Municipality.objects.count(),
        **database_status(),
    }
