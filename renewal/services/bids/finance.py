"""A district's money: the levy on its members and its budget by service line.

Decisions (see also the module docstring of renewal.models.bids):
- Levy: rate × rateable value for members at or above the threshold; members below
  it are exempt (the English practice of an exemption threshold, which is how we read
  "a percentage of rateable value above a threshold"), then capped per member.
  Rounded to whole won. Under voluntary dues the same figure is the suggested dues.
- Management costs above 20 % of the budget (settings.BID_MANAGEMENT_SHARE_LIMIT,
  good practice in England) are flagged, not refused.
"""

from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Least, Round
from django.utils.translation import gettext as _

from core.errors import DomainError, require_perm
from renewal.models import (
    BidStatus,
    BudgetLine,
    BusinessImprovementDistrict,
    FundingModel,
    ServiceLine,
)
from renewal.services.bids.districts import HUNDRED, MANAGE, percent_of


def management_share_limit() -> Decimal:
    return Decimal(str(getattr(settings, "BID_MANAGEMENT_SHARE_LIMIT", 20)))


# Levy ---------------------------------------------------------------------------


def levy_expression(district: BusinessImprovementDistrict):
    """The levy of one member as a database expression, in whole won."""
    rate = Value(district.levy_rate_percent, output_field=DecimalField())
    raw = Round(
        ExpressionWrapper(
            F("rateable_value_krw") * rate / Value(HUNDRED),
            output_field=DecimalField(),
        )
    )
    amount = (
        Least(raw, Value(district.levy_cap_krw, output_field=DecimalField()))
        if district.levy_cap_krw is not None
        else raw
    )
    return Case(
        When(rateable_value_krw__lt=district.levy_threshold_krw, then=Value(0)),
        default=Cast(amount, BigIntegerField()),
        output_field=BigIntegerField(),
    )


def bid_member_levies(*, district: BusinessImprovementDistrict):
    return district.members.annotate(levy_krw=levy_expression(district)).order_by("id")


def bid_levy_summary(*, district: BusinessImprovementDistrict) -> dict:
    totals = bid_member_levies(district=district).aggregate(
        total=Coalesce(Sum("levy_krw"), 0),
        members=Count("id"),
        paying=Count(
            "id", filter=Q(rateable_value_krw__gte=district.levy_threshold_krw)
        ),
        capped=Count(
            "id",
            filter=Q(
                rateable_value_krw__gte=district.levy_threshold_krw,
                rateable_value_krw__gt=(
                    district.levy_cap_krw * HUNDRED / district.levy_rate_percent
                    if district.levy_cap_krw and district.levy_rate_percent
                    else 10**18
                ),
            ),
        ),
    )
    return {
        "funding_model": district.funding_model,
        "compulsory": district.funding_model == FundingModel.LEVY,
        "rate_percent": str(district.levy_rate_percent),
        "threshold_krw": district.levy_threshold_krw,
        "cap_krw": district.levy_cap_krw,
        "members": totals["members"],
        "paying_members": totals["paying"],
        "exempt_members": totals["members"] - totals["paying"],
        "capped_members": totals["capped"],
        "total_krw": int(totals["total"]),
    }


def bid_levy_set(
    *,
    actor,
    district: BusinessImprovementDistrict,
    levy_rate_percent: Decimal,
    levy_threshold_krw: int = 0,
    levy_cap_krw: int | None = None,
) -> BusinessImprovementDistrict:
    """The levy (or, under voluntary dues, the suggested contribution): a rate of
    rateable value, an exemption threshold and an optional cap per member. Fixed
    once balloted: members voted on the terms they were shown."""
    require_perm(actor, MANAGE, district)
    if district.status != BidStatus.PROPOSED:
        raise DomainError(
            _(
                "The levy can change only while the district is proposed: members vote on it."
            )
        )
    if not Decimal(0) <= levy_rate_percent <= Decimal(10):
        raise DomainError(
            _("A levy rate lies between 0 and 10 % of rateable value."),
            fields={"levy_rate_percent": [_("Between 0 and 10.")]},
        )
    if levy_threshold_krw < 0:
        raise DomainError(
            _("Amounts cannot be negative."),
            fields={"levy_threshold_krw": [_("Zero or more.")]},
        )
    if levy_cap_krw is not None and levy_cap_krw <= 0:
        raise DomainError(
            _("A cap, when given, is more than zero."),
            fields={"levy_cap_krw": [_("More than zero, or empty for no cap.")]},
        )
    district.levy_rate_percent = levy_rate_percent
    district.levy_threshold_krw = levy_threshold_krw
    district.levy_cap_krw = levy_cap_krw
    district.save(
        update_fields=[
            "levy_rate_percent",
            "levy_threshold_krw",
            "levy_cap_krw",
            "updated_at",
        ]
    )
    return district


# Budget -------------------------------------------------------------------------


def bid_budget_line_set(
    *,
    actor,
    district: BusinessImprovementDistrict,
    year: int,
    service_line: str,
    planned_krw: int,
    spent_krw: int = 0,
    source: str = "",
) -> BudgetLine:
    require_perm(actor, MANAGE, district)
    if service_line not in ServiceLine.values:
        raise DomainError(
            _("“%(line)s” is not a service line.") % {"line": service_line},
            fields={"service_line": [", ".join(ServiceLine.values)]},
        )
    if planned_krw < 0 or spent_krw < 0:
        raise DomainError(_("Amounts cannot be negative."))
    line, _created = BudgetLine.objects.update_or_create(
        district=district,
        year=year,
        service_line=service_line,
        defaults={"planned_krw": planned_krw, "spent_krw": spent_krw, "source": source},
    )
    return line


def bid_budget_summary(*, district: BusinessImprovementDistrict) -> list[dict]:
    """Per year: the lines, totals, and management's share of plan and spend."""
    limit = management_share_limit()
    years: dict[int, dict] = {}
    for line in district.budget.order_by("year", "service_line"):
        year = years.setdefault(
            line.year,
            {"year": line.year, "lines": [], "planned_krw": 0, "spent_krw": 0},
        )
        year["lines"].append(
            {
                "service_line": line.service_line,
                "label": ServiceLine(line.service_line).label,
                "planned_krw": line.planned_krw,
                "spent_krw": line.spent_krw,
            }
        )
        year["planned_krw"] += line.planned_krw
        year["spent_krw"] += line.spent_krw
    for year in years.values():
        management = [
            line
            for line in year["lines"]
            if line["service_line"] == ServiceLine.MANAGEMENT
        ]
        planned = sum(line["planned_krw"] for line in management)
        spent = sum(line["spent_krw"] for line in management)
        year["management_share_planned_percent"] = percent_of(
            planned, year["planned_krw"]
        )
        year["management_share_spent_percent"] = percent_of(spent, year["spent_krw"])
        year["management_share_limit_percent"] = limit
        year["management_share_over_limit"] = (
            year["management_share_planned_percent"] > limit
            or year["management_share_spent_percent"] > limit
        )
    return list(years.values())
