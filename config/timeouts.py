"""How long one SQL statement may run, and what a web request answers when its
statement was cancelled for running too long.

Web requests get a short `statement_timeout` (DATABASE_STATEMENT_TIMEOUT) so that
no request, however slow its query or gone its client, holds the database for
minutes. The Celery worker and beat and the management commands run batch work
(imports, matching runs, the demo load, benchmarks): they get
DATABASE_BATCH_STATEMENT_TIMEOUT, no limit by default. `manage.py runserver`
serves web requests and counts as web.
"""

import os

from django.db import OperationalError
from django.shortcuts import render
from django.utils.translation import gettext as _
from psycopg import errors

SERVICE_UNAVAILABLE = 503
# Seconds a client should wait before trying the same request again.
RETRY_AFTER = 30


def batch_process(argv: list[str]) -> bool:
    """Whether this process runs batch work rather than web requests, from its
    command line: a Celery program, or manage.py with any command but runserver."""
    if not argv:
        return False
    program = os.path.basename(argv[0])
    if program == "celery" or argv[0].endswith(os.path.join("celery", "__main__.py")):
        return True
    if program == "manage.py" or program == "django-admin":
        return len(argv) > 1 and argv[1] != "runserver"
    return False


def statement_cancelled(error: BaseException) -> bool:
    """Whether PostgreSQL cancelled the statement (statement_timeout, or a cancel
    request), which Django reports as an OperationalError."""
    return isinstance(error, OperationalError) and isinstance(
        error.__cause__, errors.QueryCanceled
    )


def statement_cancelled_message() -> str:
    return _(
        "The database took too long to answer this request and it was stopped. "
        "Try again in a moment."
    )


class StatementTimeoutMiddleware:
    """A page whose statement was cancelled answers 503 with a page saying so (the
    API answers in its error envelope: config.api.exception_handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not statement_cancelled(exception):
            return None
        response = render(
            request,
            "503.html",
            {"message": statement_cancelled_message()},
            status=SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(RETRY_AFTER)
        return response
