"""A district's creation, its register of members, and its status transitions.

Decisions (see also the module docstring of renewal.models.bids):
- Who manages: `renewal.manage_bid`, asked with the district (an unsaved one when
  creating): the city's editors and members of the management organisation.
- Where: the polygon must lie within the municipality's boundary; where no boundary
  is loaded (the demo's cities have none) it must lie within the downtown polygon,
  and with neither it must at least contain nothing more than 5 km from the city's
  point. Members must lie inside the district's polygon (PostGIS `ST_Covers`).
- The register is frozen while a ballot runs: no member can be added, so the
  electorate at closing is the electorate that was balloted.
- A district picks one rule set (BID_PRESETS): the preset decides the ballot rule,
  the minimum turnouts, the funding model and the longest term; the district keeps
  its own levy rate, threshold and cap. The rule set can change only while the
  district is proposed, so a running or past ballot is never re-read under another.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cities.models import Municipality
from core.errors import DomainError, check_transition, require_perm
from renewal.models import (
    BID_DECLINE_FIELDS,
    BID_PRESETS,
    BID_TRANSITIONS,
    BidMember,
    BidPresetCode,
    BidStatus,
    BusinessImprovementDistrict,
    CommunityOrganization,
    MemberRole,
    OrganizationKind,
)

MANAGE = "renewal.manage_bid"
CREATE = "renewal.add_bid"
# Without a boundary or a downtown, a district more than this far from the city's
# point is surely misplaced.
FALLBACK_RADIUS_M = 5000

# What follows is shared by the ballots, finance and kpis modules, which all act on
# a district; it lives here so that those modules depend on this one only.
HUNDRED = Decimal(100)


def percent_of(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


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


def _preset_apply(district: BusinessImprovementDistrict, preset: str) -> None:
    """Copy the rule set's ballot rule, turnouts and funding onto the district and
    check the term against it."""
    if preset not in BID_PRESETS:
        raise DomainError(
            _("“%(preset)s” is not a rule set.") % {"preset": preset},
            fields={"preset": [", ".join(BidPresetCode.values)]},
        )
    rules = BID_PRESETS[preset]
    if not 1 <= district.term_years <= rules.max_term_years:
        raise DomainError(
            _("Under this rule set a term lasts between 1 and %(years)s years.")
            % {"years": rules.max_term_years},
            fields={
                "term_years": [
                    _("Between 1 and %(years)s.") % {"years": rules.max_term_years}
                ]
            },
        )
    district.preset = preset
    district.ballot_rule = rules.rule
    district.min_turnout_count_percent = rules.min_turnout_count_percent
    district.min_turnout_value_percent = rules.min_turnout_value_percent
    district.funding_model = rules.funding_model


@transaction.atomic
def bid_preset_set(
    *,
    actor,
    district: BusinessImprovementDistrict,
    preset: str,
    term_years: int | None = None,
    declining_businesses: bool | None = None,
    declining_sales: bool | None = None,
    declining_population: bool | None = None,
) -> BusinessImprovementDistrict:
    """Pick the district's rule set (and the facts its eligibility reads)."""
    district = BusinessImprovementDistrict.objects.select_for_update().get(
        pk=district.pk
    )
    require_perm(actor, MANAGE, district)
    if district.status != BidStatus.PROPOSED:
        raise DomainError(
            _("The rule set can change only while the district is proposed."),
            fields={"preset": [_("The district is past its proposal.")]},
        )
    if term_years is not None:
        district.term_years = term_years
    for name, value in (
        ("declining_businesses", declining_businesses),
        ("declining_sales", declining_sales),
        ("declining_population", declining_population),
    ):
        if value is not None:
            setattr(district, name, value)
    _preset_apply(district, preset)
    district.save()
    return district


def bid_eligibility(district: BusinessImprovementDistrict) -> list[dict]:
    """The rule set's eligibility checks with their numbers; empty when it has none."""
    rules = BID_PRESETS[district.preset]
    checks = []
    if rules.min_occupiers:
        stores = district.members.filter(role=MemberRole.OCCUPIER).count()
        checks.append(
            {
                "test": "stores",
                "passed": stores >= rules.min_occupiers,
                "count": stores,
                "minimum": rules.min_occupiers,
            }
        )
    if rules.min_declining_indicators:
        declining = sum(bool(getattr(district, name)) for name in BID_DECLINE_FIELDS)
        checks.append(
            {
                "test": "commercial_decline",
                "passed": declining >= rules.min_declining_indicators,
                "count": declining,
                "minimum": rules.min_declining_indicators,
            }
        )
    return checks


def eligibility_text(check: dict) -> str:
    """One eligibility check as a sentence in the reader's language."""
    if check["test"] == "stores":
        return _("Stores: %(count)s of at least %(minimum)s.") % check
    return (
        _("Commercial decline: %(count)s of at least %(minimum)s indicators.") % check
    )


def bid_status_step(district: BusinessImprovementDistrict, to: str) -> None:
    check_transition(
        BID_TRANSITIONS,
        BidStatus,
        district.status,
        to,
        _("A district that is “%(current)s” cannot become “%(target)s”."),
    )
    district.status = to


@transaction.atomic
def bid_create(
    *,
    actor,
    municipality: Municipality,
    name: str,
    polygon,
    management_organization: CommunityOrganization,
    preset: str = BidPresetCode.ENGLAND,
    levy_rate_percent: Decimal = Decimal(1),
    levy_threshold_krw: int = 0,
    levy_cap_krw: int | None = None,
    term_years: int = 5,
    declining_businesses: bool = False,
    declining_sales: bool = False,
    declining_population: bool = False,
    source: str = "",
) -> BusinessImprovementDistrict:
    district = BusinessImprovementDistrict(
        municipality=municipality,
        name=name,
        management_organization=management_organization,
        levy_rate_percent=levy_rate_percent,
        levy_threshold_krw=levy_threshold_krw,
        levy_cap_krw=levy_cap_krw,
        term_years=term_years,
        declining_businesses=declining_businesses,
        declining_sales=declining_sales,
        declining_population=declining_population,
        source=source,
    )
    require_perm(
        actor,
        CREATE,
        district,
        message=_("Only the city's staff can create a district."),
    )
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
    _preset_apply(district, preset)
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


def members_addable_check(district: BusinessImprovementDistrict) -> None:
    if district.status in (BidStatus.BALLOT, BidStatus.RENEWAL_BALLOT, BidStatus.ENDED):
        raise DomainError(
            _(
                "Members cannot be added while a ballot runs or after the district ended."
            )
        )


@transaction.atomic
def bid_member_add(
    *,
    actor,
    district: BusinessImprovementDistrict,
    name: str,
    location: Point,
    rateable_value_krw: int,
    role: str = MemberRole.OCCUPIER,
    address: str = "",
) -> BidMember:
    # Locked so that a ballot cannot open between the check and the insert.
    district = BusinessImprovementDistrict.objects.select_for_update().get(
        pk=district.pk
    )
    require_perm(actor, MANAGE, district)
    members_addable_check(district)
    if role not in MemberRole.values:
        raise DomainError(
            _("“%(role)s” is not a member role.") % {"role": role},
            fields={"role": [", ".join(MemberRole.values)]},
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
        role=role,
    )
