"""Reading survey files into rows, one per data record.

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
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
from django.contrib.gis.geos import GEOSException
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from renewal.models import SpaceImport
from renewal.models.spaces import SPACE_OWNER_FIELDS, SPACE_PUBLIC_FIELDS
from renewal.services.imports.parsing import (
    Problems,
    Row,
    parse_row,
    point_from_columns,
)

# Korean survey data arrives in these; anything else is refused rather than guessed.
# Each with the name survey staff know it by, in the order a wizard offers them.
COORDINATE_SYSTEMS = {
    5186: gettext_lazy("GRS80 Central Belt (EPSG:5186)"),
    5185: gettext_lazy("GRS80 West Belt (EPSG:5185)"),
    5187: gettext_lazy("GRS80 East Belt (EPSG:5187)"),
    5188: gettext_lazy("GRS80 East Sea Belt (EPSG:5188)"),
    5179: gettext_lazy("UTM-K, GRS80 (EPSG:5179)"),
    5181: gettext_lazy("GRS80 Central Belt, false northing 500,000 (EPSG:5181)"),
    4326: gettext_lazy("WGS 84 longitude and latitude (EPSG:4326)"),
    4737: gettext_lazy("Korea 2000 longitude and latitude (EPSG:4737)"),
    32652: gettext_lazy("WGS 84 UTM zone 52N (EPSG:32652)"),
    3857: gettext_lazy("Web Mercator (EPSG:3857)"),
}
ALLOWED_SRIDS = frozenset(COORDINATE_SYSTEMS)
TABULAR_DEFAULT_SRID = 4326

# The text encodings a CSV file is read in: detected (a BOM, else UTF-8 if the bytes
# are valid UTF-8, else CP949), or chosen by the uploader.
ENCODINGS = {
    "utf-8": gettext_lazy("UTF-8"),
    "cp949": gettext_lazy("CP949 (EUC-KR)"),
    "utf-16": gettext_lazy("UTF-16 (Excel “Unicode text”)"),
}

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
# Rows between two updates of a running import's progress.
PROGRESS_EVERY = 100

# The keys of a column mapping that name the coordinate columns of a table.
COORDINATE_COLUMNS = ("lon", "lat")
LON_NAMES = ("lon", "lng", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
# A space's public fields but its source (the import names itself as the source),
# and the owner's name and contact (a note is written by staff, not by surveys).
COLUMNS = [
    *(name for name in SPACE_PUBLIC_FIELDS if name != "source"),
    *(f"owner_{name}" for name in SPACE_OWNER_FIELDS if name != "note"),
]
ALIASES = {"id": "external_id"}
# Shapefile (dBase) field names stop at 10 characters: "floor_area_m2" → "floor_area".
ALIASES.update({name[:10]: name for name in COLUMNS if len(name) > 10})


class ImportFailed(Exception):
    """The whole file is refused (format, coordinate system, nothing to import)."""

    def __init__(self, field_name: str, message) -> None:
        super().__init__(str(message))
        self.field = field_name
        self.message = str(message)


def check_srid(srid: int, *, field_name: str, error=ImportFailed) -> None:
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


def record_progress(space_import: SpaceImport, percent: int, **counts: int) -> None:
    # Outside the data transaction (autocommit): a follower polling the status
    # endpoint sees it at once. `counts`: read_count, rejected_count so far.
    space_import.progress = percent
    for name, value in counts.items():
        setattr(space_import, name, value)
    SpaceImport.objects.filter(pk=space_import.pk).update(progress=percent, **counts)


@contextmanager
def local_copy(space_import: SpaceImport) -> Iterator[Path]:
    """The stored file as a local path GDAL can open, whatever the storage."""
    extension = os.path.splitext(space_import.file.name)[1].lower()
    with tempfile.TemporaryDirectory(prefix="space-import-") as directory:
        path = Path(directory) / f"upload{extension}"
        with space_import.file.open("rb") as source, open(path, "wb") as target:
            shutil.copyfileobj(source, target)
        if extension == ".csv":
            csv_to_utf8(path, space_import.encoding)
        elif DRIVERS[extension] == "GeoJSON":
            _check_geojson_crs(path)
        yield path


def csv_to_utf8(path: Path, chosen: str = "") -> str:
    """Rewrite a CSV file as UTF-8, which GDAL reads; returns the encoding it was in.

    Korean offices still save CSV in CP949 (Excel's default); Excel's "CSV UTF-8"
    starts with a BOM, its "Unicode text" is UTF-16. CP949 text is almost never
    valid UTF-8, so valid UTF-8 is taken for UTF-8. Bytes neither can read are
    refused with the encodings to choose from, never guessed.
    """
    raw = path.read_bytes()
    encoding = chosen or _detected_encoding(raw)
    try:
        text = raw.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportFailed(
            "encoding",
            _(
                "Line %(line)d of the file cannot be read as %(encoding)s. Choose the "
                "encoding the file was saved in (UTF-8, CP949 or UTF-16), or save it "
                "again from Excel as “CSV UTF-8”."
            )
            % {"line": line, "encoding": ENCODINGS[encoding]},
        ) from None
    path.write_text(text.lstrip("\ufeff"), encoding="utf-8")
    return encoding


def _detected_encoding(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("cp949")
        return "cp949"
    except UnicodeDecodeError as error:
        # CP949 reads further into a Korean file than UTF-8: its line is the one
        # to look at.
        first_error = error
    line = raw[: first_error.start].count(b"\n") + 1
    raise ImportFailed(
        "encoding",
        _(
            "The file's text encoding cannot be recognised: line %(line)d is neither "
            "UTF-8 nor CP949 (EUC-KR). Choose the encoding the file was saved in "
            "(UTF-8, CP949 or UTF-16), or save it again from Excel as “CSV UTF-8”."
        )
        % {"line": line},
    )


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


def _embedded_srid(layer) -> int | None:
    """The EPSG code of the layer's own coordinate system, None if it has none or
    GDAL cannot name one."""
    srs = layer.srs
    if srs is None:
        return None
    if srs.srid is None:
        try:
            srs.identify_epsg()
        except (GDALException, SRSException):
            return None
    return srs.srid


def _source_srid(layer, declared: int | None, tabular: bool) -> int:
    if tabular:
        srid = declared or TABULAR_DEFAULT_SRID
        check_srid(srid, field_name="srid")
        return srid
    embedded = _embedded_srid(layer)
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
    check_srid(embedded, field_name="srid")
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


def _mapped_columns(
    column_map: dict[str, str], names: list[str]
) -> tuple[dict[str, str], str | None, str | None]:
    """As _column_map, from a mapping the uploader chose (checked when it was
    saved; a column the file lacks is left out)."""
    present = set(names)
    columns = {
        key: name
        for key, name in column_map.items()
        if key in COLUMNS and name in present
    }
    lon, lat = (
        column_map.get(key) if column_map.get(key) in present else None
        for key in COORDINATE_COLUMNS
    )
    return columns, lon, lat


@dataclass(frozen=True)
class FileOutline:
    """What the wizard needs to know of a file before mapping it."""

    columns: list[str]
    tabular: bool
    # The coordinate system the file names (an allowed EPSG code), None for a table
    # or a file whose system GDAL cannot name.
    srid: int | None
    row_count: int


def file_outline(path: Path) -> FileOutline:
    """The columns, kind and coordinate system of a local copy of a survey file."""
    tabular = path.suffix in TABULAR
    options = (
        {"OGR_XLSX_HEADERS": "FORCE", "OGR_XLSX_FIELD_TYPES": "STRING"}
        if path.suffix == ".xlsx"
        else {}
    )
    with _gdal_options(options):
        source = _open(path, DRIVERS[path.suffix])
        if not len(source):
            raise ImportFailed("file", _("The file contains no layer."))
        layer = source[0]
        srid = None if tabular else _embedded_srid(layer)
        if srid is not None:
            check_srid(srid, field_name="srid")
        return FileOutline(
            columns=list(layer.fields),
            tabular=tabular,
            srid=srid,
            row_count=len(layer),
        )


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


def read_rows(
    path: Path,
    space_import: SpaceImport,
    problems: Problems,
    *,
    report_progress: bool = True,
) -> Iterator[Row]:
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
        if space_import.column_map:
            columns, lon, lat = _mapped_columns(
                space_import.column_map, list(layer.fields)
            )
        else:
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
        problems.lines_total = total
        for line, feature in enumerate(layer, start=1):
            problems.lines_read = line
            if report_progress and line % PROGRESS_EVERY == 0:
                record_progress(
                    space_import,
                    5 + int(30 * line / total),
                    read_count=line,
                    rejected_count=len(problems.lines),
                )
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
                geometry = point_from_columns(
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
            row = parse_row(line, values, columns, geometry, problems)
            if row is not None:
                yield row


def _feature_geometry(line, feature, srid, problems):
    try:
        geometry = feature.geom.geos
    except (GDALException, GEOSException):
        problems.add(line, "geometry", _("The feature has no geometry."))
        return None
    geometry.srid = srid
    return geometry


def vector_file_open(path: Path):
    """The first layer of a GeoJSON, zipped Shapefile or GeoPackage file and its EPSG
    code, opened with the guards of an import (one driver per extension, EPSG-named
    GeoJSON CRS, accepted systems only). Returns (source, layer, srid): the layer
    lives as long as its source. Raises ImportFailed."""
    driver = DRIVERS[path.suffix]
    if driver == "GeoJSON":
        _check_geojson_crs(path)
    source = _open(path, driver)
    if not len(source):
        raise ImportFailed("file", _("The file holds no layer."))
    layer = source[0]
    return source, layer, _source_srid(layer, None, tabular=False)
