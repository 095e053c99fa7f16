from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from renewal.models.organizations import Capability
from renewal.models.spaces import SpaceKind


class ProjectCategory(models.TextChoices):
    VILLAGE_RENEWAL = "village_renewal", _("Village renewal")
    HERITAGE_CULTURE = "heritage_culture", _("Heritage and culture renewal")
    DOWNTOWN_COMMERCIAL = (
        "downtown_commercial",
        _("Downtown commercial revitalisation / BID"),
    )
    INDUSTRIAL_COMPLEX = (
        "industrial_complex",
        _("Small multipurpose industrial complex"),
    )
    SMART_CITY = "smart_city", _("Smart-city service")
    COMMUNITY_FACILITY = "community_facility", _("Community facility")
    OTHER = "other", _("Other")


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    UNDER_REVIEW = "under_review", _("Under review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The review workflow: every caller asks this table. Who may take which step is
# decided in renewal/rules.py (city staff review; the proposer may withdraw).
PROJECT_TRANSITIONS: dict[str, frozenset[str]] = {
    ProjectStatus.PROPOSED: frozenset(
        {ProjectStatus.UNDER_REVIEW, ProjectStatus.WITHDRAWN}
    ),
    ProjectStatus.UNDER_REVIEW: frozenset(
        {
            ProjectStatus.APPROVED,
            ProjectStatus.REJECTED,
            ProjectStatus.CHANGES_REQUESTED,
            ProjectStatus.WITHDRAWN,
        }
    ),
    # The reviewer asked for changes (the reason says which): the proposer edits and
    # resubmits, which puts the proposal back in the city's review queue.
    ProjectStatus.CHANGES_REQUESTED: frozenset(
        {ProjectStatus.PROPOSED, ProjectStatus.WITHDRAWN}
    ),
    ProjectStatus.APPROVED: frozenset({ProjectStatus.IN_PROGRESS}),
    ProjectStatus.IN_PROGRESS: frozenset({ProjectStatus.COMPLETED}),
    ProjectStatus.REJECTED: frozenset(),
    ProjectStatus.COMPLETED: frozenset(),
    ProjectStatus.WITHDRAWN: frozenset(),
}
REASON_REQUIRED = frozenset({ProjectStatus.REJECTED, ProjectStatus.CHANGES_REQUESTED})
# Proposals on the city's review desk (the workbench queue).
AWAITING_REVIEW_STATUSES = frozenset(
    {ProjectStatus.PROPOSED, ProjectStatus.UNDER_REVIEW}
)

# The subsets of the workflow that other rules ask about, beside the table so that a
# new status is placed in each of them where it is added.
# Residents may support a project until it is finished or out of the workflow.
SUPPORTABLE_STATUSES = frozenset(
    {
        ProjectStatus.PROPOSED,
        ProjectStatus.UNDER_REVIEW,
        ProjectStatus.CHANGES_REQUESTED,
        ProjectStatus.APPROVED,
        ProjectStatus.IN_PROGRESS,
    }
)
# Progress updates report on work that has been decided: before approval there is
# nothing to report, and a completed project is closed (its last update is its final
# report).
UPDATABLE_STATUSES = frozenset({ProjectStatus.APPROVED, ProjectStatus.IN_PROGRESS})
# Projects the city-wide assignment places: entering or leaving these re-runs it.
OPEN_PROJECT_STATUSES = frozenset({ProjectStatus.APPROVED, ProjectStatus.IN_PROGRESS})
# Candidates are worth looking for while the project may still get a space.
CANDIDATE_STATUSES = SUPPORTABLE_STATUSES

# What a project asks for, in the order people read it. The API's `needs` object, the
# proposal form, the scoring facts, the OGC items and the demo loader derive from it.
PROJECT_NEEDS_FIELDS = (
    "needs_space_kinds",
    "needs_min_area_m2",
    "needs_max_area_m2",
    "budget_krw",
    "earliest_start",
    "partner_capabilities",
)


class RenewalProject(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    municipality = models.ForeignKey(
        "cities.Municipality", on_delete=models.PROTECT, related_name="projects"
    )
    place = models.GeometryField(
        _("place"), srid=4326, help_text=_("A point or an area (polygon).")
    )
    category = models.CharField(
        _("category"), max_length=30, choices=ProjectCategory.choices
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProjectStatus.choices,
        default=ProjectStatus.PROPOSED,
    )
    needs_space_kinds = ArrayField(
        models.CharField(max_length=20, choices=SpaceKind.choices),
        verbose_name=_("acceptable space kinds"),
        default=list,
        blank=True,
    )
    needs_min_area_m2 = models.PositiveIntegerField(
        _("minimum floor area (m²)"), null=True, blank=True
    )
    needs_max_area_m2 = models.PositiveIntegerField(
        _("maximum floor area (m²)"), null=True, blank=True
    )
    budget_krw = models.PositiveBigIntegerField(
        _("budget (KRW)"), null=True, blank=True
    )
    earliest_start = models.DateField(_("earliest start"), null=True, blank=True)
    partner_capabilities = ArrayField(
        models.CharField(max_length=30, choices=Capability.choices),
        verbose_name=_("partner capabilities wanted"),
        default=list,
        blank=True,
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals"
    )
    lead_organization = models.ForeignKey(
        "renewal.CommunityOrganization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_projects",
    )
    # The listed space the proposal was started from (빈집은행), if any.
    space = models.ForeignKey(
        "renewal.VacantSpace",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("space"),
    )
    # Hidden by moderation: out of public lists, kept in the database.
    is_hidden = models.BooleanField(_("hidden"), default=False)
    resources = models.ManyToManyField(
        "renewal.NeighborhoodResource", blank=True, related_name="projects"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("renewal project")
        verbose_name_plural = _("renewal projects")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(needs_min_area_m2__isnull=True)
                | Q(needs_max_area_m2__isnull=True)
                | Q(needs_min_area_m2__lte=models.F("needs_max_area_m2")),
                name="project_area_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ProjectTransition(models.Model):
    """The review log: who moved a project, from where to where, and why."""

    project = models.ForeignKey(
        RenewalProject, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=20, choices=ProjectStatus.choices)
    to_status = models.CharField(max_length=20, choices=ProjectStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project transition")
        verbose_name_plural = _("project transitions")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_status} → {self.to_status}"


class ProjectSupport(models.Model):
    project = models.ForeignKey(
        RenewalProject, on_delete=models.CASCADE, related_name="supports"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supports"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        # One support per person and project, held by the database so that parallel
        # clicks cannot count twice.
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"], name="support_once_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} supports {self.project_id}"
