from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    STATUS_CHANGED = "status_changed", _("Project status changed")
    PROGRESS_UPDATE = "progress_update", _("New progress update")
    COMMENT_REPLY = "comment_reply", _("Reply to your comment")
    NEW_PROJECT_NEARBY = "new_project_nearby", _("New project in an area you follow")
    CONTENT_HIDDEN = "content_hidden", _("Your content was hidden")


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAILY_DIGEST = "daily_digest", _("Once a day (digest)")
    OFF = "off", _("No e-mail")


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_mode = models.CharField(
        _("e-mail"),
        max_length=20,
        choices=EmailMode.choices,
        default=EmailMode.IMMEDIATE,
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_mode}"


class Notification(models.Model):
    """One in-app notification, and the record that its e-mail went out.

    `event_key` names the event (e.g. "status:<transition id>"): unique per user, so
    the same event never notifies anyone twice, however often a task runs.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    event_key = models.CharField(max_length=100)
    project = models.ForeignKey(
        "renewal.RenewalProject",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event_key"], name="notification_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} ({self.event_key})"
