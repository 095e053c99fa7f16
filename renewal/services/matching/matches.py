"""The match lifecycle, its use agreement, and the reminders before an agreement ends.

suggested → offered → accepted | declined → active → ended (MATCH_TRANSITIONS).
Accepting moves the space to "matched", activating to "in use", ending back to
"available", each in the same transaction as the match and through the space
lifecycle table.
"""

import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, check_transition, require_perm
from renewal.models import (
    HOLDING_STATUSES,
    MATCH_TRANSITIONS,
    AgreementKind,
    Match,
    MatchingSettings,
    MatchStatus,
    OrganizationMembership,
    SpaceStatus,
    UseAgreement,
    VacantSpace,
)
from renewal.services.matching.runs import enqueue_assignment_rerun
from renewal.services.notifications import (
    email_each_in_own_language,
    enqueue_match_notifications,
)
from renewal.services.spaces import space_status_set

DEFAULT_REMINDER_DAYS = MatchingSettings._meta.get_field("reminder_days").default


class SpaceAlreadyPromised(DomainError):
    code = "space_taken"


def _lock(match: Match) -> Match:
    return (
        Match.objects.select_for_update(of=("self",))
        .select_related("project", "space")
        .get(pk=match.pk)
    )


def _check_transition(match: Match, to: str) -> None:
    check_transition(
        MATCH_TRANSITIONS,
        MatchStatus,
        match.status,
        to,
        _("A match that is “%(current)s” cannot become “%(target)s”."),
    )


def _set_status(match: Match, to: str, actor) -> None:
    match.status = to
    match.decided_by = actor if actor.is_authenticated else None
    match.save(update_fields=["status", "decided_by", "updated_at"])


def _move_space(*, space_id: int, to: str, actor, reason: str) -> None:
    """The space lifecycle step that goes with a match step. The match's own
    permission decides who may take it, so this does not ask the space rules. A
    step to or from "available" re-runs the city's assignment (space_status_set)."""
    space_status_set(
        space=VacantSpace.objects.select_for_update().get(pk=space_id),
        to=to,
        actor=actor,
        reason=reason,
        refusal=_("The space is “%(current)s” and cannot become “%(target)s”."),
    )


# The space lifecycle step that goes with a match step.
SPACE_STATUS_AFTER = {
    MatchStatus.ACCEPTED: SpaceStatus.MATCHED,
    MatchStatus.ACTIVE: SpaceStatus.IN_USE,
    MatchStatus.ENDED: SpaceStatus.AVAILABLE,
}


def _space_reason(match: Match, to: str) -> str:
    reasons = {
        MatchStatus.ACCEPTED: _("Match #%(id)s accepted"),
        MatchStatus.ACTIVE: _("Match #%(id)s in use"),
        MatchStatus.ENDED: _("Match #%(id)s ended"),
    }
    return reasons[to] % {"id": match.pk}


def _validate_agreement(agreement: dict) -> None:
    if agreement.get("kind") not in AgreementKind.values:
        raise DomainError(
            _("Choose the kind of use agreement."),
            fields={"kind": [_("One of: %s.") % ", ".join(AgreementKind.values)]},
        )
    if not isinstance(agreement.get("start_date"), datetime.date):
        raise DomainError(
            _("An agreement needs a start date."),
            fields={"start_date": [_("Required.")]},
        )
    end = agreement.get("end_date")
    if end is not None and end < agreement["start_date"]:
        raise DomainError(
            _("An agreement cannot end before it starts."),
            fields={"end_date": [_("On or after the start date.")]},
        )
    if agreement["kind"] == AgreementKind.FREE_USE and agreement.get(
        "monthly_rent_krw"
    ):
        raise DomainError(
            _("Free use has no rent."),
            fields={"monthly_rent_krw": [_("Leave empty for free use.")]},
        )


@transaction.atomic
def match_status_set(
    *, match: Match, to: str, actor, agreement: dict | None = None
) -> Match:
    """Take one step of the match lifecycle, with what goes with it: the space's
    own step (accept, activate, end), the use agreement (accept) and the city's
    re-run (decline: the declined match stays as the record that this pair is not
    to be suggested again). Asks no permission: the match_* services below do.

    Two acceptances of one space racing on separate connections are decided by the
    partial unique index on Match.space: the second waits for the first's commit
    and then fails, whatever this Python saw before."""
    match = _lock(match)
    _check_transition(match, to)
    if to == MatchStatus.ACCEPTED:
        agreement = agreement or {}
        _validate_agreement(agreement)
        try:
            with transaction.atomic():
                _set_status(match, to, actor)
        except IntegrityError:
            raise SpaceAlreadyPromised(
                _("This space has already been promised to another project.")
            ) from None
    else:
        _set_status(match, to, actor)
    if to in SPACE_STATUS_AFTER:
        _move_space(
            space_id=match.space_id,
            to=SPACE_STATUS_AFTER[to],
            actor=actor,
            reason=_space_reason(match, to),
        )
    if to == MatchStatus.ACCEPTED:
        UseAgreement.objects.create(match=match, **agreement)
    if to == MatchStatus.DECLINED:
        enqueue_assignment_rerun(match.municipality_id)
    enqueue_match_notifications(match=match, to=to, actor=actor)
    return match


