from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class SpaceKind(models.TextChoices):
    HOUSE = "house", _("Vacant house")
    SHOP = "shop", _("Vacant shop")
    OFFICE = "office", _("Vacant office")
    FACTORY = "factory", _("Factory or warehouse")
    SCHOOL = "school", _("Closed school")
    PUBLIC_BUILDING = "public_building", _("Public building")
    LAND = "land", _("Vacant land")


class GradingScheme(models.TextChoices):
    # Urban vacant-house surveys 2021–2023 graded 1–4; the national guideline since
    # June 2023 grades 1–3. A grade means nothing without its scheme.
    URBAN_2021 = "urban-2021", _("Urban survey 2021–2023 (grades 1–4)")
    NATIONAL_2023 = "national-2023", _("National guideline 2023 (grades 1–3)")


# The highest grade of each scheme is the demolition grade.
HIGHEST_GRADE = {GradingScheme.URBAN_2021: 4, GradingScheme.NATIONAL_2023: 3}
# Both schemes grade vacant houses (빈집 및 소규모주택 정비에 관한 특례법), so a grade
# is valid only on the kinds of building its scheme covers.
GRADED_KINDS = {
    GradingScheme.URBAN_2021: frozenset({SpaceKind.HOUSE}),
    GradingScheme.NATIONAL_2023: frozenset({SpaceKind.HOUSE}),
}
# The grades at which the head of the municipality can order demolition: 3–4 in the
# urban surveys of 2021–2023 ("harmful"), 3 in the national guideline since 2023.
DEMOLITION_ORDER_GRADES = {
    GradingScheme.URBAN_2021: frozenset({3, 4}),
    GradingScheme.NATIONAL_2023: frozenset({3}),
}
# A house unused for this long is a 빈집 in law once the municipality confirms it.
LEGAL_VACANCY_DAYS = 365


class VacancyExclusion(models.TextChoices):
    # The statutory exclusions (the Act's decree) a survey records as the reason a
    # long-unused house is not a 빈집.
    PUBLIC_RENTAL = "public_rental", _("Public rental housing")
    UNSOLD_NEW = "unsold_new", _("Unsold new housing (under five years)")
    HOLIDAY_HOME = "holiday_home", _("Holiday or seasonal home")
    FOR_SALE_OR_LEASE = "for_sale_or_lease", _("Offered for sale or lease")
    OTHER_STATUTORY = "other_statutory", _("Other statutory exclusion")


class LegalVacancy(models.TextChoices):
    NOT_A_HOUSE = "not_a_house", _("Not a house: the vacant-house law does not apply")
    UNKNOWN = "unknown", _("Unknown: no date since when it is unused")
    UNDER_ONE_YEAR = "under_one_year", _("Unused for less than one year")
    EXCLUDED = "excluded", _("Excluded by law")
    AWAITING_CONFIRMATION = (
        "awaiting_confirmation",
        _("Unused for a year or more, awaiting the municipality's confirmation"),
    )
    VACANT_HOUSE = "vacant_house", _("Vacant house in law")


class Ownership(models.TextChoices):
    PRIVATE = "private", _("Private person")
    CORPORATE = "corporate", _("Company")
    PUBLIC = "public", _("Public body")
    UNKNOWN = "unknown", _("Unknown")


class Availability(models.TextChoices):
    NOT_OFFERED = "not_offered", _("Not offered")
    LEASE = "lease", _("For lease")
    SALE = "sale", _("For sale")
    FREE_USE = "free_use", _("Free or meanwhile use")


class SpaceStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    SURVEYED = "surveyed", _("Surveyed")
    AVAILABLE = "available", _("Available")
    MATCHED = "matched", _("Matched")
    IN_USE = "in_use", _("In use")
    RETIRED = "retired", _("Retired")


