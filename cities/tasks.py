import socket

from celery import shared_task


@shared_task
def system_probe() -> dict:
    """Report what the worker sees: its host, PostGIS and the data it can read.

    Operators (and the test suite) use it to prove a worker shares the web tier's
    broker and database.
    """
    # Imported here, as in every task module: code the tasks call imports the
    # tasks at module level, never the other way round.
    from cities.models import Municipality
    from cities.selectors import database_status

    return {
        "worker": socket.gethostname(),
        "municipalities": Municipality.objects.count(),
        **database_status(),
    }
