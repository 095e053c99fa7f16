from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

ADMINISTRATIVE_CODE = RegexValidator(
    r"^\d{5}$", _("An administrative code has exactly five digits.")
)
SGIS_MUNICIPALITY_CODE = RegexValidator(
    r"^\d{5}$", _("An SGIS 시군구 code has exactly five digits.")
)
SGIS_SUBMUNICIPALITY_CODE = RegexValidator(
    r"^\d{7}$", _("An SGIS 읍면동 code has exactly seven digits.")
)
# Shown wherever the census boundaries are drawn or shipped (their licence asks it).
BOUNDARY_ATTRIBUTION = _(
    "Administrative boundaries: Statistics Korea SGIS (2018), KOGL Type 1"
)


class Province(models.TextChoices):
    # Values are the short Korean names that statistics tables use.
    GANGWON = "강원", _("Gangwon")
    CHUNGBUK = "충북", _("Chungbuk")
    CHUNGNAM = "충남", _("Chungnam")
    JEONBUK = "전북", _("Jeonbuk")
    JEONNAM = "전남", _("Jeonnam")
    GYEONGBUK = "경북", _("Gyeongbuk")
    GYEONGNAM = "경남", _("Gyeongnam")
    JEJU = "제주", _("Jeju")


class MunicipalityKind(models.TextChoices):
    CITY = "city", _("City (si)")
    COUNTY = "county", _("County (gun)")


def in_current_language(korean: str, english: str) -> str:
    """The English text on English pages, the Korean text everywhere else."""
    return english if (get_language() or "ko").startswith("en") else korean


class BilingualNameMixin:
    @property
    def name(self) -> str:
        return in_current_language(self.name_ko, self.name_en)


