"""A city's matching settings: the weights and scales its staff tune.

Check, then do: matching_settings_change validates, saves, records the change in the
city's history and re-runs the city's assignment after commit, asking no permission;
matching_settings_update asks the rules (renewal.change_matchingsettings) first.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import Municipality
from core.errors import DomainError, require_perm
from renewal.models import ChangeAction, MatchingSettings
from renewal.models.matching import MATCHING_SETTINGS_FIELDS, MATCHING_SETTINGS_LIMITS
from renewal.services.history import apply_changes, inventory_change_record
from renewal.services.matching.runs import enqueue_assignment_rerun

WEIGHT_FIELDS = tuple(
    name for name in MATCHING_SETTINGS_FIELDS if name.startswith("weight_")
)


def matching_settings_of(municipality: Municipality) -> MatchingSettings:
    """The city's settings; the defaults, unsaved, for a city that never tuned them."""
    return MatchingSettings.objects.filter(
        municipality=municipality
    ).first() or MatchingSettings(municipality=municipality)


def _validate(settings: MatchingSettings) -> None:
    errors = {}
    for name, (low, high) in MATCHING_SETTINGS_LIMITS.items():
        value = getattr(settings, name)
        if not low <= value <= high:
            errors[name] = [
                _("Between %(low)s and %(high)s.") % {"low": low, "high": high}
            ]
    if errors:
        raise DomainError(
            _("Some settings are out of range; nothing was changed."), fields=errors
        )
    if not any(getattr(settings, name) for name in WEIGHT_FIELDS):
        raise DomainError(
            _("At least one weight must be above zero, or nothing could be scored."),
            fields={name: [_("All weights are zero.")] for name in WEIGHT_FIELDS},
        )


def matching_settings_validate(settings: MatchingSettings) -> None:
    """The bounds a saved change must keep, for callers that only preview one."""
    _validate(settings)


@transaction.atomic
def matching_settings_change(
    *, municipality: Municipality, data: dict, actor=None
) -> MatchingSettings:
    """Apply `data` (a subset of MATCHING_SETTINGS_FIELDS) to the city's settings.
    A change is recorded in the city's history and re-runs its assignment."""
    unknown = set(data) - set(MATCHING_SETTINGS_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown settings: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    # The row lock orders two editors saving at once; the second sees the first.
    settings = MatchingSettings.objects.select_for_update().filter(
        municipality=municipality
    ).first() or MatchingSettings(municipality=municipality)
    created = settings.pk is None
    changes = apply_changes(settings, data, list(MATCHING_SETTINGS_FIELDS), _validate)
    if changes:
        inventory_change_record(
            record=settings,
            actor=actor,
            action=ChangeAction.CREATE if created else ChangeAction.UPDATE,
            changes=changes,
        )
        enqueue_assignment_rerun(municipality.pk)
    return settings


def matching_settings_update(
    *, actor, municipality: Municipality, data: dict
) -> MatchingSettings:
    require_perm(
        actor,
        "renewal.change_matchingsettings",
        municipality,
        message=_("Only the city's editors tune its matching."),
    )
    return matching_settings_change(municipality=municipality, data=data, actor=actor)
