"""Business Improvement Districts: a district in a downtown, its members, ballots,
levy rules, budget by service line and KPIs with targets.

The rules follow ../shared/brief/DOMAIN.md: the English dual majority (by count and by
rateable value of those voting), an optional Scottish minimum turnout, and the 2/3
consent of the Japanese and Korean schemes. Each national scheme is a named preset
(BID_PRESETS below) that a district picks. The arithmetic lives in
renewal.services.bids; these models hold fields, the presets and database invariants.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class BidStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    BALLOT = "ballot", _("Formation ballot")
    ACTIVE = "active", _("Active")
    RENEWAL_BALLOT = "renewal_ballot", _("Renewal ballot")
    ENDED = "ended", _("Ended")


# The lifecycle: every caller (services, API, pages, admin) asks this table.
# A failed formation ballot returns the district to "proposed" so that it can be
# revised and balloted again; a failed renewal ballot ends it.
BID_TRANSITIONS: dict[str, frozenset[str]] = {
    BidStatus.PROPOSED: frozenset({BidStatus.BALLOT, BidStatus.ENDED}),
    BidStatus.BALLOT: frozenset({BidStatus.ACTIVE, BidStatus.PROPOSED}),
    BidStatus.ACTIVE: frozenset({BidStatus.RENEWAL_BALLOT, BidStatus.ENDED}),
    BidStatus.RENEWAL_BALLOT: frozenset({BidStatus.ACTIVE, BidStatus.ENDED}),
    BidStatus.ENDED: frozenset(),
}


class FundingModel(models.TextChoices):
    LEVY = "levy", _("Compulsory levy")
    VOLUNTARY_DUES = "voluntary_dues", _("Voluntary dues")


class BallotRule(models.TextChoices):
    DUAL_MAJORITY = (
        "dual_majority",
        _("Majority of votes cast by count and by rateable value"),
    )
    TWO_THIRDS_CONSENT = (
        "two_thirds_consent",
        _("Consent of at least two thirds of all members"),
    )

    TWO_THIRDS_COUNT_AND_VALUE = (
        "two_thirds_dual",
        _(
            "Consent of at least two thirds of all members by count and by rateable value"
        ),
    )


class MemberRole(models.TextChoices):
    OCCUPIER = "occupier", _("Occupier (business)")
    LANDLORD = "landlord", _("Landlord (building owner)")
    LAND_OWNER = "land_owner", _("Land owner")


class BidPresetCode(models.TextChoices):
    ENGLAND = "england", _("England (Business Improvement District)")
    SCOTLAND = "scotland", _("Scotland (Business Improvement District)")
    KOREA = "korea_acz", _("Korea (autonomous commercial zone)")
    JAPAN = "japan_amc", _("Japan (area-management charge)")


@dataclass(frozen=True)
class ElectorateGroup:
    """Members who are counted together; the preset's rule is applied to each group
    on its own, and the ballot passes only when every group with members passes."""

    code: str
    label: str
    roles: frozenset[str]


@dataclass(frozen=True)
class BidPreset:
    code: str
    groups: tuple[ElectorateGroup, ...]
    rule: str
    min_turnout_count_percent: int | None
    min_turnout_value_percent: int | None
    funding_model: str
    max_term_years: int
    # Eligibility, checked when a ballot opens: at least this many occupiers
    # (stores), and at least `min_declining_indicators` of the district's declared
    # commercial-decline indicators.
    min_occupiers: int = 0
    min_declining_indicators: int = 0


_ALL_ROLES = frozenset(MemberRole.values)

# Sources (../shared/brief/DOMAIN.md unless said otherwise):
# - England: non-domestic ratepayers vote in one electorate (the rates fall on the
#   occupier, or on the owner of an empty property, so every role is a ratepayer);
#   majority by count and by rateable value of those voting; no minimum turnout;
#   compulsory levy; at most five years. Property-owner ballots (London) are not
#   modelled.
# - Scotland: as England, plus a turnout of at least 25 % by count and by value.
# - Korea, 지역상권 상생 및 활성화에 관한 법률 (2022): an autonomous commercial zone
#   needs the consent of at least two thirds of each group — merchants (occupiers),
#   landlords and land owners — by head count; funding is voluntary contributions,
#   never a compulsory levy; the zone needs at least 100 stores and two of three
#   indicators (businesses, sales, population) falling two years running. The
#   designation runs for at most five years before it is reviewed.
# - Japan, 地域再生法 area-management charge (2018): consent of at least two thirds of
#   the beneficiary businesses, read here as two thirds of all beneficiaries by count
#   and by their share of the charge (rateable value stands in for the charge);
#   compulsory charge collected by the municipality; plans run at most five years.
BID_PRESETS: dict[str, BidPreset] = {
    BidPresetCode.ENGLAND: BidPreset(
        code=BidPresetCode.ENGLAND,
        groups=(ElectorateGroup("ratepayers", _("ratepayers"), _ALL_ROLES),),
        rule=BallotRule.DUAL_MAJORITY,
        min_turnout_count_percent=None,
        min_turnout_value_percent=None,
        funding_model=FundingModel.LEVY,
        max_term_years=5,
    ),
    BidPresetCode.SCOTLAND: BidPreset(
        code=BidPresetCode.SCOTLAND,
        groups=(ElectorateGroup("ratepayers", _("ratepayers"), _ALL_ROLES),),
        rule=BallotRule.DUAL_MAJORITY,
        min_turnout_count_percent=25,
        min_turnout_value_percent=25,
        funding_model=FundingModel.LEVY,
        max_term_years=5,
    ),
    BidPresetCode.KOREA: BidPreset(
        code=BidPresetCode.KOREA,
        groups=(
            ElectorateGroup(
                "occupiers", _("merchants"), frozenset({MemberRole.OCCUPIER})
            ),
            ElectorateGroup(
                "landlords", _("landlords"), frozenset({MemberRole.LANDLORD})
            ),
            ElectorateGroup(
                "land_owners", _("land owners"), frozenset({MemberRole.LAND_OWNER})
            ),
        ),
        rule=BallotRule.TWO_THIRDS_CONSENT,
        min_turnout_count_percent=None,
        min_turnout_value_percent=None,
        funding_model=FundingModel.VOLUNTARY_DUES,
        max_term_years=5,
        min_occupiers=100,
        min_declining_indicators=2,
    ),
    BidPresetCode.JAPAN: BidPreset(
        code=BidPresetCode.JAPAN,
        groups=(
            ElectorateGroup("beneficiaries", _("beneficiary businesses"), _ALL_ROLES),
        ),
        rule=BallotRule.TWO_THIRDS_COUNT_AND_VALUE,
        min_turnout_count_percent=None,
        min_turnout_value_percent=None,
        funding_model=FundingModel.LEVY,
        max_term_years=5,
    ),
}

# The declared commercial-decline indicators a district records for eligibility.
BID_DECLINE_FIELDS = (
    "declining_businesses",
    "declining_sales",
    "declining_population",
)


class BallotKind(models.TextChoices):
    FORMATION = "formation", _("Formation")
    RENEWAL = "renewal", _("Renewal")


def _percent(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(
        **{f"{field}__gte": 0, f"{field}__lte": 100}
    )


def _minimum_turnout(verbose_name) -> models.DecimalField:
    """An optional minimum turnout in percent, as district and ballot both hold it.
    A field factory rather than an abstract model: the fields keep their place in
    each model (forms, admin) and the migrations stay as they are."""
    return models.DecimalField(
        verbose_name, max_digits=5, decimal_places=2, null=True, blank=True
    )


class BusinessImprovementDistrict(models.Model):
    municipality = models.ForeignKey(
        "cities.Municipality", on_delete=models.PROTECT, related_name="bids"
    )
    name = models.CharField(_("name"), max_length=200)
    polygon = models.MultiPolygonField(_("district"), srid=4326)
    management_organization = models.ForeignKey(
        "renewal.CommunityOrganization",
        on_delete=models.PROTECT,
        related_name="managed_bids",
        verbose_name=_("management organisation"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=BidStatus.choices,
        default=BidStatus.PROPOSED,
    )
    term_years = models.PositiveSmallIntegerField(
        _("term (years)"),
        default=5,
        help_text=_("England and Scotland allow at most five years per ballot."),
    )
    term_start = models.DateField(_("term start"), null=True, blank=True)
    term_end = models.DateField(_("term end"), null=True, blank=True)
    funding_model = models.CharField(
        _("funding model"),
        max_length=20,
        choices=FundingModel.choices,
        default=FundingModel.LEVY,
    )
    levy_rate_percent = models.DecimalField(
        # xgettext:no-python-format
        _("levy rate (% of rateable value)"),
        max_digits=5,
        decimal_places=3,
        default=1,
    )
    levy_threshold_krw = models.PositiveBigIntegerField(
        _("levy threshold (KRW)"),
        default=0,
        help_text=_("Members whose rateable value is below it pay nothing."),
    )
    levy_cap_krw = models.PositiveBigIntegerField(
        _("levy cap per member (KRW)"), null=True, blank=True
    )
    preset = models.CharField(
        _("rule set"),
        max_length=20,
        choices=BidPresetCode.choices,
        default=BidPresetCode.ENGLAND,
    )
    # Declared by the city from its statistics (two years running); Korea's preset
    # needs two of the three.
    declining_businesses = models.BooleanField(
        _("number of businesses falling"), default=False
    )
    declining_sales = models.BooleanField(_("sales falling"), default=False)
    declining_population = models.BooleanField(_("population falling"), default=False)
    ballot_rule = models.CharField(
        _("ballot rule"),
        max_length=20,
        choices=BallotRule.choices,
        default=BallotRule.DUAL_MAJORITY,
    )
    min_turnout_count_percent = _minimum_turnout(_("minimum turnout by count (%)"))
    min_turnout_value_percent = _minimum_turnout(
        _("minimum turnout by rateable value (%)")
    )
    source = models.CharField(_("source"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("business improvement district")
        verbose_name_plural = _("business improvement districts")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="bid_unique_name_per_city"
            ),
            models.CheckConstraint(
                condition=Q(term_years__gte=1, term_years__lte=10),
                name="bid_term_years_sane",
            ),
            models.CheckConstraint(
                condition=Q(term_start__isnull=True)
                | Q(term_end__isnull=True)
                | Q(term_end__gt=F("term_start")),
                name="bid_term_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(levy_rate_percent__gte=0, levy_rate_percent__lte=100),
                name="bid_levy_rate_percent",
            ),
            models.CheckConstraint(
                condition=Q(levy_cap_krw__isnull=True) | Q(levy_cap_krw__gt=0),
                name="bid_levy_cap_positive",
            ),
            models.CheckConstraint(
                condition=_percent("min_turnout_count_percent"),
                name="bid_min_turnout_count_percent",
            ),
            models.CheckConstraint(
                condition=_percent("min_turnout_value_percent"),
                name="bid_min_turnout_value_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BidMember(models.Model):
    """A business (non-domestic ratepayer) or property owner inside the district."""

    district = models.ForeignKey(
        BusinessImprovementDistrict, on_delete=models.CASCADE, related_name="members"
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=MemberRole.choices,
        default=MemberRole.OCCUPIER,
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=255, blank=True)
    location = models.PointField(_("location"), srid=4326)
    rateable_value_krw = models.PositiveBigIntegerField(_("rateable value (KRW)"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("BID member")
        verbose_name_plural = _("BID members")
        ordering = ["district", "id"]

    def __str__(self) -> str:
        return self.name


class Ballot(models.Model):
    district = models.ForeignKey(
        BusinessImprovementDistrict, on_delete=models.CASCADE, related_name="ballots"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=BallotKind.choices)
    # The rule and turnout minimums are copied from the district when the ballot
    # opens, so a closed ballot keeps the rule it was actually held under.
    rule = models.CharField(
        _("rule"),
        max_length=20,
        choices=BallotRule.choices,
        default=BallotRule.DUAL_MAJORITY,
    )
    preset = models.CharField(
        _("rule set"),
        max_length=20,
        choices=BidPresetCode.choices,
        default=BidPresetCode.ENGLAND,
    )
    min_turnout_count_percent = _minimum_turnout(_("minimum turnout by count (%)"))
    min_turnout_value_percent = _minimum_turnout(
        _("minimum turnout by rateable value (%)")
    )
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Results, stored when the ballot closes.
    eligible_count = models.PositiveIntegerField(_("eligible members"), null=True)
    eligible_value_krw = models.PositiveBigIntegerField(
        _("eligible rateable value (KRW)"), null=True
    )
    votes_cast = models.PositiveIntegerField(_("votes cast"), null=True)
    value_cast_krw = models.PositiveBigIntegerField(
        _("rateable value voting (KRW)"), null=True
    )
    yes_count = models.PositiveIntegerField(_("votes in favour"), null=True)
    yes_value_krw = models.PositiveBigIntegerField(
        _("rateable value in favour (KRW)"), null=True
    )
    turnout_count_percent = models.DecimalField(
        _("turnout by count (%)"), max_digits=5, decimal_places=2, null=True
    )
    turnout_value_percent = models.DecimalField(
        _("turnout by rateable value (%)"), max_digits=5, decimal_places=2, null=True
    )
    passed = models.BooleanField(_("passed"), null=True)
    result_reasons = models.JSONField(_("result reasons"), default=list, blank=True)

    class Meta:
        verbose_name = _("BID ballot")
        verbose_name_plural = _("BID ballots")
        ordering = ["district", "opens_on", "id"]
        constraints = [
            # One ballot at a time per district.
            models.UniqueConstraint(
                fields=["district"],
                condition=Q(closed_at__isnull=True),
                name="bid_one_open_ballot",
            ),
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")),
                name="bid_ballot_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=_percent("min_turnout_count_percent")
                & _percent("min_turnout_value_percent"),
                name="bid_ballot_min_turnout_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ballot {self.opens_on} ({self.district_id})"


class Vote(models.Model):
    """One returned ballot paper. Votes are confidential: only totals are shown."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(
        BidMember, on_delete=models.CASCADE, related_name="votes"
    )
    in_favour = models.BooleanField(_("in favour"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cast_at = models.DateTimeField(_("cast at"), auto_now_add=True)

    class Meta:
        verbose_name = _("BID vote")
        verbose_name_plural = _("BID votes")
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "member"], name="bid_one_vote_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"vote {self.ballot_id}/{self.member_id}"


class ServiceLine(models.TextChoices):
    CLEANING = "cleaning", _("Cleaning")
    SAFETY = "safety", _("Safety")
    MARKETING = "marketing", _("Marketing")
    EVENTS = "events", _("Events")
    MANAGEMENT = "management", _("Management")
    OTHER = "other", _("Other")


class BudgetLine(models.Model):
    district = models.ForeignKey(
        BusinessImprovementDistrict, on_delete=models.CASCADE, related_name="budget"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    service_line = models.CharField(
        _("service line"), max_length=20, choices=ServiceLine.choices
    )
    planned_krw = models.PositiveBigIntegerField(_("planned (KRW)"), default=0)
    spent_krw = models.PositiveBigIntegerField(_("spent (KRW)"), default=0)
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("BID budget line")
        verbose_name_plural = _("BID budget lines")
        ordering = ["district", "year", "service_line"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "service_line"],
                name="bid_budget_line_unique",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1900, year__lte=2100),
                name="bid_budget_year_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.year} {self.service_line}"


class KpiCode(models.TextChoices):
    FOOTFALL = "footfall", _("Footfall")
    VACANCY_RATE = "vacancy_rate", _("Vacancy rate")
    SALES_INDEX = "sales_index", _("Sales index")
    EVENTS_HELD = "events_held", _("Events held")


class Kpi(models.Model):
    district = models.ForeignKey(
        BusinessImprovementDistrict, on_delete=models.CASCADE, related_name="kpis"
    )
    code = models.CharField(_("indicator"), max_length=20, choices=KpiCode.choices)
    unit = models.CharField(_("unit"), max_length=30)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)

    class Meta:
        verbose_name = _("BID KPI")
        verbose_name_plural = _("BID KPIs")
        ordering = ["district", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "code"], name="bid_kpi_unique_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.code}"


class KpiObservation(models.Model):
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="observations")
    period = models.DateField(_("period"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    source = models.CharField(_("source"), max_length=255)

    class Meta:
        verbose_name = _("BID KPI observation")
        verbose_name_plural = _("BID KPI observations")
        ordering = ["kpi", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "period"], name="bid_kpi_observation_unique_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.period}: {self.value}"
