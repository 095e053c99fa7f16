"""Vacant spaces: register, change and move along the lifecycle.

Check, then do. The services named for a user's action (`vacant_space_register`,
`vacant_space_update`, `vacant_space_transition`) ask the rules whether the user may,
then call the do-functions (`vacant_space_create`, `vacant_spaces_create`,
`vacant_space_change`, `space_status_set`). Every writer that has already decided
who may (imports, the demo loader, the admin, management commands, matching) calls
the do-functions directly. They validate (`vacant_space_check`), save, record the
history and queue the side effects (fresh tiles, a matching re-run) after commit.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cities.boundaries import place_outside_message, places_outside
from cities.models import Municipality
from core.errors import (
    DomainError,
    IllegalTransition,
    check_transition,
    require_perm,
)
from core.geography import KOREA_BOUNDS
from renewal.models import (
    HIGHEST_GRADE,
    SPACE_TRANSITIONS,
    ChangeAction,
    SpaceOwner,
    SpaceStatus,
    VacantSpace,
)
from renewal.models.spaces import (
    GRADED_KINDS,
    LEGAL_VACANCY_DAYS,
    SPACE_OWNER_CONSENT_FIELDS,
    SPACE_OWNER_FIELDS,
    SPACE_TRACKED_FIELDS,
    GradingScheme,
    LegalVacancy,
    SpaceKind,
    VacancyExclusion,
)
from renewal.services.history import (
    apply_changes,
    inventory_change_record,
    record_updated,
    records_created,
    snapshot,
)
from renewal.services.matching.runs import enqueue_assignment_rerun
from renewal.services.tiles import tiles_invalidate


@dataclass(frozen=True)
class LegalVacancyStatus:
    code: str
    label: str
    reason: str
    demolition_can_be_ordered: bool


def legal_vacancy_status(
    space: VacantSpace, *, today: datetime.date | None = None
) -> LegalVacancyStatus:
    """The space's status under the vacant-house act (빈집 및 소규모주택 정비에 관한
    특례법): a house unused for at least a year, not excluded by law, is a 빈집 once
    the head of the municipality has confirmed it. Computed, never stored."""
    today = today or timezone.localdate()
    reason = ""
    if space.kind != SpaceKind.HOUSE:
        code = LegalVacancy.NOT_A_HOUSE
    elif space.vacancy_exclusion:
        code = LegalVacancy.EXCLUDED
        reason = VacancyExclusion(space.vacancy_exclusion).label
    elif space.vacant_since is None:
        code = LegalVacancy.UNKNOWN
    elif (today - space.vacant_since).days < LEGAL_VACANCY_DAYS:
        code = LegalVacancy.UNDER_ONE_YEAR
    elif space.vacancy_confirmed_on is None:
        code = LegalVacancy.AWAITING_CONFIRMATION
    else:
        code = LegalVacancy.VACANT_HOUSE
    return LegalVacancyStatus(
        code=str(code),
        label=str(LegalVacancy(code).label),
        reason=str(reason),
        demolition_can_be_ordered=space.demolition_can_be_ordered,
    )


@dataclass(frozen=True)
class SpaceWrite:
    """One space to create: its field values and, when given, its owner's details
    (a dict of SPACE_OWNER_FIELDS; None leaves the space without an owner record)."""

    data: dict
    owner: dict | None = None


def vacant_space_check(space: VacantSpace, *, boundary: bool = True) -> None:
    """Refuse a space, as it would be stored, that breaks a rule of the inventory:
    a place outside Korea or outside its city's boundary, a grade without its
    scheme or beyond it. Raises DomainError naming the field. boundary=False
    leaves the boundary to `vacant_spaces_boundary_refusals`, which asks it of
    many spaces at once."""
    location = space.location
    if location is None:
        raise DomainError(
            _("A space needs a location."),
            fields={"location": [_("Required.")]},
        )
    min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
    if not (min_lon <= location.x <= max_lon and min_lat <= location.y <= max_lat):
        # Most often a file or a form in another coordinate system.
        raise DomainError(
            _("%(lon).6f, %(lat).6f lies outside Korea; check the coordinate system.")
            % {"lon": location.x, "lat": location.y},
            fields={
                "location": [
                    _(
                        "Coordinates must be longitude, latitude in EPSG:4326 "
                        "inside Korea."
                    )
                ]
            },
        )
    if space.grade is not None and not space.grading_scheme:
        raise DomainError(
            _("A condition grade needs the grading scheme it belongs to."),
            fields={"grading_scheme": [_("Required when a grade is given.")]},
        )
    if space.grading_scheme and space.grade is not None:
        highest = HIGHEST_GRADE[space.grading_scheme]
        if not 1 <= space.grade <= highest:
            raise DomainError(
                _(
                    "Grade %(grade)s does not exist in this scheme, which grades 1–%(highest)s."
                )
                % {"grade": space.grade, "highest": highest},
                fields={
                    "grade": [
                        _("Must be between 1 and %(highest)s.") % {"highest": highest}
                    ]
                },
            )
    if (
        space.grading_scheme in GRADED_KINDS
        and space.kind in SpaceKind.values
        and space.kind not in GRADED_KINDS[space.grading_scheme]
    ):
        raise DomainError(
            _(
                "“%(scheme)s” grades vacant houses only; a %(kind)s cannot have its grade."
            )
            % {
                "scheme": GradingScheme(space.grading_scheme).label,
                "kind": SpaceKind(space.kind).label,
            },
            fields={"grade": [_("Vacant-house grades apply to houses only.")]},
        )
    if space.vacancy_exclusion and space.vacancy_confirmed_on:
        raise DomainError(
            _(
                "A house excluded by law cannot also be confirmed as a vacant house; "
                "clear one of the two."
            ),
            fields={"vacancy_exclusion": [_("Excluded and confirmed at once.")]},
        )
    if boundary:
        for refusal in vacant_spaces_boundary_refusals(
            space.municipality, [space]
        ).values():
            raise refusal


def vacant_spaces_boundary_refusals(
    municipality: Municipality, spaces: Sequence[VacantSpace]
) -> dict[int, DomainError]:
    """The spaces (by position) whose location lies outside the municipality's
    boundary, each with its refusal naming the 시군구 it lies in (or the sea):
    one query for any number of spaces."""
    return {
        outside.index: DomainError(
            place_outside_message(municipality, outside),
            fields={"location": [_("Outside the municipality's boundary.")]},
        )
        for outside in places_outside(
            municipality, [space.location for space in spaces]
        )
    }


def _boundary_check(municipality: Municipality, spaces: Sequence[VacantSpace]) -> None:
    refusals = vacant_spaces_boundary_refusals(municipality, spaces)
    if refusals:
        raise refusals[min(refusals)]


def _owner_save(space: VacantSpace, owner: dict | None) -> bool:
    """Write the owner's details given; whether their values changed."""
    if owner is None:
        return False
    try:
        record = space.owner  # loaded already when the caller selected it
    except SpaceOwner.DoesNotExist:
        record = SpaceOwner(space=space)
    fields = (*SPACE_OWNER_FIELDS, *SPACE_OWNER_CONSENT_FIELDS)
    before = snapshot(record, fields)
    for name in fields:
        if name in owner:
            value = owner[name]
            setattr(
                record, name, bool(value) if name == "contact_consent" else value or ""
            )
    # The moment of consent is part of the record of it (a ContactDisclosure is
    # lawful only after it).
    if record.contact_consent and not before.get("contact_consent"):
        record.contact_consented_at = timezone.now()
    elif not record.contact_consent:
        record.contact_consented_at = None
    changed = before != snapshot(record, fields)
    if changed or record.pk is None:
        record.save()
    return changed