# Each list of a space's fields, stated once: the API, the pages' form, imports,
# exports, OGC API Features and the SQL-built list derive theirs from these.
# The public fields, in the order every output shows them (the municipality, the
# geometry and computed values such as in_downtown are added by each output).
SPACE_PUBLIC_FIELDS = (
    "external_id",
    "kind",
    "status",
    "address",
    "floor_area_m2",
    "land_area_m2",
    "year_built",
    "grading_scheme",
    "grade",
    "vacant_since",
    "ownership",
    "availability",
    "asking_rent_krw",
    "asking_price_krw",
    "source",
)
# What staff set directly: the status moves only through the lifecycle's transitions.
SPACE_EDITABLE_FIELDS = tuple(name for name in SPACE_PUBLIC_FIELDS if name != "status")
# What a space's history records by value. Owner details are personal data and are
# recorded only as "changed", never by value.
SPACE_TRACKED_FIELDS = (
    *SPACE_PUBLIC_FIELDS,
    "location",
    "footprint",
    "vacancy_exclusion",
    "vacancy_confirmed_on",
)
# The owner's details (SpaceOwner), seen only by staff of the space's city.
SPACE_OWNER_FIELDS = ("name", "contact", "note")
# What a verified owner sets on their space themselves (owner_space_update); the
# rest of the record stays the city's.
SPACE_OWNER_EDITABLE_FIELDS = ("availability", "asking_rent_krw", "asking_price_krw")
# The owner's consent to share a contact channel with the parties of an offered
# match (on SpaceOwner); recorded in the history only as "changed".
SPACE_OWNER_CONSENT_FIELDS = ("contact_channel", "contact_consent")
# What the public listing (빈집은행) shows of a space: the public record without the
# survey's own bookkeeping and condition, and never anything of its owner.
LISTING_FIELDS = tuple(
    name
    for name in SPACE_PUBLIC_FIELDS
    if name
    not in (
        "external_id",
        "status",
        "grading_scheme",
        "grade",
        "vacant_since",
        "ownership",
        "source",
    )
)
# Availabilities that put a space in the public listing (빈집은행).
OFFERED_AVAILABILITIES = ("lease", "sale", "free_use")
# Statuses that keep a space out of the listing whatever its owner offers.
UNLISTED_SPACE_STATUSES = ("in_use", "retired")


# Statuses a space may rightly keep for years (in use under an agreement, retired):
# the workbench's "status unchanged for over a year" leaves them out.
SETTLED_SPACE_STATUSES = ("in_use", "retired")


