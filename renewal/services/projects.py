"""Renewal projects: proposal, review workflow and supports.

Check, then do: the `*_create`, `*_status_set` and `project_support_*` functions
below ask no permission; they validate, save, record the review log and queue side
effects after commit. The services that callers outside this module use
(`renewal_project_propose`, `renewal_project_transition`, `project_support_add`,
`project_support_withdraw`) ask the rules first and then call them.
"""

import math

from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cities.boundaries import place_outside_message, places_outside
from cities.models import Municipality
from core.errors import (
    DomainError,
    IllegalTransition,
    NotPermitted,
    check_transition,
    require_perm,
)
from core.geography import KOREA_BOUNDS
from renewal.models.matching import HOLDING_STATUSES, Match
from renewal.models.projects import (
    OPEN_PROJECT_STATUSES,
    PROJECT_TRANSITIONS,
    REASON_REQUIRED,
    SUPPORTABLE_STATUSES,
    ProjectCategory,
    ProjectStatus,
    ProjectSupport,
    ProjectTransition,
    RenewalProject,
)
from renewal.models.spaces import (
    OFFERED_AVAILABILITIES,
    UNLISTED_SPACE_STATUSES,
    VacantSpace,
)
from renewal.services.matching.runs import enqueue_assignment_rerun
from renewal.services.matching.scoring import (
    ProjectFacts,
    SpaceFacts,
    score_space,
    scoring_params,
)
from renewal.services.notifications import (
    enqueue_new_project_notifications,
    enqueue_transition_notifications,
)
from renewal.services.tiles import tiles_invalidate

PLACE_TYPES = (Point, Polygon, MultiPolygon)
# Korea's metric grid (EPSG:5179): areas of a place are measured in it.
METRIC_SRID = 5179
# Until official boundaries check "inside the municipality", a place must lie near
# the city (docs/projects.md): a sanity check that refuses another province.
MAX_DISTANCE_FROM_CITY_M = 50_000
# The largest area a project of each category may draw, in km² (docs/projects.md).
# Generous for the national programmes (a New Deal economic-base area is about
# 0.5 km², a small industrial complex under 0.3 km²); a whole district is not a
# project's place, and its followers across the country would all be notified.
MAX_AREA_KM2: dict[str, float] = {
    ProjectCategory.VILLAGE_RENEWAL: 2.0,
    ProjectCategory.HERITAGE_CULTURE: 2.0,
    ProjectCategory.DOWNTOWN_COMMERCIAL: 3.0,
    ProjectCategory.INDUSTRIAL_COMPLEX: 5.0,
    ProjectCategory.SMART_CITY: 10.0,
    ProjectCategory.COMMUNITY_FACILITY: 0.5,
    ProjectCategory.OTHER: 2.0,
}
EARTH_RADIUS_M = 6_371_008.8