def _inventory_changed(municipality_id: int, *, rerun_matching: bool = True) -> None:
    # Both after commit: the tiles get a new version, and the re-run (debounced, so
    # that a burst of edits makes one) reads the city's spaces as committed.
    if rerun_matching:
        enqueue_assignment_rerun(municipality_id)
    tiles_invalidate("spaces")


@transaction.atomic
def vacant_spaces_create(
    *,
    actor,
    municipality: Municipality,
    writes: Sequence[SpaceWrite],
    rerun_matching: bool = True,
) -> list[VacantSpace]:
    """Create spaces of one city, each checked and recorded in its history, in a
    few statements whatever their number; nothing is written unless every one
    passes. The data may set the initial status (an import's, the demo's).

    rerun_matching=False leaves the city's assignment alone: for the demo loader,
    whose projects arrive later with matches of their own.
    """
    spaces = [
        VacantSpace(municipality=municipality, created_by=actor, **write.data)
        for write in writes
    ]
    for space in spaces:
        vacant_space_check(space, boundary=False)
    if not spaces:
        return []
    _boundary_check(municipality, spaces)
    VacantSpace.objects.bulk_create(spaces)
    SpaceOwner.objects.bulk_create(
        SpaceOwner(
            space=space,
            **{name: write.owner.get(name) or "" for name in SPACE_OWNER_FIELDS},
        )
        for space, write in zip(spaces, writes, strict=True)
        if write.owner is not None
    )
    records_created(
        records=spaces,
        actor=actor,
        fields=SPACE_TRACKED_FIELDS,
        extras=[
            {"owner": "changed"} if write.owner and any(write.owner.values()) else None
            for write in writes
        ],
    )
    _inventory_changed(municipality.pk, rerun_matching=rerun_matching)
    return spaces


def vacant_space_create(
    *, actor, municipality: Municipality, data: dict, owner: dict | None = None
) -> VacantSpace:
    """Create one space: checked, saved, recorded, tiles and matching refreshed."""
    [space] = vacant_spaces_create(
        actor=actor,
        municipality=municipality,
        writes=[SpaceWrite(data=data, owner=owner)],
    )
    return space


