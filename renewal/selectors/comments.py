"""Reading comments with moderation applied.

Who sees a hidden comment in full: its author and moderators. Everyone else sees a
hidden comment only as a placeholder (no author, no body) and only when it has
replies, so that the thread under it stays readable; a hidden comment without
replies is left out. The row itself is never deleted.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from renewal.models.participation import Comment
from renewal.models.projects import RenewalProject


def sees_hidden_content(user) -> bool:
    """Moderators see hidden projects and comments everywhere."""
    return user.has_perm("renewal.moderate_content")


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
