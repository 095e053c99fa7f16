"""Business Improvement Districts: a district in a downtown, its members, ballots,
levy rules, budget by service line and KPIs with targets.

The rules follow ../shared/brief/DOMAIN.md: the English dual majority (by count and by
rateable value of those voting), an optional Scottish minimum turnout, and the 2/3
consent of the Japanese and Korean schemes. The arithmetic lives in
renewal.services.bids; these models hold fields and database invariants only.
"""

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
    is_business = models.BooleanField(
        _("business"),
        default=True,
        help_text=_("A business occupier; otherwise a property owner."),
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
