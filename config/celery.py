import logging
import os

from celery import Celery, Task
from celery.exceptions import Reject
from celery.signals import before_task_publish, worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

# The database a task was sent from, carried in every message's headers.
DATABASE_HEADER = "renewal_database"


def _database_name() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


class DatabaseBoundTask(Task):
    """A task runs only against the database of the process that sent it.

    Queue names carry the database's name (settings.TASK_QUEUES); this is the
    second guard, for a worker started on the wrong queues: a benchmark's tasks
    taken by the platform's worker would run against the wrong data and report
    success. Refused tasks are dropped with an error in the log; the outbox and
    the recovery of stalled work (renewal.tasks.background_recover_task) send
    again what the right worker must still do.
    """

    def before_start(self, task_id, args, kwargs):
        # Called for messages only (not for a direct call), before the task runs.
        if self.request.is_eager:
            return
        sender = self.request.get(DATABASE_HEADER)
        if sender != _database_name():
            logger.error(
                "refused %s: sent for database %r, this worker uses %r",
                self.name,
                sender,
                _database_name(),
            )
            raise Reject(f"sent for database {sender!r}", requeue=False)


app = Celery("renewal", task_cls=DatabaseBoundTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _stamp_database(headers=None, **kwargs):
    headers.setdefault(DATABASE_HEADER, _database_name())


@worker_init.connect
def _require_a_broker(**kwargs):
    # Without a broker URL Celery would fall back to AMQP on localhost and wait there
    # for tasks that the web tier, running them in-process, never sends.
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        raise SystemExit(
            "error: CELERY_BROKER_URL is not set: a worker needs the broker the web "
            "server uses (make worker starts a private Redis)."
        )


@worker_ready.connect
def _recover_on_start(**kwargs):
    # A worker starting is often the broker or the workers coming back: send what
    # waited in the outbox and resume what a dead worker left, without waiting for
    # beat's next minute.
    from renewal.services.background import background_recover

    try:
        background_recover()
    except Exception:
        logger.exception("recovering waiting tasks at worker start failed")
