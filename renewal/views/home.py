"""The home page for residents and the search results page.

The home page answers "what is happening where I live": a search box, "near me", the
latest projects and open calls of the chosen city, and every city as a card. It reads
projects and spaces, so it lives in renewal (cities/ never imports renewal/).
"""

import math

from django.contrib.gis.geos import Point
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.api.serializers import MunicipalitySerializer
from cities.selectors import municipality_list
from core.geography import KOREA_BOUNDS
from renewal.selectors.search import (
    NEARBY_RADIUS_M,
    NEARBY_SHOWN,
    latest_projects,
    nearest_city,
    normalized_query,
    open_calls,
    place_search,
    projects_near,
    submunicipality_list,
)

SEARCH_PAGE_LIMIT = 40
SEARCH_KIND_LABELS = {
    "city": gettext_lazy("City or county"),
    "area": gettext_lazy("Town or neighbourhood (eup, myeon, dong)"),
    "project": gettext_lazy("Project"),
    "space": gettext_lazy("Vacant space"),
}


class UnreadablePlace(ValueError):
    """A `near` parameter that is not a place in Korea; its text is for people."""


def near_point(raw: str) -> Point:
    """`longitude,latitude` in degrees, inside Korea."""
    try:
        longitude, latitude = (float(part) for part in raw.split(","))
    except ValueError:
        raise UnreadablePlace(
            _("Expected a place as longitude,latitude in degrees.")
        ) from None
    min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
    if not (
        math.isfinite(longitude)
        and math.isfinite(latitude)
        and min_lon <= longitude <= max_lon
        and min_lat <= latitude <= max_lat
    ):
        raise UnreadablePlace(_("This place is outside South Korea."))
    return Point(longitude, latitude, srid=4326)


def home(request):
    municipalities = list(municipality_list())
    context = {
        "municipalities": municipalities,
        "municipalities_geojson": MunicipalitySerializer(
            municipalities, many=True
        ).data,
        "chosen_city": None,
        "near": None,
        "near_error": "",
        "nearby_projects": [],
        "nearby_radius_km": NEARBY_RADIUS_M // 1000,
        "near_me_text": {
            "asking": _("Finding where you are…"),
            "failed": _(
                "Your location could not be found. Search for your city instead."
            ),
        },
    }
    status = 200
    chosen = None
    if request.GET.get("near"):
        try:
            point = near_point(request.GET["near"])
        except UnreadablePlace as error:
            context["near_error"] = str(error)
            status = 400
        else:
            chosen = nearest_city(point)
            context["near"] = point
            context["nearby_projects"] = list(
                projects_near(point=point, user=request.user)[:NEARBY_SHOWN]
            )
    elif request.GET.get("city"):
        chosen = next(
            (city for city in municipalities if city.code == request.GET["city"]), None
        )
    if chosen is not None:
        context["chosen_city"] = chosen
        context["latest_projects"] = list(
            latest_projects(municipality=chosen, user=request.user)[:NEARBY_SHOWN]
        )
        context["open_calls"] = list(open_calls(municipality=chosen)[:NEARBY_SHOWN])
        context["areas"] = list(submunicipality_list(municipality=chosen))
    return render(request, "cities/home.html", context, status=status)


def search_results(request):
    """The search box without JavaScript: every kind of result on one page."""
    query = normalized_query(request.GET.get("q"))
    results = (
        place_search(query=query, user=request.user, limit=SEARCH_PAGE_LIMIT)
        if query
        else []
    )
    for result in results:
        result["kind_label"] = SEARCH_KIND_LABELS[result["kind"]]
    return render(request, "renewal/search.html", {"query": query, "results": results})
