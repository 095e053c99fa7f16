from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, NullIf, Round

from cities.models import Municipality, MunicipalityGroup, Observation
from cities.typology import (
    CENSUS_POPULATION,
    POPULATION,
    STUDY_GROUP,
    municipality_typology_list,
)


def _census_population(offset: int) -> Subquery:
    """The census population `offset` censuses before the latest one."""
    return Subquery(
        Observation.objects.filter(
            municipality=OuterRef("pk"), indicator__code=CENSUS_POPULATION
        )
        .order_by("-year")
        .values("value")[offset : offset + 1],
        output_field=FloatField(),
    )


def municipality_list(*, group: str | None = None) -> QuerySet[Municipality]:
    """Municipalities with their latest census population and its change since the
    previous census, in one query (groups prefetched)."""
    municipalities = Municipality.objects.all()
    if group:
        municipalities = municipalities.filter(groups__slug=group)
    return (
        municipalities.annotate(
            population=_census_population(0),
            population_previous=_census_population(1),
            population_year=Subquery(
                Observation.objects.filter(
                    municipality=OuterRef("pk"), indicator__code=CENSUS_POPULATION
                )
                .order_by("-year")
                .values("year")[:1]
            ),
            has_downtown=ExpressionWrapper(Q(downtown__isnull=False), BooleanField()),
        )
        .annotate(
            population_change_pct=Round(
                Cast(
                    (F("population") - F("population_previous"))
                    * 100.0
                    / NullIf(F("population_previous"), 0),
                    FloatField(),
                ),
                1,
            )
        )
        .defer("boundary", "downtown")
        .prefetch_related("groups")
        .order_by("province", "kind", "name_en", "code")
    )


def municipality_group_list() -> QuerySet[MunicipalityGroup]:
    """The groups with the number of their members (`member_count`)."""
    return MunicipalityGroup.objects.annotate(member_count=Count("members"))


def municipality_group_exists(slug: str) -> bool:
    return MunicipalityGroup.objects.filter(slug=slug).exists()


def municipalities_near(*, point: Point, radius_m: float) -> QuerySet[Municipality]:
    """Municipalities whose seat lies within radius_m metres, nearest first.

    The table holds a few hundred rows, so a spheroid distance per row is cheap; large
    tables must use the KNN operator instead.
    """
    return (
        Municipality.objects.filter(location__distance_lte=(point, D(m=radius_m)))
        .annotate(distance=Distance("location", point))
        .order_by("distance")
    )


def municipality_containing_downtown(*, point: Point) -> QuerySet[Municipality]:
    return Municipality.objects.filter(downtown__contains=point)


def database_status() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT postgis_lib_version(), current_setting('server_version')"
        )
        postgis, postgresql = cursor.fetchone()
    return {"postgis": postgis, "postgresql": postgresql}


# --- Comparison by city type (dashboard) -------------------------------------------
#
# Every figure per type is an aggregate PostgreSQL computes with the municipality →
# type mapping inlined as a CASE expression, so each section is one grouped query
# whatever the number of cities. Types are the effective ones (an override first).


def city_list(*, group: str | None = None) -> QuerySet[Municipality]:
    """The municipalities of kind city (members of `group` if given), without
    their polygons."""
    cities = Municipality.objects.filter(kind="city").defer("boundary", "downtown")
    return cities.filter(groups__slug=group) if group else cities


def city_types(
    *,
    year: int | None = None,
    municipalities: list[Municipality] | None = None,
    group: str = STUDY_GROUP,
) -> dict[int, str]:
    """Effective type of every classified city of `group`, by municipality id;
    `municipalities` when the caller has already loaded the cities."""
    entries = municipality_typology_list(
        city_list(group=group) if municipalities is None else municipalities,
        year=year,
        group=group,
    )
    return {
        entry.municipality.pk: entry.effective_type
        for entry in entries
        if entry.effective_type
    }


