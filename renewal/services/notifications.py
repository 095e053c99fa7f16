"""Notifications: who is told about an event, and the e-mail that tells them.

Producers (`notifications_for_*`) take the id of a logged event and create one
`Notification` per recipient. They are idempotent: the unique (user, event_key) pair
and `ignore_conflicts` mean a retried or redelivered task creates nothing new. Each
returns the ids of the event's notifications not yet e-mailed, for the e-mail step.

Users have no stored language, so a message is written in Korean and English
("한국어 / English"), rendered once when the event happens; e-mails carry the same
text. The actor who caused an event is never notified of it.

E-mail is sent at most once per notification: the row is locked
(`select_for_update(skip_locked=True)`) and `emailed_at` set in the transaction that
sends it, so a parallel worker skips it and a retry finds it done. SMTP errors
propagate so that the task retries. (If the database commit failed right after the
mail server accepted a message, that one message would go out again on retry; the
lock cannot span the mail server.)
"""

import datetime
from collections.abc import Callable, Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Polygon
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import NotPermitted
from renewal.models import (
    AREA_FOLLOW_MAX_RADIUS_M,
    AreaFollow,
    Comment,
    EmailMode,
    ModerationAction,
    ModerationLog,
    Notification,
    NotificationKind,
    NotificationPreference,
    ProgressUpdate,
    ProjectCategory,
    ProjectFollow,
    ProjectStatus,
    ProjectTransition,
    RenewalProject,
)
from renewal.selectors.spaces import METRES_PER_DEGREE_LATITUDE
from renewal.services.background import enqueue_after_commit
from renewal.tasks import (
    notifications_for_comment_task,
    notifications_for_moderation_task,
    notifications_for_new_project_task,
    notifications_for_progress_update_task,
    notifications_for_transition_task,
)

NOTIFICATION_QUEUE = settings.TASK_QUEUES["notifications"]
MESSAGE_LANGUAGES = ("ko", "en")

EMAIL_SUBJECTS = {
    NotificationKind.STATUS_CHANGED: gettext_lazy(
        "A project you follow changed status"
    ),
    NotificationKind.PROGRESS_UPDATE: gettext_lazy(
        "New progress on a project you follow"
    ),
    NotificationKind.COMMENT_REPLY: gettext_lazy("Someone replied to your comment"),
    NotificationKind.NEW_PROJECT_NEARBY: gettext_lazy(
        "A new project in an area you follow"
    ),
    # Also used when content is shown again: the message says which.
    NotificationKind.CONTENT_HIDDEN: gettext_lazy(
        "A moderator's decision about your content"
    ),
}


# Hook points: the services that log an event call one of these inside their
# transaction; the task is queued only once the event is committed, and a broker
# outage is logged, never an error for the user (enqueue_after_commit).


def _enqueue(task, object_id: int) -> None:
    enqueue_after_commit(task, args=(object_id,), queue=NOTIFICATION_QUEUE)


def enqueue_transition_notifications(transition_id: int) -> None:
    _enqueue(notifications_for_transition_task, transition_id)


def enqueue_progress_update_notifications(update_id: int) -> None:
    _enqueue(notifications_for_progress_update_task, update_id)


def enqueue_comment_notifications(comment_id: int) -> None:
    _enqueue(notifications_for_comment_task, comment_id)


def enqueue_new_project_notifications(project_id: int) -> None:
    _enqueue(notifications_for_new_project_task, project_id)


def enqueue_moderation_notifications(log_id: int) -> None:
    _enqueue(notifications_for_moderation_task, log_id)


def bilingual(render: Callable[[], str]) -> str:
    """The text in Korean and English, once if both read the same (untranslated)."""
    texts = []
    for language in MESSAGE_LANGUAGES:
        with translation.override(language):
            texts.append(str(render()))
    return " / ".join(dict.fromkeys(texts))


def _notify(
    *,
    user_ids: Iterable[int | None],
    kind: str,
    event_key: str,
    project_id: int | None,
    message: str,
    actor_id: int | None = None,
) -> list[int]:
    recipients = {pk for pk in user_ids if pk is not None} - {actor_id}
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=kind,
                event_key=event_key,
                project_id=project_id,
                message=message,
            )
            for user_id in sorted(recipients)
        ],
        # The unique (user, event_key) constraint makes a second run a no-op.
        ignore_conflicts=True,
    )
    return list(
        Notification.objects.filter(
            event_key=event_key, emailed_at__isnull=True
        ).values_list("pk", flat=True)
    )


