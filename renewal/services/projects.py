from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import Municipality
from renewal.models.projects import (
    PROJECT_TRANSITIONS,
    REASON_REQUIRED,
    ProjectStatus,
    ProjectSupport,
    ProjectTransition,
    RenewalProject,
)
from renewal.selectors.matching import OPEN_PROJECT_STATUSES
from renewal.services.errors import (
    DomainError,
    IllegalTransition,
    NotPermitted,
    check_transition,
    require_perm,
)
from renewal.services.matching.runs import enqueue_assignment_rerun
from renewal.services.notifications import (
    enqueue_new_project_notifications,
    enqueue_transition_notifications,
)
from renewal.services.tiles import tiles_invalidate

PLACE_TYPES = (Point, Polygon, MultiPolygon)
# Projects the city-wide assignment places: entering or leaving these re-runs it.
ASSIGNABLE = frozenset(OPEN_PROJECT_STATUSES)
SUPPORTABLE = frozenset(
    {
        ProjectStatus.PROPOSED,
        ProjectStatus.UNDER_REVIEW,
        ProjectStatus.APPROVED,
        ProjectStatus.IN_PROGRESS,
    }
)


def _check_place(place, municipality: Municipality) -> None:
    if not isinstance(place, PLACE_TYPES):
        raise DomainError(
            _("A project's place is a point or an area (polygon)."),
            fields={"place": [_("Use a Point or a Polygon.")]},
        )
    if not place.valid:
        raise DomainError(
            _("The drawn area is not a valid polygon: %(reason)s.")
            % {"reason": place.valid_reason},
            fields={"place": [_("Invalid geometry.")]},
        )
    if municipality.boundary and not municipality.boundary.intersects(place):
        raise DomainError(
            _("The place lies outside %(city)s.") % {"city": municipality.name},
            fields={"place": [_("Outside the municipality's boundary.")]},
        )


@transaction.atomic
def renewal_project_propose(
    *, proposer, municipality: Municipality, data: dict
) -> RenewalProject:
    require_perm(
        proposer,
        "renewal.add_renewalproject",
        message=_("Sign in to propose a project."),
    )
    _check_place(data.get("place"), municipality)
    minimum, maximum = data.get("needs_min_area_m2"), data.get("needs_max_area_m2")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise DomainError(
            _("The minimum floor area is larger than the maximum."),
            fields={"needs": [_("Minimum above maximum.")]},
        )
    resources = data.pop("resources", [])
    project = RenewalProject.objects.create(
        proposer=proposer, municipality=municipality, **data
    )
    project.resources.set(resources)
    enqueue_new_project_notifications(project.pk)
    tiles_invalidate("projects")
    return project


def _permission_for(target: str) -> str:
    if target == ProjectStatus.WITHDRAWN:
        return "renewal.withdraw_renewalproject"
    return "renewal.review_renewalproject"


def allowed_project_transitions(*, user, project: RenewalProject) -> list[str]:
    return sorted(
        target
        for target in PROJECT_TRANSITIONS[project.status]
        if user.has_perm(_permission_for(target), project)
    )


@transaction.atomic
def renewal_project_transition(
    *, actor, project: RenewalProject, to: str, reason: str = ""
) -> RenewalProject:
    # The row lock serialises two reviewers (or a double click) on one project.
    project = RenewalProject.objects.select_for_update().get(pk=project.pk)
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
    require_perm(actor, _permission_for(to), project)
    reason = reason.strip()
    if to in REASON_REQUIRED and not reason:
        raise DomainError(
            _("Say why the project is rejected; the proposer is told."),
            fields={"reason": [_("Required when rejecting.")]},
        )
    transition = ProjectTransition.objects.create(
        project=project,
        from_status=project.status,
        to_status=to,
        actor=actor,
        reason=reason,
    )
    enqueue_transition_notifications(transition.pk)
    tiles_invalidate("projects")
    if ASSIGNABLE & {transition.from_status, to}:
        enqueue_assignment_rerun(project.municipality_id)
    project.status = to
    project.save(update_fields=["status", "updated_at"])
    return project


def project_support_add(*, user, project: RenewalProject) -> bool:
    """Support a project; repeating it is not an error and counts once.

    Returns whether a new support was recorded. The unique constraint decides races:
    get_or_create falls back to reading the row the parallel request inserted.
    """
    require_perm(
        user,
        "renewal.support_renewalproject",
        project,
        message=_("Sign in to support a project."),
    )
    if project.status not in SUPPORTABLE:
        raise DomainError(
            _("A project that is “%(status)s” no longer takes supports.")
            % {"status": ProjectStatus(project.status).label}
        )
    _support, created = ProjectSupport.objects.get_or_create(project=project, user=user)
    return created


def project_support_withdraw(*, user, project: RenewalProject) -> bool:
    if not user.is_authenticated:
        raise NotPermitted(_("Sign in to support a project."))
    deleted, _details = ProjectSupport.objects.filter(
        project=project, user=user
    ).delete()
    return bool(deleted)
