"""Geographic constants and readers shared by the API and the services."""

import math

from django.utils.translation import gettext as _

# Longitude/latitude box around South Korea: coordinates outside it are almost always
# projected metres (EPSG:5179/5186) sent as if they were degrees.
KOREA_BOUNDS = (124.0, 33.0, 132.0, 39.0)


class InvalidBbox(ValueError):
    """A bounding box that cannot be read; its text is the sentence for people."""


def bbox_parse(raw: str) -> tuple[float, float, float, float]:
    """A box written minLon,minLat,maxLon,maxLat in degrees (EPSG:4326, longitude
    first): the one reader of every `bbox` parameter (API filters, OGC API).

    A 3D box of six numbers, which OGC API – Features allows, loses its heights.
    A box may be flat (a line or a point, as OGC allows), never upside down.
    """
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        values = []
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(value) for value in values):
        raise InvalidBbox(
            _("Expected minLon,minLat,maxLon,maxLat (EPSG:4326, longitude first).")
        )
    min_lon, min_lat, max_lon, max_lat = values
    if min_lon > max_lon or min_lat > max_lat:
        raise InvalidBbox(_("Minimum must be below maximum."))
    return min_lon, min_lat, max_lon, max_lat
