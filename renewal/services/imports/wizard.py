"""The survey import wizard: an uploaded file waits as a draft while staff map its
columns onto the platform's, name its coordinate system and look at a preview of
its first rows; nothing is written until they start it, and then it is imported by
a worker exactly as any other import (space_import_run), all or nothing.
"""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.models import Municipality
from core.errors import DomainError, require_perm
from core.geography import KOREA_BOUNDS
from renewal.models import ImportColumnMapping, ImportStatus, SpaceImport
from renewal.models.spaces import SpaceOwner, VacantSpace
from renewal.services.background import enqueue_after_commit
from renewal.services.imports import (
    IMPORT_PERMISSION,
    IMPORT_QUEUE,
    checked_upload_name,
)
from renewal.services.imports.parsing import Problems, Row
from renewal.services.imports.reading import (
    ALLOWED_SRIDS,
    COLUMNS,
    COORDINATE_COLUMNS,
    ENCODINGS,
    LAT_NAMES,
    LON_NAMES,
    FileOutline,
    ImportFailed,
    csv_to_utf8,
    file_outline,
    local_copy,
    read_rows,
)
from renewal.tasks import space_import_run_task

# Every column a survey's column can be mapped onto: the import's columns, then
# the coordinate columns of a table.
MAPPABLE_COLUMNS = (*COLUMNS, *COORDINATE_COLUMNS)
REQUIRED_COLUMNS = ("external_id", "kind")
PREVIEW_ROWS = 20

# Names Korean surveys give these columns, compared without case, spaces,
# underscores or brackets. A city's own names are remembered once it has imported.
KNOWN_NAMES = {
    "external_id": ("id", "관리번호", "고유번호", "빈집번호", "일련번호", "번호"),
    "kind": ("type", "유형", "종류", "빈집유형", "용도"),
    "status": ("상태", "진행상태"),
    "address": ("addr", "주소", "소재지", "지번주소", "도로명주소"),
    "floor_area_m2": ("floor_area", "area", "면적", "연면적", "건축면적", "건물면적"),
    "land_area_m2": ("land_area", "대지면적", "토지면적"),
    "year_built": ("built", "건축연도", "건축년도", "준공연도", "사용승인연도"),
    "grading_scheme": ("scheme", "등급기준", "평가기준"),
    "grade": ("등급", "빈집등급"),
    "vacant_since": ("빈집발생일", "공가시작일", "공실시작일"),
    "ownership": ("소유구분", "소유형태"),
    "availability": ("활용의향", "거래구분"),
    "asking_rent_krw": ("rent", "임대료", "희망임대료", "월세"),
    "owner_name": ("owner", "소유자", "소유자명"),
    "owner_contact": ("contact", "연락처", "소유자연락처", "전화번호"),
    "lon": (*LON_NAMES, "x좌표", "경도", "xcoord"),
    "lat": (*LAT_NAMES, "y좌표", "위도", "ycoord"),
}
COORDINATE_LABELS = {
    "lon": gettext_lazy("X: longitude or easting"),
    "lat": gettext_lazy("Y: latitude or northing"),
}


def column_label(name: str) -> str:
    """A platform column as staff read it, from the models' own field names."""
    if name in COORDINATE_LABELS:
        return str(COORDINATE_LABELS[name])
    if name.startswith("owner_"):
        return str(SpaceOwner._meta.get_field(name[len("owner_") :]).verbose_name)
    return str(VacantSpace._meta.get_field(name).verbose_name)


def _normal(name: str) -> str:
    return "".join(c for c in name.lower() if c not in " _-()[]")


def column_map_suggested(
    municipality: Municipality, file_columns: list[str]
) -> dict[str, str]:
    """A mapping of the file's columns: the city's remembered one where the file
    has those columns, then the platform's names and the names surveys use."""
    remembered = ImportColumnMapping.objects.filter(municipality=municipality).first()
    suggested: dict[str, str] = {}
    used: set[str] = set()
    for key, name in (remembered.columns if remembered else {}).items():
        if key in MAPPABLE_COLUMNS and name in file_columns and name not in used:
            suggested[key] = name
            used.add(name)
    by_normal = {}
    for name in file_columns:
        by_normal.setdefault(_normal(name), name)
    for key in MAPPABLE_COLUMNS:
        if key in suggested:
            continue
        for known in (key, key[:10], *KNOWN_NAMES.get(key, ())):
            name = by_normal.get(_normal(known))
            if name is not None and name not in used:
                suggested[key] = name
                used.add(name)
                break
    return suggested


