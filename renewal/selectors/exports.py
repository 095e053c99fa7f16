"""The vacant-space inventory as CSV, GeoJSON and GeoPackage files.

PostgreSQL builds every row (COPY … CSV for tables, json_build_object for features)
and the web process only passes bytes along, so a national export of two million
spaces streams with flat memory and close to the speed of the raw SQL.

Every record carries `id` and `platform_id` (both the platform's id), `municipality`
(the administrative code) and `external_id`, so that a file edited, or reprojected by
another GIS tool, re-imports as updates: by (municipality, external_id), or by
platform_id where the survey gave no identifier. GIS tools often renumber a column
called `id` (it looks like a feature id); `platform_id` survives them.
"""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.db import connections, transaction
from django.db.models import (
    Case,
    CharField,
    Expression,
    F,
    FloatField,
    Func,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast

from renewal.models import VacantSpace
from renewal.models.spaces import SPACE_OWNER_FIELDS, SPACE_PUBLIC_FIELDS
from renewal.rules import municipality_ids_with_permission

PERSONAL_DATA_PERMISSION = "renewal.view_space_personal_data"
# Rows fetched per round trip and bytes handed to the server per write: large enough
# that per-row Python work vanishes, small enough to keep memory flat.
CHUNK_ROWS = 2_000
CHUNK_BYTES = 64 * 1024
# Excel reads a CSV file without a byte-order mark in the legacy Windows code page
# (CP949 in Korea) and garbles every Korean address; the BOM makes it read UTF-8.
UTF8_BOM = "\ufeff".encode()
GPKG_LAYER = "vacant_spaces"


@dataclass(frozen=True)
class Column:
    name: str
    expression: Expression
    # GDAL's CSVT type: the GeoPackage gets a fixed schema instead of one guessed
    # from the rows (a column that happens to be empty would otherwise turn to text).
    ogr_type: str


# GDAL's type of each kind of model field a space has; anything else is text.
_OGR_TYPES = {
    "DecimalField": "Real",
    "PositiveSmallIntegerField": "Integer",
    "PositiveIntegerField": "Integer",
    "PositiveBigIntegerField": "Integer64",
    "DateField": "Date",
}


def _field(name: str) -> Column:
    internal_type = VacantSpace._meta.get_field(name).get_internal_type()
    return Column(name, F(name), _OGR_TYPES.get(internal_type, "String"))


PUBLIC_COLUMNS = [
    Column("id", F("id"), "Integer64"),
    Column("platform_id", F("id"), "Integer64"),
    Column("municipality", F("municipality__code"), "String"),
    *(_field(name) for name in SPACE_PUBLIC_FIELDS),
    Column("in_downtown", F("in_downtown"), "Integer(Boolean)"),
]
# Points only: longitude and latitude read in every spreadsheet, where WKT would not.
COORDINATE_COLUMNS = [
    Column(
        "lon",
        Func(F("location"), function="ST_X", output_field=FloatField()),
        "Real",
    ),
    Column(
        "lat",
        Func(F("location"), function="ST_Y", output_field=FloatField()),
        "Real",
    ),
]


def personal_data_municipality_ids(*, user) -> frozenset[int]:
    """Municipalities whose spaces' owner details the user may see."""
    return municipality_ids_with_permission(
        user=user, permission=PERSONAL_DATA_PERMISSION
    )


def export_columns(*, user) -> list[Column]:
    """The columns of the user's export: the public ones, plus owner columns for
    staff of some city, filled only on rows of the cities whose staff the user is.
    A user who is staff nowhere gets no owner columns at all."""
    municipality_ids = personal_data_municipality_ids(user=user)
    if not municipality_ids:
        return list(PUBLIC_COLUMNS)
    return PUBLIC_COLUMNS + [
        Column(
            f"owner_{name}",
            Case(
                When(municipality_id__in=municipality_ids, then=F(f"owner__{name}")),
                default=Value(None),
                output_field=CharField(),
            ),
            "String",
        )
        for name in SPACE_OWNER_FIELDS
    ]


def has_personal_data(columns: list[Column]) -> bool:
    return any(column.name.startswith("owner_") for column in columns)


def _alias(column: Column) -> str:
    # Annotation names must not clash with the model's field names.
    return f"export_{column.name}"


# A spreadsheet reads a cell that begins with one of these as a formula (OWASP, "CSV
# injection"): "=HYPERLINK(…)" in an address would run in the reader's Excel.
FORMULA_STARTS_SQL = r"'=', '+', '-', '@', E'\t', E'\r'"


def _csv_cell(column: Column, *, for_spreadsheets: bool) -> str:
    cell = f'export."{_alias(column)}"'
    if column.ogr_type == "Integer(Boolean)":
        # "true"/"false" rather than COPY's "t"/"f".
        return f"{cell}::text"
    if for_spreadsheets and column.ogr_type == "String":
        # OWASP's escape: a leading single quote makes the cell plain text. Text
        # columns only: numbers, a negative one too, stay numbers.
        return (
            f"CASE WHEN left({cell}, 1) IN ({FORMULA_STARTS_SQL}) "
            f"THEN '''' || {cell} ELSE {cell} END"
        )
    return cell


def _copy_csv_sql(
    spaces: QuerySet[VacantSpace], columns: list[Column], *, for_spreadsheets: bool
) -> str:
    """The COPY statement, composed on the connection it is to run on (spaces.db).

    for_spreadsheets escapes text that a spreadsheet would run as a formula; the
    CSV that GDAL turns into a GeoPackage keeps the values as they are.
    """
    rows = spaces.values(**{_alias(column): column.expression for column in columns})
    sql, params = rows.query.sql_with_params()
    # The outer SELECT fixes the column order and names the header.
    select = ", ".join(
        _csv_cell(column, for_spreadsheets=for_spreadsheets) + f' AS "{column.name}"'
        for column in columns
    )
    # COPY takes no bind parameters; psycopg merges them client-side, with the
    # connection's adapters (geometries included). The names spliced in are this
    # module's constants and the values stay parameters until then.
    return connections[spaces.db].ops.compose_sql(
        f"COPY (SELECT {select} FROM ({sql}) AS export) "  # noqa: S608
        "TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')",
        params,
    )


def _copy_out(statement: str, alias: str) -> Iterator[bytes]:
    buffer = bytearray()
    # When the client goes away, psycopg cancels the COPY, which aborts the
    # enclosing transaction: a transaction (or savepoint) of its own keeps that from
    # poisoning the caller's.
    with (
        transaction.atomic(using=alias),
        connections[alias].cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        for data in copy:
            buffer += data
            if len(buffer) >= CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)


def vacant_space_export_csv(
    *, spaces: QuerySet[VacantSpace], columns: list[Column]
) -> Iterator[bytes]:
    """CSV in UTF-8 with a BOM, one row per space, `lon`/`lat` in EPSG:4326."""
    # Read where the queryset reads (the replica, when one is configured), decided
    # now: the response streams after the view has returned.
    spaces = spaces.using(spaces.db)
    statement = _copy_csv_sql(
        spaces, columns + COORDINATE_COLUMNS, for_spreadsheets=True
    )

    def chunks() -> Iterator[bytes]:
        yield UTF8_BOM
        yield from _copy_out(statement, spaces.db)

    return chunks()


def json_object(pairs: dict[str, Expression]) -> Func:
    """json_build_object over the pairs, keys in the order given."""
    arguments = []
    for key, expression in pairs.items():
        arguments += [Cast(Value(key), TextField()), expression]
    return Func(*arguments, function="json_build_object", output_field=TextField())


def geojson_geometry(name: str, *, decimal_digits: int | None = None) -> Func:
    """The column as a GeoJSON geometry (json), with at most decimal_digits
    decimals (PostGIS's default of 9 when None)."""
    arguments = [F(name)]
    if decimal_digits is not None:
        arguments.append(Value(decimal_digits))
    return Func(
        *arguments,
        function="ST_AsGeoJSON",
        template="%(function)s(%(expressions)s)::json",
        output_field=TextField(),
    )


def json_text(expression: Expression) -> Func:
    return Func(
        expression, template="(%(expressions)s)::text", output_field=TextField()
    )


def _feature_texts(
    spaces: QuerySet[VacantSpace], columns: list[Column]
) -> QuerySet[VacantSpace]:
    feature = json_object(
        {
            "type": Value("Feature", output_field=TextField()),
            "id": F("id"),
            "geometry": geojson_geometry("location"),
            "properties": json_object(
                {column.name: column.expression for column in columns}
            ),
        }
    )
    return spaces.annotate(export_feature=json_text(feature)).values_list(
        "export_feature", flat=True
    )


def _feature_lines(features: QuerySet, separator: bytes) -> Iterator[bytes]:
    # A transaction lets the server-side cursor stream rows as PostgreSQL produces
    # them; outside one, Django declares it WITH HOLD and the server materialises
    # the whole result before the first row.
    # The cursor is closed before the transaction ends, also when the client goes
    # away mid-download; closing it afterwards would fail and abort the caller's.
    with (
        transaction.atomic(using=features.db),
        closing(features.iterator(chunk_size=CHUNK_ROWS)) as rows,
    ):
        batch: list[str] = []
        first = True
        for feature in rows:
            batch.append(feature)
            if len(batch) >= CHUNK_ROWS:
                yield (b"" if first else separator) + separator.join(
                    line.encode() for line in batch
                )
                batch.clear()
                first = False
        if batch:
            yield (b"" if first else separator) + separator.join(
                line.encode() for line in batch
            )


def vacant_space_export_geojson(
    *, spaces: QuerySet[VacantSpace], columns: list[Column]
) -> Iterator[bytes]:
    """A GeoJSON FeatureCollection (RFC 7946, EPSG:4326), written piece by piece."""
    # Pinned now, as for CSV: the rows are read as the response streams.
    features = _feature_texts(spaces.using(spaces.db), columns)

    def chunks() -> Iterator[bytes]:
        yield b'{"type": "FeatureCollection", "features": [\n'
        yield from _feature_lines(features, b",\n")
        yield b"\n]}\n"

    return chunks()


def vacant_space_export_gpkg(
    *, spaces: QuerySet[VacantSpace], columns: list[Column]
) -> BinaryIO:
    """A GeoPackage with one point layer, as an open file that is already unlinked.

    SQLite cannot write a GeoPackage to a stream, so the rows go to a temporary CSV
    (streamed by COPY) that GDAL converts with a fixed schema. The returned handle
    keeps the data alive; closing it frees the disk, whatever happens to the request.
    """
    columns = columns + COORDINATE_COLUMNS
    spaces = spaces.using(spaces.db)
    statement = _copy_csv_sql(spaces, columns, for_spreadsheets=False)
    directory = Path(tempfile.mkdtemp(prefix="renewal-export-"))
    try:
        source = directory / f"{GPKG_LAYER}.csv"
        with source.open("wb") as csv_file:
            for chunk in _copy_out(statement, spaces.db):
                csv_file.write(chunk)
        source.with_suffix(".csvt").write_text(
            ",".join(f'"{column.ogr_type}"' for column in columns)
        )
        target = directory / f"{GPKG_LAYER}.gpkg"
        _ogr2ogr(source, target)
        return target.open("rb")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _ogr2ogr(source: Path, target: Path) -> None:
    executable = shutil.which("ogr2ogr")
    if executable is None:
        raise RuntimeError("ogr2ogr is missing: install gdal-bin (`make setup`).")
    result = subprocess.run(
        [
            executable,
            "-f",
            "GPKG",
            str(target),
            str(source),
            "-nln",
            GPKG_LAYER,
            "-a_srs",
            "EPSG:4326",
            "-oo",
            "X_POSSIBLE_NAMES=lon",
            "-oo",
            "Y_POSSIBLE_NAMES=lat",
            # The geometry holds the coordinates; stale copies would survive a
            # reprojection in another tool and contradict it.
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
            # One transaction per 100,000 features instead of per 100.
            "-gt",
            "100000",
            "--config",
            "OGR_SQLITE_SYNCHRONOUS",
            "OFF",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"ogr2ogr failed: {result.stderr.strip()}")
