"""Every permission of the project × every persona × every object state it depends on.

The expected answers are written out by hand below, never derived from the rules under
test: a rule that changes must change this table with it. A permission registered
without a row here fails `test_every_registered_permission_has_a_row`.

"""

import datetime
import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest
import rules
from django.apps import apps
from django.conf import settings
from django.utils import timezone

from renewal.models import (
    InventoryChange,
    Match,
    MatchingSettings,
    OwnershipClaim,
    SpaceImport,
    SpaceOwner,
    SpacePhoto,
)
from renewal.services.roles import organization_role_grant
from tests.factories import (
    BusinessImprovementDistrictFactory,
    CommentFactory,
    CommunityOrganizationFactory,
    MatchFactory,
    NeighborhoodResourceFactory,
    ParticipationEventFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)

PERSONAS = (
    "anonymous",
    "resident",
    "org_member",
    "lead_org_member",
    "city_viewer",
    "city_editor",
    "other_city_editor",
    "moderator",
)
NOBODY: frozenset[str] = frozenset()
SIGNED_IN = frozenset(
    {
        "resident",
        "org_member",
        "lead_org_member",
        "city_viewer",
        "city_editor",
        "other_city_editor",
        "moderator",
    }
)


@dataclass
class World:
    """The fixtures an object state is built from. In every project and match below
    `resident` is the proposer and `lead_organization` the lead organisation unless a
    state says otherwise; org_member belongs to `organization`, which leads nothing."""

    city: object
    other_city: object
    organization: object
    lead_organization: object
    personas: dict


def _project(w: World, *, status="proposed", city=None, **fields):
    return RenewalProjectFactory(
        municipality=city or w.city,
        status=status,
        proposer=fields.pop("proposer", w.personas["resident"]),
        lead_organization=fields.pop("lead_organization", w.lead_organization),
        **fields,
    )


def _match(w: World, status: str, *, city=None, **project_fields):
    return MatchFactory(
        project=_project(w, status="approved", city=city, **project_fields),
        status=status,
    )


def _stranger_project(w: World, *, city=None, status="approved"):
    """A project of someone else, led by no organisation."""
    return _project(
        w, city=city, status=status, proposer=UserFactory(), lead_organization=None
    )


def _bid(w: World, *, status="proposed", city=None, saved=True):
    """A district managed by a BID body whose member org_member is (home city), or by
    a body no persona belongs to (other city)."""
    city = city or w.city
    body = CommunityOrganizationFactory(municipality=city, kind="bid_body")
    if city == w.city:
        organization_role_grant(user=w.personas["org_member"], organization=body)
    if saved:
        return BusinessImprovementDistrictFactory(
            municipality=city, management_organization=body, status=status
        )
    return BusinessImprovementDistrictFactory.build(
        municipality=city, management_organization=body
    )


def _own_organization_elsewhere(w: World):
    """An organisation of the other city that org_member belongs to: membership, not
    the city, is what gives its staff their rights."""
    organization = CommunityOrganizationFactory(municipality=w.other_city)
    organization_role_grant(user=w.personas["org_member"], organization=organization)
    return organization


def _meeting(w: World, organization, *, city=None):
    """A meeting announced for a project of someone else (led by no organisation),
    run by `organization` (None: the city's own)."""
    starts_at = timezone.now() + datetime.timedelta(days=7)
    return ParticipationEventFactory(
        project=_stranger_project(w, city=city),
        organization=organization,
        status="announced",
        starts_at=starts_at,
        date=starts_at.date(),
    )


def _owned(w: World, space, *, consent: bool = False):
    """`space` with org_member as its verified owner (org_member's organisation
    leads none of the projects below, so ownership is all it has on them)."""
    SpaceOwner.objects.create(
        space=space,
        user=w.personas["org_member"],
        verified_at=timezone.now(),
        contact_channel="010-1234-5678" if consent else "",
        contact_consent=consent,
        contact_consented_at=timezone.now() if consent else None,
    )
    return space


def _owned_match(w: World, status: str, *, consent: bool = True):
    match = _match(w, status)
    _owned(w, match.space, consent=consent)
    return Match.objects.select_related("project", "space__owner").get(pk=match.pk)


