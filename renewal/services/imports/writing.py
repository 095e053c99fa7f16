"""Writing validated rows: matching existing spaces, then all or nothing, through the
space services' do-functions, so that an import is checked, recorded and followed by
fresh tiles and a matching re-run exactly as an editor's change is."""

from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import Municipality
from renewal.models import SpaceImport, VacantSpace
from renewal.services.imports.parsing import Row
from renewal.services.spaces import (
    SpaceWrite,
    vacant_spaces_change,
    vacant_spaces_create,
)

WRITE_BATCH = 100


def existing_spaces(
    municipality: Municipality, rows: list[Row]
) -> dict[str, VacantSpace]:
    """The city's spaces the rows name, with what validating a row reads of them."""
    ids = {row.data["external_id"] for row in rows}
    return {
        space.external_id: space
        for space in VacantSpace.objects.filter(
            municipality=municipality, external_id__in=ids
        ).only("external_id", "grading_scheme", "grade")
    }


def _owner(row: Row, space: VacantSpace | None) -> dict | None:
    # Empty owner columns say nothing about the owner: no record is made for them.
    # A space that has an owner record gets the columns as given, blanks included.
    if row.owner is None or any(row.owner.values()):
        return row.owner
    has_owner = space is not None and hasattr(space, "owner")
    return row.owner if has_owner else None


def write_rows(
    space_import: SpaceImport,
    rows: list[Row],
    *,
    written: Callable[[int], None] = lambda count: None,
) -> tuple[int, int]:
    """Create or update every row in one transaction; (created, updated). `written`
    hears how many rows are written so far, batch by batch.

    The actor is the importing user, or None for an operator's import (manage.py
    import_spaces without --user), whose right to write was decided by the caller.
    """
    municipality = space_import.municipality
    actor = space_import.created_by
    source = (
        _("Import #%(id)s: %(name)s")
        % {"id": space_import.pk, "name": space_import.original_filename}
    )[:255]
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
        new, changes = [], []
        for row in rows:
            space = existing.get(row.data["external_id"])
            if space is None:
                new.append(
                    SpaceWrite(
                        data={**row.data, "status": row.status, "source": source},
                        owner=_owner(row, None),
                    )
                )
                continue
            # Checking a row reads the city's boundary: the one already loaded,
            # rather than a query (and a boundary) per updated row.
            space.municipality = municipality
            changes.append((space, SpaceWrite(data=row.data, owner=_owner(row, space))))
        # In batches, so that the progress moves during a large import's write.
        created = updated = 0
        for start in range(0, len(new), WRITE_BATCH):
            batch = new[start : start + WRITE_BATCH]
            created += len(
                vacant_spaces_create(
                    actor=actor, municipality=municipality, writes=batch
                )
            )
            written(start + len(batch))
        for start in range(0, len(changes), WRITE_BATCH):
            batch = changes[start : start + WRITE_BATCH]
            updated += vacant_spaces_change(
                actor=actor, municipality=municipality, changes=batch
            )
            written(len(new) + start + len(batch))
    return created, updated
