"""Survey-file imports of vacant spaces: read, validate every row, then write all or
nothing.

Reading. GDAL in-process through django.contrib.gis.gdal (DataSource + CoordTransform)
rather than an ogr2ogr subprocess: every feature keeps its line number, so a row whose
coordinates cannot be read or transformed is reported on its line instead of aborting
the conversion (or being dropped by -skipfailures); and the file is opened with
GDALOpenEx restricted to the one driver its extension names, so an upload called
"spaces.csv" that is really a VRT cannot make GDAL read other files on the server.

Coordinate systems. The file's embedded CRS (.prj, GeoPackage srs, GeoJSON crs) is
only identified, as an EPSG code; the transformation is then built from that code out
of an allow-list, never from SRS text taken from the upload. CSV and XLSX carry no
CRS: their lon/lat (or x/y) columns are in the declared srid, or EPSG:4326 when none is
declared.

Lines. A report's line n is the n-th data record of the file's first layer, counted
from 1: for CSV and XLSX the n-th row below the header (spreadsheet row n + 1), for
GeoJSON, Shapefile and GeoPackage the n-th feature.
"""

import ctypes
import datetime
import decimal
import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import (
    CoordTransform,
    DataSource,
    GDALException,
    SpatialReference,
    SRSException,
)
from django.contrib.gis.gdal.driver import Driver
from django.contrib.gis.gdal.libgdal import lgdal
from django.contrib.gis.gdal.prototypes import ds as gdal_ds
from django.contrib.gis.geos import (
    GEOSException,
    GEOSGeometry,
    MultiPolygon,
    Point,
    WKBWriter,
)
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cities.models import Municipality
from renewal.models import (
    HIGHEST_GRADE,
    Availability,
    ChangeAction,
    GradingScheme,
    ImportStatus,
    Ownership,
    SpaceImport,
    SpaceKind,
    SpaceStatus,
    VacantSpace,
)
from renewal.services.errors import DomainError, NotPermitted
from renewal.services.history import (
    apply_changes,
    inventory_change_record,
    snapshot,
)
from renewal.services.spaces import (
    TRACKED_FIELDS,
    _save_owner,
    _validate,
)

logger = logging.getLogger(__name__)

# Korean survey data arrives in these; anything else is refused rather than guessed.
ALLOWED_SRIDS = frozenset({4326, 4737, 5179, 5181, 5185, 5186, 5187, 5188, 3857, 32652})
TABULAR_DEFAULT_SRID = 4326
KOREA_BOUNDS = (124.0, 33.0, 132.0, 39.0)
MAX_FILE_BYTES = 50 * 1024 * 1024
IMPORT_QUEUE = "imports"

# Extension → the only GDAL driver allowed to open it.
DRIVERS = {
    ".csv": "CSV",
    ".xlsx": "XLSX",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".zip": "ESRI Shapefile",
    ".gpkg": "GPKG",
}
TABULAR = {".csv", ".xlsx"}