def _claim(w: World, status: str = "pending", *, city=None):
    city = city or w.city
    return OwnershipClaim.objects.create(
        claimant=w.personas["resident"],
        municipality=city,
        space=VacantSpaceFactory(municipality=city),
        evidence="on_site",
        status=status,
    )


def _space_with_pending_claim(w: World):
    return _claim(w).space


def _survey_round(w: World, *, status="open", city=None):
    """A round of the city in which `resident` (no staff right anywhere) is an
    assigned surveyor."""
    from renewal.services.surveys import survey_assignment_create, survey_round_create

    city = city or w.city
    survey_round = survey_round_create(
        actor=None,
        municipality=city,
        data={
            "name": "2026 spring",
            "grading_scheme": "national-2023",
            "starts_on": datetime.date(2026, 3, 1),
            "ends_on": datetime.date(2026, 5, 31),
            "status": status,
        },
    )
    survey_assignment_create(
        actor=None, survey_round=survey_round, surveyor=w.personas["resident"]
    )
    return survey_round


def _survey_observation(w: World, *, city=None):
    from renewal.models import SurveyObservation

    survey_round = _survey_round(w, city=city)
    return SurveyObservation(
        round=survey_round,
        municipality=survey_round.municipality,
        space=VacantSpaceFactory(municipality=survey_round.municipality),
        surveyor=w.personas["resident"],
        state="conflict",
    )


