"""Survey-file imports of vacant spaces: read, validate every row, then write all or
nothing.

The public interface; the steps live in reading (file → rows), parsing (row →
validated Row) and writing (rows → spaces).
"""

import logging
import os
import uuid

from django.core.files import File
from django.db import IntegrityError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cities.models import Municipality
from core.errors import DomainError, NotPermitted, require_perm
from renewal.models import ImportStatus, SpaceImport
from renewal.services.background import enqueue_after_commit
from renewal.services.imports.parsing import Problems, validate_row
from renewal.services.imports.reading import (
    ALLOWED_SRIDS,
    DRIVERS,
    ImportFailed,
    check_srid,
    local_copy,
    read_rows,
    record_progress,
)
from renewal.services.imports.writing import existing_spaces, write_rows
from renewal.tasks import space_import_run_task

__all__ = ["ALLOWED_SRIDS", "space_import_create", "space_import_run"]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
IMPORT_QUEUE = "imports"


# Editors of the city import its spaces, as they register them one by one.
IMPORT_PERMISSION = "renewal.add_vacantspace"


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
        require_perm(actor, IMPORT_PERMISSION, municipality)
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
        check_srid(srid, field_name="srid", error=DomainError)
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
        enqueue_after_commit(
            space_import_run_task, args=(space_import.pk,), queue=IMPORT_QUEUE
        )
    return space_import


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
            require_perm(actor, IMPORT_PERMISSION, municipality)
        except NotPermitted as refused:
            raise ImportFailed("municipality", refused.message) from None

    problems = Problems()
    with local_copy(space_import) as path:
        rows = list(read_rows(path, space_import, problems))
    record_progress(space_import, 40)
    if not rows and not problems.entries:
        raise ImportFailed("file", _("The file contains no rows."))

    existing = existing_spaces(municipality, rows)
    for row in rows:
        validate_row(row, municipality, existing.get(row.data["external_id"]), problems)
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
    record_progress(space_import, 60)

    try:
        created, updated = write_rows(space_import, rows)
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
