"""Threaded comments on renewal projects.

Side effects (the "reply to your comment" notification) are not enqueued here: the
notification service reads new comments and their parents itself, so that posting a
comment does not depend on how notifications are delivered.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from renewal.models.participation import Comment
from renewal.models.projects import RenewalProject
from renewal.services.errors import DomainError, require_perm
from renewal.services.notifications import enqueue_comment_notifications

COMMENT_MAX_LENGTH = 5000


@transaction.atomic
def comment_post(
    *,
    author,
    project: RenewalProject,
    body: str,
    parent: Comment | None = None,
) -> Comment:
    """A comment on a project, or a reply to one of its comments (any depth)."""
    require_perm(
        author,
        "renewal.comment_renewalproject",
        project,
        message=_("Sign in to comment."),
    )
    # Hidden states are read from the database, not from the objects handed in: a
    # moderator may have hidden either since the caller loaded them.
    if RenewalProject.objects.filter(pk=project.pk, is_hidden=True).exists():
        raise DomainError(
            _("This project is hidden by moderation and takes no comments.")
        )
    body = (body or "").strip()
    if not body:
        raise DomainError(
            _("Write something before posting."),
            fields={"body": [_("The comment is empty.")]},
        )
    if len(body) > COMMENT_MAX_LENGTH:
        raise DomainError(
            _("A comment holds at most %(limit)d characters.")
            % {"limit": COMMENT_MAX_LENGTH},
            fields={"body": [_("Too long.")]},
        )
    if parent is not None:
        parent = Comment.objects.get(pk=parent.pk)
        # A reply joins the thread it answers: it cannot cross projects, and a
        # hidden comment takes no new replies (they would re-surface its thread).
        if parent.project_id != project.pk:
            raise DomainError(
                _("You can only reply to a comment on the same project."),
                fields={"parent": [_("The comment belongs to another project.")]},
            )
        if parent.is_hidden:
            raise DomainError(
                _("This comment is hidden by moderation and takes no replies."),
                fields={"parent": [_("Hidden comment.")]},
            )
    comment = Comment.objects.create(
        project=project, author=author, parent=parent, body=body
    )
    enqueue_comment_notifications(comment.pk)
    return comment