# Object states: name → how to build the object the code passes to has_perm.
STATES = {
    "anywhere (no object)": lambda w: None,
    # Municipalities: `add_*`, assignment runs, typology, per-city SQL filters.
    "home city": lambda w: w.city,
    "other city": lambda w: w.other_city,
    # Inventory.
    "space of home city": lambda w: VacantSpaceFactory(municipality=w.city),
    "available space of home city": lambda w: VacantSpaceFactory(
        municipality=w.city, status="available"
    ),
    "space of other city": lambda w: VacantSpaceFactory(municipality=w.other_city),
    "space owned by org_member": lambda w: _owned(
        w, VacantSpaceFactory(municipality=w.city)
    ),
    "space with resident's pending claim": _space_with_pending_claim,
    # Ownership claims (resident is the claimant).
    "pending claim": lambda w: _claim(w),
    "verified claim": lambda w: _claim(w, "verified"),
    "pending claim in other city": lambda w: _claim(w, city=w.other_city),
    "import into home city": lambda w: SpaceImport(municipality=w.city),
    # Photos of spaces: the rules decide by the photo's space.
    "photo of a space of home city": lambda w: SpacePhoto(
        space=VacantSpaceFactory(municipality=w.city)
    ),
    "published photo of a space of home city": lambda w: SpacePhoto(
        space=VacantSpaceFactory(municipality=w.city), is_published=True
    ),
    "photo of org_member's space": lambda w: SpacePhoto(
        space=_owned(w, VacantSpaceFactory(municipality=w.city))
    ),
    "photo of a space of other city": lambda w: SpacePhoto(
        space=VacantSpaceFactory(municipality=w.other_city)
    ),
    "history entry of home city": lambda w: InventoryChange(municipality=w.city),
    "history entry of other city": lambda w: InventoryChange(municipality=w.other_city),
    "resource of home city": lambda w: NeighborhoodResourceFactory(municipality=w.city),
    "resource of other city": lambda w: NeighborhoodResourceFactory(
        municipality=w.other_city
    ),
    # Organisations.
    "org_member's organisation": lambda w: w.organization,
    "lead organisation": lambda w: w.lead_organization,
    "organisation of other city": lambda w: CommunityOrganizationFactory(
        municipality=w.other_city
    ),
    "org_member's organisation in other city": _own_organization_elsewhere,
    # Projects.
    "proposed project": lambda w: _project(w),
    "project under review": lambda w: _project(w, status="under_review"),
    "approved project": lambda w: _project(w, status="approved"),
    "in-progress project": lambda w: _project(w, status="in_progress"),
    "rejected project": lambda w: _project(w, status="rejected"),
    "completed project": lambda w: _project(w, status="completed"),
    "hidden proposed project": lambda w: _project(w, is_hidden=True),
    "approved project without lead organisation": lambda w: _project(
        w, status="approved", lead_organization=None
    ),
    "someone else's proposed project": lambda w: _stranger_project(
        w, status="proposed"
    ),
    "project under review in other city": lambda w: _project(
        w, status="under_review", city=w.other_city
    ),
    "approved project in other city": lambda w: _project(
        w, status="approved", city=w.other_city
    ),
    # Comments.
    "comment": lambda w: CommentFactory(project=_project(w)),
    "hidden comment": lambda w: CommentFactory(project=_project(w), is_hidden=True),
    # Matches.
    "suggested match": lambda w: _match(w, "suggested"),
    "offered match": lambda w: _match(w, "offered"),
    "accepted match": lambda w: _match(w, "accepted"),
    "declined match": lambda w: _match(w, "declined"),
    "active match": lambda w: _match(w, "active"),
    "ended match": lambda w: _match(w, "ended"),
    "offered match on someone else's project": lambda w: MatchFactory(
        project=_stranger_project(w), status="offered"
    ),
    "offered match in other city": lambda w: MatchFactory(
        project=_stranger_project(w, city=w.other_city), status="offered"
    ),
    # Matches of a space org_member owns, the owner consenting to share a contact.
    "suggested match, owner consented": lambda w: _owned_match(w, "suggested"),
    "offered match, owner consented": lambda w: _owned_match(w, "offered"),
    "accepted match, owner consented": lambda w: _owned_match(w, "accepted"),
    "declined match, owner consented": lambda w: _owned_match(w, "declined"),
    "offered match, owner without consent": lambda w: _owned_match(
        w, "offered", consent=False
    ),
    "matching settings of home city": lambda w: MatchingSettings(municipality=w.city),
    "matching settings of other city": lambda w: MatchingSettings(
        municipality=w.other_city
    ),
    # Meetings.
    "meeting of the lead organisation": lambda w: _meeting(w, w.lead_organization),
    "meeting of org_member's organisation": lambda w: _meeting(w, w.organization),
    "city meeting": lambda w: _meeting(w, None),
    "meeting of other city": lambda w: _meeting(w, None, city=w.other_city),
    # Business Improvement Districts.
    "district being created": lambda w: _bid(w, saved=False),
    "proposed district": lambda w: _bid(w),
    "district in formation ballot": lambda w: _bid(w, status="ballot"),
    "active district": lambda w: _bid(w, status="active"),
    "district in renewal ballot": lambda w: _bid(w, status="renewal_ballot"),
    "ended district": lambda w: _bid(w, status="ended"),
    "district of other city": lambda w: _bid(w, city=w.other_city),
    # Field surveys: `resident` is the assigned surveyor of each round.
    "open survey round": lambda w: _survey_round(w),
    "closed survey round": lambda w: _survey_round(w, status="closed"),
    "open survey round of other city": lambda w: _survey_round(w, city=w.other_city),
    "survey observation in conflict": lambda w: _survey_observation(w),
    "survey observation of other city": lambda w: _survey_observation(
        w, city=w.other_city
    ),
}


CITY_EDITORS = frozenset({"city_editor", "other_city_editor"})
HOME_STAFF = frozenset({"city_viewer", "city_editor"})
ALL_STAFF = frozenset({"city_viewer", "city_editor", "other_city_editor"})
ORG_MEMBERS = frozenset({"org_member", "lead_org_member"})
PROPOSER_AND_LEAD = frozenset({"resident", "lead_org_member"})

