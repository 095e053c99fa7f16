"""Engagement with projects: comments, follows, reports and moderation.

Threaded comments on renewal projects. Side effects (the "reply to your comment"
notification) are not enqueued here: the notification service reads new comments and
their parents itself, so that posting a comment does not depend on how notifications
are delivered.

Following a project (status changes, progress updates) or an area (new projects
within a radius of a point, optionally of one category).

Reports and moderation of projects and comments:

- Any signed-in user reports a project or comment once; repeating it changes nothing.
- When RENEWAL_AUTO_HIDE_REPORTS distinct users have open reports on the same
  content, it is hidden at once, pending a moderator (logged with no moderator).
- A moderator's hide or unhide needs a reason, is logged, and closes the open
  reports: the decision has been taken. Reports closed this way stay closed, so the
  same reporters cannot re-hide content a moderator has shown again.

Every hide and unhide is a ModerationLog row; the notification service reads those
rows to tell the author, so nothing is enqueued from here.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted, require_perm
from renewal.models.engagement import (
    AREA_FOLLOW_MAX_RADIUS_M,
    AREA_FOLLOW_MIN_RADIUS_M,
    AreaFollow,
    Comment,
    ContentReport,
    ModerationAction,
    ModerationLog,
    ProjectFollow,
)
from renewal.models.projects import ProjectCategory, RenewalProject
from renewal.selectors.engagement import MODERATED_MODELS
from renewal.services.notifications import (
    enqueue_comment_notifications,
    enqueue_moderation_notifications,
    enqueue_report_notifications,
)
from renewal.services.tiles import tiles_invalidate

REASON_MAX_LENGTH = 2000


def _moderated_model(content) -> type[Model]:
    for model in MODERATED_MODELS.values():
        if isinstance(content, model):
            return model
    raise DomainError(_("Only projects and comments can be reported."))


def _required_reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(message, fields={"reason": [_("A reason is required.")]})
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(
            _("A reason holds at most %(limit)d characters.")
            % {"limit": REASON_MAX_LENGTH},
            fields={"reason": [_("Too long.")]},
        )
    return reason


def _locked(model: type[Model], content: Model) -> Model:
    # Reports and decisions on one item queue behind this row lock, so the report
    # threshold is crossed exactly once and a moderator never races the automatic
    # hide (READ COMMITTED: the count after the lock sees every earlier report).
    return model.objects.select_for_update().get(pk=content.pk)


def _set_hidden(locked: Model, hidden: bool, *, handed_in: Model) -> None:
    locked.is_hidden = hidden
    locked.save(update_fields=["is_hidden"])
    # The caller's copy tells the truth too (the API answers from it).
    handed_in.is_hidden = hidden
    if isinstance(locked, RenewalProject):
        tiles_invalidate("projects")


def _open_reports(model: type[Model], content: Model):
    return ContentReport.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id=content.pk,
        resolved=False,
    )


@transaction.atomic
def content_report(*, reporter, content, reason: str) -> tuple[ContentReport, bool]:
    """Report a project or comment. Returns the report and whether it is new."""
    require_perm(
        reporter,
        "renewal.report_content",
        content,
        message=_("Sign in to report content."),
    )
    model = _moderated_model(content)
    reason = _required_reason(reason, _("Say what is wrong with this content."))
    locked = _locked(model, content)
    report, created = ContentReport.objects.get_or_create(
        reporter=reporter,
        content_type=ContentType.objects.get_for_model(model),
        object_id=locked.pk,
        defaults={"reason": reason},
    )
    if created:
        enqueue_report_notifications(report.pk)
    if created and not locked.is_hidden:
        reporters = (
            _open_reports(model, locked).values("reporter_id").distinct().count()
        )
        if reporters >= settings.RENEWAL_AUTO_HIDE_REPORTS:
            _set_hidden(locked, True, handed_in=content)
            entry = ModerationLog.objects.create(
                content_type=ContentType.objects.get_for_model(model),
                object_id=content.pk,
                action=ModerationAction.HIDE,
                moderator=None,
                reason=_(
                    "Hidden automatically after reports from %(count)d different "
                    "users, until a moderator reviews it."
                )
                % {"count": reporters},
            )
            enqueue_moderation_notifications(entry.pk)
    return report, created


def _moderate(*, moderator, content, reason: str, hide: bool) -> ModerationLog:
    model = _moderated_model(content)
    require_perm(
        moderator,
        "renewal.moderate_content",
        content,
        message=_("Only moderators can hide or show content."),
    )
    reason = _required_reason(
        reason, _("Give a reason; the author is told what you decided and why.")
    )
    locked = _locked(model, content)
    open_reports = _open_reports(model, locked)
    if hide and locked.is_hidden and not open_reports.exists():
        raise DomainError(_("This content is already hidden."))
    if not hide and not locked.is_hidden:
        raise DomainError(_("This content is not hidden."))
    _set_hidden(locked, hide, handed_in=content)
    open_reports.update(resolved=True)
    entry = ModerationLog.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_id=content.pk,
        action=ModerationAction.HIDE if hide else ModerationAction.UNHIDE,
        moderator=moderator,
        reason=reason,
    )
    enqueue_moderation_notifications(entry.pk)
    return entry


@transaction.atomic
def content_hide(*, moderator, content, reason: str) -> ModerationLog:
    """Hide a project or comment. On content the reports already hid, this confirms
    the automatic decision (and closes the reports)."""
    return _moderate(moderator=moderator, content=content, reason=reason, hide=True)


@transaction.atomic
def content_unhide(*, moderator, content, reason: str) -> ModerationLog:
    return _moderate(moderator=moderator, content=content, reason=reason, hide=False)


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


def _require_sign_in(user) -> None:
    if not user.is_authenticated:
        raise NotPermitted(_("Sign in to follow projects and areas."))


def project_follow(*, user, project: RenewalProject) -> bool:
    """Follow a project; repeating it is not an error. Returns whether a new follow
    was recorded (the unique constraint settles parallel requests)."""
    _require_sign_in(user)
    _follow, created = ProjectFollow.objects.get_or_create(user=user, project=project)
    return created


def project_unfollow(*, user, project: RenewalProject) -> bool:
    _require_sign_in(user)
    deleted, _details = ProjectFollow.objects.filter(
        user=user, project=project
    ).delete()
    return bool(deleted)


def area_follow_create(
    *, user, center: Point, radius_m: int, category: str = ""
) -> AreaFollow:
    _require_sign_in(user)
    if not isinstance(center, Point) or center.empty:
        raise DomainError(
            _("The centre of a followed area is a point."),
            fields={"center": [_("Use a Point.")]},
        )
    if not AREA_FOLLOW_MIN_RADIUS_M <= radius_m <= AREA_FOLLOW_MAX_RADIUS_M:
        raise DomainError(
            _("Choose a radius between %(min)d m and %(max)d km.")
            % {
                "min": AREA_FOLLOW_MIN_RADIUS_M,
                "max": AREA_FOLLOW_MAX_RADIUS_M // 1000,
            },
            fields={"radius_m": [_("Out of range.")]},
        )
    if category and category not in ProjectCategory.values:
        raise DomainError(
            _("“%(category)s” is not a project category.") % {"category": category},
            fields={"category": [_("Unknown category.")]},
        )
    if center.srid is None:
        center = Point(center.x, center.y, srid=4326)
    return AreaFollow.objects.create(
        user=user, center=center, radius_m=radius_m, category=category
    )


def area_follow_delete(*, user, area_follow: AreaFollow) -> None:
    _require_sign_in(user)
    if area_follow.user_id != user.pk:
        raise NotPermitted()
    area_follow.delete()
