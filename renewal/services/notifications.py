"""Notifications: who is told about an event, and the e-mail that tells them.

Producers (`notifications_for_*`) take the id of a logged event and create one
`Notification` per recipient. They are idempotent: the unique (user, event_key) pair
and `ignore_conflicts` mean a retried or redelivered task creates nothing new. Each
returns the ids of the event's notifications not yet e-mailed, for the e-mail step.

A notification stores its kind and parameters; its text is written when it is read
(renewal/models/notifications.py): in the page's language in the app and the API,
in the recipient's stored language (NotificationPreference.language) by e-mail. The
actor who caused an event is never notified of it.

Residents hear about projects they propose or follow, replies and moderation. A
city's staff (its editors and viewers) hear about new proposals in the city,
matches answered, use agreements ending within AGREEMENT_ENDING_DAYS, content
reported in the city (with the site's moderators), and whoever started an import
about its end.

E-mail is sent at most once per notification: the row is locked
(`select_for_update(skip_locked=True)`) and `emailed_at` set in the transaction that
sends it, so a parallel worker skips it and a retry finds it done. SMTP errors
propagate so that the task retries. (If the database commit failed right after the
mail server accepted a message, that one message would go out again on retry; the
lock cannot span the mail server.)
"""

import datetime
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import Polygon
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted
from renewal.models import (
    AREA_FOLLOW_MAX_RADIUS_M,
    HOLDING_STATUSES,
    AreaFollow,
    CityMembership,
    CityRole,
    ClaimStatus,
    Comment,
    ContentReport,
    EmailMode,
    ImportStatus,
    Match,
    MatchStatus,
    ModerationAction,
    ModerationLog,
    Notification,
    NotificationKind,
    NotificationPreference,
    OrganizationMembership,
    OwnershipClaim,
    ProgressUpdate,
    ProjectFollow,
    ProjectTransition,
    RenewalProject,
    SpaceImport,
    SurveyObservation,
    UseAgreement,
)
from renewal.rules import space_owner_of
from renewal.selectors.spaces import METRES_PER_DEGREE_LATITUDE
from renewal.services.background import enqueue_after_commit
from renewal.tasks import (
    notifications_for_city_proposal_task,
    notifications_for_claim_task,
    notifications_for_comment_task,
    notifications_for_import_task,
    notifications_for_match_offer_task,
    notifications_for_match_status_task,
    notifications_for_moderation_task,
    notifications_for_new_project_task,
    notifications_for_owner_match_task,
    notifications_for_progress_update_task,
    notifications_for_report_task,
    notifications_for_survey_conflict_task,
    notifications_for_transition_task,
)

NOTIFICATION_QUEUE = settings.TASK_QUEUES["notifications"]
MESSAGE_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
# How long before a use agreement ends its city's staff hear of it.
AGREEMENT_ENDING_DAYS = 60
# The match steps a city's staff hear of: the project's answer to an offer (or a
# decline by a colleague). Offers and the steps after acceptance are staff's own.
MATCH_STATUSES_FOR_STAFF = frozenset({MatchStatus.ACCEPTED, MatchStatus.DECLINED})
# The project's side (its proposer, its lead organisation's members) hears of an
# offer, which waits for their answer; what follows is their own doing.
MATCH_STATUSES_FOR_PROJECT = frozenset({MatchStatus.OFFERED})
# A space's verified owner hears of the steps that concern their space.
MATCH_STATUSES_FOR_OWNER = frozenset(
    {
        MatchStatus.OFFERED,
        MatchStatus.ACCEPTED,
        MatchStatus.DECLINED,
        MatchStatus.ACTIVE,
        MatchStatus.ENDED,
    }
)
# The site-wide moderators (renewal.rules.is_moderator).
MODERATORS_GROUP = "moderators"


# Hook points: the services that log an event call one of these inside their
# transaction; the task is queued only once the event is committed, and a broker
# outage is logged, never an error for the user (enqueue_after_commit).


def _enqueue(task, *args) -> None:
    enqueue_after_commit(task, args=args, queue=NOTIFICATION_QUEUE)


def enqueue_transition_notifications(transition_id: int) -> None:
    _enqueue(notifications_for_transition_task, transition_id)


def enqueue_progress_update_notifications(update_id: int) -> None:
    _enqueue(notifications_for_progress_update_task, update_id)


