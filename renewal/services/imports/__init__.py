"""Survey-file imports of vacant spaces: read, validate every row, then write all or
nothing.

The public interface; the steps live in reading (file → rows), parsing (row →
validated Row) and writing (rows → spaces).
"""

import itertools
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cities.models import Municipality
from core.errors import DomainError, NotPermitted, require_perm
from renewal.models import ImportStatus, SpaceImport
from renewal.services.background import (
    enqueue_after_commit,
    work_lease,
    work_lease_is_free,
)
from renewal.services.imports.parsing import (
    Problems,
    Row,
    validate_row,
    validate_rows_boundary,
)
from renewal.services.imports.reading import (
    ALLOWED_SRIDS,
    DRIVERS,
    ImportFailed,
    check_srid,
    local_copy,
    read_rows,
)
from renewal.services.imports.writing import existing_spaces, write_rows
from renewal.services.notifications import enqueue_import_notifications
from renewal.tasks import space_import_run_task

__all__ = [
    "ALLOWED_SRIDS",
    "space_import_create",
    "space_import_run",
    "space_imports_recover",
]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
IMPORT_QUEUE = settings.TASK_QUEUES["imports"]
# Keys the lease a worker holds while it runs an import (background.work_lease).
IMPORT_LEASE = 7_400_003
# Keys the lease of the city whose import is being run: one at a time per city.
IMPORT_CITY_LEASE = 7_400_004
# A queued import older than this whose city is free lost its message (or the
# hand-off from the import before it): recovery sends it again.
QUEUED_FOR_TOO_LONG = timedelta(minutes=2)
# Worker deaths an import survives (a file that kills its worker must not loop).
MAX_ATTEMPTS = 3
# Rows read, validated and written together: what an import holds in memory.
CHUNK_ROWS = 1000


# Editors of the city import its spaces, as they register them one by one.
IMPORT_PERMISSION = "renewal.add_vacantspace"


def checked_upload_name(uploaded_file: File) -> tuple[str, str]:
    """The uploader's file name and its extension, refused unless the format is one
    the import reads and the file is within the size limit."""
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
        raise file_too_large()
    return name, extension


def file_too_large() -> DomainError:
    return DomainError(
        _("The file is larger than %(size)d MB.")
        % {"size": MAX_FILE_BYTES // (1024 * 1024)},
        fields={"file": [_("Too large.")]},
    )


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
    name, extension = checked_upload_name(uploaded_file)
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
    """Run a queued import once. A second delivery of the task does nothing while
    the first runs or after it finished; after its worker died, it runs the import
    again from the start (nothing was written: the write is one transaction), up to
    MAX_ATTEMPTS times, and then marks it failed with the reason."""
    with (
        work_lease(IMPORT_LEASE, space_import.pk) as held,
        work_lease(IMPORT_CITY_LEASE, space_import.municipality_id) as city_free,
    ):
        if not held:  # a live worker has it
            space_import.refresh_from_db()
            return space_import
        if not city_free:
            # Another import of the city is running: this one stays queued rather
            # than interleave with it, and that one sends it when it ends.
            space_import.refresh_from_db()
            return space_import
        # Running with the lease free: its worker died.
        claimed = SpaceImport.objects.filter(
            pk=space_import.pk,
            status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING],
        ).update(
            status=ImportStatus.RUNNING,
            progress=0,
            read_count=0,
            written_count=0,
            rejected_count=0,
            attempts=F("attempts") + 1,
        )
        space_import.refresh_from_db()
        if claimed:
            with translation.override(space_import.language or None):
                _run_attempt(space_import)
    if claimed:
        # With the city's lease let go, so that the next one finds it free.
        _send_next_of_city(space_import.municipality_id)
    return space_import


