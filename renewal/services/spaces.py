from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import Municipality
from renewal.models import (
    HIGHEST_GRADE,
    SPACE_TRANSITIONS,
    ChangeAction,
    SpaceOwner,
    SpaceStatus,
    VacantSpace,
)
from renewal.services.errors import (
    DomainError,
    IllegalTransition,
    check_transition,
    require_perm,
)
from renewal.services.history import (
    apply_changes,
    inventory_change_record,
    record_created,
    record_updated,
    snapshot,
)
from renewal.services.matching.runs import enqueue_assignment_rerun
from renewal.services.tiles import tiles_invalidate

# Fields a space's history records; owner details are personal data and are recorded
# only as "changed", never by value.
TRACKED_FIELDS = [
    "external_id",
    "kind",
    "address",
    "location",
    "footprint",
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
    "source",
]
OWNER_FIELDS = ["name", "contact", "note"]


def _validate(space: VacantSpace) -> None:
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
    if space.municipality.boundary and not space.municipality.boundary.contains(
        space.location
    ):
        raise DomainError(
            _("The location lies outside %(city)s.")
            % {"city": space.municipality.name},
            fields={"location": [_("Outside the municipality's boundary.")]},
        )


def _save_owner(space: VacantSpace, owner: dict | None) -> bool:
    if owner is None:
        return False
    record, _created = SpaceOwner.objects.get_or_create(space=space)
    before = snapshot(record, OWNER_FIELDS)
    for name in OWNER_FIELDS:
        if name in owner:
            setattr(record, name, owner[name] or "")
    record.save()
    return before != snapshot(record, OWNER_FIELDS)


@transaction.atomic
def vacant_space_register(
    *,
    actor,
    municipality: Municipality,
    data: dict,
    owner: dict | None = None,
) -> VacantSpace:
    require_perm(actor, "renewal.add_vacantspace", municipality)
    space = VacantSpace(municipality=municipality, created_by=actor, **data)
    _validate(space)
    space.save()
    record_created(
        record=space,
        actor=actor,
        fields=TRACKED_FIELDS,
        extra={"owner": "changed"} if _save_owner(space, owner) else None,
    )
    enqueue_assignment_rerun(space.municipality_id)
    tiles_invalidate("spaces")
    return space


@transaction.atomic
def vacant_space_update(
    *, actor, space: VacantSpace, data: dict, owner: dict | None = None
) -> VacantSpace:
    space = VacantSpace.objects.select_for_update().get(pk=space.pk)
    require_perm(actor, "renewal.change_vacantspace", space)
    if "status" in data:
        raise DomainError(
            _("Change the status through a transition, which checks the lifecycle."),
            fields={"status": [_("Use the transitions endpoint.")]},
        )
    if "municipality" in data or "municipality_id" in data:
        raise DomainError(_("A space cannot move to another municipality."))
    changes = apply_changes(space, data, TRACKED_FIELDS, validate=_validate)
    if _save_owner(space, owner):
        changes["owner"] = "changed"
    if record_updated(record=space, actor=actor, changes=changes):
        enqueue_assignment_rerun(space.municipality_id)
        tiles_invalidate("spaces")
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
    check_transition(
        SPACE_TRANSITIONS, SpaceStatus, space.status, to, refusal, fields=fields
    )
    previous = space.status
    space.status = to
    space.save(update_fields=["status", "updated_at"])
    inventory_change_record(
        record=space,
        actor=actor,
        action=ChangeAction.STATUS,
        changes={"status": [previous, to]},
        reason=reason,
    )
    # Runs read only available spaces: other steps leave their input unchanged.
    if SpaceStatus.AVAILABLE in (previous, to):
        enqueue_assignment_rerun(space.municipality_id)
    tiles_invalidate("spaces")
    return space