class VacantSpace(models.Model):
    municipality = models.ForeignKey(
        "cities.Municipality", on_delete=models.PROTECT, related_name="vacant_spaces"
    )
    external_id = models.CharField(
        _("survey identifier"),
        max_length=80,
        blank=True,
        help_text=_("The survey's own identifier; re-imports update by it."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SpaceKind.choices)
    address = models.CharField(_("address"), max_length=255, blank=True)
    location = models.PointField(_("location"), srid=4326)
    footprint = models.MultiPolygonField(
        _("footprint"), srid=4326, null=True, blank=True
    )
    floor_area_m2 = models.DecimalField(
        _("floor area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    land_area_m2 = models.DecimalField(
        _("land area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    year_built = models.PositiveSmallIntegerField(
        _("year built"), null=True, blank=True
    )
    grading_scheme = models.CharField(
        _("grading scheme"), max_length=20, choices=GradingScheme.choices, blank=True
    )
    grade = models.PositiveSmallIntegerField(
        _("condition grade"), null=True, blank=True
    )
    vacant_since = models.DateField(_("vacant since"), null=True, blank=True)
    vacancy_exclusion = models.CharField(
        _("statutory exclusion"),
        max_length=20,
        choices=VacancyExclusion.choices,
        blank=True,
        default="",
        # Bulk loaders that write SQL (benchmarks, COPY) need not name it.
        db_default="",
    )
    vacancy_confirmed_on = models.DateField(
        _("confirmed as a vacant house on"),
        null=True,
        blank=True,
        help_text=_("The day the head of the municipality confirmed it."),
    )
    ownership = models.CharField(
        _("ownership"),
        max_length=20,
        choices=Ownership.choices,
        default=Ownership.UNKNOWN,
    )
    availability = models.CharField(
        _("availability"),
        max_length=20,
        choices=Availability.choices,
        default=Availability.NOT_OFFERED,
    )
    asking_rent_krw = models.PositiveIntegerField(
        _("asking monthly rent (KRW)"), null=True, blank=True
    )
    # Sale prices pass 2,147,483,647 won (about 21억) often: a 64-bit integer.
    asking_price_krw = models.PositiveBigIntegerField(
        _("asking price (KRW)"), null=True, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SpaceStatus.choices,
        default=SpaceStatus.REPORTED,
    )
    source = models.CharField(_("source"), max_length=255, blank=True)
    # When the status last moved (space_status_set writes it; rows written by SQL get
    # the database default): the workbench lists spaces stuck in one status.
    status_changed_at = models.DateTimeField(
        _("status changed"), db_default=Now(), editable=False
    )
    # The answer of ST_Contains(city's downtown, location), written by database
    # triggers whenever either side changes (migration 0008), never by hand: lists
    # filter and count downtowns through an index instead of testing every point.
    in_downtown = models.BooleanField(
        _("in the downtown"), default=False, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("vacant space")
        verbose_name_plural = _("vacant spaces")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["municipality", "status", "kind"]),
            models.Index(
                fields=["municipality", "id"],
                condition=Q(in_downtown=True),
                name="space_downtown_by_city",
            ),
            # The public listing (빈집은행): offered spaces, newest first.
            models.Index(
                fields=["-updated_at", "-id"],
                condition=Q(availability__in=OFFERED_AVAILABILITIES),
                name="space_listed_newest",
            ),
            models.Index(
                fields=["municipality", "status_changed_at"],
                condition=~Q(status__in=SETTLED_SPACE_STATUSES),
                name="space_status_age_by_city",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "external_id"],
                condition=~Q(external_id=""),
                name="space_external_id_unique_per_city",
            ),
            models.CheckConstraint(
                condition=(
                    Q(grade__isnull=True, grading_scheme="")
                    | Q(
                        grading_scheme=GradingScheme.URBAN_2021,
                        grade__gte=1,
                        grade__lte=4,
                    )
                    | Q(
                        grading_scheme=GradingScheme.NATIONAL_2023,
                        grade__gte=1,
                        grade__lte=3,
                    )
                ),
                name="space_grade_within_its_scheme",
            ),
            models.CheckConstraint(
                condition=Q(floor_area_m2__isnull=True) | Q(floor_area_m2__gt=0),
                name="space_floor_area_positive",
            ),
            models.CheckConstraint(
                condition=Q(year_built__isnull=True)
                | Q(year_built__gte=1800, year_built__lte=2100),
                name="space_year_built_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.address or self.municipality_id})"

    @property
    def demolition_can_be_ordered(self) -> bool:
        return self.grade in DEMOLITION_ORDER_GRADES.get(self.grading_scheme, ())

    @property
    def is_demolition_grade(self) -> bool:
        return self.grade is not None and self.grade == HIGHEST_GRADE.get(
            self.grading_scheme
        )


class SpaceOwner(models.Model):
    """Owner details: personal data, kept apart from the public record."""

    space = models.OneToOneField(
        VacantSpace, on_delete=models.CASCADE, related_name="owner"
    )
    name = models.CharField(_("owner name"), max_length=120, blank=True)
    contact = models.CharField(_("owner contact"), max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The owner's own account, set when the city verifies their ownership claim:
    # the one place that says who may change the space as its owner.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_spaces",
        verbose_name=_("verified owner"),
    )
    verified_at = models.DateTimeField(_("ownership verified"), null=True, blank=True)
    contact_channel = models.CharField(
        _("contact to share"),
        max_length=120,
        blank=True,
        help_text=_("A phone number or e-mail address you choose to share."),
    )
    contact_consent = models.BooleanField(
        _("share my contact with matched projects"), default=False
    )
    contact_consented_at = models.DateTimeField(
        _("consent given"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("space owner")
        verbose_name_plural = _("space owners")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=True) | Q(verified_at__isnull=False),
                name="space_owner_user_is_verified",
            ),
            models.CheckConstraint(
                condition=Q(contact_consent=False)
                | (~Q(contact_channel="") & Q(contact_consented_at__isnull=False)),
                name="space_owner_consent_names_a_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"owner of space #{self.space_id}"


class EvidenceKind(models.TextChoices):
    SURVEY_VISIT = "survey_visit", _("Survey visit")
    ENERGY_DATA = "energy_data", _("Electricity or energy data")
    RESIDENT_REPORT = "resident_report", _("Resident report")
    REGISTRY = "registry", _("Building or resident registry")


class Confidence(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class VacancyEvidence(models.Model):
    """Why we believe a space is vacant; lists built from one source are often wrong."""

    space = models.ForeignKey(
        VacantSpace, on_delete=models.CASCADE, related_name="evidence"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EvidenceKind.choices)
    observed_on = models.DateField(_("observed on"))
    confidence = models.CharField(
        _("confidence"), max_length=10, choices=Confidence.choices
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Where and when exactly, for evidence gathered on site (a survey visit).
    observed_at = models.DateTimeField(_("observed at"), null=True, blank=True)
    location = models.PointField(_("observed from"), srid=4326, null=True, blank=True)

    class Meta:
        verbose_name = _("vacancy evidence")
        verbose_name_plural = _("vacancy evidence")
        ordering = ["-observed_on", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.observed_on} ({self.confidence})"


# The lifecycle: every caller (API, pages, admin, imports, matching) asks this table.
SPACE_TRANSITIONS: dict[str, frozenset[str]] = {
    SpaceStatus.REPORTED: frozenset({SpaceStatus.SURVEYED, SpaceStatus.RETIRED}),
    SpaceStatus.SURVEYED: frozenset({SpaceStatus.AVAILABLE, SpaceStatus.RETIRED}),
    SpaceStatus.AVAILABLE: frozenset(
        {SpaceStatus.MATCHED, SpaceStatus.SURVEYED, SpaceStatus.RETIRED}
    ),
    SpaceStatus.MATCHED: frozenset({SpaceStatus.IN_USE, SpaceStatus.AVAILABLE}),
    SpaceStatus.IN_USE: frozenset({SpaceStatus.AVAILABLE, SpaceStatus.RETIRED}),
    SpaceStatus.RETIRED: frozenset({SpaceStatus.SURVEYED}),
}