def import_column_mapping_remember(
    *, actor, municipality: Municipality, columns: dict[str, str]
) -> ImportColumnMapping:
    """Keep a city's mapping for its next survey (the caller decided who may)."""
    mapping, _created = ImportColumnMapping.objects.update_or_create(
        municipality=municipality,
        defaults={"columns": dict(columns), "updated_by": actor},
    )
    return mapping


def _refusal(failure: ImportFailed) -> DomainError:
    return DomainError(failure.message, fields={failure.field: [failure.message]})


@contextmanager
def _upload_copy(uploaded_file: File, extension: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="space-import-") as directory:
        path = Path(directory) / f"upload{extension}"
        uploaded_file.seek(0)
        with open(path, "wb") as target:
            shutil.copyfileobj(uploaded_file, target)
        uploaded_file.seek(0)
        yield path


def space_import_draft_create(
    *,
    actor,
    municipality: Municipality,
    uploaded_file: File,
    encoding: str = "",
) -> SpaceImport:
    """Keep an uploaded survey file as a draft import of the city, with a suggested
    column mapping and the coordinate system the file names. A file that cannot be
    read (its encoding, its format, a coordinate system outside the allowed ones)
    is refused and nothing is kept."""
    require_perm(actor, IMPORT_PERMISSION, municipality)
    name, extension = checked_upload_name(uploaded_file)
    if encoding and encoding not in ENCODINGS:
        raise DomainError(
            _("Choose one of the encodings offered."),
            fields={"encoding": [_("Not offered.")]},
        )
    try:
        with _upload_copy(uploaded_file, extension) as path:
            if extension == ".csv":
                encoding = csv_to_utf8(path, encoding)
            outline = file_outline(path)
    except ImportFailed as failure:
        raise _refusal(failure) from None
    space_import = SpaceImport(
        municipality=municipality,
        original_filename=name[:255],
        status=ImportStatus.DRAFT,
        encoding=encoding if extension == ".csv" else "",
        declared_srid=outline.srid,
        column_map=column_map_suggested(municipality, outline.columns),
        created_by=actor,
        language=translation.get_language() or "",
    )
    space_import.file.save(f"{uuid.uuid4().hex}{extension}", uploaded_file, save=False)
    space_import.save()
    return space_import


def space_import_outline(space_import: SpaceImport) -> FileOutline:
    """The columns and coordinate system of a stored import's file."""
    try:
        with local_copy(space_import) as path:
            return file_outline(path)
    except ImportFailed as failure:
        raise _refusal(failure) from None


def _draft_locked(space_import: SpaceImport) -> SpaceImport:
    draft = (
        SpaceImport.objects.select_for_update()
        .select_related("municipality")
        .get(pk=space_import.pk)
    )
    if draft.status != ImportStatus.DRAFT:
        raise DomainError(
            _("This import has already been started; it can no longer be changed.")
        )
    return draft


def _srid_needed(outline: FileOutline) -> bool:
    return outline.srid is None


@transaction.atomic
def space_import_configure(
    *, actor, space_import: SpaceImport, column_map: dict[str, str], srid: int | None
) -> SpaceImport:
    """Save a draft's column mapping and coordinate system, checked against the
    file: each mapped column exists and is used once, the required ones are there,
    and a file that names its coordinate system keeps it."""
    require_perm(actor, IMPORT_PERMISSION, space_import.municipality)
    draft = _draft_locked(space_import)
    outline = space_import_outline(draft)
    column_map = {key: name for key, name in column_map.items() if name}
    errors: dict[str, list] = {}
    seen: dict[str, str] = {}
    for key, name in column_map.items():
        if key not in MAPPABLE_COLUMNS:
            errors.setdefault(key, []).append(_("Not a column of the platform."))
        elif name not in outline.columns:
            errors.setdefault(key, []).append(_("The file has no such column."))
        elif name in seen:
            errors.setdefault(key, []).append(
                _("“%(column)s” is already mapped onto %(other)s.")
                % {"column": name, "other": column_label(seen[name])}
            )
        else:
            seen[name] = key
    required = REQUIRED_COLUMNS + (COORDINATE_COLUMNS if outline.tabular else ())
    for key in required:
        if key not in column_map:
            errors.setdefault(key, []).append(_("Required: choose the file's column."))
    if _srid_needed(outline):
        if srid is None:
            errors["srid"] = [_("Choose the coordinate system of the coordinates.")]
        elif srid not in ALLOWED_SRIDS:
            errors["srid"] = [_("Choose one of the coordinate systems offered.")]
    if errors:
        raise DomainError(
            _("The column mapping cannot be used yet; see the marked columns."),
            fields=errors,
        )
    draft.column_map = column_map
    draft.declared_srid = srid if _srid_needed(outline) else outline.srid
    draft.save(update_fields=["column_map", "declared_srid"])
    return draft