LON_NAMES = ("lon", "lng", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
COLUMNS = [
    "external_id",
    "kind",
    "address",
    "floor_area_m2",
    "land_area_m2",
    "year_built",
    "grading_scheme",
    "grade",
    "vacant_since",
    "ownership",
    "availability",
    "asking_rent_krw",
    "status",
    "owner_name",
    "owner_contact",
]
ALIASES = {"id": "external_id"}
# Shapefile (dBase) field names stop at 10 characters: "floor_area_m2" → "floor_area".
ALIASES.update({name[:10]: name for name in COLUMNS if len(name) > 10})


@dataclass
class Row:
    line: int
    data: dict
    owner: dict | None
    status: str


@dataclass
class Problems:
    entries: list = field(default_factory=list)
    # external_id → the line it first appeared on.
    seen: dict = field(default_factory=dict)
    lines_read: int = 0

    def add(self, line: int | None, field_name: str, message) -> None:
        self.entries.append(
            {"line": line, "field": field_name, "message": str(message)}
        )

    @property
    def lines(self) -> set[int]:
        return {e["line"] for e in self.entries if e["line"] is not None}


class ImportFailed(Exception):
    """The whole file is refused (format, coordinate system, nothing to import)."""

    def __init__(self, field_name: str, message) -> None:
        super().__init__(str(message))
        self.field = field_name
        self.message = str(message)


def _check_permission(actor, municipality: Municipality) -> None:
    if not actor.has_perm("renewal.add_vacantspace", municipality):
        raise NotPermitted()


def space_import_create(
    *,
    actor,
    municipality: Municipality,
    uploaded_file: File,
    srid: int | None = None,
    run_in_background: bool = True,
) -> SpaceImport:
    """Store an uploaded survey file as a queued import of `municipality`.

    actor=None is an operator's import (manage.py import_spaces without --user): the
    command runs with the server's own credentials, so a per-user check would protect
    nothing. Every other caller passes the requesting user, who must be an editor of
    the city. With run_in_background the import is queued for a worker after commit.
    """
    if actor is not None:
        _check_permission(actor, municipality)
    name = os.path.basename(uploaded_file.name or "")
    extension = os.path.splitext(name)[1].lower()
    if extension not in DRIVERS:
        raise DomainError(
            _("Upload a CSV, XLSX, GeoJSON, zipped Shapefile or GeoPackage file."),
            fields={
                "file": [
                    _("Accepted extensions: %(extensions)s.")
                    % {"extensions": ", ".join(sorted(DRIVERS))}
                ]
            },
        )
    if uploaded_file.size is not None and uploaded_file.size > MAX_FILE_BYTES:
        raise DomainError(
            _("The file is larger than %(size)d MB.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)},
            fields={"file": [_("Too large.")]},
        )
    if srid is not None:
        _check_srid(srid, field_name="srid", error=DomainError)
    space_import = SpaceImport(
        municipality=municipality,
        original_filename=name[:255],
        declared_srid=srid,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        by_operator=actor is None,
        language=translation.get_language() or "",
    )
    # The stored name is ours; the uploader's name is kept only as a label.
    space_import.file.save(f"{uuid.uuid4().hex}{extension}", uploaded_file, save=False)
    space_import.save()
    if run_in_background:
        from renewal.tasks import space_import_run_task

        transaction.on_commit(
            lambda: space_import_run_task.apply_async(
                (space_import.pk,), queue=IMPORT_QUEUE
            )
        )
    return space_import


def _check_srid(srid: int, *, field_name: str, error=ImportFailed) -> None:
    if srid not in ALLOWED_SRIDS:
        message = _(
            "EPSG:%(srid)s is not an accepted coordinate system. Accepted: %(allowed)s."
        ) % {
            "srid": srid,
            "allowed": ", ".join(f"EPSG:{code}" for code in sorted(ALLOWED_SRIDS)),
        }
        if error is DomainError:
            raise DomainError(message, fields={field_name: [message]})
        raise error(field_name, message)


def _progress(space_import: SpaceImport, percent: int) -> None:
    # Outside the data transaction (autocommit): a follower polling the status
    # endpoint sees it at once.
    space_import.progress = percent
    SpaceImport.objects.filter(pk=space_import.pk).update(progress=percent)


def space_import_run(*, space_import: SpaceImport) -> SpaceImport:
    """Run a queued import once; a second call (a redelivered task) does nothing."""
    claimed = SpaceImport.objects.filter(
        pk=space_import.pk, status=ImportStatus.QUEUED
    ).update(status=ImportStatus.RUNNING, progress=0)
    space_import.refresh_from_db()
    if not claimed:
        return space_import
    with translation.override(space_import.language or None):
        try:
            _run(space_import)
        except ImportFailed as failure:
            _finish(
                space_import,
                ImportStatus.FAILED,
                report=[
                    {"line": None, "field": failure.field, "message": failure.message}
                ],
            )
        except Exception:
            # Marked failed rather than retried: the same file fails the same way.
            logger.exception("space import %s crashed", space_import.pk)
            _finish(
                space_import,
                ImportStatus.FAILED,
                report=[
                    {
                        "line": None,
                        "field": "file",
                        "message": _("The import stopped on an unexpected error."),
                    }
                ],
            )
    return space_import


def _finish(space_import: SpaceImport, status: str, **values) -> None:
    values.setdefault("created_count", 0)
    values.setdefault("updated_count", 0)
    for name, value in values.items():
        setattr(space_import, name, value)
    space_import.status = status
    space_import.progress = 100
    space_import.finished_at = timezone.now()
    space_import.save()


def _run(space_import: SpaceImport) -> None:
    municipality = space_import.municipality
    actor = space_import.created_by
    if not space_import.by_operator:
        # Rights are asked again at run time: a role may have been revoked since.
        if actor is None:
            raise ImportFailed("file", _("The user who uploaded this file is gone."))
        try:
            _check_permission(actor, municipality)
        except NotPermitted as refused:
            raise ImportFailed("municipality", refused.message) from None

    problems = Problems()
    with _local_copy(space_import) as path:
        rows = list(_read(path, space_import, problems))
    _progress(space_import, 40)
    if not rows and not problems.entries:
        raise ImportFailed("file", _("The file contains no rows."))

    existing = _existing(municipality, rows)
    for row in rows:
        _validate_row(
            row, municipality, existing.get(row.data["external_id"]), problems
        )
    row_count = problems.lines_read
    if problems.entries:
        _finish(
            space_import,
            ImportStatus.FAILED,
            row_count=row_count,
            rejected_count=len(problems.lines),
            report=sorted(problems.entries, key=lambda e: e["line"] or 0),
        )
        return
    _progress(space_import, 60)

    try:
        created, updated = _write(space_import, rows)
    except IntegrityError:
        raise ImportFailed(
            "external_id",
            _("Another change to these spaces happened during the import; try again."),
        ) from None
    _finish(
        space_import,
        ImportStatus.SUCCEEDED,
        row_count=row_count,
        created_count=created,
        updated_count=updated,
        rejected_count=0,
        report=[],
    )


@contextmanager
def _local_copy(space_import: SpaceImport) -> Iterator[Path]:
    """The stored file as a local path GDAL can open, whatever the storage."""
    extension = os.path.splitext(space_import.file.name)[1].lower()
    with tempfile.TemporaryDirectory(prefix="space-import-") as directory:
        path = Path(directory) / f"upload{extension}"
        with space_import.file.open("rb") as source, open(path, "wb") as target:
            shutil.copyfileobj(source, target)
        if extension == ".csv":
            _csv_to_utf8(path)
        elif DRIVERS[extension] == "GeoJSON":
            _check_geojson_crs(path)
        yield path


def _csv_to_utf8(path: Path) -> None:
    # Korean offices still save CSV in CP949 (Excel's default); GDAL reads UTF-8.
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            path.write_bytes(raw.decode("cp949").encode("utf-8"))
        except UnicodeDecodeError:
            raise ImportFailed(
                "file", _("The CSV file is neither UTF-8 nor CP949 text.")
            ) from None


# GDAL 3.6 resolves a GeoJSON "crs" with SetFromUserInput, which would follow a URL
# or read a local file named there (gis.W001): only EPSG names reach GDAL.
GEOJSON_CRS_NAME = re.compile(
    r"^(urn:ogc:def:crs:EPSG:[0-9.]*:\d+|urn:ogc:def:crs:OGC:1\.3:CRS84|EPSG:\d+)$"
)


def _check_geojson_crs(path: Path) -> None:
    try:
        document = json.loads(path.read_bytes())
    except ValueError:
        raise ImportFailed("file", _("The file is not valid JSON.")) from None
    crs = document.get("crs") if isinstance(document, dict) else None
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if (
        crs.get("type") != "name"
        or not isinstance(name, str)
        or not GEOJSON_CRS_NAME.match(name)
    ):
        raise ImportFailed(
            "srid",
            _(
                "The GeoJSON crs must name an EPSG code, e.g. urn:ogc:def:crs:EPSG::5179."
            ),
        )


def _strings(values: list[str]):
    array = (ctypes.c_char_p * (len(values) + 1))()
    for index, value in enumerate(values):
        array[index] = value.encode()
    return array


@contextmanager
def _gdal_options(options: dict[str, str]) -> Iterator[None]:
    # GDAL 3.6's XLSX driver takes these only as configuration options; thread-local
    # so that concurrent imports in one process do not see each other's.
    setter = lgdal.CPLSetThreadLocalConfigOption
    setter.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    setter.restype = None
    for key, value in options.items():
        setter(key.encode(), value.encode())
    try:
        yield
    finally:
        for key in options:
            setter(key.encode(), None)


def _open(path: Path, driver: str) -> DataSource:
    Driver.ensure_registered()
    target = f"/vsizip/{path}" if path.suffix == ".zip" else str(path)
    try:
        pointer = gdal_ds.open_ds(
            target.encode(),
            gdal_ds.GDAL_OF_READONLY | gdal_ds.GDAL_OF_VECTOR,
            _strings([driver]),
            None,
            None,
        )
    except GDALException:
        raise ImportFailed(
            "file",
            _("The file cannot be read as %(format)s.") % {"format": driver},
        ) from None
    return DataSource(pointer, gdal_ds.get_dataset_driver(pointer))


def _source_srid(layer, declared: int | None, tabular: bool) -> int:
    if tabular:
        srid = declared or TABULAR_DEFAULT_SRID
        _check_srid(srid, field_name="srid")
        return srid
    srs = layer.srs
    embedded = None
    if srs is not None:
        embedded = srs.srid
        if embedded is None:
            try:
                srs.identify_epsg()
                embedded = srs.srid
            except (GDALException, SRSException):
                embedded = None
    if embedded is None:
        if declared is None:
            raise ImportFailed(
                "srid",
                _(
                    "The file's coordinate system cannot be identified; declare it "
                    "with its EPSG code (srid)."
                ),
            )
        embedded = declared
    elif declared is not None and declared != embedded:
        raise ImportFailed(
            "srid",
            _(
                "The file says its coordinates are in EPSG:%(embedded)s, but "
                "EPSG:%(declared)s was declared."
            )
            % {"embedded": embedded, "declared": declared},
        )
    _check_srid(embedded, field_name="srid")
    return embedded


def _column_map(names: list[str]) -> tuple[dict[str, str], str | None, str | None]:
    """Our column name → the file's, case-insensitively; and the lon/lat columns."""
    columns, lon, lat = {}, None, None
    for name in names:
        key = name.strip().lower()
        key = ALIASES.get(key, key)
        if key in COLUMNS and key not in columns:
            columns[key] = name
        elif key in LON_NAMES and lon is None:
            lon = name
        elif key in LAT_NAMES and lat is None:
            lat = name
    return columns, lon, lat


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read(path: Path, space_import: SpaceImport, problems: Problems) -> Iterator[Row]:
    extension = path.suffix
    tabular = extension in TABULAR
    options = (
        {"OGR_XLSX_HEADERS": "FORCE", "OGR_XLSX_FIELD_TYPES": "STRING"}
        if extension == ".xlsx"
        else {}
    )
    with _gdal_options(options):
        source = _open(path, DRIVERS[extension])
        if not len(source):
            raise ImportFailed("file", _("The file contains no layer."))
        layer = source[0]
        srid = _source_srid(layer, space_import.declared_srid, tabular)
        columns, lon, lat = _column_map(list(layer.fields))
        if "external_id" not in columns or "kind" not in columns:
            raise ImportFailed(
                "file", _("The file needs the columns external_id (or id) and kind.")
            )
        if tabular and (lon is None or lat is None):
            raise ImportFailed(
                "file",
                _("A table needs coordinate columns: lon and lat (or x and y)."),
            )
        transform = (
            None
            if srid == 4326
            else CoordTransform(SpatialReference(srid), SpatialReference(4326))
        )
        total = len(layer) or 1
        for line, feature in enumerate(layer, start=1):
            problems.lines_read = line
            if line % 200 == 0:
                _progress(space_import, 5 + int(30 * line / total))
            values = {name: _text(feature.get(col)) for name, col in columns.items()}
            external_id = values.get("external_id", "")
            first = problems.seen.setdefault(external_id, line) if external_id else line
            if first != line:
                problems.add(
                    line,
                    "external_id",
                    _("“%(id)s” appears again; first on line %(line)d.")
                    % {"id": external_id, "line": first},
                )
            if tabular:
                geometry = _point_from_columns(
                    line,
                    _text(feature.get(lon)),
                    _text(feature.get(lat)),
                    srid,
                    problems,
                )
            else:
                geometry = _feature_geometry(line, feature, srid, problems)
            if geometry is not None and transform is not None:
                try:
                    geometry.transform(transform)
                    geometry.srid = 4326
                except (GDALException, GEOSException):
                    problems.add(
                        line, "geometry", _("The coordinates cannot be transformed.")
                    )
                    geometry = None
            row = _parse_row(line, values, columns, geometry, problems)
            if row is not None:
                yield row


def _point_from_columns(line, raw_x, raw_y, srid, problems) -> Point | None:
    if not raw_x or not raw_y:
        problems.add(line, "geometry", _("The coordinates are missing."))
        return None
    try:
        x, y = float(raw_x), float(raw_y)
    except ValueError:
        problems.add(
            line,
            "geometry",
            _("“%(x)s, %(y)s” are not coordinates.") % {"x": raw_x, "y": raw_y},
        )
        return None
    return Point(x, y, srid=srid)


def _feature_geometry(line, feature, srid, problems):
    try:
        geometry = feature.geom.geos
    except (GDALException, GEOSException):
        problems.add(line, "geometry", _("The feature has no geometry."))
        return None
    geometry.srid = srid
    return geometry


def _parse_row(line, values, columns, geometry, problems) -> Row | None:
    before = len(problems.entries)
    data: dict = {}

    def fail(field_name, message):
        problems.add(line, field_name, message)

    def text(name, *, required=False):
        value = values.get(name, "")
        limit = VacantSpace._meta.get_field(name).max_length
        if required and not value:
            fail(name, _("Required."))
        elif len(value) > limit:
            fail(name, _("At most %(limit)d characters.") % {"limit": limit})
        return value

    def choice(name, choices, default=""):
        value = values.get(name, "")
        if not value:
            return default
        if value not in choices.values:
            fail(
                name,
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(choices.values)},
            )
        return value

    def number(name, *, integer=False, minimum=0, maximum=None, exclusive=False):
        raw = values.get(name, "")
        if not raw:
            return None
        try:
            value = decimal.Decimal(raw.replace(",", ""))
            if not value.is_finite():
                raise decimal.InvalidOperation
        except decimal.InvalidOperation:
            fail(name, _("“%(value)s” is not a number.") % {"value": raw})
            return None
        if integer and value != value.to_integral_value():
            fail(name, _("“%(value)s” is not a whole number.") % {"value": raw})
            return None
        too_low = value <= minimum if exclusive else value < minimum
        if too_low or (maximum is not None and value > maximum):
            fail(
                name,
                _("%(value)s is out of range.") % {"value": raw},
            )
            return None
        return int(value) if integer else value.quantize(decimal.Decimal("0.01"))

    data["external_id"] = text("external_id", required=True)
    kind = values.get("kind", "")
    if not kind:
        fail("kind", _("Required."))
    data["kind"] = choice("kind", SpaceKind)
    if "address" in columns:
        data["address"] = text("address")
    if "floor_area_m2" in columns:
        data["floor_area_m2"] = number(
            "floor_area_m2", maximum=decimal.Decimal("99999999.99"), exclusive=True
        )
    if "land_area_m2" in columns:
        data["land_area_m2"] = number(
            "land_area_m2", maximum=decimal.Decimal("9999999999.99")
        )
    if "year_built" in columns:
        data["year_built"] = number(
            "year_built", integer=True, minimum=1800, maximum=2100
        )
    if "grading_scheme" in columns or "grade" in columns:
        scheme = choice("grading_scheme", GradingScheme)
        grade = number("grade", integer=True, minimum=1, maximum=9)
        if grade is not None and not scheme:
            fail("grading_scheme", _("Required when a grade is given."))
        elif scheme and grade is not None and grade > HIGHEST_GRADE[scheme]:
            fail(
                "grade",
                _("Must be between 1 and %(highest)s.")
                % {"highest": HIGHEST_GRADE[scheme]},
            )
        data["grading_scheme"], data["grade"] = scheme, grade
    if "vacant_since" in columns:
        raw = values.get("vacant_since", "")
        data["vacant_since"] = None
        if raw:
            # GDAL writes dates as 2021/04/01 and Korean offices often 2021.04.01.
            iso = raw.replace("/", "-").replace(".", "-")
            try:
                if len(iso) != 10:
                    raise ValueError
                data["vacant_since"] = datetime.date.fromisoformat(iso)
            except ValueError:
                fail(
                    "vacant_since",
                    _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw},
                )
    if "ownership" in columns:
        data["ownership"] = choice("ownership", Ownership, Ownership.UNKNOWN)
    if "availability" in columns:
        data["availability"] = choice(
            "availability", Availability, Availability.NOT_OFFERED
        )
    if "asking_rent_krw" in columns:
        data["asking_rent_krw"] = number(
            "asking_rent_krw", integer=True, maximum=2_147_483_647
        )
    status = choice("status", SpaceStatus, SpaceStatus.REPORTED)

    owner = None
    if "owner_name" in columns or "owner_contact" in columns:
        owner = {}
        for column, name in (("owner_name", "name"), ("owner_contact", "contact")):
            if column in columns:
                value = values.get(column, "")
                if len(value) > 120:
                    fail(column, _("At most %(limit)d characters.") % {"limit": 120})
                owner[name] = value

    if geometry is not None:
        location, footprint = _place(line, geometry, problems)
        data["location"], data["footprint"] = location, footprint

    if len(problems.entries) != before or geometry is None:
        return None
    return Row(line=line, data=data, owner=owner, status=status)


