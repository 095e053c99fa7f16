"""Reports and moderation of projects and comments.

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
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from renewal.models.participation import (
    ContentReport,
    ModerationAction,
    ModerationLog,
)
from renewal.models.projects import RenewalProject
from renewal.selectors.moderation import MODERATED_MODELS
from renewal.services.errors import DomainError, require_perm
from renewal.services.notifications import enqueue_moderation_notifications
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
