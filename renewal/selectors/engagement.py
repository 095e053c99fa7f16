"""Engagement reads: comments with moderation applied, and the moderators' queue.

Who sees a hidden comment in full: its author and moderators. Everyone else sees a
hidden comment only as a placeholder (no author, no body) and only when it has
replies, so that the thread under it stays readable; a hidden comment without
replies is left out. The row itself is never deleted. Hidden projects: see
visible_projects in renewal.selectors.projects.
"""

from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import GeometryDistance
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
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

from cities.models import Municipality
from renewal.models.engagement import AreaFollow, Comment, ContentReport
from renewal.models.projects import RenewalProject
from renewal.selectors.projects import sees_hidden_content, visible_projects

# The names the API uses for the two kinds of content that can be reported.
MODERATED_MODELS: dict[str, type[Model]] = {
    "project": RenewalProject,
    "comment": Comment,
}
EXCERPT_LENGTH = 200


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


def comment_is_masked(comment: Comment, *, user, sees_hidden: bool) -> bool:
    """Whether this viewer gets the placeholder instead of the comment."""
    return (
        comment.is_hidden
        and not sees_hidden
        and not (user.is_authenticated and comment.author_id == user.pk)
    )


def visible_comments(comments: QuerySet[Comment], user) -> QuerySet[Comment]:
    if sees_hidden_content(user):
        return comments
    shown = Q(is_hidden=False) | Exists(
        Comment.objects.filter(parent_id=OuterRef("pk"))
    )
    if user.is_authenticated:
        shown |= Q(author_id=user.pk)
    return comments.filter(shown)


def comment_list(*, project: RenewalProject, user) -> QuerySet[Comment]:
    """A project's comments, oldest first, each with its `parent` id.

    Oldest first puts every parent before its replies (a reply is always younger than
    the comment it answers), so a client builds the tree in one pass, page by page.
    A placeholder kept for a hidden comment has replies, so every listed reply's
    parent is listed too.
    """
    comments = (
        Comment.objects.filter(project=project)
        .select_related("author")
        .order_by("created_at", "id")
    )
    return visible_comments(comments, user)


def area_follow_list(*, user) -> QuerySet:
    """The user's followed areas, newest first, each with the city whose seat is
    nearest to its centre (for naming it and linking to that city's map)."""
    nearest = (
        Municipality.objects.exclude(code=None)
        .annotate(
            distance=GeometryDistance(
                "location",
                ExpressionWrapper(OuterRef("center"), output_field=PointField()),
            )
        )
        .order_by("distance")
    )
    return (
        AreaFollow.objects.filter(user=user)
        .annotate(
            city_code=Subquery(nearest.values("code")[:1]),
            city_name_ko=Subquery(nearest.values("name_ko")[:1]),
            city_name_en=Subquery(nearest.values("name_en")[:1]),
        )
        .order_by("-created_at", "-id")
    )