def enqueue_comment_notifications(comment_id: int) -> None:
    _enqueue(notifications_for_comment_task, comment_id)


def enqueue_new_project_notifications(project_id: int) -> None:
    """Area followers, and the staff of the project's city."""
    _enqueue(notifications_for_new_project_task, project_id)
    _enqueue(notifications_for_city_proposal_task, project_id)


def enqueue_moderation_notifications(log_id: int) -> None:
    _enqueue(notifications_for_moderation_task, log_id)


def enqueue_match_notifications(*, match: Match, to: str, actor) -> None:
    """Called on every step of a match; the ones staff hear of are queued. The
    status and actor travel with the task: the match has no log of its steps, and
    may have moved on by the time the task runs."""
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    if to in MATCH_STATUSES_FOR_STAFF:
        _enqueue(notifications_for_match_status_task, match.pk, str(to), actor_id)
    if to in MATCH_STATUSES_FOR_OWNER:
        _enqueue(notifications_for_owner_match_task, match.pk, str(to), actor_id)
    if to in MATCH_STATUSES_FOR_PROJECT:
        _enqueue(notifications_for_match_offer_task, match.pk, actor_id)


def enqueue_claim_notifications(claim_id: int) -> None:
    """A new claim tells the city's staff; a decided one its claimant."""
    _enqueue(notifications_for_claim_task, claim_id)


def enqueue_import_notifications(import_id: int) -> None:
    _enqueue(notifications_for_import_task, import_id)


def enqueue_report_notifications(report_id: int) -> None:
    _enqueue(notifications_for_report_task, report_id)


def enqueue_survey_conflict_notifications(observation_id: int) -> None:
    _enqueue(notifications_for_survey_conflict_task, observation_id)


def user_language(user) -> str:
    """The language a user reads e-mail in: the stored preference, else the
    site's default. Free after select_related("notification_preference")."""
    try:
        return user.notification_preference.language
    except NotificationPreference.DoesNotExist:
        return settings.LANGUAGE_CODE


def email_each_in_own_language(
    *, users: Iterable, subject: Callable[[], str], body: Callable[[], str]
) -> int:
    """One e-mail per user with an address, written in that user's language.
    Returns how many were sent."""
    sent = 0
    for user in users:
        if not user.email:
            continue
        with translation.override(user_language(user)):
            send_mail(
                str(subject()), str(body()), settings.DEFAULT_FROM_EMAIL, [user.email]
            )
        sent += 1
    return sent


def _notify_many(
    notifications: Iterable[Notification], event_keys: Iterable[str]
) -> list[int]:
    Notification.objects.bulk_create(
        list(notifications),
        # The unique (user, event_key) constraint makes a second run a no-op.
        ignore_conflicts=True,
    )
    return list(
        Notification.objects.filter(
            event_key__in=list(event_keys), emailed_at__isnull=True
        ).values_list("pk", flat=True)
    )


def _notify(
    *,
    user_ids: Iterable[int | None],
    kind: str,
    event_key: str,
    project_id: int | None,
    params: dict,
    actor_id: int | None = None,
) -> list[int]:
    recipients = {pk for pk in user_ids if pk is not None} - {actor_id}
    return _notify_many(
        (
            Notification(
                user_id=user_id,
                kind=kind,
                event_key=event_key,
                project_id=project_id,
                params=params,
            )
            for user_id in sorted(recipients)
        ),
        [event_key],
    )


def _followers_and_proposer(project: RenewalProject) -> set[int]:
    followers = set(
        ProjectFollow.objects.filter(project=project).values_list("user_id", flat=True)
    )
    return followers | {project.proposer_id}


def city_staff_of(municipality_ids: Iterable[int]) -> dict[int, set[int]]:
    """Municipality id → ids of its active staff (editors and viewers)."""
    staff: dict[int, set[int]] = {pk: set() for pk in municipality_ids}
    for municipality_id, user_id in CityMembership.objects.filter(
        municipality_id__in=list(staff), user__is_active=True
    ).values_list("municipality_id", "user_id"):
        staff[municipality_id].add(user_id)
    return staff


def _moderators() -> set[int]:
    return set(
        get_user_model()
        .objects.filter(groups__name=MODERATORS_GROUP, is_active=True)
        .values_list("pk", flat=True)
    )


def _city_params(municipality) -> dict:
    return {"city_ko": municipality.name_ko, "city_en": municipality.name_en}