@transaction.atomic
def _checked_step(
    *, actor, match: Match, permission: str, to: str, agreement: dict | None = None
) -> Match:
    # Locked before asking: who may decline depends on the current status.
    match = _lock(match)
    require_perm(actor, permission, match)
    return match_status_set(match=match, to=to, actor=actor, agreement=agreement)


def match_offer(*, actor, match: Match) -> Match:
    return _checked_step(
        actor=actor,
        match=match,
        permission="renewal.offer_match",
        to=MatchStatus.OFFERED,
    )


def match_decline(*, actor, match: Match) -> Match:
    return _checked_step(
        actor=actor,
        match=match,
        permission="renewal.decline_match",
        to=MatchStatus.DECLINED,
    )


def match_accept(*, actor, match: Match, agreement: dict) -> Match:
    """Accept an offer with its use agreement; the space becomes "matched" in the
    same transaction."""
    return _checked_step(
        actor=actor,
        match=match,
        permission="renewal.respond_match",
        to=MatchStatus.ACCEPTED,
        agreement=agreement,
    )


def match_activate(*, actor, match: Match) -> Match:
    return _checked_step(
        actor=actor,
        match=match,
        permission="renewal.manage_match",
        to=MatchStatus.ACTIVE,
    )


def match_end(*, actor, match: Match) -> Match:
    return _checked_step(
        actor=actor,
        match=match,
        permission="renewal.manage_match",
        to=MatchStatus.ENDED,
    )


def allowed_match_actions(*, user, match: Match) -> list[str]:
    allowed = MATCH_TRANSITIONS[match.status]
    actions = []
    if MatchStatus.OFFERED in allowed and user.has_perm("renewal.offer_match", match):
        actions.append("offer")
    if MatchStatus.ACCEPTED in allowed and user.has_perm(
        "renewal.respond_match", match
    ):
        actions.append("accept")
    if MatchStatus.DECLINED in allowed and user.has_perm(
        "renewal.decline_match", match
    ):
        actions.append("decline")
    if user.has_perm("renewal.manage_match", match):
        if MatchStatus.ACTIVE in allowed:
            actions.append("activate")
        if MatchStatus.ENDED in allowed:
            actions.append("end")
    return actions


def _reminder_recipients(match: Match) -> list:
    users = [match.project.proposer]
    if match.project.lead_organization_id:
        users += [
            membership.user
            for membership in OrganizationMembership.objects.filter(
                organization_id=match.project.lead_organization_id
            ).select_related("user__notification_preference")
        ]
    return list({user.pk: user for user in users}.values())


def use_agreement_reminders_send(*, today: datetime.date | None = None) -> int:
    """E-mail the proposer and lead organisation of each accepted or active match
    whose agreement ends within the city's reminder period, once per agreement.
    The row lock and `reminder_sent_at` make a second run, or two workers, send
    nothing more."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=365)
    due = (
        UseAgreement.objects.filter(
            reminder_sent_at__isnull=True,
            end_date__gte=today,
            end_date__lte=horizon,
            match__status__in=HOLDING_STATUSES,
        )
        .annotate(
            days=F("match__municipality__matching_settings__reminder_days"),
        )
        .values_list("pk", "end_date", "days")
    )
    sent = 0
    for pk, end_date, days in due:
        if end_date > today + datetime.timedelta(days=days or DEFAULT_REMINDER_DAYS):
            continue
        with transaction.atomic():
            agreement = (
                UseAgreement.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related(
                    "match__project__proposer__notification_preference", "match__space"
                )
                .filter(Q(pk=pk), reminder_sent_at__isnull=True)
                .first()
            )
            if agreement is None:
                continue
            # Each recipient reads the reminder in their own language.
            email_each_in_own_language(
                users=_reminder_recipients(agreement.match),
                subject=partial(_reminder_subject, agreement),
                body=partial(_reminder_body, agreement),
            )
            agreement.reminder_sent_at = timezone.now()
            agreement.save(update_fields=["reminder_sent_at"])
            sent += 1
    return sent


def _reminder_subject(agreement: UseAgreement) -> str:
    return _("Your use agreement ends on %(date)s") % {
        "date": agreement.end_date.isoformat()
    }


def _reminder_body(agreement: UseAgreement) -> str:
    match = agreement.match
    return _(
        "The %(kind)s of space #%(space)s for “%(project)s” ends on %(date)s. "
        "Renew it with the city, or plan the exit."
    ) % {
        "kind": AgreementKind(agreement.kind).label,
        "space": match.space_id,
        "project": match.project.title,
        "date": agreement.end_date.isoformat(),
    }
