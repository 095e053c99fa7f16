import math

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

# Re-exported: renewal.api.spaces and its importers take KOREA_BOUNDS from here.
from core.geography import KOREA_BOUNDS, InvalidBbox, bbox_parse


def validate_korean_point(location) -> Point:
    if not isinstance(location, Point):
        raise ValidationError(_("The location must be a Point."))
    if not location.valid:
        raise ValidationError(
            _("Invalid geometry: %(reason)s.") % {"reason": location.valid_reason}
        )
    min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
    if not (min_lon <= location.x <= max_lon and min_lat <= location.y <= max_lat):
        raise ValidationError(
            _("Coordinates must be longitude, latitude in EPSG:4326 inside Korea.")
        )
    return location


def parse_floats(name: str, raw: str, count: int) -> list[float]:
    """`count` comma-separated numbers from query parameter `name`, or a 400 naming it."""
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        values = []
    # float() reads "nan" and "inf", which no coordinate or distance can be.
    if len(values) != count or not all(math.isfinite(value) for value in values):
        raise ValidationError(
            {
                name: [
                    _("Expected %(count)d comma-separated numbers.") % {"count": count}
                ]
            }
        )
    return values


def parse_bbox(name: str, raw: str) -> tuple[float, float, float, float]:
    """A bbox (core.geography.bbox_parse) from query parameter `name`, or a 400
    naming it."""
    try:
        return bbox_parse(raw)
    except InvalidBbox as error:
        raise ValidationError({name: [str(error)]})
