from django.db.models import Count, QuerySet

from renewal.models.projects import RenewalProject


def renewal_project_list() -> QuerySet[RenewalProject]:
    """Projects with their exact support count, counted from the support rows (never a
    stored counter that parallel requests could skew)."""
    return (
        RenewalProject.objects.select_related("municipality", "proposer")
        .annotate(support_count=Count("supports"))
        .order_by("-created_at", "-id")
    )
