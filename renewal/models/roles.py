from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CityRole(models.TextChoices):
    EDITOR = "editor", _("Editor")
    VIEWER = "viewer", _("Viewer")


class CityMembership(models.Model):
    """Local-government staff rights, always scoped to one municipality."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="city_memberships",
    )
    municipality = models.ForeignKey(
        "cities.Municipality",
        on_delete=models.CASCADE,
        related_name="staff_memberships",
    )
    role = models.CharField(_("role"), max_length=10, choices=CityRole.choices)
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        verbose_name = _("city staff membership")
        verbose_name_plural = _("city staff memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality"], name="city_membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.municipality} · {self.role}"


class OrganizationMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="organization_memberships",
    )
    organization = models.ForeignKey(
        "renewal.CommunityOrganization",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation staff membership")
        verbose_name_plural = _("organisation staff memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="organization_membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization}"