def _send_next_of_city(municipality_id: int) -> None:
    following = (
        SpaceImport.objects.filter(
            municipality_id=municipality_id, status=ImportStatus.QUEUED
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        enqueue_after_commit(
            space_import_run_task, args=(following,), queue=IMPORT_QUEUE
        )


def space_imports_recover() -> int:
    """Send the task again for each import whose worker died; the task resumes
    or fails it. Returns how many."""
    from renewal.tasks import space_import_run_task

    orphans = [
        pk
        for pk in SpaceImport.objects.filter(status=ImportStatus.RUNNING)
        .order_by("pk")
        .values_list("pk", flat=True)
        if work_lease_is_free(IMPORT_LEASE, pk)
    ]
    waiting = SpaceImport.objects.filter(
        status=ImportStatus.QUEUED,
        created_at__lt=timezone.now() - QUEUED_FOR_TOO_LONG,
    ).values_list("municipality_id", flat=True)
    for municipality_id in sorted(set(waiting)):
        if work_lease_is_free(IMPORT_CITY_LEASE, municipality_id):
            _send_next_of_city(municipality_id)
    for pk in orphans:
        logger.warning("space import %s lost its worker; sending it again", pk)
        enqueue_after_commit(space_import_run_task, args=(pk,), queue=IMPORT_QUEUE)
    return len(orphans)


def _run_attempt(space_import: SpaceImport) -> None:
    if space_import.attempts > MAX_ATTEMPTS:
        _finish(
            space_import,
            ImportStatus.FAILED,
            report=[
                {
                    "line": None,
                    "field": "file",
                    "message": _(
                        "The import stopped %(count)d times before it finished "
                        "(its worker ended); nothing was written. Try again, or "
                        "split the file."
                    )
                    % {"count": MAX_ATTEMPTS},
                }
            ],
        )
        return
    try:
        _run(space_import)
    except ImportFailed as failure:
        _finish(
            space_import,
            ImportStatus.FAILED,
            report=[{"line": None, "field": failure.field, "message": failure.message}],
        )
    except Exception as error:
        if _database_went_away(error):
            # A restart or failover of the database, not the file: the import stays
            # running with its lease free, and recovery sends it again.
            raise
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


def _database_went_away(error: Exception) -> bool:
    """Whether `error` is the database ending or refusing the connection (SQLSTATE
    classes 08 and 57P, or none: the socket closed), not something about the file.
    The connection itself cannot tell: leaving the transaction reconnects it."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P"))


def _finish(space_import: SpaceImport, status: str, **values) -> None:
    values.setdefault("created_count", 0)
    values.setdefault("updated_count", 0)
    values.setdefault("written_count", 0)
    values.setdefault("read_count", values.get("row_count", space_import.read_count))
    for name, value in values.items():
        setattr(space_import, name, value)
    space_import.status = status
    space_import.progress = 100
    space_import.finished_at = timezone.now()
    space_import.save()
    enqueue_import_notifications(space_import.pk)


class _Refused(Exception):
    """A row was refused: leaves the import's transaction, so nothing is kept."""


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _run(space_import: SpaceImport) -> None:
    """Read, validate and write the file chunk by chunk inside one transaction, so
    that memory stays flat however long the file; the first refused row stops the
    writing, every row is still validated for the report, and the transaction is
    rolled back: all or nothing."""
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
    created = updated = written_before = 0
    try:
        with (
            _side_progress(space_import) as progress,
            local_copy(space_import) as path,
            transaction.atomic(),
        ):
            rows = read_rows(path, space_import, problems, report_progress=False)
            for chunk in _chunks(rows, CHUNK_ROWS):
                existing = existing_spaces(municipality, chunk)
                candidates = [
                    validate_row(
                        row,
                        municipality,
                        existing.get(row.data["external_id"]),
                        problems,
                    )
                    for row in chunk
                ]
                # Places outside the city, named by where they lie: one query a chunk.
                validate_rows_boundary(chunk, candidates, municipality, problems)
                if not problems.entries:
                    chunk_created, chunk_updated = write_rows(
                        space_import,
                        chunk,
                        written=lambda count, before=written_before: progress(
                            problems, before + count
                        ),
                    )
                    created += chunk_created
                    updated += chunk_updated
                    written_before += len(chunk)
                progress(problems, written_before)
            if problems.entries:
                raise _Refused
    except _Refused:
        _finish(
            space_import,
            ImportStatus.FAILED,
            row_count=problems.lines_read,
            rejected_count=len(problems.lines),
            report=sorted(problems.entries, key=lambda e: e["line"] or 0),
        )
        return
    except IntegrityError:
        raise ImportFailed(
            "external_id",
            _("Another change to these spaces happened during the import; try again."),
        ) from None
    if not problems.lines_read:
        raise ImportFailed("file", _("The file contains no rows."))
    _finish(
        space_import,
        ImportStatus.SUCCEEDED,
        row_count=problems.lines_read,
        created_count=created,
        updated_count=updated,
        written_count=written_before,
        rejected_count=0,
        report=[],
    )


@contextmanager
def _side_progress(space_import: SpaceImport):
    """A callback that reports rows read, written and rejected, and the progress,
    as the import goes.

    The rows are written in one transaction, where an update of the import would
    stay invisible until the end: it goes through a connection of its own, which
    commits at once, and skips the update rather than wait if something holds the
    row. One update per percent at most, however the rows arrive.
    """
    primary = connections[DEFAULT_DB_ALIAS]
    side = primary.__class__(dict(primary.settings_dict), alias="import-progress")
    table = SpaceImport._meta.db_table
    reported = 0

    def progress(problems: Problems, written: int) -> None:
        nonlocal reported
        total = max(problems.lines_total, problems.lines_read, 1)
        # Half for reading and checking, half for writing.
        percent = 5 + 47 * (problems.lines_read + written) // total
        if percent <= reported:
            return
        reported = percent
        with side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress = %s, read_count = %s, "  # noqa: S608
                "written_count = %s, rejected_count = %s "
                f"WHERE id = (SELECT id FROM {table} WHERE id = %s "
                "FOR UPDATE SKIP LOCKED)",
                [
                    percent,
                    problems.lines_read,
                    written,
                    len(problems.lines),
                    space_import.pk,
                ],
            )

    try:
        yield progress
    finally:
        side.close()
