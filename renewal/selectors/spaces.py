import math

from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db.models import Exists, OuterRef, QuerySet

from cities.models import Municipality
from renewal.models import VacantSpace
from renewal.rules import city_roles

METRES_PER_DEGREE_LATITUDE = 111_320


def vacant_space_list(*, user) -> QuerySet[VacantSpace]:
    """Spaces with `in_downtown` answered by PostGIS (not a stored flag), in a stable
    order. Owner details are joined only for staff of some city; whether they may see
    a given space's owner is still asked of the rules per space."""
    spaces = (
        VacantSpace.objects.select_related("municipality")
        # A list needs the city's code and name, not its polygons on every row.
        .defer(
            "footprint",
            "municipality__location",
            "municipality__boundary",
            "municipality__downtown",
        )
        .annotate(
            in_downtown=Exists(
                Municipality.objects.filter(
                    pk=OuterRef("municipality_id"),
                    downtown__contains=OuterRef("location"),
                )
            )
        )
        .order_by("id")
    )
    if city_roles(user) or user.is_superuser:
        spaces = spaces.select_related("owner")
    return spaces


def within_bbox(spaces: QuerySet, bbox: tuple[float, float, float, float]) -> QuerySet:
    return spaces.filter(location__intersects=Polygon.from_bbox(bbox))


def near(spaces: QuerySet, *, point: Point, radius_m: float) -> QuerySet:
    """Within radius_m metres of point.

    The bounding-box test uses the spatial index; the exact spheroid distance then
    runs only on the few rows inside it (casting the column to geography in the filter
    would skip the index).
    """
    dlat = radius_m / METRES_PER_DEGREE_LATITUDE
    dlon = dlat / max(math.cos(math.radians(point.y)), 0.01)
    box = Polygon.from_bbox(
        (point.x - dlon, point.y - dlat, point.x + dlon, point.y + dlat)
    )
    return spaces.filter(location__intersects=box).filter(
        location__distance_lte=(point, D(m=radius_m))
    )
