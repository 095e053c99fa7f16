"""A district's key performance indicators: targets, observations, attainment."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core.errors import DomainError, require_perm
from renewal.models import BusinessImprovementDistrict, Kpi, KpiObservation
from renewal.services.bids.districts import HUNDRED, MANAGE


def bid_kpi_set(
    *,
    actor,
    district: BusinessImprovementDistrict,
    code: str,
    unit: str,
    target: Decimal,
    higher_is_better: bool = True,
) -> Kpi:
    require_perm(actor, MANAGE, district)
    kpi, _created = Kpi.objects.update_or_create(
        district=district,
        code=code,
        defaults={"unit": unit, "target": target, "higher_is_better": higher_is_better},
    )
    return kpi


def kpi_observation_record(
    *, actor, kpi: Kpi, period: datetime.date, value: Decimal, source: str
) -> KpiObservation:
    require_perm(actor, MANAGE, kpi.district)
    if not source:
        raise DomainError(
            _("Say where the figure comes from."),
            fields={"source": [_("Required.")]},
        )
    observation, _created = KpiObservation.objects.update_or_create(
        kpi=kpi, period=period, defaults={"value": value, "source": source}
    )
    return observation


def kpi_attainment(*, kpi: Kpi, observations=None) -> dict:
    """The latest observation against the target. `attainment_percent` is how far
    along the target the value is (100 = met), inverted when lower is better."""
    if observations is None:
        observations = list(kpi.observations.order_by("period"))
    latest = observations[-1] if observations else None
    result = {
        "code": kpi.code,
        "unit": kpi.unit,
        "target": kpi.target,
        "higher_is_better": kpi.higher_is_better,
        "latest_period": latest.period if latest else None,
        "latest_value": latest.value if latest else None,
        "attained": None,
        "attainment_percent": None,
    }
    if latest is None:
        return result
    value, target = latest.value, kpi.target
    if kpi.higher_is_better:
        result["attained"] = value >= target
        ratio = value / target if target else None
    else:
        result["attained"] = value <= target
        ratio = target / value if value else (Decimal(1) if target == 0 else None)
    if ratio is not None:
        result["attainment_percent"] = (ratio * HUNDRED).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    return result
