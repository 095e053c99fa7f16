"""Every benchmark of the project on the synthetic national data set (`make bench`).

The data set lives in its own database, `renewal_bench` by default, on the server
the platform uses (the private cluster under var/ when DATABASE_URL is unset): the
benchmarks rebuild indexes and delete rows, which must never touch real data. This
command creates that database if it is missing, migrates it, and runs in turn, each
in a process of its own pointed at it:

- `bench_spaces`: builds (once; reused while its size matches) the 2,000,000 spaces
  and times the spaces API against raw SQL;
- `bench_downtown`: downtown health of the city nearest 100,000 spaces and of the
  largest, through the API against the bare statement (adds a status history to
  their spaces once);
- `bench_tiles`: z14 tiles against bare ST_AsMVT, low zooms from the grid;
- `bench_matching`: candidates against bare KNN, a city-wide run, and (with a
  broker) the national run, which adds 100,000 illustrative projects once;
- `bench_import`: a 100,000-row survey CSV through the import service against
  ogr2ogr loading it into PostGIS.

Each figure is printed with its ratio to the raw-SQL lower bound; docs/performance.md,
docs/gis.md and docs/matching.md explain them.
"""

import os
import re
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from renewal.benchmarks.common import bench_database_url

BENCH_DATABASE = "renewal_bench"


class Command(BaseCommand):
    help = "Build the synthetic national data set once and run every benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=BENCH_DATABASE)
        parser.add_argument("--spaces", type=int, default=2_000_000)
        parser.add_argument("--national-projects", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=200)
        parser.add_argument(
            "--skip-national",
            action="store_true",
            help="leave out the national matching run (it needs a Celery broker)",
        )
        parser.add_argument(
            "--url-only",
            action="store_true",
            help="create the bench database if missing, print its DATABASE_URL, stop",
        )

    def out(self, line: str = "") -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args, database, spaces, national_projects, repeat, **options):
        if not re.fullmatch(r"[a-z0-9_]+_bench", database):
            raise CommandError(
                "The bench database's name must be lower-case letters, digits and "
                f"underscores ending in _bench, not {database!r}: the benchmarks "
                "refuse any other."
            )
        self.ensure_database(database, quiet=options["url_only"])
        if options["url_only"]:
            self.out(bench_database_url(database))
            return
        env = {**os.environ, "DATABASE_URL": bench_database_url(database)}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        steps = [
            ("migrate", ["migrate", "--noinput", "--verbosity", "0"]),
            (
                "bench_spaces",
                ["bench_spaces", "--spaces", str(spaces), "--repeat", str(repeat)],
            ),
            ("bench_downtown", ["bench_downtown", "--repeat", str(repeat)]),
            ("bench_tiles", ["bench_tiles", "--repeat", str(repeat)]),
            ("bench_matching", ["bench_matching", "--part", "all"]),
            ("bench_import", ["bench_import", "--rows", "100000"]),
        ]
        if options["skip_national"]:
            self.out("bench_matching --part national: skipped (--skip-national).")
        elif not settings.CELERY_BROKER_URL:
            self.out(
                "bench_matching --part national: skipped, no CELERY_BROKER_URL "
                "(`make bench` starts a private Redis)."
            )
        else:
            steps.append(
                (
                    "bench_matching national",
                    [
                        "bench_matching",
                        "--part",
                        "national",
                        "--national-projects",
                        str(national_projects),
                    ],
                )
            )
        started = time.perf_counter()
        for title, command in steps:
            self.out(f"\n=== {title} ({database}) ===")
            step_started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=settings.BASE_DIR,
                env=env,
                check=False,
            )
            if result.returncode:
                raise CommandError(f"{title} failed (exit {result.returncode}).")
            self.out(f"--- {title}: {time.perf_counter() - step_started:.0f} s")
        self.out(f"\nAll benchmarks: {time.perf_counter() - started:.0f} s")

    def ensure_database(self, name: str, quiet: bool = False) -> None:
        # On the server's maintenance database: the default one may not exist yet.
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                if not quiet:
                    self.out(f"Bench database: {name} (exists)")
                return
            # CREATE DATABASE takes no parameters; the name is checked above and
            # quoted here.
            cursor.execute(f'CREATE DATABASE "{name}"')  # noqa: S608
        if not quiet:
            self.out(f"Bench database: {name} (created)")
