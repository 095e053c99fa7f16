from django.utils.translation import gettext as _

from cities.models import CityType, Municipality, TypologyOverride
from core.errors import DomainError, NotPermitted


def typology_override_set(
    *, actor, municipality: Municipality, city_type: str, reason: str
) -> TypologyOverride:
    """Record a staff decision on a city's type; city_type "" withdraws the override.

    The computed type is never touched: pages and the API show both.
    """
    if not actor.has_perm("cities.override_typology", municipality):
        raise NotPermitted()
    if city_type and city_type not in CityType.values:
        raise DomainError(
            _("“%(type)s” is not a city type.") % {"type": city_type},
            fields={
                "type": [
                    _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(CityType.values)}
                ]
            },
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("An override needs a reason."),
            fields={"reason": [_("Say why the computed type is wrong.")]},
        )
    return TypologyOverride.objects.create(
        municipality=municipality,
        city_type=city_type,
        reason=reason,
        created_by=actor if actor.is_authenticated else None,
    )