def _place(line, geometry, problems):
    """A point, or a polygon as footprint with its centroid as location."""
    if geometry.hasz:
        # The columns are 2D; WKBWriter writes 2D by default.
        geometry = GEOSGeometry(WKBWriter().write(geometry), srid=geometry.srid)
    if geometry.geom_type == "MultiPoint" and len(geometry) == 1:
        geometry = geometry[0]
    if geometry.geom_type == "Polygon":
        geometry = MultiPolygon(geometry, srid=geometry.srid)
    if geometry.geom_type not in ("Point", "MultiPolygon"):
        problems.add(
            line,
            "geometry",
            _("A %(type)s cannot locate a space: use a point or a polygon.")
            % {"type": geometry.geom_type},
        )
        return None, None
    if geometry.empty or not geometry.valid:
        problems.add(
            line,
            "geometry",
            _("Invalid geometry: %(reason)s.") % {"reason": geometry.valid_reason},
        )
        return None, None
    if geometry.geom_type == "Point":
        return geometry, None
    return geometry.centroid, geometry


def _existing(municipality: Municipality, rows: list[Row]) -> dict[str, VacantSpace]:
    ids = {row.data["external_id"] for row in rows}
    return {
        space.external_id: space
        for space in VacantSpace.objects.filter(
            municipality=municipality, external_id__in=ids
        ).select_related("owner")
    }