def _followers_and_proposer(project: RenewalProject) -> set[int]:
    followers = set(
        ProjectFollow.objects.filter(project=project).values_list("user_id", flat=True)
    )
    return followers | {project.proposer_id}


def notifications_for_transition(*, transition_id: int) -> list[int]:
    transition = ProjectTransition.objects.select_related("project").get(
        pk=transition_id
    )
    project = transition.project

    def render() -> str:
        text = _("“%(title)s” is now “%(status)s”.") % {
            "title": project.title,
            "status": ProjectStatus(transition.to_status).label,
        }
        if transition.reason:
            text += " " + _("Reason: %(reason)s") % {"reason": transition.reason}
        return text

    return _notify(
        user_ids=_followers_and_proposer(project),
        kind=NotificationKind.STATUS_CHANGED,
        event_key=f"status:{transition.pk}",
        project_id=project.pk,
        message=bilingual(render),
        actor_id=transition.actor_id,
    )


def notifications_for_progress_update(*, update_id: int) -> list[int]:
    update = ProgressUpdate.objects.select_related("project").get(pk=update_id)
    project = update.project

    def render() -> str:
        text = _("“%(title)s” is %(percent)d%% complete.") % {
            "title": project.title,
            "percent": update.percent_complete,
        }
        if update.milestone:
            text += " " + _("Milestone: %(milestone)s") % {
                "milestone": update.milestone
            }
        return text

    return _notify(
        user_ids=_followers_and_proposer(project),
        kind=NotificationKind.PROGRESS_UPDATE,
        event_key=f"progress:{update.pk}",
        project_id=project.pk,
        message=bilingual(render),
        actor_id=update.author_id,
    )


def notifications_for_comment(*, comment_id: int) -> list[int]:
    """A reply tells the author of the comment it answers (nobody else)."""
    comment = Comment.objects.select_related("project", "parent").get(pk=comment_id)
    if comment.parent is None or comment.is_hidden:
        return []
    project = comment.project
    return _notify(
        user_ids=[comment.parent.author_id],
        kind=NotificationKind.COMMENT_REPLY,
        event_key=f"reply:{comment.pk}",
        project_id=project.pk,
        message=bilingual(
            lambda: (
                _("New reply to your comment on “%(title)s”.")
                % {"title": project.title}
            )
        ),
        actor_id=comment.author_id,
    )


def area_followers_of(project: RenewalProject) -> set[int]:
    """Users whose followed circle (in metres) reaches the project's place.

    The box around the place, as large as the largest allowed radius, lets the GiST
    index on `center` pick candidates; the exact spheroid distance, against each
    row's own radius, then runs on those few rows only.
    """
    place = project.place
    min_x, min_y, max_x, max_y = place.extent
    # The box must cover every follower's circle: as wide as the largest radius.
    dlat = AREA_FOLLOW_MAX_RADIUS_M / METRES_PER_DEGREE_LATITUDE
    dlon = dlat / 0.5  # cos(60°): generous for all of Korea (33°–39° N)
    box = Polygon.from_bbox((min_x - dlon, min_y - dlat, max_x + dlon, max_y + dlat))
    within_radius = RawSQL(
        "ST_DWithin(center::geography, ST_GeomFromEWKT(%s)::geography, radius_m)",
        (place.ewkt,),
        output_field=BooleanField(),
    )
    return set(
        AreaFollow.objects.filter(center__intersects=box)
        .filter(within_radius)
        .filter(Q(category="") | Q(category=project.category))
        .values_list("user_id", flat=True)
    )


def notifications_for_new_project(*, project_id: int) -> list[int]:
    project = RenewalProject.objects.get(pk=project_id)
    if project.is_hidden:
        return []
    return _notify(
        user_ids=area_followers_of(project),
        kind=NotificationKind.NEW_PROJECT_NEARBY,
        event_key=f"new_project:{project.pk}",
        project_id=project.pk,
        message=bilingual(
            lambda: (
                _("New project in an area you follow: “%(title)s” (%(category)s).")
                % {
                    "title": project.title,
                    "category": ProjectCategory(project.category).label,
                }
            )
        ),
        actor_id=project.proposer_id,
    )


