"""Writing validated rows: matching existing spaces, then all or nothing."""

from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import Municipality
from renewal.models import SpaceImport, VacantSpace
from renewal.services.history import apply_changes, record_created, record_updated
from renewal.services.imports.parsing import Row
from renewal.services.matching.runs import enqueue_assignment_rerun
from renewal.services.spaces import (
    TRACKED_FIELDS,
    _save_owner,
    _validate,
)
from renewal.services.tiles import tiles_invalidate


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


def _owner_values(space: VacantSpace) -> dict:
    owner = getattr(space, "owner", None) if space.pk else None
    return {"name": owner.name, "contact": owner.contact} if owner else {}


def write_rows(
    space_import: SpaceImport,
    rows: list[Row],
    *,
    written: Callable[[int], None] = lambda count: None,
) -> tuple[int, int]:
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
        for index, row in enumerate(rows):
            written(index)
            space = existing.get(row.data["external_id"])
            if space is None:
                _create(space_import, municipality, actor, row)
                created += 1
                continue
            # Validation reads the city's boundary: the one already loaded, rather
            # than a query (and a boundary) per updated row.
            space.municipality = municipality
            if _update(actor, space, row):
                updated += 1
        if created or updated:
            enqueue_assignment_rerun(municipality.pk)
            tiles_invalidate("spaces")
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
    record_created(
        record=space,
        actor=actor,
        fields=TRACKED_FIELDS,
        extra={"owner": "changed"} if _save_owner(space, owner) else None,
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
    record_updated(record=space, actor=actor, changes=changes)
    return True
