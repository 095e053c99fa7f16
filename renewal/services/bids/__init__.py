"""Business Improvement Districts: creation, members, ballots, levy, budget and KPIs.

The public interface; the rules live in districts (creation, members, where a
district may lie, status transitions), ballots (opening, votes, the outcome rule,
closing), finance (levy and budget) and kpis. Each module's docstring holds the
decisions it implements; see also the module docstring of renewal.models.bids.
"""

from renewal.services.bids.ballots import (
    BallotOutcome,
    ballot_failures_text,
    ballot_outcome,
    ballot_reason_text,
    bid_ballot_close,
    bid_ballot_open,
    vote_cast,
)
from renewal.services.bids.districts import (
    FALLBACK_RADIUS_M,
    HUNDRED,
    MANAGE,
    bid_create,
    bid_eligibility,
    bid_member_add,
    bid_preset_set,
    eligibility_text,
)
from renewal.services.bids.files import district_polygon_read
from renewal.services.bids.finance import (
    bid_budget_line_set,
    bid_budget_summary,
    bid_levy_set,
    bid_levy_summary,
    bid_member_levies,
    levy_expression,
    management_share_limit,
)
from renewal.services.bids.kpis import (
    bid_kpi_set,
    kpi_attainment,
    kpi_observation_record,
)
from renewal.services.bids.members import (
    MemberListReport,
    bid_members_add,
    bid_members_import,
)

__all__ = [
    "FALLBACK_RADIUS_M",
    "HUNDRED",
    "MANAGE",
    "BallotOutcome",
    "MemberListReport",
    "bid_members_add",
    "bid_members_import",
    "district_polygon_read",
    "ballot_failures_text",
    "ballot_outcome",
    "ballot_reason_text",
    "bid_eligibility",
    "bid_levy_set",
    "bid_preset_set",
    "eligibility_text",
    "bid_ballot_close",
    "bid_ballot_open",
    "bid_budget_line_set",
    "bid_budget_summary",
    "bid_create",
    "bid_kpi_set",
    "bid_levy_summary",
    "bid_member_add",
    "bid_member_levies",
    "kpi_attainment",
    "kpi_observation_record",
    "levy_expression",
    "management_share_limit",
    "vote_cast",
]
