"""What moderation hides from whom, and the moderators' queue.

A hidden project stays visible to its proposer (who is told why), to the staff of
its city (a hidden proposal is still on their review desk) and to moderators;
everyone else gets 404, in lists and on detail. Comments: see
renewal.selectors.comments.
"""

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    F,
    Max,
    Min,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Left
from django.http import Http404

from renewal.models.participation import Comment, ContentReport
from renewal.models.projects import RenewalProject
from renewal.rules import municipality_ids_with_permission
from renewal.selectors.comments import comment_is_masked, sees_hidden_content

# The names the API uses for the two kinds of content that can be reported.
MODERATED_MODELS: dict[str, type[Model]] = {
    "project": RenewalProject,
    "comment": Comment,
}
EXCERPT_LENGTH = 200


def visible_projects(
    projects: QuerySet[RenewalProject], user
) -> QuerySet[RenewalProject]:
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


def content_get(*, kind: str, pk: int, user) -> Model:
    """The project or comment, if this user can see it; otherwise 404."""
    projects = visible_projects(RenewalProject.objects.all(), user)
    if kind == "project":
        found = projects.filter(pk=pk).first()
    elif kind == "comment":
        found = Comment.objects.filter(pk=pk, project__in=projects).first()
        # A placeholder is not something one can read, report or moderate.
        if found is not None and comment_is_masked(
            found, user=user, sees_hidden=sees_hidden_content(user)
        ):
            found = None
    else:
        found = None
    if found is None:
        raise Http404
    return found


def _column_of(model: type[Model], column: str) -> Subquery:
    return Subquery(model.objects.filter(pk=OuterRef("object_id")).values(column)[:1])


def pending_reports() -> QuerySet:
    """Unresolved reports grouped by the reported content, most reported first:
    the moderators' queue. Rows are dicts (content_kind, object_id, report_count,
    reasons, first/last reported, is_hidden, project_id, excerpt)."""
    project_type = ContentType.objects.get_for_model(RenewalProject)
    comment_type = ContentType.objects.get_for_model(Comment)
    is_project = Q(content_type_id=project_type.pk)
    return (
        ContentReport.objects.filter(
            resolved=False, content_type_id__in=[project_type.pk, comment_type.pk]
        )
        .annotate(
            content_kind=Case(
                When(is_project, then=Value("project")),
                default=Value("comment"),
                output_field=CharField(),
            ),
            is_hidden=Case(
                When(is_project, then=_column_of(RenewalProject, "is_hidden")),
                default=_column_of(Comment, "is_hidden"),
            ),
            project_id=Case(
                When(is_project, then=F("object_id")),
                default=_column_of(Comment, "project_id"),
                output_field=BigIntegerField(),
            ),
            excerpt=Case(
                When(is_project, then=_column_of(RenewalProject, "title")),
                default=Left(_column_of(Comment, "body"), EXCERPT_LENGTH),
                output_field=CharField(),
            ),
        )
        .values("content_kind", "object_id", "is_hidden", "project_id", "excerpt")
        .annotate(
            report_count=Count("id"),
            reasons=ArrayAgg("reason", order_by=("created_at", "id")),
            first_reported_at=Min("created_at"),
            last_reported_at=Max("created_at"),
        )
        .order_by("-report_count", "first_reported_at", "object_id")
    )