def _metres_between(a: Point, b: Point) -> float:
    """Great-circle distance (haversine); within 0.5 % of the spheroid, ample for
    a limit of tens of kilometres."""
    lat1, lat2 = math.radians(a.y), math.radians(b.y)
    dlat, dlon = lat2 - lat1, math.radians(b.x - a.x)
    h = (
        math.sin(dlat / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _check_place(place, *, municipality: Municipality, category: str) -> None:
    if not isinstance(place, PLACE_TYPES):
        raise DomainError(
            _("A project's place is a point or an area (polygon)."),
            fields={"place": [_("Use a Point or a Polygon.")]},
        )
    # A GeoJSON `crs` naming another system gives the geometry that SRID; its
    # numbers are not longitude and latitude and must not be read as such.
    if place.srid not in (None, 4326):
        raise DomainError(
            _(
                "The place must be given as longitude and latitude (EPSG:4326); "
                "a GeoJSON crs naming another coordinate system is refused."
            ),
            fields={"place": [_("Only EPSG:4326 (CRS84) coordinates are accepted.")]},
        )
    if not place.valid:
        raise DomainError(
            _("The drawn area is not a valid polygon: %(reason)s.")
            % {"reason": place.valid_reason},
            fields={"place": [_("Invalid geometry.")]},
        )
    min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
    x0, y0, x1, y1 = place.extent
    if not (min_lon <= x0 and x1 <= max_lon and min_lat <= y0 and y1 <= max_lat):
        raise DomainError(
            _("The place lies outside Korea; give longitude, latitude in EPSG:4326."),
            fields={"place": [_("Outside Korea.")]},
        )
    # The size first: a huge area is refused for what it is, not for where its
    # centre happens to fall.
    if not isinstance(place, Point):
        _check_area(place, category=category)
    if municipality.boundary:
        for outside in places_outside(municipality, [place]):
            raise DomainError(
                place_outside_message(municipality, outside),
                fields={"place": [_("Outside the municipality's boundary.")]},
            )
        return
    distance_m = _metres_between(place.point_on_surface, municipality.location)
    if distance_m > MAX_DISTANCE_FROM_CITY_M:
        raise DomainError(
            _(
                "The place is %(distance).0f km from %(city)s; a project's place "
                "must lie within %(limit).0f km of the city."
            )
            % {
                "distance": distance_m / 1000,
                "city": municipality.name,
                "limit": MAX_DISTANCE_FROM_CITY_M / 1000,
            },
            fields={"place": [_("Too far from the municipality.")]},
        )


def _check_area(place, *, category: str) -> None:
    area_km2 = place.transform(METRIC_SRID, clone=True).area / 1_000_000
    limit = MAX_AREA_KM2.get(category, MAX_AREA_KM2[ProjectCategory.OTHER])
    if area_km2 > limit:
        raise DomainError(
            _(
                "The drawn area is %(area).1f km²; a project of this category may "
                "cover at most %(limit).1f km². Draw the project's own site."
            )
            % {"area": area_km2, "limit": limit},
            fields={"place": [_("The area is too large for its category.")]},
        )


def renewal_project_validate(project: RenewalProject) -> None:
    """The rules every project row obeys, however it is written."""
    _check_place(
        project.place, municipality=project.municipality, category=project.category
    )
    minimum, maximum = project.needs_min_area_m2, project.needs_max_area_m2
    if minimum is not None and maximum is not None and minimum > maximum:
        raise DomainError(
            _("The minimum floor area is larger than the maximum."),
            fields={"needs": [_("Minimum above maximum.")]},
        )


@transaction.atomic
def renewal_project_create(
    *, proposer, municipality: Municipality, data: dict
) -> RenewalProject:
    """Validate and save a new project; its followers hear of it after commit."""
    data = dict(data)
    resources = data.pop("resources", [])
    space = data.pop("space", None)
    if space is not None:
        space = listed_space_for_proposal(space=space, municipality=municipality)
        # A proposal for a listed space is placed where the space is.
        data["place"] = space.location
    project = RenewalProject(
        proposer=proposer, municipality=municipality, space=space, **data
    )
    renewal_project_validate(project)
    project.save()
    project.resources.set(resources)
    if space is not None:
        listing_match_create(project=project, space=space)
    enqueue_new_project_notifications(project.pk)
    tiles_invalidate("projects")
    return project


def listed_space_for_proposal(
    *, space: VacantSpace, municipality: Municipality
) -> VacantSpace:
    """The listed space a proposal starts from, locked; refused once its owner no
    longer offers it or it is taken."""
    space = VacantSpace.objects.select_for_update(of=("self",)).get(pk=space.pk)
    if space.municipality_id != municipality.pk:
        raise DomainError(
            _("This space lies in another city."), fields={"space": [_("Other city.")]}
        )
    if (
        space.availability not in OFFERED_AVAILABILITIES
        or space.status in UNLISTED_SPACE_STATUSES
        or Match.objects.filter(space=space, status__in=HOLDING_STATUSES).exists()
    ):
        raise DomainError(
            _("This space is no longer offered; choose another one from the listing."),
            fields={"space": [_("No longer offered.")]},
        )
    return space


def listing_match_create(*, project: RenewalProject, space: VacantSpace) -> Match:
    """The suggested match a proposal from the listing starts: the city offers it
    (or not) as any other. Scored as a run scores, the project standing on the
    space; no run made it, so runs leave it in place."""
    params = scoring_params(municipality_id=project.municipality_id)
    score, breakdown = score_space(
        project=ProjectFacts.of(project),
        space=SpaceFacts(
            kind=space.kind,
            floor_area_m2=(
                float(space.floor_area_m2) if space.floor_area_m2 is not None else None
            ),
            grading_scheme=space.grading_scheme,
            grade=space.grade,
            availability=space.availability,
            asking_rent_krw=space.asking_rent_krw,
            distance_m=0.0,
            in_downtown=space.in_downtown,
        ),
        params=params,
        today=timezone.localdate(),
    )
    return Match.objects.create(
        municipality_id=project.municipality_id,
        project=project,
        space=space,
        score=min(max(score, 0.0), 1.0),
        breakdown=breakdown or {},
    )


def renewal_project_propose(
    *, proposer, municipality: Municipality, data: dict
) -> RenewalProject:
    require_perm(
        proposer,
        "renewal.add_renewalproject",
        message=_("Sign in to propose a project."),
    )
    return renewal_project_create(
        proposer=proposer, municipality=municipality, data=data
    )


def _permission_for(target: str) -> str:
    if target == ProjectStatus.WITHDRAWN:
        return "renewal.withdraw_renewalproject"
    if target == ProjectStatus.PROPOSED:  # resubmitted after changes were asked for
        return "renewal.resubmit_renewalproject"
    return "renewal.review_renewalproject"


def allowed_project_transitions(*, user, project: RenewalProject) -> list[str]:
    return sorted(
        target
        for target in PROJECT_TRANSITIONS[project.status]
        if user.has_perm(_permission_for(target), project)
    )


def _check_project_transition(project: RenewalProject, to: str) -> None:
    if to not in ProjectStatus.values:
        raise IllegalTransition(
            _("“%(status)s” is not a status of a project.") % {"status": to},
            fields={"to": [_("Unknown status.")]},
        )
    check_transition(
        PROJECT_TRANSITIONS,
        ProjectStatus,
        project.status,
        to,
        _("A project that is “%(current)s” cannot become “%(target)s”."),
        fields={"to": [_("Not allowed from the current status.")]},
    )


def _check_reason(to: str, reason: str) -> None:
    if to not in REASON_REQUIRED or reason.strip():
        return
    if to == ProjectStatus.CHANGES_REQUESTED:
        raise DomainError(
            _("Say which changes are needed; the proposer is told."),
            fields={"reason": [_("Required when asking for changes.")]},
        )
    raise DomainError(
        _("Say why the project is rejected; the proposer is told."),
        fields={"reason": [_("Required when rejecting.")]},
    )


@transaction.atomic
def renewal_project_status_set(
    *,
    project: RenewalProject,
    to: str,
    actor=None,
    reason: str = "",
    notify: bool = True,
) -> RenewalProject:
    """Move a project along the workflow table, log who did it and why, and queue
    the notifications, fresh tiles and the city's re-run after commit. `notify`
    is off only for a step that a decision in the same transaction follows."""
    # The row lock serialises two reviewers (or a double click) on one project.
    project = RenewalProject.objects.select_for_update().get(pk=project.pk)
    _check_project_transition(project, to)
    reason = reason.strip()
    _check_reason(to, reason)
    transition = ProjectTransition.objects.create(
        project=project,
        from_status=project.status,
        to_status=to,
        actor=actor,
        reason=reason,
    )
    if notify:
        enqueue_transition_notifications(transition.pk)
    tiles_invalidate("projects")
    if OPEN_PROJECT_STATUSES & {transition.from_status, to}:
        enqueue_assignment_rerun(project.municipality_id)
    project.status = to
    project.save(update_fields=["status", "updated_at"])
    return project


@transaction.atomic
def renewal_project_transition(
    *, actor, project: RenewalProject, to: str, reason: str = ""
) -> RenewalProject:
    project = RenewalProject.objects.select_for_update().get(pk=project.pk)
    # The workflow answers first: a step that exists for nobody is not a
    # question of who asks.
    _check_project_transition(project, to)
    require_perm(actor, _permission_for(to), project)
    return renewal_project_status_set(
        project=project, to=to, actor=actor, reason=reason
    )


# The decisions a reviewer takes from the workbench queue, in one step each.
REVIEW_DECISIONS = (
    ProjectStatus.APPROVED,
    ProjectStatus.CHANGES_REQUESTED,
    ProjectStatus.REJECTED,
)


@transaction.atomic
def renewal_project_review_decide(
    *, actor, project: RenewalProject, to: str, seen_status: str, reason: str = ""
) -> RenewalProject:
    """A reviewer's decision from the queue, one request per decision.

    `seen_status` is the status the reviewer's form showed: if the project has
    moved since (a second click, another reviewer, the proposer withdrawing), the
    decision is refused and nothing changes. A proposal the city has not yet taken
    under review is taken under review and decided in the same transaction; both
    steps are logged, and only the decision is announced.
    """
    project = RenewalProject.objects.select_for_update().get(pk=project.pk)
    if to not in REVIEW_DECISIONS:
        raise IllegalTransition(
            _("“%(status)s” is not a review decision.") % {"status": to},
            fields={"to": [_("Approve, ask for changes or reject.")]},
        )
    require_perm(actor, "renewal.review_renewalproject", project)
    if project.status != seen_status:
        raise IllegalTransition(
            _(
                "“%(title)s” is already “%(status)s”: it was decided or changed "
                "after this page was loaded. Nothing was changed."
            )
            % {"title": project.title, "status": ProjectStatus(project.status).label}
        )
    if project.status == ProjectStatus.PROPOSED:
        # Checked before the first step, which would otherwise run only to be
        # rolled back.
        _check_reason(to, reason)
        project = renewal_project_status_set(
            project=project, to=ProjectStatus.UNDER_REVIEW, actor=actor, notify=False
        )
    return renewal_project_status_set(
        project=project, to=to, actor=actor, reason=reason
    )


def project_support_create(*, user, project: RenewalProject) -> bool:
    """Record `user`'s support; repeating it is not an error and counts once.

    Returns whether a new support was recorded. The unique constraint decides races:
    get_or_create falls back to reading the row the parallel request inserted.
    """
    if project.status not in SUPPORTABLE_STATUSES:
        raise DomainError(
            _("A project that is “%(status)s” no longer takes supports.")
            % {"status": ProjectStatus(project.status).label}
        )
    _support, created = ProjectSupport.objects.get_or_create(project=project, user=user)
    return created


def project_support_delete(*, user, project: RenewalProject) -> bool:
    """Remove `user`'s own support, and no one else's."""
    deleted, _details = ProjectSupport.objects.filter(
        project=project, user=user
    ).delete()
    return bool(deleted)


def project_support_add(*, user, project: RenewalProject) -> bool:
    require_perm(
        user,
        "renewal.support_renewalproject",
        project,
        message=_("Sign in to support a project."),
    )
    return project_support_create(user=user, project=project)


def project_support_withdraw(*, user, project: RenewalProject) -> bool:
    if not user.is_authenticated:
        raise NotPermitted(_("Sign in to support a project."))
    return project_support_delete(user=user, project=project)
