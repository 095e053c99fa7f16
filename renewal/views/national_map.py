"""The national map: every space, project, resource and organisation in the country,
drawn by MapLibre GL JS from the vector tiles (`/tiles/{layer}/{z}/{x}/{y}.mvt`).

The page itself sends no features: the browser asks for the tiles in view, and
spaces at low zooms come from the pre-aggregated grid (`spaces_grid`), so two million
points cost a national view a few hundred cells (docs/gis.md).
"""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from cities.models import Municipality
from cities.views_support import detail_url_template
from renewal.models import (
    OrganizationKind,
    ProjectCategory,
    ProjectStatus,
    ResourceCategory,
    SpaceKind,
    SpaceStatus,
)
from renewal.selectors.tiles import AGGREGATE_MAX_ZOOM

# The whole of South Korea, Jeju included.
NATIONAL_CENTER = (127.8, 36.0)
NATIONAL_ZOOM = 6
# A chosen city opens at the zoom where its spaces are single points.
CITY_ZOOM = 13


def national_map(request):
    municipalities = list(
        Municipality.objects.order_by("name_ko").only(
            "code", "name_ko", "name_en", "location"
        )
    )
    chosen = next(
        (m for m in municipalities if m.code == request.GET.get("city")), None
    )
    if chosen:
        center, zoom = (chosen.location.x, chosen.location.y), CITY_ZOOM
    else:
        center, zoom = NATIONAL_CENTER, NATIONAL_ZOOM
    tile_url = reverse(
        "tiles-tile", kwargs={"layer": "spaces", "z": 0, "x": 0, "y": 0}
    ).replace("spaces/0/0/0.mvt", "{layer}/{z}/{x}/{y}.mvt")
    map_config = {
        "center": center,
        "zoom": zoom,
        "cityZoom": CITY_ZOOM,
        "tileUrl": tile_url,
        # The grid serves zooms up to this one; single points from the next.
        "gridMaxZoom": AGGREGATE_MAX_ZOOM,
        "detailUrls": {
            "spaces": detail_url_template("renewal:space-detail"),
            "projects": detail_url_template("renewal:project-detail"),
        },
        "labels": {
            "spaces": _("Vacant space"),
            "projects": _("Renewal project"),
            "resources": _("Neighbourhood resource"),
            "organizations": _("Community organisation"),
            "cell": _("%(count)s spaces around here"),
            "inView": _("Spaces in this view: %(count)s"),
            "details": _("Details"),
        },
        # Property values as the tiles carry them, by layer, for the popups.
        "values": {
            "spaces": {
                "kind": dict(SpaceKind.choices),
                "status": dict(SpaceStatus.choices),
            },
            "projects": {
                "category": dict(ProjectCategory.choices),
                "status": dict(ProjectStatus.choices),
            },
            "resources": {"category": dict(ResourceCategory.choices)},
            "organizations": {"kind": dict(OrganizationKind.choices)},
        },
    }
    return render(
        request,
        "renewal/national_map.html",
        {
            "municipalities": municipalities,
            "chosen": chosen,
            "map_config": map_config,
        },
    )
