"""Finding a place or a project by name: cities, 읍면동, project titles and space
addresses, from the platform's own data (no outside geocoder).

One query per kind. Each ranks its rows the same way (the whole name, then a name
that starts with the words typed, then one that merely contains them; shorter names
first) so that the kinds merge into one list; on a tie, a city comes before a 읍면동,
a 읍면동 before a project, a project before a space. Project titles and space addresses
carry trigram indexes (migration 0012), which serve `ILIKE '%…%'` on large tables.
"""

import math
from typing import TypedDict

from django.contrib.gis.db.models.functions import Distance, PointOnSurface
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Length
from django.urls import reverse

from cities.models import Municipality, SubMunicipality
from renewal.models import RenewalProject, VacantSpace
from renewal.models.spaces import SpaceStatus
from renewal.selectors.projects import renewal_project_list, visible_projects
from renewal.selectors.spaces import METRES_PER_DEGREE_LATITUDE

SEARCH_MIN_LENGTH = 1
SEARCH_MAX_LENGTH = 100
SEARCH_LIMIT = 8
SEARCH_KINDS = ("city", "area", "project", "space")
# Gone from the city: not a place a resident looks for.
SPACE_STATUSES_NOT_SEARCHED = (SpaceStatus.RETIRED,)


class SearchResult(TypedDict):
    kind: str
    name: str
    detail: str
    url: str
    longitude: float | None
    latitude: float | None
    code: str


def _rank(*fields: str, query: str) -> Case:
    """0: the whole name; 1: the name starts with the query; 2: contains it."""
    return Case(
        *[When(**{f"{field}__iexact": query}, then=Value(0)) for field in fields],
        *[When(**{f"{field}__istartswith": query}, then=Value(1)) for field in fields],
        default=Value(2),
        output_field=IntegerField(),
    )


def _contains(*fields: str, query: str) -> Q:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": query})
    return condition


def _ranked(queryset: QuerySet, name_field: str, *fields: str, query: str, limit: int):
    return (
        queryset.filter(_contains(*fields, query=query))
        .annotate(
            search_rank=_rank(*fields, query=query), name_length=Length(name_field)
        )
        .order_by("search_rank", "name_length", "pk")[:limit]
    )


def _cities(query: str, limit: int) -> list[tuple[int, SearchResult]]:
    rows = _ranked(
        Municipality.objects.exclude(code=None).defer("boundary", "downtown"),
        "name_ko",
        "name_ko",
        "name_en",
        query=query,
        limit=limit,
    )
    return [
        (
            city.search_rank,
            {
                "kind": "city",
                "name": city.name,
                "detail": city.get_province_display(),
                # The resident's view of the city: what is new there, its 읍면동.
                "url": f"{reverse('home')}?city={city.code}#chosen-city",
                "longitude": city.location.x,
                "latitude": city.location.y,
                "code": city.code,
            },
        )
        for city in rows
    ]


def _areas(query: str, limit: int) -> list[tuple[int, SearchResult]]:
    """읍면동 (census boundaries); a few thousand rows, read without an index."""
    rows = _ranked(
        SubMunicipality.objects.select_related("municipality")
        .exclude(municipality__code=None)
        .annotate(seat=PointOnSurface("boundary"))
        .defer("boundary", "municipality__boundary", "municipality__downtown"),
        "name_ko",
        "name_ko",
        "name_en",
        query=query,
        limit=limit,
    )
    results = []
    for area in rows:
        city = area.municipality
        seat = area.seat
        url = reverse("renewal:project-map", args=[city.code])
        results.append(
            (
                area.search_rank,
                {
                    "kind": "area",
                    "name": area.name,
                    "detail": city.name,
                    "url": f"{url}?area={area.sgis_code}",
                    "longitude": seat.x if seat else None,
                    "latitude": seat.y if seat else None,
                    "code": area.sgis_code,
                },
            )
        )
    return results


def _projects(query: str, user, limit: int) -> list[tuple[int, SearchResult]]:
    projects = visible_projects(
        RenewalProject.objects.select_related("municipality").defer(
            "municipality__boundary", "municipality__downtown"
        ),
        user,
    ).annotate(seat=PointOnSurface("place"))
    return [
        (
            project.search_rank,
            {
                "kind": "project",
                "name": project.title,
                "detail": project.municipality.name,
                "url": reverse("renewal:project-detail", args=[project.pk]),
                "longitude": project.seat.x,
                "latitude": project.seat.y,
                "code": str(project.pk),
            },
        )
        for project in _ranked(projects, "title", "title", query=query, limit=limit)
    ]


