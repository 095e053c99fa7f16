from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MatchingSettings(models.Model):
    """A city's scoring weights and scales, edited by its staff.

    A city without a row uses the defaults below (see docs/matching.md).
    """

    municipality = models.OneToOneField(
        "cities.Municipality",
        on_delete=models.CASCADE,
        related_name="matching_settings",
    )
    weight_kind = models.FloatField(_("weight: kind fit"), default=3.0)
    weight_size = models.FloatField(_("weight: size fit"), default=2.0)
    weight_distance = models.FloatField(_("weight: distance"), default=2.0)
    weight_condition = models.FloatField(_("weight: condition"), default=1.5)
    weight_availability = models.FloatField(_("weight: availability"), default=1.0)
    weight_cost = models.FloatField(_("weight: cost"), default=1.0)
    weight_downtown = models.FloatField(_("weight: downtown bonus"), default=1.5)
    distance_scale_m = models.PositiveIntegerField(
        _("distance scale (m)"),
        default=1000,
        help_text=_("The distance at which the distance score has fallen to 37%."),
    )
    size_margin = models.FloatField(
        _("size margin"),
        default=0.25,
        help_text=_(
            "How far outside the wanted floor-area range a space still scores, as a "
            "fraction of the range's bound."
        ),
    )
    availability_scale_days = models.PositiveIntegerField(
        _("availability scale (days)"),
        default=180,
        help_text=_(
            "How long an available space may wait for a project's earliest start "
            "before its availability score has fallen to 37%."
        ),
    )
    cost_share = models.FloatField(
        _("affordable rent share"),
        default=0.25,
        help_text=_(
            "A year's rent up to this share of the project's budget scores fully."
        ),
    )
    compact_centre = models.BooleanField(
        _("compact-centre strategy"),
        default=False,
        help_text=_("Spaces inside the downtown (원도심) get a bonus."),
    )
    across_urban_zone = models.BooleanField(
        _("match across the urban zone"),
        default=False,
        help_text=_(
            "Spaces, organisations and resources in the other municipalities of this "
            "city's urban zone become candidates too, where those municipalities "
            "have chosen this as well."
        ),
    )
    minimum_score = models.FloatField(
        _("minimum score"),
        default=0.4,
        help_text=_("Pairs below this score are never proposed by an assignment run."),
    )
    candidates_per_project = models.PositiveSmallIntegerField(
        _("candidates per project"),
        default=30,
        help_text=_("Nearest available spaces considered per project in a run."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder (days before end)"), default=30
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("matching settings")
        verbose_name_plural = _("matching settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kind__gte=0)
                & Q(weight_size__gte=0)
                & Q(weight_distance__gte=0)
                & Q(weight_condition__gte=0)
                & Q(weight_availability__gte=0)
                & Q(weight_cost__gte=0)
                & Q(weight_downtown__gte=0),
                name="matching_weights_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(minimum_score__gte=0, minimum_score__lte=1),
                name="matching_minimum_score_0_1",
            ),
            models.CheckConstraint(
                condition=Q(size_margin__gte=0, cost_share__gt=0, cost_share__lte=1),
                name="matching_scales_sane",
            ),
            models.CheckConstraint(
                condition=Q(distance_scale_m__gt=0, availability_scale_days__gt=0),
                name="matching_scales_positive",
            ),
            models.CheckConstraint(
                condition=Q(candidates_per_project__gte=1),
                name="matching_candidates_at_least_one",
            ),
        ]

    def __str__(self) -> str:
        return f"matching settings of {self.municipality_id}"


# What a city's staff may tune, and within which bounds (inclusive). The database
# constraints above hold the hard floor; these keep a city from a setting that makes
# the explained score meaningless (a weight of a million, a 1 m distance scale).
MATCHING_SETTINGS_LIMITS: dict[str, tuple[float, float]] = {
    "weight_kind": (0, 10),
    "weight_size": (0, 10),
    "weight_distance": (0, 10),
    "weight_condition": (0, 10),
    "weight_availability": (0, 10),
    "weight_cost": (0, 10),
    "weight_downtown": (0, 10),
    "distance_scale_m": (100, 50_000),
    "size_margin": (0, 1),
    "availability_scale_days": (1, 3650),
    "cost_share": (0.01, 1),
    "minimum_score": (0, 1),
    "candidates_per_project": (1, 200),
    "reminder_days": (1, 365),
}
MATCHING_SETTINGS_FIELDS = (
    *MATCHING_SETTINGS_LIMITS,
    "compact_centre",
    "across_urban_zone",
)


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    MANUAL = "manual", _("Started by staff")
    AUTOMATIC = "automatic", _("After a change of inventory or projects")


class AssignmentRun(models.Model):
    """One city-wide assignment; its proposed pairs are the Matches it created."""

    municipality = models.ForeignKey(
        "cities.Municipality", on_delete=models.CASCADE, related_name="assignment_runs"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    trigger = models.CharField(_("trigger"), max_length=10, choices=RunTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    # Times a worker started it; more than one means a worker died during it.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    projects_count = models.PositiveIntegerField(_("open projects"), default=0)
    spaces_count = models.PositiveIntegerField(_("available spaces"), default=0)
    candidate_pairs = models.PositiveIntegerField(_("candidate pairs"), default=0)
    matched_count = models.PositiveIntegerField(_("proposed pairs"), default=0)
    total_score = models.FloatField(_("total score"), default=0)
    greedy_total_score = models.FloatField(_("greedy total score"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment run")
        verbose_name_plural = _("assignment runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The debounce: while a run waits in the queue, further changes of the
            # city's inventory join it instead of queueing another.
            models.UniqueConstraint(
                fields=["municipality"],
                condition=Q(status="queued"),
                name="one_queued_assignment_run_per_city",
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="assignment_progress_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"assignment run #{self.pk} ({self.status})"


class MatchStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    ACTIVE = "active", _("In use")
    ENDED = "ended", _("Ended")


# The match lifecycle: every caller asks this table.
MATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    MatchStatus.SUGGESTED: frozenset({MatchStatus.OFFERED, MatchStatus.DECLINED}),
    MatchStatus.OFFERED: frozenset({MatchStatus.ACCEPTED, MatchStatus.DECLINED}),
    MatchStatus.ACCEPTED: frozenset({MatchStatus.ACTIVE, MatchStatus.ENDED}),
    MatchStatus.ACTIVE: frozenset({MatchStatus.ENDED}),
    MatchStatus.DECLINED: frozenset(),
    MatchStatus.ENDED: frozenset(),
}
# A space promised or in use: at most one such match per space.
HOLDING_STATUSES = (MatchStatus.ACCEPTED, MatchStatus.ACTIVE)


class Match(models.Model):
    municipality = models.ForeignKey(
        "cities.Municipality", on_delete=models.CASCADE, related_name="matches"
    )
    project = models.ForeignKey(
        "renewal.RenewalProject", on_delete=models.CASCADE, related_name="matches"
    )
    space = models.ForeignKey(
        "renewal.VacantSpace", on_delete=models.PROTECT, related_name="matches"
    )
    run = models.ForeignKey(
        AssignmentRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="matches",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MatchStatus.choices,
        default=MatchStatus.SUGGESTED,
    )
    score = models.FloatField(_("score"))
    breakdown = models.JSONField(_("score breakdown"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Why it was declined, in the decliner's words (the space's owner must give one).
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["-score", "id"]
        constraints = [
            # "A space cannot be promised twice", held by the database so that two
            # acceptances racing on separate connections cannot both commit.
            models.UniqueConstraint(
                fields=["space"],
                condition=Q(status__in=["accepted", "active"]),
                name="one_accepted_match_per_space",
            ),
            models.UniqueConstraint(
                fields=["project", "space"],
                condition=Q(status__in=["suggested", "offered"]),
                name="one_open_match_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=1), name="match_score_0_1"
            ),
        ]
        indexes = [models.Index(fields=["municipality", "status"])]

    def __str__(self) -> str:
        return f"project {self.project_id} ↔ space {self.space_id} ({self.status})"


class AgreementKind(models.TextChoices):
    LEASE = "lease", _("Lease")
    FREE_USE = "free_use", _("Free use")
    MEANWHILE = "meanwhile", _("Meanwhile (temporary) use")


class UseAgreement(models.Model):
    match = models.OneToOneField(
        Match, on_delete=models.CASCADE, related_name="agreement"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    monthly_rent_krw = models.PositiveIntegerField(
        _("monthly rent (KRW)"), null=True, blank=True
    )
    reminder_sent_at = models.DateTimeField(
        _("end reminder sent"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("use agreement")
        verbose_name_plural = _("use agreements")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="agreement_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(kind="free_use")
                | Q(monthly_rent_krw__isnull=True)
                | Q(monthly_rent_krw=0),
                name="agreement_free_use_has_no_rent",
            ),
        ]
        indexes = [models.Index(fields=["end_date"])]

    def __str__(self) -> str:
        return f"{self.kind} for match {self.match_id}"
