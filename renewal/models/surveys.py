"""Field survey rounds: who surveys which spaces of a city, and what they saw.

A round belongs to one city and one grading scheme. Its surveyors (city staff or
contracted surveyors, who need not be staff) hold the survey role through a
`SurveyAssignment`, valid while the round is open. An observation arrives from a
phone, possibly long after it was made: its `client_id` (made on the device) makes
a second delivery of the same record a no-op, and its `base_version` (the space's
last history entry the phone saw) tells whether the office changed the space
meanwhile, in which case nothing is applied until an editor decides.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from renewal.models.spaces import GradingScheme


class SurveyRoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class VacancySign(models.TextChoices):
    """What a surveyor sees from the street that says nobody lives there."""

    MAILBOX_FULL = "mailbox_full", _("Mailbox overflowing")
    METER_STOPPED = "meter_stopped", _("Electricity or water meter not running")
    OVERGROWN = "overgrown", _("Yard overgrown")
    BROKEN_WINDOWS = "broken_windows", _("Broken windows or doors")
    BOARDED_UP = "boarded_up", _("Entrances locked or boarded up")
    WASTE = "waste", _("Waste dumped")
    NO_LIGHT = "no_light", _("No light or sign of life")


class ConditionRating(models.TextChoices):
    GOOD = "good", _("Good")
    WORN = "worn", _("Worn")
    POOR = "poor", _("Poor")


# The condition checklist of each scheme, the parts a surveyor rates before grading
# (the 2023 national guideline rates structure, exterior, roof, utilities and
# surroundings; the 2021–2023 urban surveys also rated hygiene). Stated once: the
# package the phone downloads, the validation and the conflict page read it here.
CONDITION_CHECKLISTS: dict[str, tuple[tuple[str, object], ...]] = {
    GradingScheme.URBAN_2021: (
        ("structure", _("Structure and foundations")),
        ("exterior", _("Walls and exterior finish")),
        ("roof", _("Roof")),
        ("utilities", _("Plumbing, electricity and gas")),
        ("hygiene", _("Hygiene (waste, pests)")),
        ("surroundings", _("Danger to the surroundings")),
    ),
    GradingScheme.NATIONAL_2023: (
        ("structure", _("Structure and foundations")),
        ("exterior", _("Walls and exterior finish")),
        ("roof", _("Roof")),
        ("utilities", _("Plumbing, electricity and gas")),
        ("surroundings", _("Danger to the surroundings")),
    ),
}


class LocationSource(models.TextChoices):
    GPS = "gps", _("Phone's GPS")
    TAP = "tap", _("Tapped on the map")
    BUILDING = "building", _("The building's recorded position")


class ObservationState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    CONFLICT = "conflict", _("Conflict: the office changed the space meanwhile")
    KEPT_SURVEY = "kept_survey", _("Resolved: the survey's values applied")
    KEPT_OFFICE = "kept_office", _("Resolved: the office's values kept")


OBSERVATION_RESOLVED_STATES = (
    ObservationState.KEPT_SURVEY,
    ObservationState.KEPT_OFFICE,
)


class SurveyRound(models.Model):
    municipality = models.ForeignKey(
        "cities.Municipality", on_delete=models.PROTECT, related_name="survey_rounds"
    )
    name = models.CharField(_("name"), max_length=120)
    grading_scheme = models.CharField(
        _("grading scheme"), max_length=20, choices=GradingScheme.choices
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SurveyRoundStatus.choices,
        default=SurveyRoundStatus.OPEN,
    )
    # The outline the surveyors walk, shown on their map; optional, the assigned
    # spaces are what the round surveys.
    area = models.MultiPolygonField(_("area"), srid=4326, null=True, blank=True)
    spaces = models.ManyToManyField(
        "renewal.VacantSpace",
        through="SurveyRoundSpace",
        related_name="survey_rounds",
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="survey_round_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == SurveyRoundStatus.OPEN


class SurveyRoundSpace(models.Model):
    """A space the round's surveyors are to visit."""

    round = models.ForeignKey(
        SurveyRound, on_delete=models.CASCADE, related_name="round_spaces"
    )
    space = models.ForeignKey(
        "renewal.VacantSpace", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("space of a survey round")
        verbose_name_plural = _("spaces of survey rounds")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "space"], name="survey_round_space_unique"
            )
        ]


class SurveyAssignment(models.Model):
    """The survey role: one person may survey one round (of one city)."""

    round = models.ForeignKey(
        SurveyRound, on_delete=models.CASCADE, related_name="assignments"
    )
    surveyor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="survey_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey assignment")
        verbose_name_plural = _("survey assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "surveyor"], name="survey_assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.surveyor} · {self.round}"


class SurveyObservation(models.Model):
    """What a surveyor recorded at one building, as it arrived from the phone."""

    # Made on the phone: a record sent again (a lost response, a resumed sync)
    # finds its row instead of making a second one.
    client_id = models.UUIDField(_("device record id"), unique=True)
    round = models.ForeignKey(
        SurveyRound, on_delete=models.PROTECT, related_name="observations"
    )
    # The round's city, kept on the row: the rules and the workbench ask by city.
    municipality = models.ForeignKey(
        "cities.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    space = models.ForeignKey(
        "renewal.VacantSpace", on_delete=models.CASCADE, related_name="observations"
    )
    surveyor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    observed_at = models.DateTimeField(_("observed at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    location = models.PointField(_("position"), srid=4326, null=True, blank=True)
    location_source = models.CharField(
        _("position from"), max_length=10, choices=LocationSource.choices
    )
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    signs = ArrayField(
        models.CharField(max_length=20, choices=VacancySign.choices),
        verbose_name=_("signs of vacancy"),
        default=list,
        blank=True,
    )
    grade = models.PositiveSmallIntegerField(
        _("condition grade"), null=True, blank=True
    )
    checklist = models.JSONField(_("condition checklist"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The id of the space's last history entry when the phone downloaded it (0: none).
    base_version = models.BigIntegerField(_("version seen"), default=0)
    state = models.CharField(
        _("state"), max_length=20, choices=ObservationState.choices
    )
    # What the office had changed since base_version, as the history recorded it.
    office_changes = models.JSONField(_("office's changes"), default=dict, blank=True)
    evidence = models.OneToOneField(
        "renewal.VacancyEvidence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="observation",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("survey observation")
        verbose_name_plural = _("survey observations")
        ordering = ["-observed_at", "-id"]
        indexes = [
            models.Index(
                fields=["municipality", "received_at"],
                condition=Q(state="conflict"),
                name="survey_conflicts_by_city",
            ),
        ]

    def __str__(self) -> str:
        return f"observation {self.client_id} of space #{self.space_id}"
