"""Business Improvement Districts: creation, members, ballots, levy, budget and KPIs.

Decisions (see also the module docstring of renewal.models.bids):
- Who manages: `renewal.manage_bid`, asked with the district (an unsaved one when
  creating): the city's editors and members of the management organisation.
- Where: the polygon must lie within the municipality's boundary; where no boundary
  is loaded (the demo's cities have none) it must lie within the downtown polygon,
  and with neither it must at least contain nothing more than 5 km from the city's
  point. Members must lie inside the district's polygon (PostGIS `ST_Covers`).
- The register is frozen while a ballot runs: no member can be added, so the
  electorate at closing is the electorate that was balloted.
- Votes are recorded from returned ballot papers by the managers; members have no
  accounts. A second vote for the same member is refused (never overwritten), and the
  database's unique constraint backs that up under a race.
- Dual majority: more than half of the votes cast by count AND more than half of the
  rateable value of those voting; a tie fails. Optional minimum turnouts (Scotland:
  25 % by count and by value) are checked on top.
- Two-thirds consent (Japan 2018, Korea's autonomous commercial zones): at least 2/3
  of ALL members by count consent. By count only, because both schemes count
  merchants and owners, not value; abstentions count against.
- Levy: rate × rateable value for members at or above the threshold; members below
  it are exempt (the English practice of an exemption threshold, which is how we read
  "a percentage of rateable value above a threshold"), then capped per member.
  Rounded to whole won. Under voluntary dues the same figure is the suggested dues.
- Management costs above 20 % of the budget (settings.BID_MANAGEMENT_SHARE_LIMIT,
  good practice in England) are flagged, not refused.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import IntegrityError, transaction
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
from django.utils import timezone
from django.utils.translation import gettext as _

from cities.models import Municipality
from renewal.models import (
    BID_TRANSITIONS,
    Ballot,
    BallotKind,
    BallotRule,
    BidMember,
    BidStatus,
    BudgetLine,
    BusinessImprovementDistrict,
    CommunityOrganization,
    FundingModel,
    Kpi,
    KpiObservation,
    OrganizationKind,
    ServiceLine,
    Vote,
)
from renewal.services.errors import DomainError, IllegalTransition, NotPermitted

MANAGE = "renewal.manage_bid"
# Without a boundary or a downtown, a district more than this far from the city's
# point is surely misplaced.
FALLBACK_RADIUS_M = 5000
HUNDRED = Decimal(100)


def management_share_limit() -> Decimal:
    return Decimal(str(getattr(settings, "BID_MANAGEMENT_SHARE_LIMIT", 20)))


def _require(user, obj) -> None:
    if not user.has_perm(MANAGE, obj):
        raise NotPermitted()


def _as_multipolygon(geometry) -> MultiPolygon:
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon(geometry, srid=geometry.srid)
    if not isinstance(geometry, MultiPolygon):
        raise DomainError(
            _("A district is a polygon."),
            fields={"polygon": [_("Give a Polygon or MultiPolygon.")]},
        )
    if geometry.srid is None:
        geometry.srid = 4326
    if geometry.srid != 4326:
        geometry = geometry.transform(4326, clone=True)
    if not geometry.valid:
        raise DomainError(
            _("The district's polygon is not valid: %(reason)s")
            % {"reason": geometry.valid_reason},
            fields={"polygon": [_("Not a valid polygon.")]},
        )
    return geometry


def _check_within_municipality(
    municipality: Municipality, polygon: MultiPolygon
) -> None:
    # Asked of PostGIS rather than GEOS so that the rule is the one the database
    # would apply to any other caller.
    if municipality.boundary:
        area, inside = municipality.boundary, Q(boundary__covers=polygon)
        message = _("The district must lie within %(city)s.")
    elif municipality.downtown:
        area, inside = municipality.downtown, Q(downtown__covers=polygon)
        message = _("The district must lie within the downtown of %(city)s.")
    else:
        area = None
        message = _("The district lies too far from %(city)s.")
    if area is not None:
        ok = Municipality.objects.filter(inside, pk=municipality.pk).exists()
    else:
        ok = not polygon.difference(
            municipality.location.transform(5179, clone=True)
            .buffer(FALLBACK_RADIUS_M)
            .transform(4326, clone=True)
        ).area
    if not ok:
        raise DomainError(
            message % {"city": municipality.name},
            fields={"polygon": [_("Outside the allowed area.")]},
        )


def _transition(district: BusinessImprovementDistrict, to: str) -> None:
    if to not in BID_TRANSITIONS[district.status]:
        raise IllegalTransition(
            _("A district that is “%(current)s” cannot become “%(target)s”.")
            % {
                "current": BidStatus(district.status).label,
                "target": BidStatus(to).label,
            }
        )
    district.status = to


def _add_years(day: datetime.date, years: int) -> datetime.date:
    year = day.year + years
    return day.replace(
        year=year, day=min(day.day, calendar.monthrange(year, day.month)[1])
    )


@transaction.atomic
def bid_create(
    *,
    actor,
    municipality: Municipality,
    name: str,
    polygon,
    management_organization: CommunityOrganization,
    funding_model: str = FundingModel.LEVY,
    levy_rate_percent: Decimal = Decimal(1),
    levy_threshold_krw: int = 0,
    levy_cap_krw: int | None = None,
    term_years: int = 5,
    ballot_rule: str = BallotRule.DUAL_MAJORITY,
    min_turnout_count_percent: Decimal | None = None,
    min_turnout_value_percent: Decimal | None = None,
    source: str = "",
) -> BusinessImprovementDistrict:
    district = BusinessImprovementDistrict(
        municipality=municipality,
        name=name,
        management_organization=management_organization,
        funding_model=funding_model,
        levy_rate_percent=levy_rate_percent,
        levy_threshold_krw=levy_threshold_krw,
        levy_cap_krw=levy_cap_krw,
        term_years=term_years,
        ballot_rule=ballot_rule,
        min_turnout_count_percent=min_turnout_count_percent,
        min_turnout_value_percent=min_turnout_value_percent,
        source=source,
    )
    _require(actor, district)
    if management_organization.kind != OrganizationKind.BID_BODY:
        raise DomainError(
            _("The management organisation must be a BID management body."),
            fields={"management_organization": [_("Not a BID management body.")]},
        )
    if management_organization.municipality_id != municipality.pk:
        raise DomainError(
            _("The management organisation belongs to another municipality."),
            fields={"management_organization": [_("From another municipality.")]},
        )
    if not 1 <= term_years <= 10:
        raise DomainError(
            _("A term lasts between 1 and 10 years."),
            fields={"term_years": [_("Between 1 and 10.")]},
        )
    if BusinessImprovementDistrict.objects.filter(
        municipality=municipality, name=name
    ).exists():
        raise DomainError(
            _("%(city)s already has a district with this name.")
            % {"city": municipality.name},
            fields={"name": [_("Already used in this municipality.")]},
        )
    district.polygon = _as_multipolygon(polygon)
    _check_within_municipality(municipality, district.polygon)
    district.save()
    return district


@transaction.atomic
def bid_member_add(
    *,
    actor,
    district: BusinessImprovementDistrict,
    name: str,
    location: Point,
    rateable_value_krw: int,
    is_business: bool = True,
    address: str = "",
) -> BidMember:
    # Locked so that a ballot cannot open between the check and the insert.
    district = BusinessImprovementDistrict.objects.select_for_update().get(
        pk=district.pk
    )
    _require(actor, district)
    if district.status in (BidStatus.BALLOT, BidStatus.RENEWAL_BALLOT, BidStatus.ENDED):
        raise DomainError(
            _(
                "Members cannot be added while a ballot runs or after the district ended."
            )
        )
    if rateable_value_krw < 0:
        raise DomainError(
            _("A rateable value cannot be negative."),
            fields={"rateable_value_krw": [_("Zero or more.")]},
        )
    if location.srid is None:
        location.srid = 4326
    if not BusinessImprovementDistrict.objects.filter(
        pk=district.pk, polygon__covers=location
    ).exists():
        raise DomainError(
            _("The member lies outside the district “%(name)s”.")
            % {"name": district.name},
            fields={"location": [_("Outside the district's polygon.")]},
        )
    return BidMember.objects.create(
        district=district,
        name=name,
        address=address,
        location=location,
        rateable_value_krw=rateable_value_krw,
        is_business=is_business,
    )


@transaction.atomic
def bid_ballot_open(
    *,
    actor,
    district: BusinessImprovementDistrict,
    opens_on: datetime.date,
    closes_on: datetime.date,
) -> Ballot:
    district = BusinessImprovementDistrict.objects.select_for_update().get(
        pk=district.pk
    )
    _require(actor, district)
    if closes_on < opens_on:
        raise DomainError(
            _("A ballot cannot close before it opens."),
            fields={"closes_on": [_("On or after the opening day.")]},
        )
    if district.status == BidStatus.PROPOSED:
        kind, to = BallotKind.FORMATION, BidStatus.BALLOT
    elif district.status == BidStatus.ACTIVE:
        kind, to = BallotKind.RENEWAL, BidStatus.RENEWAL_BALLOT
    else:
        raise IllegalTransition(
            _("A district that is “%(current)s” cannot hold a ballot.")
            % {"current": BidStatus(district.status).label}
        )
    if not district.members.exists():
        raise DomainError(_("A ballot needs members to vote."))
    _transition(district, to)
    district.save(update_fields=["status", "updated_at"])
    return Ballot.objects.create(
        district=district,
        kind=kind,
        rule=district.ballot_rule,
        min_turnout_count_percent=district.min_turnout_count_percent,
        min_turnout_value_percent=district.min_turnout_value_percent,
        opens_on=opens_on,
        closes_on=closes_on,
        opened_by=actor if actor.is_authenticated else None,
    )


@transaction.atomic
def vote_cast(*, actor, ballot: Ballot, member: BidMember, in_favour: bool) -> Vote:
    # The ballot's row lock orders votes against bid_ballot_close: no vote slips in
    # after the count.
    ballot = (
        Ballot.objects.select_for_update().select_related("district").get(pk=ballot.pk)
    )
    _require(actor, ballot.district)
    if ballot.closed_at is not None:
        raise DomainError(_("This ballot is closed."))
    if member.district_id != ballot.district_id:
        raise DomainError(
            _("Only members of the district vote in its ballot."),
            fields={"member": [_("Not a member of this district.")]},
        )
    already = _("This member has already voted in this ballot.")
    if Vote.objects.filter(ballot=ballot, member=member).exists():
        raise DomainError(already, fields={"member": [already]})
    try:
        with transaction.atomic():
            return Vote.objects.create(
                ballot=ballot,
                member=member,
                in_favour=in_favour,
                recorded_by=actor if actor.is_authenticated else None,
            )
    except IntegrityError:
        # Two clerks recording the same paper at once: the constraint decides.
        raise DomainError(already, fields={"member": [already]}) from None


def _percent_of(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True)
class BallotOutcome:
    passed: bool
    reasons: list[dict]


def ballot_outcome(
    *,
    rule: str,
    eligible_count: int,
    eligible_value: int,
    votes_cast: int,
    value_cast: int,
    yes_count: int,
    yes_value: int,
    min_turnout_count_percent: Decimal | None = None,
    min_turnout_value_percent: Decimal | None = None,
) -> BallotOutcome:
    """The rule applied to the counts; each test it made, with its numbers."""
    reasons = []
    if rule == BallotRule.TWO_THIRDS_CONSENT:
        ok = eligible_count > 0 and yes_count * 3 >= eligible_count * 2
        reasons.append(
            {"test": "two_thirds_of_all_members", "passed": ok, "yes": yes_count}
            | {"of": eligible_count}
        )
    else:
        by_count = yes_count * 2 > votes_cast
        by_value = yes_value * 2 > value_cast
        reasons.append(
            {"test": "majority_by_count", "passed": by_count, "yes": yes_count}
            | {"of": votes_cast}
        )
        reasons.append(
            {"test": "majority_by_value", "passed": by_value, "yes": yes_value}
            | {"of": value_cast}
        )
    turnout_count = _percent_of(votes_cast, eligible_count)
    turnout_value = _percent_of(value_cast, eligible_value)
    if min_turnout_count_percent is not None:
        reasons.append(
            {
                "test": "turnout_by_count",
                "passed": turnout_count >= min_turnout_count_percent,
                "turnout": str(turnout_count),
                "minimum": str(min_turnout_count_percent),
            }
        )
    if min_turnout_value_percent is not None:
        reasons.append(
            {
                "test": "turnout_by_value",
                "passed": turnout_value >= min_turnout_value_percent,
                "turnout": str(turnout_value),
                "minimum": str(min_turnout_value_percent),
            }
        )
    return BallotOutcome(
        passed=all(reason["passed"] for reason in reasons), reasons=reasons
    )


@transaction.atomic
def bid_ballot_close(*, actor, ballot: Ballot, today: datetime.date | None = None):
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    district = BusinessImprovementDistrict.objects.select_for_update().get(
        pk=ballot.district_id
    )
    _require(actor, district)
    if ballot.closed_at is not None:
        raise DomainError(_("This ballot is already closed."))
    today = today or timezone.localdate()
    if today < ballot.closes_on:
        raise DomainError(
            _("The ballot runs until %(day)s.") % {"day": ballot.closes_on}
        )
    eligible = district.members.aggregate(
        count=Count("id"), value=Coalesce(Sum("rateable_value_krw"), 0)
    )
    cast = ballot.votes.aggregate(
        count=Count("id"),
        value=Coalesce(Sum("member__rateable_value_krw"), 0),
        yes_count=Count("id", filter=Q(in_favour=True)),
        yes_value=Coalesce(
            Sum("member__rateable_value_krw", filter=Q(in_favour=True)), 0
        ),
    )
    outcome = ballot_outcome(
        rule=ballot.rule,
        eligible_count=eligible["count"],
        eligible_value=eligible["value"],
        votes_cast=cast["count"],
        value_cast=cast["value"],
        yes_count=cast["yes_count"],
        yes_value=cast["yes_value"],
        min_turnout_count_percent=ballot.min_turnout_count_percent,
        min_turnout_value_percent=ballot.min_turnout_value_percent,
    )
    ballot.eligible_count = eligible["count"]
    ballot.eligible_value_krw = eligible["value"]
    ballot.votes_cast = cast["count"]
    ballot.value_cast_krw = cast["value"]
    ballot.yes_count = cast["yes_count"]
    ballot.yes_value_krw = cast["yes_value"]
    ballot.turnout_count_percent = _percent_of(cast["count"], eligible["count"])
    ballot.turnout_value_percent = _percent_of(cast["value"], eligible["value"])
    ballot.passed = outcome.passed
    ballot.result_reasons = outcome.reasons
    ballot.closed_at = timezone.now()
    ballot.save()

    if ballot.kind == BallotKind.FORMATION:
        if outcome.passed:
            _transition(district, BidStatus.ACTIVE)
            district.term_start = ballot.closes_on + datetime.timedelta(days=1)
        else:
            _transition(district, BidStatus.PROPOSED)
    elif outcome.passed:
        _transition(district, BidStatus.ACTIVE)
        # The new term follows the old one without a gap.
        district.term_start = (
            district.term_end + datetime.timedelta(days=1)
            if district.term_end and district.term_end >= ballot.closes_on
            else ballot.closes_on + datetime.timedelta(days=1)
        )
    else:
        _transition(district, BidStatus.ENDED)
    if outcome.passed:
        district.term_end = _add_years(
            district.term_start, district.term_years
        ) - datetime.timedelta(days=1)
    district.save()
    return ballot


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
    _require(actor, district)
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
        year["management_share_planned_percent"] = _percent_of(
            planned, year["planned_krw"]
        )
        year["management_share_spent_percent"] = _percent_of(spent, year["spent_krw"])
        year["management_share_limit_percent"] = limit
        year["management_share_over_limit"] = (
            year["management_share_planned_percent"] > limit
            or year["management_share_spent_percent"] > limit
        )
    return list(years.values())


# KPIs ---------------------------------------------------------------------------


def bid_kpi_set(
    *,
    actor,
    district: BusinessImprovementDistrict,
    code: str,
    unit: str,
    target: Decimal,
    higher_is_better: bool = True,
) -> Kpi:
    _require(actor, district)
    kpi, _created = Kpi.objects.update_or_create(
        district=district,
        code=code,
        defaults={"unit": unit, "target": target, "higher_is_better": higher_is_better},
    )
    return kpi


def kpi_observation_record(
    *, actor, kpi: Kpi, period: datetime.date, value: Decimal, source: str
) -> KpiObservation:
    _require(actor, kpi.district)
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