@dataclass
class PreviewRow:
    line: int
    values: dict
    lon: float
    lat: float
    # "inside", "outside_city" or "outside_korea"
    place: str


@dataclass
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    # The whole file refused as mapped (a required column missing, say).
    failure: str = ""
    outside_korea: int = 0
    outside_city: int = 0


def _place(row: Row, municipality: Municipality, boundary) -> str:
    location = row.data["location"]
    min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
    if not (min_lon <= location.x <= max_lon and min_lat <= location.y <= max_lat):
        return "outside_korea"
    if boundary is not None and not boundary.contains(location):
        return "outside_city"
    return "inside"


def space_import_preview(
    space_import: SpaceImport, *, limit: int = PREVIEW_ROWS
) -> Preview:
    """The first rows of a draft as the import would read them, with their places
    in EPSG:4326 and how many fall outside Korea or the city: read only, nothing
    is written."""
    preview = Preview()
    if space_import.declared_srid is None and space_import.column_map:
        outline = space_import_outline(space_import)
        if _srid_needed(outline):
            preview.failure = _("Choose the coordinate system of the coordinates.")
            return preview
    municipality = space_import.municipality
    boundary = municipality.boundary.prepared if municipality.boundary else None
    problems = Problems()
    try:
        with local_copy(space_import) as path:
            for row in read_rows(path, space_import, problems, report_progress=False):
                if row.line > limit:
                    break
                place = _place(row, municipality, boundary)
                preview.outside_korea += place == "outside_korea"
                preview.outside_city += place == "outside_city"
                values = {
                    key: row.data.get(key)
                    for key in space_import.column_map
                    if key in row.data
                }
                values.update(
                    {f"owner_{key}": value for key, value in (row.owner or {}).items()}
                )
                if "status" in space_import.column_map:
                    values["status"] = row.status
                preview.rows.append(
                    PreviewRow(
                        line=row.line,
                        values=values,
                        lon=row.data["location"].x,
                        lat=row.data["location"].y,
                        place=place,
                    )
                )
    except ImportFailed as failure:
        preview.failure = failure.message
    preview.problems = [
        entry
        for entry in problems.entries
        if entry["line"] is None or entry["line"] <= limit
    ]
    return preview


@transaction.atomic
def space_import_start(*, actor, space_import: SpaceImport) -> SpaceImport:
    """Queue a draft for the worker with its mapping and coordinate system, and
    remember the mapping for the city's next survey. Started once: a second click
    is refused and changes nothing."""
    require_perm(actor, IMPORT_PERMISSION, space_import.municipality)
    draft = _draft_locked(space_import)
    outline = space_import_outline(draft)
    if draft.declared_srid is None and _srid_needed(outline):
        raise DomainError(
            _("Choose the coordinate system of the coordinates before starting."),
            fields={"srid": [_("Required.")]},
        )
    missing = [key for key in REQUIRED_COLUMNS if key not in draft.column_map]
    if missing:
        raise DomainError(
            _("Map the required columns before starting."),
            fields={key: [_("Required: choose the file's column.")] for key in missing},
        )
    import_column_mapping_remember(
        actor=actor, municipality=draft.municipality, columns=draft.column_map
    )
    draft.status = ImportStatus.QUEUED
    draft.language = translation.get_language() or draft.language
    draft.save(update_fields=["status", "language"])
    enqueue_after_commit(space_import_run_task, args=(draft.pk,), queue=IMPORT_QUEUE)
    return draft
