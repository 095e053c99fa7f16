from datetime import date, timedelta
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

# Tasks import the services they call inside their bodies: the services import
# the tasks at module level to enqueue them, and this keeps that one way.


# acks_late: a worker that dies mid-import leaves the message to be delivered again;
# the service's claim (queued → running, once) makes that redelivery harmless.
# No reject_on_worker_lost: a file that kills its worker would loop forever.
# Sent to the "imports" queue by the caller (apply_async), so that a long import
# never waits behind, or holds up, the default queue.
@shared_task(acks_late=True)
def space_import_run_task(import_id: int) -> None:
    from renewal.models import SpaceImport
    from renewal.services.imports import space_import_run

    space_import = SpaceImport.objects.filter(pk=import_id).first()
    if space_import is None:  # deleted since
        return
    space_import_run(space_import=space_import)


# Notifications. Every task here is idempotent (unique event keys; `emailed_at` set
# under a row lock), so acks_late and retries cannot notify or e-mail twice. SMTP
# and network errors retry with exponential backoff; SMTPException is an OSError,
# listed for the reader. The agreement reminders below e-mail too and retry alike.
NOTIFICATION_RETRY = {
    "acks_late": True,
    "autoretry_for": (SMTPException, ConnectionError, OSError),
    "retry_backoff": True,
    "max_retries": 5,
}


def _same_queue(task) -> str:
    # Follow-up work goes to the queue this task came from ("notifications" in
    # production, a private queue under test); run in-process there is none.
    from renewal.services.notifications import NOTIFICATION_QUEUE

    delivery_info = task.request.delivery_info or {}
    return delivery_info.get("routing_key") or NOTIFICATION_QUEUE


def _email_after(task, notification_ids: list[int]) -> None:
    # A task of its own, so that an SMTP failure retries the e-mail only.
    if notification_ids:
        notification_emails_send_task.apply_async(
            (notification_ids,), queue=_same_queue(task)
        )


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_transition_task(self, transition_id: int) -> None:
    from renewal.services.notifications import notifications_for_transition

    _email_after(self, notifications_for_transition(transition_id=transition_id))


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_progress_update_task(self, update_id: int) -> None:
    from renewal.services.notifications import notifications_for_progress_update

    _email_after(self, notifications_for_progress_update(update_id=update_id))


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_comment_task(self, comment_id: int) -> None:
    from renewal.services.notifications import notifications_for_comment

    _email_after(self, notifications_for_comment(comment_id=comment_id))


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_new_project_task(self, project_id: int) -> None:
    from renewal.services.notifications import notifications_for_new_project

    _email_after(self, notifications_for_new_project(project_id=project_id))


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_moderation_task(self, log_id: int) -> None:
    from renewal.services.notifications import notifications_for_moderation

    _email_after(self, notifications_for_moderation(log_id=log_id))


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_city_proposal_task(self, project_id: int) -> None:
    from renewal.services.notifications import notifications_for_city_proposal

    _email_after(self, notifications_for_city_proposal(project_id=project_id))


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_match_status_task(
    self, match_id: int, status: str, actor_id: int | None
) -> None:
    from renewal.services.notifications import notifications_for_match_status

    _email_after(
        self,
        notifications_for_match_status(
            match_id=match_id, status=status, actor_id=actor_id
        ),
    )


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_import_task(self, import_id: int) -> None:
    from renewal.services.notifications import notifications_for_import

    _email_after(self, notifications_for_import(import_id=import_id))


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_report_task(self, report_id: int) -> None:
    from renewal.services.notifications import notifications_for_report

    _email_after(self, notifications_for_report(report_id=report_id))


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_survey_conflict_task(self, observation_id: int) -> None:
    from renewal.services.notifications import notifications_for_survey_conflict

    _email_after(self, notifications_for_survey_conflict(observation_id=observation_id))


# Run by beat each morning (Asia/Seoul); a day's second run creates nothing new.
@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_ending_agreements_task(self) -> None:
    from renewal.services.notifications import notifications_for_ending_agreements

    _email_after(self, notifications_for_ending_agreements())


@shared_task(**NOTIFICATION_RETRY)
def notification_emails_send_task(notification_ids: list[int]) -> int:
    from renewal.services.notifications import notification_emails_send_immediate

    return notification_emails_send_immediate(notification_ids=notification_ids)


@shared_task(**NOTIFICATION_RETRY)
def notification_digest_send_task(user_id: int, day: str) -> int:
    from renewal.services.notifications import notification_digest_send

    return notification_digest_send(user_id=user_id, day=date.fromisoformat(day))


# Run by beat each morning for the day before (Asia/Seoul), one task per user so
# that one failing mailbox retries alone.
@shared_task(bind=True, **NOTIFICATION_RETRY)
def notification_digests_send_task(self, day: str | None = None) -> int:
    from renewal.services.notifications import notification_digest_recipients

    digest_day = (
        date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
    )
    user_ids = notification_digest_recipients(day=digest_day)
    for user_id in user_ids:
        notification_digest_send_task.apply_async(
            (user_id, digest_day.isoformat()), queue=_same_queue(self)
        )
    return len(user_ids)


# Matching. Both tasks are idempotent: a run is claimed from "queued" once, and a
# reminder is marked sent under a row lock. Sent to the "matching" queue by the
# services (apply_async), so that a city-wide run never holds up the default queue.
@shared_task(acks_late=True)
def assignment_run_task(run_id: int) -> None:
    from renewal.services.matching.runs import assignment_run_execute

    assignment_run_execute(run_id=run_id)


# Run by beat each morning (Asia/Seoul).
@shared_task(**NOTIFICATION_RETRY)
def use_agreement_reminders_task() -> int:
    from renewal.services.matching.matches import use_agreement_reminders_send

    return use_agreement_reminders_send()


@shared_task
def tiles_refresh_aggregates_task() -> None:
    """Rebuild the grid of counts behind low-zoom spaces tiles (≈16 s for 2M)."""
    from renewal.services.tiles import space_tile_grid_refresh

    space_tile_grid_refresh()


@shared_task
def downtown_health_counts_compact_task() -> None:
    """Fold the appended downtown health count rows to one per key."""
    from renewal.services.downtown import downtown_health_counts_compact

    downtown_health_counts_compact()


# Run by beat every minute (and by each worker as it starts, config/celery.py).
@shared_task
def background_recover_task() -> None:
    from renewal.services.background import background_recover

    background_recover()


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_claim_task(self, claim_id: int) -> None:
    from renewal.services.notifications import notifications_for_claim

    _email_after(self, notifications_for_claim(claim_id=claim_id))


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_match_offer_task(
    self, match_id: int, actor_id: int | None
) -> None:
    from renewal.services.notifications import notifications_for_match_offer

    _email_after(
        self, notifications_for_match_offer(match_id=match_id, actor_id=actor_id)
    )


@shared_task(bind=True, **NOTIFICATION_RETRY)
def notifications_for_owner_match_task(
    self, match_id: int, status: str, actor_id: int | None
) -> None:
    from renewal.services.notifications import notifications_for_owner_match

    _email_after(
        self,
        notifications_for_owner_match(
            match_id=match_id, status=status, actor_id=actor_id
        ),
    )


# Photos: the stripped copy and the thumbnail. Idempotent (a processed photo is left
# alone), so a redelivered message costs nothing; a photo that kills its worker is
# not redelivered forever (no reject_on_worker_lost).
@shared_task(name="renewal.tasks.space_photo_process", acks_late=True)
def space_photo_process_task(photo_id: int) -> None:
    from renewal.services.photos import space_photo_process

    space_photo_process(photo_id)