def _change(
    *,
    actor,
    space: VacantSpace,
    data: dict,
    owner: dict | None,
    validate=vacant_space_check,
    reason: str = "",
) -> bool:
    if "status" in data:
        raise DomainError(
            _("Change the status through a transition, which checks the lifecycle."),
            fields={"status": [_("Use the transitions endpoint.")]},
        )
    if "municipality" in data or "municipality_id" in data:
        raise DomainError(_("A space cannot move to another municipality."))
    changed = {
        name: value for name, value in data.items() if getattr(space, name) != value
    }
    # Rows that say again what is stored (a re-import, a form saved unchanged) are
    # neither saved nor recorded.
    changes = (
        apply_changes(space, changed, SPACE_TRACKED_FIELDS, validate=validate)
        if changed
        else {}
    )
    if _owner_save(space, owner):
        changes["owner"] = "changed"
    return record_updated(record=space, actor=actor, changes=changes, reason=reason)


@transaction.atomic
def vacant_space_change(
    *,
    actor,
    space: VacantSpace,
    data: dict,
    owner: dict | None = None,
    reason: str = "",
) -> bool:
    """Change a space's fields and owner details; whether anything changed. Checked
    as stored, recorded in its history (with `reason`, when the change has one
    beyond its author's edit, such as a survey's), tiles and matching refreshed. The
    caller holds the row (select_for_update) when others may edit it at the same
    time."""
    changed = _change(actor=actor, space=space, data=data, owner=owner, reason=reason)
    if changed:
        _inventory_changed(space.municipality_id)
    return changed


@transaction.atomic
def vacant_spaces_change(
    *,
    actor,
    municipality: Municipality,
    changes: Sequence[tuple[VacantSpace, SpaceWrite]],
) -> int:
    """vacant_space_change for many spaces of one city (locked by the caller), with
    the side effects queued once; how many changed."""
    changed = 0
    moved = [space for space, write in changes if "location" in write.data]
    for space, write in changes:
        if _change(
            actor=actor,
            space=space,
            data=write.data,
            owner=write.owner,
            validate=partial(vacant_space_check, boundary=False),
        ):
            changed += 1
    # After the writes, in one query: the transaction undoes them all on a refusal.
    _boundary_check(municipality, moved)
    if changed:
        _inventory_changed(municipality.pk)
    return changed


@transaction.atomic
def vacant_space_register(
    *,
    actor,
    municipality: Municipality,
    data: dict,
    owner: dict | None = None,
) -> VacantSpace:
    require_perm(actor, "renewal.add_vacantspace", municipality)
    return vacant_space_create(
        actor=actor, municipality=municipality, data=data, owner=owner
    )


@transaction.atomic
def vacant_space_update(
    *, actor, space: VacantSpace, data: dict, owner: dict | None = None
) -> VacantSpace:
    space = VacantSpace.objects.select_for_update().get(pk=space.pk)
    require_perm(actor, "renewal.change_vacantspace", space)
    vacant_space_change(actor=actor, space=space, data=data, owner=owner)
    return space


def allowed_space_transitions(*, user, space: VacantSpace) -> list[str]:
    if not user.has_perm("renewal.transition_vacantspace", space):
        return []
    return sorted(SPACE_TRANSITIONS[space.status])


@transaction.atomic
def vacant_space_transition(
    *, actor, space: VacantSpace, to: str, reason: str = ""
) -> VacantSpace:
    # The row lock makes a double click or two staff members racing see one change.
    space = VacantSpace.objects.select_for_update().get(pk=space.pk)
    require_perm(actor, "renewal.transition_vacantspace", space)
    return space_status_set(
        space=space,
        to=to,
        actor=actor,
        reason=reason,
        refusal=_("A space that is “%(current)s” cannot become “%(target)s”."),
        fields={
            "to": [
                _("Allowed: %(allowed)s.")
                % {"allowed": ", ".join(sorted(SPACE_TRANSITIONS[space.status]))}
            ]
        },
    )


def space_status_set(
    *,
    space: VacantSpace,
    to: str,
    actor,
    reason: str = "",
    refusal: str,
    fields: dict | None = None,
) -> VacantSpace:
    """Move a space, locked by the caller, one step along its lifecycle, with its
    history, the re-run it calls for and fresh tiles. The caller has decided who may
    (the space's rules, or a match's); `refusal` and `fields` say why a step the
    lifecycle table does not allow is refused."""
    if to not in SpaceStatus.values:
        raise IllegalTransition(
            _("“%(status)s” is not a status of a vacant space.") % {"status": to},
            fields={
                "to": [
                    _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(SpaceStatus.values)}
                ]
            },
        )
    check_transition(
        SPACE_TRANSITIONS, SpaceStatus, space.status, to, refusal, fields=fields
    )
    previous = space.status
    space.status = to
    space.status_changed_at = timezone.now()
    space.save(update_fields=["status", "status_changed_at", "updated_at"])
    inventory_change_record(
        record=space,
        actor=actor,
        action=ChangeAction.STATUS,
        changes={"status": [previous, to]},
        reason=reason,
    )
    # Runs read only available spaces: other steps leave their input unchanged.
    _inventory_changed(
        space.municipality_id, rerun_matching=SpaceStatus.AVAILABLE in (previous, to)
    )
    return space
