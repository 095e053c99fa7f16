from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class ResourceCategory(models.TextChoices):
    HERITAGE = "heritage", _("Heritage building")
    MARKET = "market", _("Traditional market")
    PARK = "park", _("Park or open space")
    COMMUNITY_FACILITY = "community_facility", _("Community facility")
    LOCAL_SKILL = "local_skill", _("Local skill or craft")
    FESTIVAL = "festival", _("Festival or event")
    OTHER = "other", _("Other")


class NeighborhoodResource(models.Model):
    """An asset a renewal project can build on."""

    municipality = models.ForeignKey(
        "cities.Municipality", on_delete=models.PROTECT, related_name="resources"
    )
    category = models.CharField(
        _("category"), max_length=30, choices=ResourceCategory.choices
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    location = models.PointField(_("location"), srid=4326)
    source = models.CharField(_("source"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("neighbourhood resource")
        verbose_name_plural = _("neighbourhood resources")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
