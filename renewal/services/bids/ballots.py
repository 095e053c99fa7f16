"""Ballots: opening, recording votes, the outcome rule, and closing.

Decisions (see also the module docstring of renewal.models.bids):
- Votes are recorded from returned ballot papers by the managers; members have no
  accounts. A second vote for the same member is refused (never overwritten), and the
  database's unique constraint backs that up under a race.
- Dual majority: more than half of the votes cast by count AND more than half of the
  rateable value of those voting; a tie fails. Optional minimum turnouts (Scotland:
  25 % by count and by value) are checked on top.
- Two-thirds consent (Korea's autonomous commercial zones): at least 2/3 of ALL
  members by count consent; abstentions count against. Japan's area-management
  charge adds 2/3 by rateable value (standing in for the share of the charge).
- The rule is applied to each electorate group of the ballot's rule set on its own
  (Korea: merchants, landlords and land owners separately); the ballot passes only
  when every group that has members passes, and each reason names its group.
- The rule set's eligibility checks (Korea: stores, commercial decline) must hold
  when a ballot opens.
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
    BID_PRESETS,
    Ballot,
    BallotKind,
    BallotRule,
    BidMember,
    BidStatus,
    BusinessImprovementDistrict,
    Vote,
)
from renewal.services.bids.districts import (
    MANAGE,
    bid_eligibility,
    bid_status_step,
    eligibility_text,
    percent_of,
)


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
    failed = [check for check in bid_eligibility(district) if not check["passed"]]
    if failed:
        raise DomainError(
            _("The district does not meet its rule set's conditions: %(checks)s")
            % {"checks": " ".join(eligibility_text(check) for check in failed)}
        )
    bid_status_step(district, to)
    district.save(update_fields=["status", "updated_at"])
    return Ballot.objects.create(
        district=district,
        kind=kind,
        preset=district.preset,
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
    group: str = "",
) -> BallotOutcome:
    """The rule applied to the counts of one electorate group; each test it made,
    with its numbers and the group's code."""
    reasons = []
    if rule in (BallotRule.TWO_THIRDS_CONSENT, BallotRule.TWO_THIRDS_COUNT_AND_VALUE):
        ok = eligible_count > 0 and yes_count * 3 >= eligible_count * 2
        reasons.append(
            {"test": "two_thirds_of_all_members", "passed": ok, "yes": yes_count}
            | {"of": eligible_count}
        )
        if rule == BallotRule.TWO_THIRDS_COUNT_AND_VALUE:
            ok = eligible_value > 0 and yes_value * 3 >= eligible_value * 2
            reasons.append(
                {"test": "two_thirds_of_all_value", "passed": ok, "yes": yes_value}
                | {"of": eligible_value}
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
    if group:
        reasons = [{"group": group} | reason for reason in reasons]
    return BallotOutcome(
        passed=all(reason["passed"] for reason in reasons), reasons=reasons
    )


def _group_counts(ballot: Ballot, district, roles) -> tuple[dict, dict]:
    eligible = district.members.filter(role__in=roles).aggregate(
        count=Count("id"), value=Coalesce(Sum("rateable_value_krw"), 0)
    )
    cast = ballot.votes.filter(member__role__in=roles).aggregate(
        count=Count("id"),
        value=Coalesce(Sum("member__rateable_value_krw"), 0),
        yes_count=Count("id", filter=Q(in_favour=True)),
        yes_value=Coalesce(
            Sum("member__rateable_value_krw", filter=Q(in_favour=True)), 0
        ),
    )
    return eligible, cast


def ballot_reason_text(reason: dict) -> str:
    """One test of a closed ballot as a sentence in the reader's language, naming
    its group when the rule set has more than one."""
    labels = {
        group.code: group.label
        for preset in BID_PRESETS.values()
        for group in preset.groups
    }
    group = str(labels.get(reason.get("group", ""), ""))
    passed = reason["passed"]
    test = reason["test"]
    numbers = {"group": group} | {
        key: reason.get(key, "") for key in ("yes", "of", "turnout", "minimum")
    }
    if test == "two_thirds_of_all_members":
        text = (
            _("%(group)s: two-thirds consent reached (%(yes)s of %(of)s)")
            if passed
            else _("%(group)s: below two-thirds (%(yes)s of %(of)s)")
        )
    elif test == "two_thirds_of_all_value":
        text = (
            _("%(group)s: two-thirds of rateable value reached")
            if passed
            else _("%(group)s: below two-thirds of rateable value")
        )
    elif test == "majority_by_count":
        text = (
            _("%(group)s: majority by count (%(yes)s of %(of)s voting)")
            if passed
            else _("%(group)s: no majority by count (%(yes)s of %(of)s voting)")
        )
    elif test == "majority_by_value":
        text = (
            _("%(group)s: majority by rateable value")
            if passed
            else _("%(group)s: no majority by rateable value")
        )
    elif test == "turnout_by_count":
        text = (
            _("%(group)s: turnout by count %(turnout)s%% (minimum %(minimum)s%%)")
            if passed
            else _(
                "%(group)s: turnout by count %(turnout)s%% below the minimum %(minimum)s%%"
            )
        )
    elif test == "turnout_by_value":
        text = (
            _("%(group)s: turnout by value %(turnout)s%% (minimum %(minimum)s%%)")
            if passed
            else _(
                "%(group)s: turnout by value %(turnout)s%% below the minimum %(minimum)s%%"
            )
        )
    else:
        text = "%(group)s: " + test
    return text % numbers


def ballot_failures_text(ballot: Ballot) -> list[str]:
    return [
        ballot_reason_text(reason)
        for reason in ballot.result_reasons or []
        if not reason.get("passed")
    ]


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
    reasons = []
    totals = dict.fromkeys(
        ("count", "value", "cast", "cast_value", "yes_count", "yes_value"), 0
    )
    for group in BID_PRESETS[ballot.preset].groups:
        eligible, cast = _group_counts(ballot, district, group.roles)
        if not eligible["count"]:
            continue  # a group the district does not have (no land owners, say)
        group_outcome = ballot_outcome(
            rule=ballot.rule,
            eligible_count=eligible["count"],
            eligible_value=eligible["value"],
            votes_cast=cast["count"],
            value_cast=cast["value"],
            yes_count=cast["yes_count"],
            yes_value=cast["yes_value"],
            min_turnout_count_percent=ballot.min_turnout_count_percent,
            min_turnout_value_percent=ballot.min_turnout_value_percent,
            group=group.code,
        )
        reasons += group_outcome.reasons
        for key, value in (
            ("count", eligible["count"]),
            ("value", eligible["value"]),
            ("cast", cast["count"]),
            ("cast_value", cast["value"]),
            ("yes_count", cast["yes_count"]),
            ("yes_value", cast["yes_value"]),
        ):
            totals[key] += value
    eligible = {"count": totals["count"], "value": totals["value"]}
    cast = {
        "count": totals["cast"],
        "value": totals["cast_value"],
        "yes_count": totals["yes_count"],
        "yes_value": totals["yes_value"],
    }
    outcome = BallotOutcome(
        passed=bool(reasons) and all(reason["passed"] for reason in reasons),
        reasons=reasons,
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