def notifications_for_moderation(*, log_id: int) -> list[int]:
    """The author of hidden (or re-shown) content is told what and why."""
    log = ModerationLog.objects.select_related("content_type").get(pk=log_id)
    content = log.content
    if isinstance(content, RenewalProject):
        author_id, project = content.proposer_id, content
    elif isinstance(content, Comment):
        author_id, project = content.author_id, content.project
    else:  # deleted since, or a kind of content nobody authors
        return []
    is_comment = isinstance(content, Comment)
    hidden = log.action == ModerationAction.HIDE

    def render() -> str:
        values = {"title": project.title, "reason": log.reason}
        if is_comment and hidden:
            return _("Your comment on “%(title)s” was hidden. Reason: %(reason)s") % (
                values
            )
        if is_comment:
            return _(
                "Your comment on “%(title)s” is shown again. Reason: %(reason)s"
            ) % (values)
        if hidden:
            return _("Your proposal “%(title)s” was hidden. Reason: %(reason)s") % (
                values
            )
        return _("Your proposal “%(title)s” is shown again. Reason: %(reason)s") % (
            values
        )

    return _notify(
        user_ids=[author_id],
        kind=NotificationKind.CONTENT_HIDDEN,
        event_key=f"moderation:{log.pk}",
        project_id=project.pk,
        message=bilingual(render),
        actor_id=log.moderator_id,
    )


def _users_in_mode(mode: str):
    users = get_user_model().objects.exclude(email="")
    if mode == EmailMode.IMMEDIATE:
        # No preference row means the default, immediate.
        return users.exclude(
            notification_preference__email_mode__in=[
                EmailMode.DAILY_DIGEST,
                EmailMode.OFF,
            ]
        )
    return users.filter(notification_preference__email_mode=mode)


def notification_emails_send_immediate(*, notification_ids: Iterable[int]) -> int:
    """E-mail each notification once to its user if they chose immediate e-mail.

    One transaction per notification: a failure keeps what was already sent marked
    as sent, so a retry continues where this run stopped. Returns the number sent.
    """
    sent = 0
    recipients = _users_in_mode(EmailMode.IMMEDIATE)
    for notification_id in sorted(set(notification_ids)):
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(
                    pk=notification_id,
                    emailed_at__isnull=True,
                    user__in=recipients,
                )
                .first()
            )
            if notification is None:  # sent, being sent, or not for e-mail
                continue
            send_mail(
                bilingual(partial(str, EMAIL_SUBJECTS[notification.kind])),
                notification.message,
                settings.DEFAULT_FROM_EMAIL,
                [notification.user.email],
            )
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
            sent += 1
    return sent


def _on_day(day: datetime.date) -> Q:
    # The day in the platform's time zone (Asia/Seoul), not UTC.
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return Q(created_at__gte=start, created_at__lt=start + datetime.timedelta(days=1))


def notification_digest_recipients(*, day: datetime.date) -> list[int]:
    """Digest users with something not yet e-mailed on that day."""
    return list(
        _users_in_mode(EmailMode.DAILY_DIGEST)
        .filter(
            pk__in=Notification.objects.filter(
                _on_day(day), emailed_at__isnull=True
            ).values("user_id")
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def notification_digest_send(*, user_id: int, day: datetime.date) -> int:
    """One e-mail with the day's notifications not yet e-mailed; returns how many
    it listed (0 and no e-mail when there are none or the user chose otherwise)."""
    user = _users_in_mode(EmailMode.DAILY_DIGEST).filter(pk=user_id).first()
    if user is None:
        return 0
    notifications = list(
        Notification.objects.select_for_update(skip_locked=True)
        .filter(_on_day(day), user=user, emailed_at__isnull=True)
        .order_by("created_at", "id")
    )
    if not notifications:
        return 0
    body = "\n\n".join(f"- {n.message}" for n in notifications)
    send_mail(
        bilingual(
            lambda: _("Your notifications of %(day)s") % {"day": day.isoformat()}
        ),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
    )
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
        emailed_at=timezone.now()
    )
    return len(notifications)


# In-app list: marking read, and the e-mail preference.


def notification_mark_read(*, user, notification: Notification) -> Notification:
    if notification.user_id != user.pk:
        raise NotPermitted()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notification_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_preference_get(*, user) -> NotificationPreference:
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference or NotificationPreference(user=user)


def notification_preference_set(*, user, email_mode: str) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_mode": email_mode}
    )
    return preference
