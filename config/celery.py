import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("renewal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
