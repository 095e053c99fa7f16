from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    VILLAGE_ENTERPRISE = "village_enterprise", _("Village enterprise (마을기업)")
    SOCIAL_ENTERPRISE = "social_enterprise", _("Social enterprise (사회적기업)")
    COOPERATIVE = "cooperative", _("Cooperative (협동조합)")
    SOCIAL_COOPERATIVE = "social_cooperative", _("Social cooperative (사회적협동조합)")
    VILLAGE_MANAGEMENT_COOPERATIVE = (
        "village_management_cooperative",
        _("Village-management social cooperative (마을관리 사회적협동조합)"),
    )
    SELF_SUFFICIENCY_ENTERPRISE = (
        "self_sufficiency_enterprise",
        _("Self-sufficiency enterprise (자활기업)"),
    )
    RESIDENTS_COUNCIL = "residents_council", _("Residents' council (주민협의체)")
    SUPPORT_CENTRE = (
        "support_centre",
        _("Regeneration support centre (도시재생지원센터)"),
    )
    NGO = "ngo", _("NGO")
    BID_BODY = "bid_body", _("BID management body")


class Capability(models.TextChoices):
    CAFE_AND_FOOD = "cafe_food", _("Café and food")
    CARE = "care", _("Care and welfare")
    CULTURE = "culture", _("Culture and arts")
    EDUCATION = "education", _("Education")
    HOUSING_REPAIR = "housing_repair", _("Housing repair")
    MAKER_SPACE = "maker_space", _("Maker space and crafts")
    MARKET_RETAIL = "market_retail", _("Market and retail")
    SPACE_MANAGEMENT = "space_management", _("Space management")
    TOURISM = "tourism", _("Tourism")
    URBAN_FARMING = "urban_farming", _("Urban farming")


class CommunityOrganization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, choices=OrganizationKind.choices)
    municipality = models.ForeignKey(
        "cities.Municipality", on_delete=models.PROTECT, related_name="organizations"
    )
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    service_area = models.MultiPolygonField(
        _("service area"), srid=4326, null=True, blank=True
    )
    capabilities = ArrayField(
        models.CharField(max_length=30, choices=Capability.choices),
        verbose_name=_("capabilities"),
        default=list,
        blank=True,
    )
    description = models.TextField(_("description"), blank=True)
    member_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    verified = models.BooleanField(
        _("verified"),
        default=False,
        help_text=_("Registration checked by the city's staff."),
    )
    website = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact telephone"), max_length=30, blank=True)
    contact_public = models.BooleanField(
        _("contact shown publicly"),
        default=False,
        help_text=_("Show the e-mail address and telephone on the public page."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("community organisation")
        verbose_name_plural = _("community organisations")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
