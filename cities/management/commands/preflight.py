from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from config.health import broker_status


class Command(BaseCommand):
    help = (
        "Check that the database, PostGIS and the broker are reachable before start-up."
    )

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT default_version, installed_version FROM pg_available_extensions "
                "WHERE name = 'postgis'"
            )
            postgis = cursor.fetchone()
        if postgis is None:
            raise CommandError(
                "PostGIS is not installed on the database server: run `make setup` "
                "(or `apt-get install postgresql-15-postgis-3`) on that machine."
            )
        broker = broker_status()
        if settings.CELERY_BROKER_URL and not broker["ok"]:
            raise CommandError(
                f"Cannot reach the Celery broker at {broker['url']}: {broker['detail']}. "
                "Start Redis, correct CELERY_BROKER_URL, or unset it to run tasks in-process."
            )
        self.stdout.write(
            f"database ok (PostGIS {postgis[1] or postgis[0] + ' available'}), "
            f"broker {broker['detail']}"
        )