def city_type_key(types: dict[int, str], field: str):
    """A CASE expression mapping `field` (a municipality id) onto its city type."""
    by_type: dict[str, list[int]] = {}
    for pk, city_type in types.items():
        by_type.setdefault(city_type, []).append(pk)
    return Case(
        *[
            When(**{f"{field}__in": ids}, then=Value(city_type))
            for city_type, ids in sorted(by_type.items())
        ],
        default=None,
        output_field=CharField(),
    )


def population_trend_by_city_type(types: dict[int, str]) -> dict[str, dict[int, int]]:
    """Sum of the `population` indicator per type and year (one query). A year
    counts the cities that have a figure for it; the demo has all of them."""
    if not types:
        return {}
    rows = (
        Observation.objects.filter(
            indicator__code=POPULATION, municipality_id__in=list(types)
        )
        .annotate(city_type=city_type_key(types, "municipality_id"))
        .order_by()
        .values("city_type", "year")
        .annotate(total=Sum("value"), cities=Count("municipality_id"))
        .order_by("city_type", "year")
    )
    trend: dict[str, dict[int, int]] = {}
    for row in rows:
        trend.setdefault(row["city_type"], {})[row["year"]] = round(row["total"])
    return trend


def municipality_zone(municipality: Municipality) -> dict | None:
    """The urban zone the municipality belongs to in the latest flow period, with
    its members' seats and the flows between members (for lines on a map); None
    when there are no flows at all. `zone` is None when it belongs to no zone."""
    from cities.zones import flow_periods, urban_zones

    periods = flow_periods()
    if not periods:
        return None
    zones, population = urban_zones(year=periods[0])
    zone = next((z for z in zones if municipality.pk in z.all_members), None)
    if zone is None:
        return {"period": periods[0], "zone": None}
    places = {
        m.pk: m
        for m in Municipality.objects.filter(pk__in=zone.all_members).only(
            "code", "name_ko", "name_en", "location"
        )
    }

    def seat(pk: int) -> list[float]:
        return [places[pk].location.y, places[pk].location.x]

    strongest = max((flow.count for flow in zone.flows), default=1) or 1
    return {
        "period": periods[0],
        "zone": {
            "kind": zone.kind,
            "centre": places[zone.centre].code,
            "members": [
                {
                    "code": places[pk].code,
                    "name": places[pk].name,
                    "is_centre": pk == zone.centre,
                    "share_to_centre": zone.members.get(pk),
                    "population": population.get(pk),
                    "seat": seat(pk),
                }
                for pk in zone.all_members
            ],
            "flows": [
                {
                    "origin": places[flow.origin].code,
                    "origin_name": places[flow.origin].name,
                    "destination": places[flow.destination].code,
                    "destination_name": places[flow.destination].name,
                    "count": flow.count,
                    "share_pct": round(flow.share * 100, 1),
                    "from": seat(flow.origin),
                    "to": seat(flow.destination),
                    # Line width in px on the map: 2 to 12 by persons.
                    "weight": round(2 + 10 * flow.count / strongest, 1),
                }
                for flow in zone.flows
            ],
            "network_pairs": [
                [places[a].code, places[b].code] for a, b in zone.network_pairs
            ],
        },
    }


def municipality_indicator_series(
    municipality: Municipality, *, indicator: str | None = None
) -> list[dict]:
    """Each indicator observed for the municipality (only the one with code
    `indicator` when given) with its yearly series, in one query; by indicator code,
    each series by year."""
    observations = Observation.objects.filter(municipality=municipality)
    if indicator:
        observations = observations.filter(indicator__code=indicator)
    series: dict[str, dict] = {}
    for observation in observations.select_related("indicator").order_by(
        "indicator__code", "year"
    ):
        entry = series.setdefault(
            observation.indicator.code,
            {"indicator": observation.indicator, "points": []},
        )
        entry["points"].append(observation)
    return list(series.values())
