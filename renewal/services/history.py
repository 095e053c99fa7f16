import datetime
import decimal

from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import GEOSGeometry
from django.db import models

from renewal.models import ChangeAction, InventoryChange


def _plain(value):
    """A JSON-safe rendering of a field value."""
    if isinstance(value, GEOSGeometry):
        return value.geojson
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(record: models.Model, fields: list[str]) -> dict:
    return {name: _plain(getattr(record, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def apply_changes(
    record: models.Model, data: dict, fields: list[str], validate=None
) -> dict:
    """Set data on record, validate, save, and return what changed as stored values."""
    before = snapshot(record, fields)
    for name, value in data.items():
        setattr(record, name, value)
    if validate is not None:
        validate(record)
    record.save()
    record.refresh_from_db(fields=fields)
    return diff(before, snapshot(record, fields))


def inventory_change_record(
    *,
    record: models.Model,
    actor,
    action: ChangeAction,
    changes: dict,
    reason: str = "",
) -> InventoryChange:
    return InventoryChange.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        municipality_id=record.municipality_id,
        action=action,
        changes=changes,
        reason=reason,
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def record_created(
    *, record: models.Model, actor, fields: list[str], extra: dict | None = None
) -> InventoryChange:
    """The history entry of a new record: every tracked field from None, plus
    `extra` (such as {"owner": "changed"} for values never recorded)."""
    changes = {name: [None, value] for name, value in snapshot(record, fields).items()}
    return inventory_change_record(
        record=record,
        actor=actor,
        action=ChangeAction.CREATE,
        changes={**changes, **(extra or {})},
    )


def records_created(
    *,
    records: list[models.Model],
    actor,
    fields: list[str] | tuple[str, ...],
    extras: list[dict | None],
) -> None:
    """record_created for many records of one model, in one statement."""
    if not records:
        return
    content_type = ContentType.objects.get_for_model(records[0])
    actor = actor if actor is not None and actor.is_authenticated else None
    InventoryChange.objects.bulk_create(
        InventoryChange(
            content_type=content_type,
            object_id=record.pk,
            municipality_id=record.municipality_id,
            action=ChangeAction.CREATE,
            changes={
                **{
                    name: [None, value]
                    for name, value in snapshot(record, fields).items()
                },
                **(extra or {}),
            },
            actor=actor,
        )
        for record, extra in zip(records, extras, strict=True)
    )


def record_updated(
    *, record: models.Model, actor, changes: dict, reason: str = ""
) -> bool:
    """The history entry of an edit, if it changed anything (as apply_changes
    reports it); returns whether it did."""
    if changes:
        inventory_change_record(
            record=record,
            actor=actor,
            action=ChangeAction.UPDATE,
            changes=changes,
            reason=reason,
        )
    return bool(changes)