def notifications_for_transition(*, transition_id: int) -> list[int]:
    transition = ProjectTransition.objects.select_related("project").get(
        pk=transition_id
    )
    project = transition.project
    return _notify(
        user_ids=_followers_and_proposer(project),
        kind=NotificationKind.STATUS_CHANGED,
        event_key=f"status:{transition.pk}",
        project_id=project.pk,
        params={
            "title": project.title,
            "status": transition.to_status,
            "reason": transition.reason,
        },
        actor_id=transition.actor_id,
    )


def notifications_for_progress_update(*, update_id: int) -> list[int]:
    update = ProgressUpdate.objects.select_related("project").get(pk=update_id)
    project = update.project
    return _notify(
        user_ids=_followers_and_proposer(project),
        kind=NotificationKind.PROGRESS_UPDATE,
        event_key=f"progress:{update.pk}",
        project_id=project.pk,
        params={
            "title": project.title,
            "percent": update.percent_complete,
            "milestone": update.milestone,
        },
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
        params={"title": project.title, "comment": comment.pk},
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
    # The city's own staff hear of it as a proposal in their city, once.
    staff = city_staff_of([project.municipality_id])[project.municipality_id]
    return _notify(
        user_ids=area_followers_of(project) - staff,
        kind=NotificationKind.NEW_PROJECT_NEARBY,
        event_key=f"new_project:{project.pk}",
        project_id=project.pk,
        params={"title": project.title, "category": project.category},
        actor_id=project.proposer_id,
    )


def notifications_for_city_proposal(*, project_id: int) -> list[int]:
    """A new proposal tells the staff of its city."""
    project = RenewalProject.objects.select_related("municipality").get(pk=project_id)
    if project.is_hidden:
        return []
    return _notify(
        user_ids=city_staff_of([project.municipality_id])[project.municipality_id],
        kind=NotificationKind.CITY_PROPOSAL,
        event_key=f"city_proposal:{project.pk}",
        project_id=project.pk,
        params={
            "title": project.title,
            "category": project.category,
            **_city_params(project.municipality),
        },
        actor_id=project.proposer_id,
    )


def _moderated_content(
    content_type_id: int, object_id: int
) -> tuple[RenewalProject, Comment | None] | None:
    """(project, comment or None) of a moderated item, or None if it is gone."""
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is RenewalProject:
        project = RenewalProject.objects.filter(pk=object_id).first()
        return (project, None) if project else None
    if model is Comment:
        comment = Comment.objects.select_related("project").filter(pk=object_id).first()
        return (comment.project, comment) if comment else None
    return None


def notifications_for_moderation(*, log_id: int) -> list[int]:
    """The author of hidden (or re-shown) content is told what and why."""
    log = ModerationLog.objects.get(pk=log_id)
    found = _moderated_content(log.content_type_id, log.object_id)
    if found is None:  # deleted since
        return []
    project, comment = found
    author_id = comment.author_id if comment else project.proposer_id
    return _notify(
        user_ids=[author_id],
        kind=NotificationKind.CONTENT_HIDDEN,
        event_key=f"moderation:{log.pk}",
        project_id=project.pk,
        params={
            "title": project.title,
            "reason": log.reason,
            "content": "comment" if comment else "project",
            "action": "hide" if log.action == ModerationAction.HIDE else "unhide",
            **({"comment": comment.pk} if comment else {}),
        },
        actor_id=log.moderator_id,
    )


def notifications_for_report(*, report_id: int) -> list[int]:
    """A report tells the site's moderators and the staff of the content's city.
    Only the first open report of an item does: the next reports wait for the
    same decision, and would only repeat the alarm."""
    report = ContentReport.objects.filter(pk=report_id).first()
    if report is None or report.resolved:
        return []
    if ContentReport.objects.filter(
        content_type_id=report.content_type_id,
        object_id=report.object_id,
        resolved=False,
        pk__lt=report.pk,
    ).exists():
        return []
    found = _moderated_content(report.content_type_id, report.object_id)
    if found is None:
        return []
    project, comment = found
    staff = city_staff_of([project.municipality_id])[project.municipality_id]
    return _notify(
        user_ids=_moderators() | staff,
        kind=NotificationKind.CONTENT_REPORTED,
        event_key=f"report:{report.pk}",
        project_id=project.pk,
        params={
            "title": project.title,
            "reason": report.reason,
            "content": "comment" if comment else "project",
            **({"comment": comment.pk} if comment else {}),
        },
        actor_id=report.reporter_id,
    )


def _match_params(match: Match) -> dict:
    return {
        "match": match.pk,
        "title": match.project.title,
        "space": match.space_id,
        "address": match.space.address,
    }


def notifications_for_match_status(
    *, match_id: int, status: str, actor_id: int | None
) -> list[int]:
    """A match's step tells the staff of its city (not the one who took it)."""
    match = Match.objects.select_related("project", "space").get(pk=match_id)
    return _notify(
        user_ids=city_staff_of([match.municipality_id])[match.municipality_id],
        kind=NotificationKind.MATCH_STATUS,
        event_key=f"match:{match.pk}:{status}",
        project_id=match.project_id,
        params={**_match_params(match), "status": status},
        actor_id=actor_id,
    )


def notifications_for_match_offer(*, match_id: int, actor_id: int | None) -> list[int]:
    """An offer tells the project's proposer and its lead organisation's members,
    who answer it."""
    match = Match.objects.select_related("project", "space").get(pk=match_id)
    project = match.project
    members = (
        OrganizationMembership.objects.filter(
            organization_id=project.lead_organization_id
        ).values_list("user_id", flat=True)
        if project.lead_organization_id
        else []
    )
    return _notify(
        user_ids=[project.proposer_id, *members],
        kind=NotificationKind.MATCH_OFFERED,
        event_key=f"match_offer:{match.pk}",
        project_id=project.pk,
        params=_match_params(match),
        actor_id=actor_id,
    )


def notifications_for_owner_match(
    *, match_id: int, status: str, actor_id: int | None
) -> list[int]:
    """A step of a match on an owned space tells its verified owner (unless the
    owner took it)."""
    match = Match.objects.select_related("project", "space__owner").get(pk=match_id)
    owner = space_owner_of(match.space)
    if owner is None or owner.user_id is None:
        return []
    return _notify(
        user_ids=[owner.user_id],
        kind=NotificationKind.OWNED_SPACE_MATCH,
        event_key=f"owner_match:{match.pk}:{status}",
        project_id=match.project_id,
        params={**_match_params(match), "status": status},
        actor_id=actor_id,
    )


def notifications_for_claim(*, claim_id: int) -> list[int]:
    """A pending claim tells the staff of its city; a verified or rejected one its
    claimant, with the reason. One producer: the status says which event it is."""
    claim = (
        OwnershipClaim.objects.select_related("municipality", "space")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None or claim.status == ClaimStatus.WITHDRAWN:
        return []
    params = {
        "claim": claim.pk,
        "space": claim.space_id,
        "address": claim.space.address if claim.space_id else claim.address,
        "status": claim.status,
    }
    if claim.status == ClaimStatus.PENDING:
        return _notify(
            user_ids=city_staff_of([claim.municipality_id])[claim.municipality_id],
            kind=NotificationKind.OWNERSHIP_CLAIM,
            event_key=f"claim:{claim.pk}",
            project_id=None,
            params={
                **params,
                **_city_params(claim.municipality),
                "city_code": claim.municipality.code or "",
            },
            actor_id=claim.claimant_id,
        )
    return _notify(
        user_ids=[claim.claimant_id],
        kind=NotificationKind.CLAIM_DECIDED,
        event_key=f"claim:{claim.pk}:{claim.status}",
        project_id=None,
        params={
            **params,
            "reason": claim.reason,
            "superseded": claim.status == ClaimStatus.REJECTED and not claim.reason,
        },
        actor_id=claim.decided_by_id,
    )


def notifications_for_ending_agreements(
    *, today: datetime.date | None = None
) -> list[int]:
    """Staff of each city hear once of each use agreement of a promised or used
    space that ends within AGREEMENT_ENDING_DAYS. A changed end date is news
    again: it is part of the event's key."""
    today = today or timezone.localdate()
    agreements = list(
        UseAgreement.objects.filter(
            end_date__gte=today,
            end_date__lte=today + datetime.timedelta(days=AGREEMENT_ENDING_DAYS),
            match__status__in=HOLDING_STATUSES,
        )
        .select_related("match__project", "match__space")
        .order_by("end_date", "pk")
    )
    staff = city_staff_of({a.match.municipality_id for a in agreements})
    notifications, event_keys = [], []
    for agreement in agreements:
        match = agreement.match
        event_key = f"agreement_ending:{agreement.pk}:{agreement.end_date.isoformat()}"
        event_keys.append(event_key)
        params = {
            **_match_params(match),
            "kind": agreement.kind,
            "end_date": agreement.end_date.isoformat(),
        }
        notifications += [
            Notification(
                user_id=user_id,
                kind=NotificationKind.AGREEMENT_ENDING,
                event_key=event_key,
                project_id=match.project_id,
                params=params,
            )
            for user_id in sorted(staff[match.municipality_id])
        ]
    return _notify_many(notifications, event_keys)


def notifications_for_import(*, import_id: int) -> list[int]:
    """A finished import tells whoever uploaded it (an operator's import nobody)."""
    space_import = (
        SpaceImport.objects.select_related("municipality").filter(pk=import_id).first()
    )
    if space_import is None or space_import.status not in (
        ImportStatus.SUCCEEDED,
        ImportStatus.FAILED,
    ):
        return []
    return _notify(
        user_ids=[space_import.created_by_id],
        kind=NotificationKind.IMPORT_FINISHED,
        event_key=f"import:{space_import.pk}:{space_import.status}",
        project_id=None,
        params={
            "import": space_import.pk,
            "file": space_import.original_filename,
            "status": space_import.status,
            "created": space_import.created_count,
            "updated": space_import.updated_count,
            "rejected": space_import.rejected_count,
            "city_code": space_import.municipality.code or "",
        },
    )


def notifications_for_survey_conflict(*, observation_id: int) -> list[int]:
    """A survey observation that met an office change tells the city's editors,
    who decide which values stand."""
    observation = (
        SurveyObservation.objects.select_related(
            "space", "surveyor", "round", "municipality"
        )
        .filter(pk=observation_id)
        .first()
    )
    if observation is None:
        return []
    editors = CityMembership.objects.filter(
        municipality_id=observation.municipality_id,
        role=CityRole.EDITOR,
        user__is_active=True,
    ).values_list("user_id", flat=True)
    return _notify(
        user_ids=editors,
        kind=NotificationKind.SURVEY_CONFLICT,
        event_key=f"survey-conflict:{observation.pk}",
        project_id=None,
        params={
            "observation": observation.pk,
            "space": observation.space_id,
            "address": observation.space.address,
            "surveyor": observation.surveyor.get_username(),
            "round": observation.round.name,
            "city_code": observation.municipality.code or "",
        },
        actor_id=observation.surveyor_id,
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
                .select_related("user__notification_preference")
                .filter(
                    pk=notification_id,
                    emailed_at__isnull=True,
                    user__in=recipients,
                )
                .first()
            )
            if notification is None:  # sent, being sent, or not for e-mail
                continue
            with translation.override(user_language(notification.user)):
                send_mail(
                    notification.subject,
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
    user = (
        _users_in_mode(EmailMode.DAILY_DIGEST)
        .select_related("notification_preference")
        .filter(pk=user_id)
        .first()
    )
    if user is None:
        return 0
    notifications = list(
        Notification.objects.select_for_update(skip_locked=True)
        .filter(_on_day(day), user=user, emailed_at__isnull=True)
        .order_by("created_at", "id")
    )
    if not notifications:
        return 0
    with translation.override(user_language(user)):
        send_mail(
            _("Your notifications of %(day)s") % {"day": day.isoformat()},
            "\n\n".join(f"- {n.message}" for n in notifications),
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


def notification_preference_set(
    *, user, email_mode: str | None = None, language: str | None = None
) -> NotificationPreference:
    """Change what is given; the rest keeps its value (or default)."""
    values = {}
    if email_mode is not None:
        if email_mode not in EmailMode.values:
            raise DomainError(
                _("Choose how you receive e-mail."),
                fields={"email_mode": [_("Unknown choice.")]},
            )
        values["email_mode"] = email_mode
    if language is not None:
        if language not in MESSAGE_LANGUAGES:
            raise DomainError(
                _("Choose Korean or English."),
                fields={"language": [_("Unknown language.")]},
            )
        values["language"] = language
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults=values
    )
    return preference


def notification_language_set(*, user, language: str) -> None:
    """Remember the language a user just chose (sign-up, sign-in, the language
    switch) for their e-mail. A language the site does not offer is ignored: the
    page has already fallen back to its default."""
    if user.is_authenticated and language in MESSAGE_LANGUAGES:
        notification_preference_set(user=user, language=language)