def _validate_row(row, municipality, existing, problems) -> None:
    location = row.data["location"]
    if municipality.boundary is None:
        min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
        if not (min_lon <= location.x <= max_lon and min_lat <= location.y <= max_lat):
            problems.add(
                row.line,
                "geometry",
                _(
                    "%(lon).6f, %(lat).6f lies outside Korea; check the coordinate "
                    "system."
                )
                % {"lon": location.x, "lat": location.y},
            )
            return
    # The space services' own rules (grade within its scheme, inside the boundary),
    # asked of the row as it would be stored.
    candidate = VacantSpace(
        municipality=municipality,
        location=location,
        grading_scheme=row.data.get(
            "grading_scheme", existing.grading_scheme if existing else ""
        ),
        grade=row.data.get("grade", existing.grade if existing else None),
    )
    try:
        _validate(candidate)
    except DomainError as refused:
        problems.add(row.line, next(iter(refused.fields), "geometry"), refused.message)


def _owner_values(space: VacantSpace) -> dict:
    owner = getattr(space, "owner", None) if space.pk else None
    return {"name": owner.name, "contact": owner.contact} if owner else {}


def _write(space_import: SpaceImport, rows: list[Row]) -> tuple[int, int]:
    """Create or update every row in one transaction; history through the space
    services' own helpers, so an import's history reads like an editor's.

    The services' vacant_space_register needs a user as actor; an operator import
    has none, so both kinds of import share this one path instead.
    """
    municipality = space_import.municipality
    actor = space_import.created_by
    created = updated = 0
    with transaction.atomic():
        # Locked, then compared again: an editor may have changed a space since the
        # validation pass.
        existing = {
            space.external_id: space
            for space in VacantSpace.objects.select_for_update(of=("self",))
            .filter(
                municipality=municipality,
                external_id__in=[row.data["external_id"] for row in rows],
            )
            .select_related("owner")
        }
        for row in rows:
            space = existing.get(row.data["external_id"])
            if space is None:
                _create(space_import, municipality, actor, row)
                created += 1
            elif _update(actor, space, row):
                updated += 1
    return created, updated


