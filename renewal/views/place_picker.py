"""What the map of a form that places something (a proposal, a space) needs: the
city's outline and seat, where its 읍면동 outlines come from, and the sentences of the
picker in the reader's language. One builder for both forms."""

from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils.translation import gettext as _

from cities.models import Municipality
from cities.views_support import geojson
from renewal.forms import AREA_FOLLOW_RADII_M, radius_label
from renewal.selectors.search import submunicipality_with_seat
from renewal.views.home import UnreadablePlace, near_point

# About 30 m at Korea's latitudes: an outline for orientation, not for surveying,
# and a few kilobytes instead of the official polygon's hundreds.
OUTLINE_TOLERANCE_DEGREES = 0.0003


def _areas_url(municipality: Municipality) -> str | None:
    if not municipality.code:
        return None
    return reverse("municipality-submunicipalities", args=[municipality.code])


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
        "areasUrl": _areas_url(municipality),
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


def focus_point(request, municipality: Municipality) -> tuple[Point, str]:
    """Where a map page opens, and the sentence that says so: a 읍면동 of the city
    (`?area=<SGIS code>`, from the search), a place (`?at=longitude,latitude`, a
    followed area), else the city's seat."""
    area = submunicipality_with_seat(
        municipality=municipality, sgis_code=request.GET.get("area", "")
    )
    if area is not None:
        return area.seat, _("Around %(area)s.") % {"area": area.name}
    raw = request.GET.get("at", "")
    if raw:
        try:
            return near_point(raw), _("Around the place you chose.")
        except UnreadablePlace:
            pass
    return municipality.location, ""


def area_follow_config(request, municipality: Municipality) -> dict:
    """The follow-an-area form under a city's projects map and its script's data."""
    center, where = focus_point(request, municipality)
    return {
        "longitude": center.x,
        "latitude": center.y,
        "radii": [(radius, radius_label(radius)) for radius in AREA_FOLLOW_RADII_M],
        "where": where or _("Around the city hall."),
        "text": {
            "where": _(
                "The dashed circle on the map shows the area; move the map to choose "
                "another place."
            ),
            "focus": [center.y, center.x] if where else None,
            "boundary": None,
            "areasUrl": _areas_url(municipality),
            "area": request.GET.get("area", ""),
        },
    }