# permission → object state → the personas allowed. Everyone not named is refused.
MATRIX: dict[str, dict[str, frozenset[str]]] = {
    # Owners. Anyone signed in claims a space (or, asked with the city, a new
    # building) that has no verified owner and that they do not already claim; the
    # claim's city editors decide; the claimant withdraws while it is pending.
    "renewal.claim_space": {
        "home city": SIGNED_IN,
        "space of home city": SIGNED_IN,
        "space owned by org_member": NOBODY,
        "space with resident's pending claim": SIGNED_IN - {"resident"},
    },
    "renewal.verify_ownershipclaim": {
        "pending claim": {"city_editor"},
        "pending claim in other city": {"other_city_editor"},
    },
    "renewal.withdraw_ownershipclaim": {
        "pending claim": {"resident"},
        "verified claim": NOBODY,
    },
    "renewal.view_ownershipclaim": {
        "pending claim": {"resident"} | HOME_STAFF,
        "pending claim in other city": {"resident", "other_city_editor"},
        # Asked per city for lists: its staff.
        "home city": HOME_STAFF,
    },
    "renewal.change_space_as_owner": {
        "space of home city": NOBODY,
        "space owned by org_member": {"org_member"},
    },
    # The owner's consented contact: the project's side, once the city offered the
    # match and while it holds; never without consent, never to the city's staff.
    "renewal.view_owner_contact": {
        "suggested match, owner consented": NOBODY,
        "offered match, owner consented": PROPOSER_AND_LEAD,
        "accepted match, owner consented": PROPOSER_AND_LEAD,
        "declined match, owner consented": NOBODY,
        "offered match, owner without consent": NOBODY,
    },
    # Vacant spaces and their history: editors of the space's city write, its staff
    # read the back office and owner details. The admin asks with no object.
    "renewal.add_vacantspace": {
        "home city": {"city_editor"},
        "other city": {"other_city_editor"},
        "anywhere (no object)": CITY_EDITORS,
    },
    "renewal.change_vacantspace": {
        "space of home city": {"city_editor"},
        "space of other city": {"other_city_editor"},
        "anywhere (no object)": CITY_EDITORS,
    },
    "renewal.transition_vacantspace": {
        "space of home city": {"city_editor"},
        "available space of home city": {"city_editor"},
        "space of other city": {"other_city_editor"},
        "home city": {"city_editor"},
    },
    "renewal.view_vacantspace": {
        "space of home city": HOME_STAFF,
        "space of other city": {"other_city_editor"},
        "import into home city": HOME_STAFF,
        "anywhere (no object)": ALL_STAFF,
    },
    "renewal.view_space_personal_data": {
        "space of home city": HOME_STAFF,
        "space of other city": {"other_city_editor"},
        "home city": HOME_STAFF,
        "other city": {"other_city_editor"},
    },
    "renewal.view_inventory_history": {
        "space of home city": HOME_STAFF,
        "space of other city": {"other_city_editor"},
        "history entry of home city": HOME_STAFF,
        "history entry of other city": {"other_city_editor"},
        "anywhere (no object)": ALL_STAFF,
    },
    # Photos of spaces: the city's editors add, publish and delete them; its staff
    # see the originals, which keep the camera's position.
    "renewal.add_spacephoto": {
        "space of home city": {"city_editor"},
        "space of other city": {"other_city_editor"},
        "anywhere (no object)": CITY_EDITORS,
    },
    "renewal.publish_spacephoto": {
        "photo of a space of home city": {"city_editor"},
        "published photo of a space of home city": {"city_editor"},
        "photo of a space of other city": {"other_city_editor"},
        "anywhere (no object)": CITY_EDITORS,
        # Its verified owner publishes photos of the space as well.
        "photo of org_member's space": {"city_editor", "org_member"},
    },
    "renewal.delete_spacephoto": {
        "photo of a space of home city": {"city_editor"},
        "published photo of a space of home city": {"city_editor"},
        "photo of a space of other city": {"other_city_editor"},
        "anywhere (no object)": CITY_EDITORS,
    },
    "renewal.view_spacephoto_original": {
        "photo of a space of home city": HOME_STAFF,
        "published photo of a space of home city": HOME_STAFF,
        "photo of a space of other city": {"other_city_editor"},
        # The admin's list asks per city.
        "home city": HOME_STAFF,
        "other city": {"other_city_editor"},
        "anywhere (no object)": ALL_STAFF,
    },
    "renewal.add_neighborhoodresource": {
        "home city": {"city_editor"},
        "other city": {"other_city_editor"},
        "anywhere (no object)": CITY_EDITORS,
    },
    "renewal.change_neighborhoodresource": {
        "resource of home city": {"city_editor"},
        "resource of other city": {"other_city_editor"},
        "anywhere (no object)": CITY_EDITORS,
    },
    "renewal.view_neighborhoodresource": {
        "resource of home city": HOME_STAFF,
        "resource of other city": {"other_city_editor"},
        "anywhere (no object)": ALL_STAFF,
    },
    # Organisations: the city registers and verifies them; their own staff edit the
    # profile. (Changing the kind: see test_organisation_staff_cannot_change_its_kind.)
    "renewal.add_communityorganization": {
        "home city": {"city_editor"},
        "other city": {"other_city_editor"},
        "anywhere (no object)": CITY_EDITORS,
    },
    "renewal.change_communityorganization": {
        "org_member's organisation": {"city_editor", "org_member"},
        "lead organisation": {"city_editor", "lead_org_member"},
        "organisation of other city": {"other_city_editor"},
        "org_member's organisation in other city": {"other_city_editor", "org_member"},
        "anywhere (no object)": CITY_EDITORS | ORG_MEMBERS,
    },
    "renewal.view_communityorganization": {
        "org_member's organisation": HOME_STAFF | {"org_member"},
        "lead organisation": HOME_STAFF | {"lead_org_member"},
        "organisation of other city": {"other_city_editor"},
        "org_member's organisation in other city": {"other_city_editor", "org_member"},
        "anywhere (no object)": ALL_STAFF | ORG_MEMBERS,
    },
    # An organisation's kind (a BID management body above all) is the city's
    # decision, like its verification.
    "renewal.classify_communityorganization": {
        "org_member's organisation": {"city_editor"},
        "lead organisation": {"city_editor"},
        "organisation of other city": {"other_city_editor"},
        "org_member's organisation in other city": {"other_city_editor"},
    },
    "renewal.verify_communityorganization": {
        "org_member's organisation": {"city_editor"},
        "lead organisation": {"city_editor"},
        "organisation of other city": {"other_city_editor"},
        "org_member's organisation in other city": {"other_city_editor"},
    },
    # Projects: anyone signed in proposes, supports and comments (visibility of a
    # hidden project is the selector's 404, not the rule's); the city's editors
    # review; the proposer withdraws. Which step a status allows is the workflow
    # table's answer, so these rules do not look at the status.
    "renewal.add_renewalproject": {
        "anywhere (no object)": SIGNED_IN,
    },
    "renewal.support_renewalproject": {
        "proposed project": SIGNED_IN,
        "approved project in other city": SIGNED_IN,
        "hidden proposed project": SIGNED_IN,
        "someone else's proposed project": SIGNED_IN,
    },
    "renewal.comment_renewalproject": {
        "proposed project": SIGNED_IN,
        "rejected project": SIGNED_IN,
        "approved project in other city": SIGNED_IN,
        "hidden proposed project": SIGNED_IN,
    },
    "renewal.review_renewalproject": {
        "proposed project": {"city_editor"},
        "project under review": {"city_editor"},
        "approved project": {"city_editor"},
        "hidden proposed project": {"city_editor"},
        "someone else's proposed project": {"city_editor"},
        "project under review in other city": {"other_city_editor"},
    },
    "renewal.withdraw_renewalproject": {
        "proposed project": {"resident"},
        "project under review": {"resident"},
        "approved project": {"resident"},
        "hidden proposed project": {"resident"},
        "project under review in other city": {"resident"},
        "someone else's proposed project": NOBODY,
    },
    # Only the proposer resubmits a proposal the city asked to change.
    "renewal.resubmit_renewalproject": {
        "proposed project": {"resident"},
        "project under review in other city": {"resident"},
        "someone else's proposed project": NOBODY,
    },
    # The workbench: every staff member of the city, read-only for viewers.
    "renewal.view_workbench": {
        "home city": HOME_STAFF,
        "other city": {"other_city_editor"},
        "anywhere (no object)": ALL_STAFF,
    },
    # Participation.
    "renewal.add_progressupdate": {
        "approved project": {"city_editor", "lead_org_member"},
        "in-progress project": {"city_editor", "lead_org_member"},
        "completed project": {"city_editor", "lead_org_member"},
        "approved project without lead organisation": {"city_editor"},
        "approved project in other city": {"other_city_editor", "lead_org_member"},
    },
    "renewal.add_participationevent": {
        "org_member's organisation": {"org_member"},
        "lead organisation": {"lead_org_member"},
        "organisation of other city": NOBODY,
        "org_member's organisation in other city": {"org_member"},
    },
    "renewal.report_content": {
        "proposed project": SIGNED_IN,
        "comment": SIGNED_IN,
        "hidden comment": SIGNED_IN,
    },
    "renewal.moderate_content": {
        "proposed project": {"moderator"},
        "approved project in other city": {"moderator"},
        "comment": {"moderator"},
        "hidden comment": {"moderator"},
        "anywhere (no object)": {"moderator"},
    },
    # Matching. The city's editors run, offer, activate and end; the proposer and
    # the lead organisation answer; declining an offer is either side's.
    "renewal.run_assignment": {
        "home city": {"city_editor"},
        "other city": {"other_city_editor"},
    },
    "renewal.offer_match": {
        "suggested match": {"city_editor"},
        "offered match": {"city_editor"},
        "offered match in other city": {"other_city_editor"},
        "home city": {"city_editor"},
    },
    "renewal.manage_match": {
        "accepted match": {"city_editor"},
        "active match": {"city_editor"},
        "offered match in other city": {"other_city_editor"},
    },
    "renewal.respond_match": {
        "suggested match": PROPOSER_AND_LEAD,
        "offered match": PROPOSER_AND_LEAD,
        "accepted match": PROPOSER_AND_LEAD,
        "offered match on someone else's project": NOBODY,
        "offered match in other city": NOBODY,
    },
    "renewal.decline_match": {
        # The space's owner declines an offer of their space (with a reason).
        "suggested match, owner consented": {"city_editor"},
        "offered match, owner consented": {"city_editor", "org_member"}
        | PROPOSER_AND_LEAD,
        "suggested match": {"city_editor"},
        "offered match": {"city_editor"} | PROPOSER_AND_LEAD,
        "accepted match": {"city_editor"},
        "declined match": {"city_editor"},
        "active match": {"city_editor"},
        "ended match": {"city_editor"},
        "offered match on someone else's project": {"city_editor"},
        "offered match in other city": {"other_city_editor"},
    },
    "renewal.view_match": {
        "offered match, owner without consent": HOME_STAFF
        | PROPOSER_AND_LEAD
        | {"org_member"},
        "suggested match": HOME_STAFF | PROPOSER_AND_LEAD,
        "offered match": HOME_STAFF | PROPOSER_AND_LEAD,
        "ended match": HOME_STAFF | PROPOSER_AND_LEAD,
        "offered match on someone else's project": HOME_STAFF,
        "offered match in other city": {"other_city_editor"},
    },
    # A city's staff see its hidden projects, its matches and assignment runs.
    "renewal.view_hidden_renewalproject": {
        "home city": HOME_STAFF,
        "other city": {"other_city_editor"},
    },
    "renewal.view_city_matching": {
        "home city": HOME_STAFF,
        "other city": {"other_city_editor"},
    },
    # City editors tune their own city's matching weights.
    "renewal.change_matchingsettings": {
        "matching settings of home city": {"city_editor"},
        "matching settings of other city": {"other_city_editor"},
        "home city": {"city_editor"},
        "other city": {"other_city_editor"},
    },
    # City typology: the city's editors override the computed type.
    "cities.override_typology": {
        "home city": {"city_editor"},
        "other city": {"other_city_editor"},
    },
    # Meetings: the project's lead organisation or its city's editors announce one
    # (asked with the project); the organisation that runs it or the city's editors
    # record its attendance; anyone signed in RSVPs.
    "renewal.announce_event": {
        "proposed project": {"city_editor", "lead_org_member"},
        "approved project": {"city_editor", "lead_org_member"},
        "hidden proposed project": {"city_editor", "lead_org_member"},
        "approved project without lead organisation": {"city_editor"},
        "someone else's proposed project": {"city_editor"},
        "approved project in other city": {"other_city_editor", "lead_org_member"},
        "anywhere (no object)": CITY_EDITORS | ORG_MEMBERS,
    },
    "renewal.manage_event": {
        "meeting of the lead organisation": {"city_editor", "lead_org_member"},
        "meeting of org_member's organisation": {"city_editor", "org_member"},
        "city meeting": {"city_editor"},
        "meeting of other city": {"other_city_editor"},
        "anywhere (no object)": CITY_EDITORS | ORG_MEMBERS,
    },
    "renewal.rsvp_event": {
        "city meeting": SIGNED_IN,
        "meeting of other city": SIGNED_IN,
        "anywhere (no object)": SIGNED_IN,
    },
    # The downtown (원도심): the city's editors choose its 읍면동 or upload its area.
    "cities.change_downtown": {
        "home city": {"city_editor"},
        "other city": {"other_city_editor"},
    },
    # Business Improvement Districts: only the city creates one; the city's editors
    # and the management body's members manage it whatever its status (the lifecycle
    # table decides which step is possible).
    "renewal.add_bid": {
        "district being created": {"city_editor"},
        "district of other city": {"other_city_editor"},
    },
    "renewal.manage_bid": {
        "district being created": {"city_editor", "org_member"},
        "proposed district": {"city_editor", "org_member"},
        "district in formation ballot": {"city_editor", "org_member"},
        "active district": {"city_editor", "org_member"},
        "district in renewal ballot": {"city_editor", "org_member"},
        "ended district": {"city_editor", "org_member"},
        "district of other city": {"other_city_editor"},
    },
    # Field surveys: the city's editors run rounds and settle conflicts; an assigned
    # surveyor (here `resident`, staff nowhere) surveys only while the round is open.
    "renewal.manage_survey_rounds": {
        "home city": {"city_editor"},
        "other city": {"other_city_editor"},
        "open survey round": {"city_editor"},
        "open survey round of other city": {"other_city_editor"},
        "anywhere (no object)": CITY_EDITORS,
    },
    "renewal.view_survey_round": {
        "open survey round": HOME_STAFF | {"resident"},
        "closed survey round": HOME_STAFF | {"resident"},
        "open survey round of other city": {"other_city_editor", "resident"},
    },
    "renewal.survey_round": {
        "open survey round": {"city_editor", "resident"},
        "closed survey round": NOBODY,
        "open survey round of other city": {"other_city_editor", "resident"},
    },
    "renewal.resolve_survey_conflict": {
        "survey observation in conflict": {"city_editor"},
        "survey observation of other city": {"other_city_editor"},
        "home city": {"city_editor"},
    },
}