def _create(space_import, municipality, actor, row: Row) -> None:
    space = VacantSpace(
        municipality=municipality,
        created_by=actor,
        status=row.status,
        source=_("Import #%(id)s: %(name)s")
        % {"id": space_import.pk, "name": space_import.original_filename},
        **row.data,
    )
    space.source = space.source[:255]
    space.save()
    owner = row.owner if row.owner and any(row.owner.values()) else None
    changes = {
        name: [None, value] for name, value in snapshot(space, TRACKED_FIELDS).items()
    }
    if _save_owner(space, owner):
        changes["owner"] = "changed"
    inventory_change_record(
        record=space, actor=actor, action=ChangeAction.CREATE, changes=changes
    )


def _update(actor, space: VacantSpace, row: Row) -> bool:
    changed_fields = {
        name: value for name, value in row.data.items() if getattr(space, name) != value
    }
    owner = row.owner
    current_owner = _owner_values(space)
    if owner is not None and not current_owner and not any(owner.values()):
        owner = None
    owner_changed = owner is not None and any(
        current_owner.get(name, "") != value for name, value in owner.items()
    )
    if not changed_fields and not owner_changed:
        return False
    changes = apply_changes(space, changed_fields, TRACKED_FIELDS, validate=_validate)
    if owner_changed and _save_owner(space, owner):
        changes["owner"] = "changed"
    if changes:
        inventory_change_record(
            record=space, actor=actor, action=ChangeAction.UPDATE, changes=changes
        )
    return True
