"""Survey-import throughput beside GDAL's own loader (docs/performance.md).

Writes a CSV of N rows as a Korean survey arrives (Korean column names, CP949,
GRS80 Central Belt coordinates), then

- imports it through the worker's service (`space_import_run`, the path a wizard
  import takes: read, validate every row, write all or nothing through the space
  services, history included) into a bench city, and
- loads the same file with `ogr2ogr` into a plain PostGIS table (transformed to
  EPSG:4326, no checks, no history): the physical limit on this machine,

and prints rows per second of each, their ratio and the import's peak resident
memory, sampled while it runs, at N/10 rows and at N rows (flat memory: the two
peaks stay close).
"""

import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cities.models import Municipality, MunicipalityKind, Province
from config.celery import app as celery_app
from renewal.benchmarks.common import load_average, machine_description, rss_kib
from renewal.benchmarks.inventory import guard_database
from renewal.models import InventoryChange, SpaceImport, VacantSpace
from renewal.services.imports import space_import_create, space_import_run
from renewal.services.imports.wizard import column_map_suggested

BENCH_CITY_CODE = "99901"
# The bench city: 20 × 20 km around Daegu's old downtown.
CENTRE = (128.5934, 35.8691)
HALF_SIDE_DEGREES = 0.1
OGR_TABLE = "bench_import_ogr2ogr"
KINDS = ("빈집", "house", "shop", "land")


class PeakRss:
    """The process's peak resident memory while the block runs, sampled."""

    def __enter__(self):
        self.peak = rss_kib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_kib())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_kib())


