"""The one permission layer: API, pages, admin and exports all ask these rules.

Local-government staff rights are scoped to municipalities (editor or viewer);
organisation staff rights to their organisation. Everything else is denied. With
obj=None a rule answers "may this user do it anywhere?", which is what the admin asks
before it shows a list.
"""

import rules

from cities.models import Municipality
from renewal.models import (
    CityMembership,
    CityRole,
    ClaimStatus,
    MatchStatus,
    OrganizationMembership,
    OwnershipClaim,
    SpaceOwner,
    SpacePhoto,
    SurveyAssignment,
    SurveyRoundStatus,
    VacantSpace,
)

# Statuses in which the project's side may see the owner's consented contact.
CONTACT_STATUSES = (
    MatchStatus.OFFERED,
    MatchStatus.ACCEPTED,
    MatchStatus.ACTIVE,
)


def city_roles(user) -> dict[int, str]:
    """Municipality id → role, read once per user object (that is, per request)."""
    if not user.is_authenticated:
        return {}
    cached = getattr(user, "_city_roles", None)
    if cached is None:
        cached = dict(
            CityMembership.objects.filter(user=user).values_list(
                "municipality_id", "role"
            )
        )
        user._city_roles = cached
    return cached


def organization_ids(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_organization_ids", None)
    if cached is None:
        cached = frozenset(
            OrganizationMembership.objects.filter(user=user).values_list(
                "organization_id", flat=True
            )
        )
        user._organization_ids = cached
    return cached


def survey_round_ids(user) -> frozenset[int]:
    """The survey rounds the user is assigned to, read once per user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_survey_round_ids", None)
    if cached is None:
        cached = frozenset(
            SurveyAssignment.objects.filter(surveyor=user).values_list(
                "round_id", flat=True
            )
        )
        user._survey_round_ids = cached
    return cached


def municipality_ids_with_permission(*, user, permission: str) -> frozenset[int]:
    """Municipalities in which the user holds a city-scoped permission.

    The rules are asked once per municipality (they decide by the object's
    municipality), so callers can filter rows in SQL instead of asking per row.
    City rights come from city roles, so only the user's own cities need asking;
    a superuser holds every permission everywhere.
    """
    candidates = (
        Municipality.objects.values_list("pk", flat=True)
        if user.is_superuser
        else city_roles(user)
    )
    return frozenset(
        pk for pk in candidates if user.has_perm(permission, Municipality(pk=pk))
    )


def municipality_id_of(obj) -> int | None:
    if isinstance(obj, Municipality):
        return obj.pk
    return getattr(obj, "municipality_id", None)


@rules.predicate
def is_city_editor(user, obj=None) -> bool:
    roles = city_roles(user)
    if obj is None:
        return CityRole.EDITOR in roles.values()
    return roles.get(municipality_id_of(obj)) == CityRole.EDITOR


@rules.predicate
def is_city_staff(user, obj=None) -> bool:
    roles = city_roles(user)
    if obj is None:
        return bool(roles)
    return municipality_id_of(obj) in roles


@rules.predicate
def is_organization_member(user, organization=None) -> bool:
    members_of = organization_ids(user)
    if organization is None:
        return bool(members_of)
    return organization.pk in members_of


def space_owner_of(space):
    """The space's SpaceOwner row or None (free once select_related("owner"))."""
    try:
        return space.owner
    except SpaceOwner.DoesNotExist:
        return None


@rules.predicate
def is_space_owner(user, space=None) -> bool:
    """The user's ownership of the space was verified by its city."""
    if space is None or not user.is_authenticated:
        return False
    owner = space_owner_of(space)
    return owner is not None and owner.user_id == user.pk


# Vacant spaces. `add` is asked with the municipality the space would belong to.
rules.add_perm("renewal.add_vacantspace", is_city_editor)
rules.add_perm("renewal.change_vacantspace", is_city_editor)
rules.add_perm("renewal.view_vacantspace", is_city_staff)
rules.add_perm("renewal.transition_vacantspace", is_city_editor)
rules.add_perm("renewal.view_space_personal_data", is_city_staff)
rules.add_perm("renewal.view_inventory_history", is_city_staff)
# What its verified owner may set (SPACE_OWNER_EDITABLE_FIELDS, consent, photos).
rules.add_perm("renewal.change_space_as_owner", is_space_owner)


# Ownership claims. Anyone signed in may claim a space (asked with the space, or with
# the municipality for a building not yet in the inventory) unless it already has a
# verified owner or the user already waits on a claim of it; the claim's city
# editors decide; the claimant may withdraw a pending claim.
@rules.predicate
def has_verified_owner(user, target=None) -> bool:
    if not isinstance(target, VacantSpace):
        return False
    owner = space_owner_of(target)
    return owner is not None and owner.user_id is not None


@rules.predicate
def has_pending_claim(user, target=None) -> bool:
    if not isinstance(target, VacantSpace) or not user.is_authenticated:
        return False
    return OwnershipClaim.objects.filter(
        claimant=user, space=target, status=ClaimStatus.PENDING
    ).exists()


@rules.predicate
def is_claimant(user, claim=None) -> bool:
    # Asked with a municipality too (what a city's staff see): no claimant there.
    return (
        isinstance(claim, OwnershipClaim)
        and user.is_authenticated
        and claim.claimant_id == user.pk
    )


@rules.predicate
def is_pending_claim(user, claim=None) -> bool:
    return isinstance(claim, OwnershipClaim) and claim.status == ClaimStatus.PENDING


rules.add_perm(
    "renewal.claim_space",
    rules.is_authenticated & ~has_verified_owner & ~has_pending_claim,
)
rules.add_perm("renewal.verify_ownershipclaim", is_city_editor)
rules.add_perm("renewal.withdraw_ownershipclaim", is_claimant & is_pending_claim)
rules.add_perm("renewal.view_ownershipclaim", is_claimant | is_city_staff)


# Photos of spaces. Predicates on a photo decide by its space (photo.space), so
# that other kinds of uploader (the space's verified owner) can be or-ed in. Asked
# with a municipality (municipality_ids_with_permission), they answer for its photos.
def _photo_scope(obj):
    return obj.space if isinstance(obj, SpacePhoto) else obj


@rules.predicate
def is_photo_city_editor(user, photo=None) -> bool:
    return is_city_editor(user, _photo_scope(photo))


@rules.predicate
def is_photo_city_staff(user, photo=None) -> bool:
    return is_city_staff(user, _photo_scope(photo))


# Asked with the space the photo would belong to.
rules.add_perm("renewal.add_spacephoto", is_city_editor)


@rules.predicate
def is_photo_space_owner(user, photo=None) -> bool:
    return is_space_owner(user, _photo_scope(photo))


# The space's verified owner shows or withdraws photos of their space too.
rules.add_perm(
    "renewal.publish_spacephoto", is_photo_city_editor | is_photo_space_owner
)
rules.add_perm("renewal.delete_spacephoto", is_photo_city_editor)
# The original keeps the camera's metadata (its GPS position above all).
rules.add_perm("renewal.view_spacephoto_original", is_photo_city_staff)

rules.add_perm("renewal.add_neighborhoodresource", is_city_editor)
rules.add_perm("renewal.change_neighborhoodresource", is_city_editor)
rules.add_perm("renewal.view_neighborhoodresource", is_city_staff)

rules.add_perm("renewal.add_communityorganization", is_city_editor)
rules.add_perm(
    "renewal.change_communityorganization", is_city_editor | is_organization_member
)
rules.add_perm(
    "renewal.view_communityorganization", is_city_staff | is_organization_member
)
# What the city vouches for: that an organisation is real, and what kind it is (a BID
# management body may run a district's ballots and levy).
rules.add_perm("renewal.verify_communityorganization", is_city_editor)
rules.add_perm("renewal.classify_communityorganization", is_city_editor)


# Renewal projects: anyone signed in proposes and supports; city editors review;
# the proposer may withdraw before approval (the workflow table says when).
@rules.predicate
def is_proposer(user, project=None) -> bool:
    return (
        project is not None and user.is_authenticated and project.proposer_id == user.pk
    )


rules.add_perm("renewal.add_renewalproject", rules.is_authenticated)
rules.add_perm("renewal.support_renewalproject", rules.is_authenticated)
rules.add_perm("renewal.review_renewalproject", is_city_editor)
# A project hidden by moderation stays on its city staff's review desk.
rules.add_perm("renewal.view_hidden_renewalproject", is_city_staff)
rules.add_perm("renewal.withdraw_renewalproject", is_proposer)
# After a reviewer asked for changes, the proposer puts the proposal back in review.
rules.add_perm("renewal.resubmit_renewalproject", is_proposer)


# Participation. Progress updates come from the project's lead organisation or its
# city's staff; events are recorded by the organisation that ran them.
@rules.predicate
def is_lead_organization_member(user, project=None) -> bool:
    if project is None:
        return bool(organization_ids(user))
    return project.lead_organization_id in organization_ids(user)


is_moderator = rules.is_group_member("moderators")

rules.add_perm(
    "renewal.add_progressupdate", is_city_editor | is_lead_organization_member
)
# Asked with the organisation that ran the event.
rules.add_perm("renewal.add_participationevent", is_organization_member)


# Meetings: the project's lead organisation or its city's editors announce one (asked
# with the project); the event's organisation or the city's editors record who came
# (asked with the event); anyone signed in says they will come.
@rules.predicate
def is_event_organization_member(user, event=None) -> bool:
    if event is None:
        return bool(organization_ids(user))
    return event.organization_id in organization_ids(user)


rules.add_perm("renewal.announce_event", is_city_editor | is_lead_organization_member)
rules.add_perm("renewal.manage_event", is_city_editor | is_event_organization_member)
rules.add_perm("renewal.rsvp_event", rules.is_authenticated)
rules.add_perm("renewal.comment_renewalproject", rules.is_authenticated)
rules.add_perm("renewal.report_content", rules.is_authenticated)
rules.add_perm("renewal.moderate_content", is_moderator)


# Matching. City editors run assignments and offer matches; the project's proposer or
# its lead organisation answers an offer. Declining is either's: the city drops a
# suggestion or an offer, the project turns down an offer made to it.
@rules.predicate
def is_match_proposer(user, match=None) -> bool:
    return (
        match is not None
        and user.is_authenticated
        and match.project.proposer_id == user.pk
    )


@rules.predicate
def is_match_lead_organization_member(user, match=None) -> bool:
    return (
        match is not None
        and match.project.lead_organization_id is not None
        and match.project.lead_organization_id in organization_ids(user)
    )


@rules.predicate
def is_offered(user, match=None) -> bool:
    return match is not None and match.status == MatchStatus.OFFERED


may_respond_to_match = is_match_proposer | is_match_lead_organization_member

rules.add_perm("renewal.run_assignment", is_city_editor)  # asked with the municipality
rules.add_perm("renewal.offer_match", is_city_editor)
rules.add_perm("renewal.manage_match", is_city_editor)  # activate, end
rules.add_perm("renewal.respond_match", may_respond_to_match)


@rules.predicate
def is_match_space_owner(user, match=None) -> bool:
    return match is not None and is_space_owner(user, match.space)


rules.add_perm(
    "renewal.decline_match",
    is_city_editor
    | (is_offered & may_respond_to_match)
    | (is_offered & is_match_space_owner),
)
rules.add_perm(
    "renewal.view_match",
    is_city_staff | may_respond_to_match | is_match_space_owner,
)


# The owner's consented contact reaches the project's side of a match once the city
# has offered it, and while it holds; never before, never without consent.
@rules.predicate
def is_match_contact_open(user, match=None) -> bool:
    return match is not None and match.status in CONTACT_STATUSES


@rules.predicate
def owner_consented(user, match=None) -> bool:
    if match is None:
        return False
    owner = space_owner_of(match.space)
    return owner is not None and owner.contact_consent and bool(owner.contact_channel)


rules.add_perm(
    "renewal.view_owner_contact",
    may_respond_to_match & is_match_contact_open & owner_consented,
)
rules.add_perm("renewal.change_matchingsettings", is_city_editor)
# Asked with the municipality: its runs, all its matches and its matching settings.
rules.add_perm("renewal.view_city_matching", is_city_staff)


# City typology: the computed type is public; its staff may override it with a reason.
rules.add_perm("cities.override_typology", is_city_editor)
# The downtown (원도심): a set of 읍면동 or an area, chosen by the city's editors.
rules.add_perm("cities.change_downtown", is_city_editor)


# Business Improvement Districts: the city's editors and the management body's members
# manage a district (asked with the district; an unsaved one when creating).
@rules.predicate
def is_bid_management_member(user, district=None) -> bool:
    if district is None:
        return bool(organization_ids(user))
    return district.management_organization_id in organization_ids(user)


rules.add_perm("renewal.manage_bid", is_city_editor | is_bid_management_member)
# A district is the city's decision (asked with the unsaved district); its management
# body runs it afterwards.
rules.add_perm("renewal.add_bid", is_city_editor)


# The city workbench (asked with the municipality): its staff see what waits for
# them; what they may do from it is asked of each action's own rule.
rules.add_perm("renewal.view_workbench", is_city_staff)


# Field surveys (asked with the round, or with the municipality for creating one): a
# city's editors run rounds and settle conflicts; a round's surveyors, who need not
# be staff, survey its spaces while it is open and no longer once it is closed.
@rules.predicate
def is_round_surveyor(user, survey_round=None) -> bool:
    if survey_round is None:
        return bool(survey_round_ids(user))
    return survey_round.pk in survey_round_ids(user)


@rules.predicate
def is_open_round(user, survey_round=None) -> bool:
    return survey_round is not None and survey_round.status == SurveyRoundStatus.OPEN


rules.add_perm("renewal.manage_survey_rounds", is_city_editor)
rules.add_perm("renewal.view_survey_round", is_city_staff | is_round_surveyor)
rules.add_perm(
    "renewal.survey_round", is_open_round & (is_round_surveyor | is_city_editor)
)
# Asked with the observation (or the municipality, for the list of conflicts).
rules.add_perm("renewal.resolve_survey_conflict", is_city_editor)
