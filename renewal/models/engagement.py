from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from renewal.models.projects import ProjectCategory, RenewalProject


class Comment(models.Model):
    project = models.ForeignKey(
        RenewalProject, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(_("comment"))
    # Hidden content leaves public lists but stays in the database.
    is_hidden = models.BooleanField(_("hidden"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment #{self.pk} on {self.project_id}"


class ProjectFollow(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="project_follows",
    )
    project = models.ForeignKey(
        RenewalProject, on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("project follow")
        verbose_name_plural = _("project follows")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project"], name="follow_project_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.project_id}"


# The radius of a followed area. The largest also sizes the index pre-filter box of
# the new-project notifications, which must cover every follower's circle.
AREA_FOLLOW_MIN_RADIUS_M = 100
AREA_FOLLOW_MAX_RADIUS_M = 20_000


class AreaFollow(models.Model):
    """ "Tell me about new projects within 1 km of home", optionally of one category."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="area_follows"
    )
    center = models.PointField(_("centre"), srid=4326)
    radius_m = models.PositiveIntegerField(_("radius (m)"))
    category = models.CharField(
        _("category"), max_length=30, choices=ProjectCategory.choices, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("area follow")
        verbose_name_plural = _("area follows")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    radius_m__gte=AREA_FOLLOW_MIN_RADIUS_M,
                    radius_m__lte=AREA_FOLLOW_MAX_RADIUS_M,
                ),
                name="area_follow_radius_100m_20km",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.radius_m} m around {self.center.coords}"


class ContentReport(models.Model):
    """A user's report of a proposal or comment. Enough distinct reporters hide the
    content automatically pending a moderator (RENEWAL_AUTO_HIDE_REPORTS)."""

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    content = GenericForeignKey("content_type", "object_id")
    reason = models.TextField(_("reason"))
    resolved = models.BooleanField(_("resolved"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("content report")
        verbose_name_plural = _("content reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "content_type", "object_id"],
                name="report_once_per_user_and_content",
            )
        ]

    def __str__(self) -> str:
        return f"report #{self.pk} on {self.content_type.model} #{self.object_id}"


class ModerationAction(models.TextChoices):
    HIDE = "hide", _("Hidden")
    UNHIDE = "unhide", _("Shown again")


class ModerationLog(models.Model):
    """Every hide and unhide, with its reason; the author is told the reason."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    content = GenericForeignKey("content_type", "object_id")
    action = models.CharField(
        _("action"), max_length=10, choices=ModerationAction.choices
    )
    reason = models.TextField(_("reason"))
    # Empty when the report threshold hid the content automatically.
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.content_type.model} #{self.object_id}"