def _rows():
    for permission, states in sorted(MATRIX.items()):
        for state in states:
            yield pytest.param(permission, state, id=f"{permission}|{state}")


@pytest.fixture
def world(personas, city, other_city, organization, lead_organization) -> World:
    return World(city, other_city, organization, lead_organization, personas)


@pytest.mark.parametrize(("permission", "state"), list(_rows()))
def test_permission_answers_every_persona_as_the_table_says(world, permission, state):
    target = STATES[state](world)

    allowed = {
        name for name in PERSONAS if world.personas[name].has_perm(permission, target)
    }

    assert allowed == set(MATRIX[permission][state])


def _project_permissions() -> set[str]:
    """Every permission registered with django-rules for an app of this project
    (an app whose package sits in the project root), its rules module imported."""
    labels = set()
    for config in apps.get_app_configs():
        if Path(config.path).parent != Path(settings.BASE_DIR):
            continue
        labels.add(config.label)
        if importlib.util.find_spec(f"{config.name}.rules") is not None:
            importlib.import_module(f"{config.name}.rules")
    return {
        name for name in rules.permissions.permissions if name.split(".")[0] in labels
    }


def test_every_registered_permission_has_a_row():
    registered = _project_permissions()

    assert registered - set(MATRIX) == set(), "permissions without a row in MATRIX"
    assert set(MATRIX) - registered == set(), "rows for permissions that do not exist"


def test_every_state_of_the_table_can_be_built():
    used = {state for states in MATRIX.values() for state in states}

    assert used - set(STATES) == set()
    assert set(STATES) - used == set(), "states no row asks"


def test_the_personas_are_the_shared_fixtures(personas):
    assert set(personas) == set(PERSONAS)