class Municipality(BilingualNameMixin, models.Model):
    code = models.CharField(
        _("administrative code"),
        max_length=5,
        unique=True,
        null=True,
        blank=True,
        validators=[ADMINISTRATIVE_CODE],
        help_text=_("Five-digit 시군구 code; empty when not known."),
    )
    former_codes = ArrayField(
        models.CharField(max_length=5, validators=[ADMINISTRATIVE_CODE]),
        verbose_name=_("former codes"),
        default=list,
        blank=True,
        help_text=_("Codes used before a province reorganisation, for old data."),
    )
    code_source = models.CharField(_("code source"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=MunicipalityKind.choices)
    province = models.CharField(_("province"), max_length=4, choices=Province.choices)
    name_ko = models.CharField(_("Korean name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50)
    location = models.PointField(_("location"), srid=4326)
    location_source = models.CharField(_("location source"), max_length=255, blank=True)
    sgis_code = models.CharField(
        _("SGIS code"),
        max_length=5,
        blank=True,
        validators=[SGIS_MUNICIPALITY_CODE],
        help_text=_(
            "The census geography's 시군구 code (KOSTAT SGIS, 2018); empty for a city "
            "made of several districts (구) or not matched."
        ),
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=4326, null=True, blank=True)
    downtown = models.MultiPolygonField(
        _("downtown (원도심)"), srid=4326, null=True, blank=True
    )
    downtown_source = models.CharField(_("downtown source"), max_length=255, blank=True)
    downtown_date = models.DateField(
        _("downtown date"),
        null=True,
        blank=True,
        help_text=_("When the downtown was designated or drawn, as its source says."),
    )
    # When set, the downtown polygon is their union (cities.services.downtown).
    downtown_submunicipalities = models.ManyToManyField(
        "SubMunicipality",
        related_name="+",
        blank=True,
        verbose_name=_("downtown 읍면동"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__isnull=True) | Q(code__regex=r"^\d{5}$"),
                name="municipality_code_five_digits",
            ),
            models.UniqueConstraint(
                fields=["name_ko", "province"], name="municipality_unique_name"
            ),
            models.UniqueConstraint(
                fields=["sgis_code"],
                condition=~Q(sgis_code=""),
                name="municipality_unique_sgis_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_ko} ({self.name_en})"


class CensusDistrict(BilingualNameMixin, models.Model):
    """One of the 250 시군구 of the census geography (KOSTAT SGIS, 2018), platform
    municipality or not, so that any point in Korea can be named.

    A city with districts (청주시, 창원시, ...) is several of these, each linked to
    the one municipality; the municipality's boundary is their union.
    """

    sgis_code = models.CharField(
        _("SGIS code"),
        max_length=5,
        unique=True,
        validators=[SGIS_MUNICIPALITY_CODE],
    )
    name_ko = models.CharField(_("Korean name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80)
    province_ko = models.CharField(_("Korean province name"), max_length=20)
    province_en = models.CharField(_("English province name"), max_length=40)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="census_districts",
        verbose_name=_("municipality"),
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=4326)

    class Meta:
        verbose_name = _("census district (시군구)")
        verbose_name_plural = _("census districts (시군구)")
        ordering = ["sgis_code"]

    def __str__(self) -> str:
        return f"{self.sgis_code} {self.province_ko} {self.name_ko}"

    @property
    def full_name(self) -> str:
        """The province and the district, e.g. 경상북도 봉화군."""
        return in_current_language(
            f"{self.province_ko} {self.name_ko}", f"{self.name_en}, {self.province_en}"
        )


class SubMunicipality(BilingualNameMixin, models.Model):
    """A 읍면동 (town, township or neighbourhood) of a municipality, with its census
    boundary (KOSTAT SGIS, 2018)."""

    sgis_code = models.CharField(
        _("SGIS code"),
        max_length=7,
        unique=True,
        validators=[SGIS_SUBMUNICIPALITY_CODE],
    )
    admin_code = models.CharField(
        _("administrative code"),
        max_length=10,
        blank=True,
        help_text=_("The 행정표준코드 of the 읍면동; empty when not known."),
    )
    name_ko = models.CharField(_("Korean name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="submunicipalities",
        verbose_name=_("municipality"),
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=4326)

    class Meta:
        verbose_name = _("sub-municipality (읍면동)")
        verbose_name_plural = _("sub-municipalities (읍면동)")
        ordering = ["sgis_code"]

    def __str__(self) -> str:
        return f"{self.sgis_code} {self.name_ko}"


class MunicipalityGroup(BilingualNameMixin, models.Model):
    """A named set of municipalities, such as the 40 cities of a study."""

    slug = models.SlugField(_("slug"), unique=True)
    name_ko = models.CharField(_("Korean name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120)
    description_ko = models.TextField(_("Korean description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    members = models.ManyToManyField(
        Municipality, related_name="groups", verbose_name=_("members"), blank=True
    )

    class Meta:
        verbose_name = _("municipality group")
        verbose_name_plural = _("municipality groups")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def description(self) -> str:
        return in_current_language(self.description_ko, self.description_en)


class Indicator(BilingualNameMixin, models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_ko = models.CharField(_("Korean name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=30)
    higher_is_better = models.BooleanField(_("higher is better"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(
        _("source"),
        max_length=255,
        blank=True,
        help_text=_("Where the figures usually come from (portal, table)."),
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ObservedFigure(models.Model):
    """A figure of one place for one year, with where it comes from."""

    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    source = models.CharField(_("source"), max_length=255)
    is_illustrative = models.BooleanField(
        _("illustrative"),
        default=False,
        help_text=_("Generated for demonstration, not taken from a published source."),
    )

    class Meta:
        abstract = True


class Observation(ObservedFigure):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="observations"
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="observations"
    )

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["municipality", "indicator", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "indicator", "year"],
                name="observation_unique_period",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1900) & Q(year__lte=2100),
                name="observation_year_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.indicator_id} {self.year}: {self.value}"


class CityType(models.TextChoices):
    REGIONAL_GROWTH_CENTRE = "regional_growth_centre", _("Regional growth centre")
    INDUSTRIAL_CITY = "industrial_city", _("Industrial city")
    SMALL_CITY = "small_city", _("Small city")


class CitySubtype(models.TextChoices):
    MANUFACTURING_HUB = "manufacturing_hub", _("Manufacturing hub")
    HISTORY_CULTURE_CITY = "history_culture_city", _("History-and-culture city")
    REGIONAL_BASE_CITY = "regional_base_city", _("Regional base city")


class TypologyOverride(models.Model):
    """A staff decision that replaces the computed type; the latest one counts.

    Kept as a history (never updated in place), so an override can be traced and
    withdrawn: an empty city_type returns the municipality to its computed type.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="typology_overrides"
    )
    city_type = models.CharField(
        _("city type"), max_length=30, choices=CityType.choices, blank=True
    )
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("typology override")
        verbose_name_plural = _("typology overrides")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="typology_override_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}: {self.city_type or '-'}"


class FlowPurpose(models.TextChoices):
    COMMUTE = "commute", _("Commuting to work")
    SCHOOL = "school", _("Going to school")


class MunicipalFlow(models.Model):
    """People travelling daily from where they live to where they work or study.

    origin == destination is allowed: it counts residents who commute within their
    own municipality, the denominator a "share of its commuters" needs. An empty
    destination sums the flows to places the platform does not hold (other 시군구,
    abroad): they count in that denominator and are never a zone's centre.
    """

    origin = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="outbound_flows"
    )
    destination = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="inbound_flows",
        null=True,
        blank=True,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    purpose = models.CharField(_("purpose"), max_length=10, choices=FlowPurpose.choices)
    count = models.PositiveIntegerField(_("persons"))
    source = models.CharField(_("source"), max_length=255)
    is_illustrative = models.BooleanField(
        _("illustrative"),
        default=False,
        help_text=_("Generated for demonstration, not taken from a published source."),
    )

    class Meta:
        verbose_name = _("commuting flow")
        verbose_name_plural = _("commuting flows")
        ordering = ["year", "purpose", "origin", "destination"]
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "destination", "year", "purpose"],
                name="flow_unique_per_period",
                # One "elsewhere" row per origin and period too.
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1900) & Q(year__lte=2100),
                name="flow_year_sane",
            ),
        ]
        indexes = [models.Index(fields=["year", "purpose"])]

    def __str__(self) -> str:
        return (
            f"{self.origin_id}→{self.destination_id} {self.year} {self.purpose}: "
            f"{self.count}"
        )


class SubMunicipalityObservation(ObservedFigure):
    """A figure of one 읍면동 for one year (population, businesses, old buildings),
    what the legal decline test reads (cities.decline)."""

    submunicipality = models.ForeignKey(
        SubMunicipality, on_delete=models.CASCADE, related_name="observations"
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="submunicipality_observations"
    )

    class Meta:
        verbose_name = _("읍면동 observation")
        verbose_name_plural = _("읍면동 observations")
        ordering = ["submunicipality", "indicator", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["submunicipality", "indicator", "year"],
                name="submunicipality_observation_unique_period",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1900) & Q(year__lte=2100),
                name="submunicipality_observation_year_sane",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.submunicipality_id} {self.indicator_id} {self.year}: {self.value}"
        )
