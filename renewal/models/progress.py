from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from renewal.models.projects import RenewalProject


class ProgressUpdate(models.Model):
    """Accountability: what happened, how far along, which milestone."""

    project = models.ForeignKey(
        RenewalProject, on_delete=models.CASCADE, related_name="updates"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("text"))
    percent_complete = models.PositiveSmallIntegerField(_("percent complete"))
    milestone = models.CharField(_("milestone"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent_complete__lte=100), name="progress_percent_0_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.percent_complete}%"


class EventKind(models.TextChoices):
    WORKSHOP = "workshop", _("Workshop")
    PUBLIC_HEARING = "public_hearing", _("Public hearing")
    VOLUNTEER_DAY = "volunteer_day", _("Volunteer day")
    MEETING = "meeting", _("Meeting")
    FESTIVAL = "festival", _("Festival")
    OTHER = "other", _("Other")


class ParticipationEvent(models.Model):
    project = models.ForeignKey(
        RenewalProject, on_delete=models.CASCADE, related_name="events"
    )
    organization = models.ForeignKey(
        "renewal.CommunityOrganization", on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    attendees_under_20 = models.PositiveIntegerField(_("attendees under 20"), default=0)
    attendees_20_39 = models.PositiveIntegerField(_("attendees 20–39"), default=0)
    attendees_40_64 = models.PositiveIntegerField(_("attendees 40–64"), default=0)
    attendees_65_plus = models.PositiveIntegerField(
        _("attendees 65 and over"), default=0
    )
    volunteer_hours = models.DecimalField(
        _("volunteer hours"), max_digits=8, decimal_places=1, default=0
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("participation event")
        verbose_name_plural = _("participation events")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(volunteer_hours__gte=0),
                name="event_volunteer_hours_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.date} ({self.project_id})"

    @property
    def attendees(self) -> int:
        return (
            self.attendees_under_20
            + self.attendees_20_39
            + self.attendees_40_64
            + self.attendees_65_plus
        )