def _spaces(query: str, limit: int) -> list[tuple[int, SearchResult]]:
    # Only the public columns: the owner's details never enter a search.
    spaces = (
        VacantSpace.objects.exclude(status__in=SPACE_STATUSES_NOT_SEARCHED)
        .exclude(address="")
        .select_related("municipality")
        .only(
            "pk",
            "address",
            "kind",
            "location",
            "municipality__name_ko",
            "municipality__name_en",
        )
    )
    return [
        (
            space.search_rank,
            {
                "kind": "space",
                "name": space.address,
                "detail": f"{space.municipality.name} · {space.get_kind_display()}",
                "url": reverse("renewal:space-detail", args=[space.pk]),
                "longitude": space.location.x,
                "latitude": space.location.y,
                "code": str(space.pk),
            },
        )
        for space in _ranked(spaces, "address", "address", query=query, limit=limit)
    ]


def normalized_query(raw: str | None) -> str:
    """Whitespace folded; empty when there is nothing to look for."""
    return " ".join((raw or "").split())[:SEARCH_MAX_LENGTH]


def place_search(
    *,
    query: str,
    user,
    kinds: tuple[str, ...] = SEARCH_KINDS,
    limit: int = SEARCH_LIMIT,
) -> list[SearchResult]:
    """Cities, 읍면동, projects (those the user may see) and spaces whose name
    contains `query`, in either language, best first, each kind that matches
    among them."""
    query = normalized_query(query)
    if len(query) < SEARCH_MIN_LENGTH:
        return []
    found: list[tuple[int, int, SearchResult]] = []
    readers = {
        "city": lambda: _cities(query, limit),
        "area": lambda: _areas(query, limit),
        "project": lambda: _projects(query, user, limit),
        "space": lambda: _spaces(query, limit),
    }
    for order, kind in enumerate(SEARCH_KINDS):
        if kind in kinds:
            found += [(rank, order, result) for rank, result in readers[kind]()]
    found.sort(key=lambda item: (item[0], item[1]))
    # Every kind that matches gets a few places before the best of the rest fill the
    # list: addresses start with the city's name, and would crowd out the rest.
    share = max(1, limit // len(kinds))
    taken: dict[int, int] = {}
    first, rest = [], []
    for item in found:
        taken[item[1]] = taken.get(item[1], 0) + 1
        (first if taken[item[1]] <= share else rest).append(item)
    chosen = sorted(first + rest[: max(0, limit - len(first))], key=lambda i: i[:2])
    return [result for _rank, _order, result in chosen[:limit]]


NEARBY_RADIUS_M = 3000
NEARBY_SHOWN = 6


def nearest_city(point: Point) -> Municipality | None:
    """The city whose seat is nearest; a few hundred rows, so a distance per row."""
    return (
        Municipality.objects.exclude(code=None)
        .defer("boundary", "downtown")
        .annotate(distance=Distance("location", point))
        .order_by("distance")
        .first()
    )


def projects_near(
    *, point: Point, user, radius_m: float = NEARBY_RADIUS_M
) -> QuerySet[RenewalProject]:
    """Projects the user may see within radius_m metres of point, nearest first."""
    # The box uses the spatial index; the exact distance runs on the few rows inside.
    dlat = radius_m / METRES_PER_DEGREE_LATITUDE
    dlon = dlat / max(math.cos(math.radians(point.y)), 0.01)
    box = Polygon.from_bbox(
        (point.x - dlon, point.y - dlat, point.x + dlon, point.y + dlat)
    )
    return (
        visible_projects(renewal_project_list(), user)
        .filter(place__intersects=box)
        .filter(place__distance_lte=(point, D(m=radius_m)))
        .annotate(distance=Distance("place", point))
        .order_by("distance", "-id")
    )


def latest_projects(*, municipality: Municipality, user) -> QuerySet[RenewalProject]:
    return visible_projects(renewal_project_list(), user).filter(
        municipality=municipality
    )


def open_calls(*, municipality: Municipality) -> QuerySet[VacantSpace]:
    """Spaces of the city that wait for a project (status "available"), newest first."""
    return (
        VacantSpace.objects.filter(
            municipality=municipality, status=SpaceStatus.AVAILABLE
        )
        .only("pk", "address", "kind", "floor_area_m2", "updated_at")
        .order_by("-updated_at", "-id")
    )


def submunicipality_list(*, municipality: Municipality) -> QuerySet[SubMunicipality]:
    """The city's 읍면동 by name, without their outlines (the map fetches those)."""
    return (
        SubMunicipality.objects.filter(municipality=municipality)
        .only("pk", "sgis_code", "name_ko", "name_en")
        .order_by("name_ko")
    )


def submunicipality_with_seat(
    *, municipality: Municipality, sgis_code: str
) -> SubMunicipality | None:
    """One 읍면동 of the city with `seat`, a point surely inside it."""
    if not sgis_code.isdigit():
        return None
    return (
        SubMunicipality.objects.filter(municipality=municipality, sgis_code=sgis_code)
        .annotate(seat=PointOnSurface("boundary"))
        .defer("boundary")
        .first()
    )
