"""Pages of Business Improvement Districts: a city's list and a district's page.

The map and the KPI charts are drawn on the server as inline SVG, so the district,
its members and every number can be read without JavaScript; the tables below them
carry the same figures.
"""

import math

from django.shortcuts import get_object_or_404, render

from cities.views_support import municipality_or_404
from renewal.selectors.bids import bid_ballot_list, bid_kpi_list, bid_list
from renewal.services.bids import (
    MANAGE,
    bid_budget_summary,
    bid_levy_summary,
    bid_member_levies,
    kpi_attainment,
)

MAP_WIDTH = 480
MAP_HEIGHT = 360
MAP_PADDING = 12
CHART_WIDTH = 320
CHART_HEIGHT = 140
CHART_PADDING = 24


def _projector(extent):
    """Longitude/latitude to SVG pixels: equirectangular, scaled by cos(latitude),
    which is exact enough over a downtown of a kilometre or two."""
    min_x, min_y, max_x, max_y = extent
    squash = math.cos(math.radians((min_y + max_y) / 2))
    width = max((max_x - min_x) * squash, 1e-9)
    height = max(max_y - min_y, 1e-9)
    scale = min(
        (MAP_WIDTH - 2 * MAP_PADDING) / width, (MAP_HEIGHT - 2 * MAP_PADDING) / height
    )

    def project(x: float, y: float) -> tuple[float, float]:
        return (
            round(MAP_PADDING + (x - min_x) * squash * scale, 1),
            round(MAP_HEIGHT - MAP_PADDING - (y - min_y) * scale, 1),
        )

    return project


def _district_map(district, members) -> dict:
    project = _projector(district.polygon.extent)
    paths = []
    for polygon in district.polygon:
        for ring in polygon:
            points = [project(x, y) for x, y in ring.coords]
            paths.append("M" + " L".join(f"{px},{py}" for px, py in points) + " Z")
    dots = []
    for member in members:
        px, py = project(member.location.x, member.location.y)
        dots.append({"x": px, "y": py, "member": member})
    return {
        "width": MAP_WIDTH,
        "height": MAP_HEIGHT,
        "path": " ".join(paths),
        "dots": dots,
    }


def _kpi_chart(attainment: dict, observations: list) -> dict:
    values = [float(o.value) for o in observations] + [float(attainment["target"])]
    low, high = min(0.0, min(values)), max(values) or 1.0
    span = (high - low) or 1.0
    inner_w = CHART_WIDTH - 2 * CHART_PADDING
    inner_h = CHART_HEIGHT - 2 * CHART_PADDING

    def y_of(value: float) -> float:
        return round(CHART_HEIGHT - CHART_PADDING - (value - low) / span * inner_h, 1)

    step = inner_w / max(len(observations) - 1, 1)
    points = [
        {
            "x": round(CHART_PADDING + index * step, 1),
            "y": y_of(float(o.value)),
            "observation": o,
        }
        for index, o in enumerate(observations)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "padding": CHART_PADDING,
        "right": CHART_WIDTH - CHART_PADDING,
        "baseline": CHART_HEIGHT - CHART_PADDING,
        "target_y": y_of(float(attainment["target"])),
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "points": points,
    }


def bid_city_list(request, code: str):
    municipality = municipality_or_404(code)
    return render(
        request,
        "renewal/bid_list.html",
        {
            "municipality": municipality,
            "districts": bid_list(municipality=municipality),
        },
    )


def bid_detail(request, pk: int):
    district = get_object_or_404(bid_list(), pk=pk)
    can_manage = request.user.has_perm(MANAGE, district)
    members = list(bid_member_levies(district=district))
    kpis = []
    for kpi in bid_kpi_list(district=district):
        observations = list(kpi.observations.all())
        attainment = kpi_attainment(kpi=kpi, observations=observations)
        kpis.append(
            {
                "kpi": kpi,
                "attainment": attainment,
                "observations": observations,
                "chart": _kpi_chart(attainment, observations) if observations else None,
            }
        )
    return render(
        request,
        "renewal/bid_detail.html",
        {
            "district": district,
            "municipality": district.municipality,
            "can_manage": can_manage,
            "members": members,
            "map": _district_map(district, members),
            "ballots": list(bid_ballot_list(district=district)),
            "levy": bid_levy_summary(district=district),
            "budget": bid_budget_summary(district=district),
            "kpis": kpis,
        },
    )
