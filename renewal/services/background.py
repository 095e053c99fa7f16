"""Sending Celery tasks from services, so that none is lost and none waits forever.

A task is first a row of the outbox (TaskOutbox), written in the transaction of
the change it follows: committed with the change, or not at all. After commit the
row is published and deleted. When the broker is away the publication fails fast
(no retries, a short connect timeout), the user's change stands, and the row waits
for `outbox_drain`, run by beat every minute and when a worker starts. A task may
therefore arrive twice (published, then the process died before the delete): every
task is idempotent.

Long work (an import, an assignment run) holds a lease while it runs: a session
advisory lock, which PostgreSQL releases when the worker's connection ends, however
the worker ends. A "running" record whose lease is free has lost its worker.
"""

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from config.celery import app
from renewal.models import TaskOutbox

logger = logging.getLogger(__name__)

# A web request waits at most this long for a broker that does not answer.
PUBLISH_TIMEOUT_SECONDS = 2
DRAIN_BATCH = 500
_local = threading.local()


def enqueue_after_commit(
    task,
    *,
    args: tuple = (),
    kwargs: dict | None = None,
    queue: str | None = None,
    countdown: float | None = None,
) -> None:
    """Send `task` once the current transaction commits (at once outside one).

    After commit, so that the worker finds the rows the task is about; through the
    outbox, so that a broker outage delays the task instead of losing it and never
    turns the change the user just saved into an error.
    """
    entry = TaskOutbox.objects.create(
        task=task.name,
        args=list(args),
        kwargs=kwargs or {},
        queue=queue or "",
        not_before=(
            timezone.now() + timedelta(seconds=countdown) if countdown else None
        ),
    )
    send = partial(_send_after_commit, task, entry.pk)
    # Django's log line names the callback by its qualified name.
    send.__qualname__ = f"enqueue_after_commit[{task.name}]"
    transaction.on_commit(send, robust=True)


def _send_after_commit(task, entry_id: int) -> None:
    if task.app.conf.task_always_eager:
        # No broker: the task runs here and now. The row goes first, so that a task
        # that fails (logged, as a worker would) is not run again by a drain.
        entry = TaskOutbox.objects.filter(pk=entry_id).first()
        if entry is not None:
            entry.delete()
            task.apply_async(entry.args, entry.kwargs, **_options(entry))
        return
    with transaction.atomic():
        entry = (
            TaskOutbox.objects.select_for_update(skip_locked=True)
            .filter(pk=entry_id)
            .first()
        )
        if entry is None:  # a drain took it meanwhile
            return
        if _publish(entry, _broker()):
            entry.delete()


def outbox_drain(*, limit: int = DRAIN_BATCH) -> int:
    """Publish the tasks that wait in the outbox, oldest first; returns how many
    went out. Stops at the first failure: the broker is still away."""
    with transaction.atomic():
        # skip_locked: a request publishing its own row, or another drain, keeps
        # it; no task goes out twice from here.
        entries = list(
            TaskOutbox.objects.select_for_update(skip_locked=True).order_by("id")[
                :limit
            ]
        )
        if not entries:
            return 0
        sent = []
        broker = _broker()
        for entry in entries:
            if entry.task not in app.tasks:
                # Renamed or removed since: kept for an operator, never in the way.
                logger.error("outbox: unknown task %s (row %s)", entry.task, entry.pk)
                continue
            if not _publish(entry, broker):
                break
            sent.append(entry.pk)
        TaskOutbox.objects.filter(pk__in=sent).delete()
    if sent:
        logger.info("outbox: %d task(s) sent, %d waiting", len(sent), _waiting())
    return len(sent)


def _waiting() -> int:
    return TaskOutbox.objects.count()


def _options(entry: TaskOutbox) -> dict:
    options = {}
    if entry.queue:
        options["queue"] = entry.queue
    if entry.not_before and entry.not_before > timezone.now():
        options["eta"] = entry.not_before
    return options


def _broker():
    """This thread's connection to the broker, made on first use.

    Not the pool's: kombu and Celery would retry for about 20 s per task while the
    user waits. Kept between tasks (a new connection costs ~15 ms), per thread and
    per process (a connection must not cross a fork) and broker URL, and dropped
    after a failure.
    """
    broker = getattr(_local, "broker", None)
    owner = (os.getpid(), app.conf.broker_write_url)
    if broker is None or _local.owner != owner:
        if broker is not None and _local.owner[0] == owner[0]:
            _forget_broker()
        broker = app.connection_for_write(
            connect_timeout=PUBLISH_TIMEOUT_SECONDS,
            transport_options={
                "max_retries": 0,
                "socket_connect_timeout": PUBLISH_TIMEOUT_SECONDS,
                "socket_timeout": PUBLISH_TIMEOUT_SECONDS,
            },
        )
        _local.broker, _local.owner = broker, owner
    return broker


def _forget_broker() -> None:
    broker = getattr(_local, "broker", None)
    _local.broker = None
    if broker is not None:
        # Already broken: there may be nothing to close cleanly.
        with suppress(Exception):
            broker.release()


def _publish(entry: TaskOutbox, broker) -> bool:
    try:
        app.tasks[entry.task].apply_async(
            entry.args,
            entry.kwargs,
            connection=broker,
            retry=False,
            # Nobody waits for these results; asking for them subscribes to the
            # result store, which has a retry loop of its own.
            ignore_result=True,
            **_options(entry),
        )
    except Exception as error:  # the broker's many kinds of "not now"
        _forget_broker()
        logger.warning("outbox: %s not sent, kept for later: %r", entry.task, error)
        TaskOutbox.objects.filter(pk=entry.pk).update(
            attempts=entry.attempts + 1, last_error=repr(error)[:2000]
        )
        return False
    return True


# Leases ------------------------------------------------------------------------


@contextmanager
def work_lease(kind: int, object_id: int) -> Iterator[bool]:
    """Try to hold the lease of one record while working on it; yields whether it
    is held. Not held: another live process is working on that record."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [kind, object_id])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [kind, object_id])


def work_lease_is_free(kind: int, object_id: int) -> bool:
    """Whether no process holds the lease (its worker, if any, is gone)."""
    with work_lease(kind, object_id) as held:
        return held


def background_recover() -> None:
    """Resume the work that lost its worker, then send every task that waits in
    the outbox. Run by beat every minute and by each worker as it starts."""
    from renewal.services.imports import space_imports_recover
    from renewal.services.matching.runs import assignment_runs_recover

    space_imports_recover()
    assignment_runs_recover()
    while outbox_drain() == DRAIN_BATCH:
        pass
