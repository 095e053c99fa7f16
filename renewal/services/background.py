"""Sending Celery tasks from services."""

from django.db import transaction


def enqueue_after_commit(
    task,
    *,
    args: tuple = (),
    kwargs: dict | None = None,
    queue: str | None = None,
    countdown: float | None = None,
) -> None:
    """Send `task` once the current transaction commits (at once outside one).

    After commit, so that the worker finds the rows the task is about. robust=True:
    a broker outage (or, with tasks run in-process, a failing task) is logged by
    Django, naming the task, and does not turn the change the user just saved into
    an error.
    """

    options = {"queue": queue, "countdown": countdown}
    options = {name: value for name, value in options.items() if value is not None}

    def send() -> None:
        task.apply_async(args, kwargs, **options)

    # Django's log line names the callback by its qualified name.
    send.__qualname__ = f"enqueue_after_commit[{task.name}]"
    transaction.on_commit(send, robust=True)
