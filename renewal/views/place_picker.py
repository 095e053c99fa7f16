"""What the map of a form that places something (a proposal, a space) needs: the
city's outline and seat, where its 읍면동 outlines come from, and the sentences of the
picker in the reader's language. One builder for both forms."""

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from cities.models import Municipality
from cities.views_support import geojson
from renewal.forms import AREA_FOLLOW_RADII_M, radius_label
from renewal.views.home import UnreadablePlace, near_point

# About 30 m at Korea's latitudes: an outline for orientation, not for surveying,
# and a few kilobytes instead of the official polygon's hundreds.
OUTLINE_TOLERANCE_DEGREES = 0.0003


def place_picker_config(
    municipality: Municipality, *, point_text: str, area: str = ""
) -> dict:
    boundary = municipality.boundary
    if boundary is not None:
        boundary = boundary.simplify(OUTLINE_TOLERANCE_DEGREES, preserve_topology=True)
    return {
        "center": [municipality.location.y, municipality.location.x],
        "downtown": geojson(municipality.downtown),
        "boundary": geojson(boundary),
        "areasUrl": None,
        "area": area,
        "text": {
            "point": point_text,
            "pending": _(
                "Move the marker with the arrow keys if needed, then press Enter "
                "or “Set the place here”."
            ),
            "set": _("Location set"),
            "locating": _("Finding where you are…"),
            "locateFailed": _(
                "Your location could not be found. Search for a place or click on "
                "the map."
            ),
        },
    }


def focus_point(request, municipality: Municipality) -> tuple[Point, bool]:
    """Where a map page opens: `?at=longitude,latitude` (a place searched or a
    followed area) when it is a place in Korea, else the city's seat. The flag
    tells whether the page was asked for a place."""
    raw = request.GET.get("at", "")
    if raw:
        try:
            return near_point(raw), True
        except UnreadablePlace:
            pass
    return municipality.location, False


def area_follow_config(request, municipality: Municipality) -> dict:
    """The follow-an-area form under a city's projects map and its script's data."""
    center, asked = focus_point(request, municipality)
    return {
        "longitude": center.x,
        "latitude": center.y,
        "radii": [(radius, radius_label(radius)) for radius in AREA_FOLLOW_RADII_M],
        "where": _("Around the place you chose.")
        if asked
        else _("Around the city hall."),
        "text": {
            "where": _(
                "Around the centre of the map above (the dashed circle): move the map "
                "to choose the place."
            ),
            "focus": [center.y, center.x] if asked else None,
            "boundary": None,
            "areasUrl": None,
            "area": request.GET.get("area", ""),
        },
    }
