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
