"""Ballots: opening, recording votes, the outcome rule, and closing.

Decisions (see also the module docstring of renewal.models.bids):
- Votes are recorded from returned ballot papers by the managers; members have no
  accounts. A second vote for the same member is refused (never overwritten), and the
  database's unique constraint backs that up under a race.
- Dual majority: more than half of the votes cast by count AND more than half of the
  rateable value of those voting; a tie fails. Optional minimum turnouts (Scotland:
  25 % by count and by value) are checked on top.
- Two-thirds consent (Japan 2018, Korea's autonomous commercial zones): at least 2/3
  of ALL members by count consent. By count only, because both schemes count
  merchants and owners, not value; abstentions count against.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, IllegalTransition, require_perm
from renewal.models import (
    Ballot,
    BallotKind,
    BallotRule,
    BidMember,
    BidStatus,
    BusinessImprovementDistrict,
    Vote,
)
from renewal.services.bids.districts import MANAGE, bid_status_step, percent_of


def _add_years(day: datetime.date, years: int) -> datetime.date:
    year = day.year + years
    return day.replace(
        year=year, day=min(day.day, calendar.monthrange(year, day.month)[1])
    )


@transaction.atomic
def bid_ballot_open(
    *,
    actor,
    district: BusinessImprovementDistrict,
    opens_on: datetime.date,
    closes_on: datetime.date,
) -> Ballot:
    district = BusinessImprovementDistrict.objects.select_for_update().get(
        pk=district.pk
    )
    require_perm(actor, MANAGE, district)
    if closes_on < opens_on:
        raise DomainError(
            _("A ballot cannot close before it opens."),
            fields={"closes_on": [_("On or after the opening day.")]},
        )
    if district.status == BidStatus.PROPOSED:
        kind, to = BallotKind.FORMATION, BidStatus.BALLOT
    elif district.status == BidStatus.ACTIVE:
        kind, to = BallotKind.RENEWAL, BidStatus.RENEWAL_BALLOT
    else:
        raise IllegalTransition(
            _("A district that is “%(current)s” cannot hold a ballot.")
            % {"current": BidStatus(district.status).label}
        )
    if not district.members.exists():
        raise DomainError(_("A ballot needs members to vote."))
    bid_status_step(district, to)
    district.save(update_fields=["status", "updated_at"])
    return Ballot.objects.create(
        district=district,
        kind=kind,
        rule=district.ballot_rule,
        min_turnout_count_percent=district.min_turnout_count_percent,
        min_turnout_value_percent=district.min_turnout_value_percent,
        opens_on=opens_on,
        closes_on=closes_on,
        opened_by=actor if actor.is_authenticated else None,
    )


@transaction.atomic
def vote_cast(*, actor, ballot: Ballot, member: BidMember, in_favour: bool) -> Vote:
    # The ballot's row lock orders votes against bid_ballot_close: no vote slips in
    # after the count.
    ballot = (
        Ballot.objects.select_for_update().select_related("district").get(pk=ballot.pk)
    )
    require_perm(actor, MANAGE, ballot.district)
    if ballot.closed_at is not None:
        raise DomainError(_("This ballot is closed."))
    if member.district_id != ballot.district_id:
        raise DomainError(
            _("Only members of the district vote in its ballot."),
            fields={"member": [_("Not a member of this district.")]},
        )
    already = _("This member has already voted in this ballot.")
    if Vote.objects.filter(ballot=ballot, member=member).exists():
        raise DomainError(already, fields={"member": [already]})
    try:
        with transaction.atomic():
            return Vote.objects.create(
                ballot=ballot,
                member=member,
                in_favour=in_favour,
                recorded_by=actor if actor.is_authenticated else None,
            )
    except IntegrityError:
        # Two clerks recording the same paper at once: the constraint decides.
        raise DomainError(already, fields={"member": [already]}) from None


@dataclass(frozen=True)
class BallotOutcome:
    passed: bool
    reasons: list[dict]


def ballot_outcome(
    *,
    rule: str,
    eligible_count: int,
    eligible_value: int,
    votes_cast: int,
    value_cast: int,
    yes_count: int,
    yes_value: int,
    min_turnout_count_percent: Decimal | None = None,
    min_turnout_value_percent: Decimal | None = None,
) -> BallotOutcome:
    """The rule applied to the counts; each test it made, with its numbers."""
    reasons = []
    if rule == BallotRule.TWO_THIRDS_CONSENT:
        ok = eligible_count > 0 and yes_count * 3 >= eligible_count * 2
        reasons.append(
            {"test": "two_thirds_of_all_members", "passed": ok, "yes": yes_count}
            | {"of": eligible_count}
        )
    else:
        by_count = yes_count * 2 > votes_cast
        by_value = yes_value * 2 > value_cast
        reasons.append(
            {"test": "majority_by_count", "passed": by_count, "yes": yes_count}
            | {"of": votes_cast}
        )
        reasons.append(
            {"test": "majority_by_value", "passed": by_value, "yes": yes_value}
            | {"of": value_cast}
        )
    turnout_count = percent_of(votes_cast, eligible_count)
    turnout_value = percent_of(value_cast, eligible_value)
    if min_turnout_count_percent is not None:
        reasons.append(
            {
                "test": "turnout_by_count",
                "passed": turnout_count >= min_turnout_count_percent,
                "turnout": str(turnout_count),
                "minimum": str(min_turnout_count_percent),
            }
        )
    if min_turnout_value_percent is not None:
        reasons.append(
            {
                "test": "turnout_by_value",
                "passed": turnout_value >= min_turnout_value_percent,
                "turnout": str(turnout_value),
                "minimum": str(min_turnout_value_percent),
            }
        )
    return BallotOutcome(
        passed=all(reason["passed"] for reason in reasons), reasons=reasons
    )


@transaction.atomic
def bid_ballot_close(*, actor, ballot: Ballot, today: datetime.date | None = None):
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    district = BusinessImprovementDistrict.objects.select_for_update().get(
        pk=ballot.district_id
    )
    require_perm(actor, MANAGE, district)
    if ballot.closed_at is not None:
        raise DomainError(_("This ballot is already closed."))
    today = today or timezone.localdate()
    if today < ballot.closes_on:
        raise DomainError(
            _("The ballot runs until %(day)s.") % {"day": ballot.closes_on}
        )
    eligible = district.members.aggregate(
        count=Count("id"), value=Coalesce(Sum("rateable_value_krw"), 0)
    )
    cast = ballot.votes.aggregate(
        count=Count("id"),
        value=Coalesce(Sum("member__rateable_value_krw"), 0),
        yes_count=Count("id", filter=Q(in_favour=True)),
        yes_value=Coalesce(
            Sum("member__rateable_value_krw", filter=Q(in_favour=True)), 0
        ),
    )
    outcome = ballot_outcome(
        rule=ballot.rule,
        eligible_count=eligible["count"],
        eligible_value=eligible["value"],
        votes_cast=cast["count"],
        value_cast=cast["value"],
        yes_count=cast["yes_count"],
        yes_value=cast["yes_value"],
        min_turnout_count_percent=ballot.min_turnout_count_percent,
        min_turnout_value_percent=ballot.min_turnout_value_percent,
    )
    ballot.eligible_count = eligible["count"]
    ballot.eligible_value_krw = eligible["value"]
    ballot.votes_cast = cast["count"]
    ballot.value_cast_krw = cast["value"]
    ballot.yes_count = cast["yes_count"]
    ballot.yes_value_krw = cast["yes_value"]
    ballot.turnout_count_percent = percent_of(cast["count"], eligible["count"])
    ballot.turnout_value_percent = percent_of(cast["value"], eligible["value"])
    ballot.passed = outcome.passed
    ballot.result_reasons = outcome.reasons
    ballot.closed_at = timezone.now()
    ballot.save()

    if ballot.kind == BallotKind.FORMATION:
        if outcome.passed:
            bid_status_step(district, BidStatus.ACTIVE)
            district.term_start = ballot.closes_on + datetime.timedelta(days=1)
        else:
            bid_status_step(district, BidStatus.PROPOSED)
    elif outcome.passed:
        bid_status_step(district, BidStatus.ACTIVE)
        # The new term follows the old one without a gap.
        district.term_start = (
            district.term_end + datetime.timedelta(days=1)
            if district.term_end and district.term_end >= ballot.closes_on
            else ballot.closes_on + datetime.timedelta(days=1)
        )
    else:
        bid_status_step(district, BidStatus.ENDED)
    if outcome.passed:
        district.term_end = _add_years(
            district.term_start, district.term_years
        ) - datetime.timedelta(days=1)
    district.save()
    return ballot
