from django.db.models import Count, Q, QuerySet

from renewal.models.projects import RenewalProject
from renewal.rules import municipality_ids_with_permission


def renewal_project_list() -> QuerySet[RenewalProject]:
    """Projects with their exact support count, counted from the support rows (never a
    stored counter that parallel requests could skew)."""
    return (
        RenewalProject.objects.select_related("municipality", "proposer")
        .annotate(support_count=Count("supports"))
        .order_by("-created_at", "-id")
    )


def sees_hidden_content(user) -> bool:
    """Moderators see hidden projects and comments everywhere."""
    return user.has_perm("renewal.moderate_content")


def visible_projects(
    projects: QuerySet[RenewalProject], user
) -> QuerySet[RenewalProject]:
    """A hidden project stays visible to its proposer (who is told why), to the staff
    of its city (a hidden proposal is still on their review desk) and to moderators;
    everyone else gets 404, in lists and on detail."""
    if sees_hidden_content(user):
        return projects
    shown = Q(is_hidden=False)
    if user.is_authenticated:
        shown |= Q(proposer_id=user.pk)
        staff_of = municipality_ids_with_permission(
            user=user, permission="renewal.view_hidden_renewalproject"
        )
        if staff_of:
            shown |= Q(municipality_id__in=staff_of)
    return projects.filter(shown)


# How many recent review steps of a city "typical time" is read from, and how few
# make no typical time at all.
REVIEW_SAMPLE = 200
REVIEW_SAMPLE_MIN = 3


def typical_step_days(*, municipality_id: int, from_status: str) -> int | None:
    """The median number of days a project of this city stayed in `from_status`
    before its next step, over its recent steps; None with too few to tell."""
    from django.db.models import F, OuterRef, Subquery

    from renewal.models.projects import ProjectStatus, ProjectTransition

    if from_status == ProjectStatus.PROPOSED:
        entered = F("project__created_at")
    else:
        entered = Subquery(
            ProjectTransition.objects.filter(
                project_id=OuterRef("project_id"),
                to_status=from_status,
                at__lte=OuterRef("at"),
            )
            .order_by("-at")
            .values("at")[:1]
        )
    # One query: each recent step of the city with the moment its project entered
    # the status it left.
    steps = (
        ProjectTransition.objects.filter(
            project__municipality_id=municipality_id, from_status=from_status
        )
        .annotate(entered=entered)
        .exclude(entered__isnull=True)
        .order_by("-at")
        .values_list("at", "entered")[:REVIEW_SAMPLE]
    )
    durations = [(left - came).total_seconds() / 86400 for left, came in steps]
    if len(durations) < REVIEW_SAMPLE_MIN:
        return None
    durations.sort()
    middle = len(durations) // 2
    median = (
        durations[middle]
        if len(durations) % 2
        else (durations[middle - 1] + durations[middle]) / 2
    )
    return max(1, round(median))