class Command(BaseCommand):
    help = "Import throughput of a survey CSV beside ogr2ogr into PostGIS."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument(
            "--allow-test-database",
            action="store_true",
            help="run against a test_ database (the test suite does)",
        )

    def out(self, line: str = "") -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args, rows, **options):
        if rows < 10:
            raise CommandError("--rows must be at least 10.")
        guard_database(
            options["allow_test_database"],
            why="the benchmark creates and deletes a city's spaces. Point "
            "DATABASE_URL at a database whose name ends in _bench.",
            check_spaces=False,
        )
        if shutil.which("ogr2ogr") is None:
            raise CommandError("ogr2ogr is not installed (apt-get install gdal-bin).")
        self.out(f"Machine: {machine_description()}")
        self.out(load_average())
        city = self.bench_city()
        # Follow-up work (matching re-run, fresh tiles) is queued for a worker, as
        # after a real import; run in-process it would be timed as the import.
        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = False
        try:
            with tempfile.TemporaryDirectory(prefix="bench-import-") as directory:
                small = self.survey(Path(directory) / "survey-small.csv", rows // 10)
                path = self.survey(Path(directory) / "survey.csv", rows)
                _, small_peak, base = self.import_through_service(city, small)
                seconds, peak, _ = self.import_through_service(city, path)
                ogr_seconds = self.ogr2ogr(path)
        finally:
            celery_app.conf.task_always_eager = eager
            # The bench database is shared with the other benchmarks, which
            # refuse spaces they did not generate.
            self.remove_spaces(city)
        ours, theirs = rows / seconds, rows / ogr_seconds
        self.out(
            f"Import service: {rows:,} rows in {seconds:.1f} s = {ours:,.0f} rows/s"
        )
        self.out(
            f"ogr2ogr:        {rows:,} rows in {ogr_seconds:.1f} s = "
            f"{theirs:,.0f} rows/s"
        )
        self.out(f"Ratio: {ours / theirs:.2f} of ogr2ogr's rate (target ≥ 0.33)")
        self.out(
            f"Peak RSS over the process's {base / 1024:.0f} MiB before: "
            f"+{(small_peak - base) / 1024:.0f} MiB at {rows // 10:,} rows, "
            f"+{(peak - base) / 1024:.0f} MiB at {rows:,} rows"
        )

    def bench_city(self) -> Municipality:
        lon, lat = CENTRE
        d = HALF_SIDE_DEGREES
        city, _ = Municipality.objects.update_or_create(
            code=BENCH_CITY_CODE,
            defaults={
                "kind": MunicipalityKind.CITY,
                "province": Province.GYEONGBUK,
                "name_ko": "가져오기 시험시",
                "name_en": "Import bench city",
                "location": Point(lon, lat, srid=4326),
                "boundary": MultiPolygon(
                    Polygon.from_bbox((lon - d, lat - d, lon + d, lat + d)), srid=4326
                ),
            },
        )
        return city

    def survey(self, path: Path, rows: int) -> Path:
        """A survey as Korean offices save it: CP949, Korean column names, GRS80
        Central Belt (EPSG:5186) coordinates."""
        randomness = random.Random(rows)
        lon, lat = CENTRE
        spread = HALF_SIDE_DEGREES * 0.9
        with connection.cursor() as cursor:
            # Projected by PostGIS in one statement rather than point by point.
            cursor.execute(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID("
                "ST_MakePoint(%s + (random() * 2 - 1) * %s, "
                "%s + (random() * 2 - 1) * %s), 4326), 5186) AS p "
                "FROM generate_series(1, %s)) AS points",
                [lon, spread, lat, spread, rows],
            )
            points = cursor.fetchall()
        with open(path, "w", encoding="cp949", newline="") as target:
            target.write("관리번호,유형,주소,면적,건축연도,X,Y\r\n")
            for n, (x, y) in enumerate(points, start=1):
                target.write(
                    f"B{n:07d},{randomness.choice(KINDS)},중앙대로 {n},"
                    f"{randomness.randint(20, 400)}.5,{randomness.randint(1950, 2020)},"
                    f"{x:.2f},{y:.2f}\r\n"
                )
        return path

    def remove_spaces(self, city) -> None:
        ids = list(
            VacantSpace.objects.filter(municipality=city).values_list("pk", flat=True)
        )
        InventoryChange.objects.filter(
            content_type=ContentType.objects.get_for_model(VacantSpace),
            object_id__in=ids,
        ).delete()
        VacantSpace.objects.filter(pk__in=ids).delete()
        SpaceImport.objects.filter(municipality=city).delete()

    def import_through_service(self, city, path: Path) -> tuple[float, int, int]:
        self.remove_spaces(city)
        with path.open("rb") as handle:
            space_import = space_import_create(
                actor=None,
                municipality=city,
                uploaded_file=File(handle, name=path.name),
                srid=5186,
                run_in_background=False,
            )
        with path.open(encoding="cp949") as handle:
            columns = handle.readline().strip().split(",")
        space_import.column_map = column_map_suggested(city, columns)
        space_import.save(update_fields=["column_map"])
        base = rss_kib()
        with PeakRss() as memory:
            started = time.perf_counter()
            space_import = space_import_run(space_import=space_import)
            seconds = time.perf_counter() - started
        if space_import.status != "succeeded":
            raise CommandError(f"The import failed: {space_import.report[:3]}")
        return seconds, memory.peak, base

    def ogr2ogr(self, path: Path) -> float:
        database = connection.settings_dict
        dsn = (
            f"PG:host={database['HOST'] or '127.0.0.1'} "
            f"port={database['PORT'] or 5432} dbname={database['NAME']} "
            f"user={database['USER']}"
        )
        # The CSV's text is CP949 ("UHC" to PostgreSQL), converted by the server.
        env = {
            **os.environ,
            "PGPASSWORD": database["PASSWORD"] or "",
            "PGCLIENTENCODING": "UHC",
        }
        command = [
            "ogr2ogr",
            "-f",
            "PostgreSQL",
            dsn,
            str(path),
            "-oo",
            "X_POSSIBLE_NAMES=X",
            "-oo",
            "Y_POSSIBLE_NAMES=Y",
            "-s_srs",
            "EPSG:5186",
            "-t_srs",
            "EPSG:4326",
            "-nln",
            OGR_TABLE,
            "-nlt",
            "POINT",
            "-lco",
            "GEOMETRY_NAME=location",
            "-overwrite",
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True, env=env, capture_output=True)
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {OGR_TABLE}")  # noqa: S608
            loaded = cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE {OGR_TABLE}")
        if not loaded:
            raise CommandError("ogr2ogr loaded no rows.")
        return seconds
