"""Following a project (status changes, progress updates) or an area (new projects
within a radius of a point, optionally of one category)."""

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from renewal.models.participation import (
    AREA_FOLLOW_MAX_RADIUS_M,
    AREA_FOLLOW_MIN_RADIUS_M,
    AreaFollow,
    ProjectFollow,
)
from renewal.models.projects import ProjectCategory, RenewalProject
from renewal.services.errors import DomainError, NotPermitted


def _require_sign_in(user) -> None:
    if not user.is_authenticated:
        raise NotPermitted(_("Sign in to follow projects and areas."))


def project_follow(*, user, project: RenewalProject) -> bool:
    """Follow a project; repeating it is not an error. Returns whether a new follow
    was recorded (the unique constraint settles parallel requests)."""
    _require_sign_in(user)
    _follow, created = ProjectFollow.objects.get_or_create(user=user, project=project)
    return created


def project_unfollow(*, user, project: RenewalProject) -> bool:
    _require_sign_in(user)
    deleted, _details = ProjectFollow.objects.filter(
        user=user, project=project
    ).delete()
    return bool(deleted)


def area_follow_create(
    *, user, center: Point, radius_m: int, category: str = ""
) -> AreaFollow:
    _require_sign_in(user)
    if not isinstance(center, Point) or center.empty:
        raise DomainError(
            _("The centre of a followed area is a point."),
            fields={"center": [_("Use a Point.")]},
        )
    if not AREA_FOLLOW_MIN_RADIUS_M <= radius_m <= AREA_FOLLOW_MAX_RADIUS_M:
        raise DomainError(
            _("Choose a radius between %(min)d m and %(max)d km.")
            % {
                "min": AREA_FOLLOW_MIN_RADIUS_M,
                "max": AREA_FOLLOW_MAX_RADIUS_M // 1000,
            },
            fields={"radius_m": [_("Out of range.")]},
        )
    if category and category not in ProjectCategory.values:
        raise DomainError(
            _("“%(category)s” is not a project category.") % {"category": category},
            fields={"category": [_("Unknown category.")]},
        )
    if center.srid is None:
        center = Point(center.x, center.y, srid=4326)
    return AreaFollow.objects.create(
        user=user, center=center, radius_m=radius_m, category=category
    )


def area_follow_delete(*, user, area_follow: AreaFollow) -> None:
    _require_sign_in(user)
    if area_follow.user_id != user.pk:
        raise NotPermitted()
    area_follow.delete()
