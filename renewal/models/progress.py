from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from renewal.models.projects import ProjectStatus, RenewalProject


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


# What announcing a meeting takes (renewal/services/meetings.py; forms and the API
# derive from it).
MEETING_ANNOUNCE_FIELDS = frozenset(
    {
        "kind",
        "title",
        "description",
        "place",
        "location",
        "starts_at",
        "ends_at",
        "capacity",
    }
)
# Walk-ins at a meeting are counted by age band; RSVPs who came are ticked by name.
WALK_IN_FIELDS = frozenset(
    {"attendees_under_20", "attendees_20_39", "attendees_40_64", "attendees_65_plus"}
)
# A meeting is held about a project that is still open: a 주민설명회 before the
# review as much as a workshop while it is built.
MEETING_PROJECT_STATUSES = frozenset(
    {
        ProjectStatus.PROPOSED,
        ProjectStatus.UNDER_REVIEW,
        ProjectStatus.APPROVED,
        ProjectStatus.IN_PROGRESS,
    }
)


class EventStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    HELD = "held", _("Held")


class ParticipationEvent(models.Model):
    """An event run for a project. A meeting is announced first (a time, a place,
    RSVPs) and becomes the record of what took place when its organiser records the
    attendance; an event recorded afterwards is held from the start. Only held
    events count in participation figures.

    An event without an organisation is the city's own (a 주민설명회 by its staff).
    """

    project = models.ForeignKey(
        RenewalProject, on_delete=models.CASCADE, related_name="events"
    )
    organization = models.ForeignKey(
        "renewal.CommunityOrganization",
        on_delete=models.PROTECT,
        related_name="events",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EventStatus.choices,
        default=EventStatus.HELD,
        db_index=True,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    date = models.DateField(_("date"))
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    attendees_under_20 = models.PositiveIntegerField(_("attendees under 20"), default=0)
    attendees_20_39 = models.PositiveIntegerField(_("attendees 20–39"), default=0)
    attendees_40_64 = models.PositiveIntegerField(_("attendees 40–64"), default=0)
    attendees_65_plus = models.PositiveIntegerField(
        _("attendees 65 and over"), default=0
    )
    # Attendees who came on their RSVP: the organiser ticks them, their age is not
    # asked. Walk-ins are counted in the age bands above.
    attendees_age_unknown = models.PositiveIntegerField(
        _("attendees of unrecorded age"), default=0
    )
    volunteer_hours = models.DecimalField(
        _("volunteer hours"), max_digits=8, decimal_places=1, default=0
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
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
            ),
            # A meeting is announced with its time; the calendar needs one.
            models.CheckConstraint(
                condition=~Q(status="announced") | Q(starts_at__isnull=False),
                name="event_announced_has_start",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="event_ends_after_start",
            ),
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
            + self.attendees_age_unknown
        )

    @property
    def municipality_id(self) -> int:
        # The city's rules (renewal/rules.py) decide by the project's municipality.
        return self.project.municipality_id


class EventRsvp(models.Model):
    """A resident's "I will come" to an announced event; one per person."""

    event = models.ForeignKey(
        ParticipationEvent, on_delete=models.CASCADE, related_name="rsvps"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_rsvps"
    )
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="event_rsvp_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.event_id}"
