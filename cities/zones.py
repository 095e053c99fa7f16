"""Urban zones (생활권) delineated from commuting and school-trip flows.

Rules (docs/urban-zones.md explains the choices):
- share(o → d) = persons travelling from o to d / all commuters living in o, where
  "all" includes those who stay in o when that flow is recorded (origin ==
  destination); without it the share is of outbound commuters only.
- A municipality is *dependent* when it sends at least `threshold_share` of its
  commuters to a larger municipality (population decides; ties go to the lower id so
  the result never depends on row order). Every other municipality is a *centre*.
- A dependent municipality joins the zone of the centre receiving the largest share
  of its commuters, when that share ≥ threshold_share. One whose strong link leads
  only to another dependent (a second-ring suburb) stays outside every zone.
- A zone is a "network" city when two of its members send each other at least
  `network_share_min` of their commuters both ways and their populations differ by at
  most `network_population_ratio_max`; otherwise it is "centre–periphery".
"""

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.contrib.gis.geos import MultiPoint, MultiPolygon
from django.db.models import Sum

from cities.models import FlowPurpose, MunicipalFlow, Municipality, Observation
from cities.typology import CENSUS_POPULATION, POPULATION
from cities.views_support import geojson

NETWORK = "network"
CENTRE_PERIPHERY = "centre_periphery"


@dataclass(frozen=True)
class ZoneParameters:
    # Korean practice and Japan's UEA rule: linked at ≥ 10 % of commuters.
    threshold_share: float = 0.10
    network_share_min: float = 0.10
    network_population_ratio_max: float = 2.0
    # Census "통근·통학" counts both; the linking rule speaks of commuters.
    purposes: tuple[str, ...] = (FlowPurpose.COMMUTE,)


DEFAULT_ZONE_PARAMETERS = ZoneParameters()


@dataclass
class ZoneFlow:
    origin: int
    destination: int
    count: int
    share: float


@dataclass
class Zone:
    centre: int
    members: dict[int, float]  # member id → share of its commuters going to the centre
    kind: str = CENTRE_PERIPHERY
    network_pairs: list[tuple[int, int]] = field(default_factory=list)
    flows: list[ZoneFlow] = field(default_factory=list)

    @property
    def all_members(self) -> list[int]:
        return [self.centre, *self.members]


def delineate(
    flows: dict[tuple[int, int], int],
    population: dict[int, float | None],
    parameters: ZoneParameters = DEFAULT_ZONE_PARAMETERS,
) -> list[Zone]:
    """Pure: zones from a flow matrix {(origin, destination): persons}; a None
    destination (places off the platform) counts only in the origin's total."""
    totals: dict[int, int] = defaultdict(int)
    for (origin, _destination), count in flows.items():
        totals[origin] += count
    flows = {key: count for key, count in flows.items() if key[1] is not None}
    places = {o for o, _d in flows} | {d for _o, d in flows}

    def share(origin: int, destination: int) -> float:
        total = totals.get(origin, 0)
        return flows.get((origin, destination), 0) / total if total else 0.0

    def rank(place: int) -> tuple[float, int]:
        return (population.get(place) or 0, -place)

    out: dict[int, list[int]] = defaultdict(list)
    for origin, destination in flows:
        if origin != destination:
            out[origin].append(destination)
    dependent = {
        place
        for place in places
        if any(
            share(place, d) >= parameters.threshold_share and rank(d) > rank(place)
            for d in out[place]
        )
    }
    centres = places - dependent
    zones: dict[int, Zone] = {}
    for place in sorted(dependent):
        best = max(
            (d for d in out[place] if d in centres),
            key=lambda d: (share(place, d), rank(d)),
            default=None,
        )
        if best is None or share(place, best) < parameters.threshold_share:
            continue
        zone = zones.setdefault(best, Zone(centre=best, members={}))
        zone.members[place] = round(share(place, best), 4)

    for zone in zones.values():
        members = zone.all_members
        for a in members:
            for b in members:
                if a < b and _network_pair(a, b, share, population, parameters):
                    zone.network_pairs.append((a, b))
                if a != b and flows.get((a, b)):
                    zone.flows.append(
                        ZoneFlow(a, b, flows[(a, b)], round(share(a, b), 4))
                    )
        if zone.network_pairs:
            zone.kind = NETWORK
    return sorted(zones.values(), key=lambda zone: zone.centre)


def _network_pair(a, b, share, population, parameters) -> bool:
    if min(share(a, b), share(b, a)) < parameters.network_share_min:
        return False
    pa, pb = population.get(a), population.get(b)
    if not pa or not pb:
        return False
    return max(pa, pb) / min(pa, pb) <= parameters.network_population_ratio_max


def flow_periods() -> list[int]:
    return list(
        MunicipalFlow.objects.order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


def _populations(ids, year: int) -> dict[int, float]:
    """Latest population at or before year (yearly series first, then the census)."""
    found: dict[int, float] = {}
    for code in (POPULATION, CENSUS_POPULATION):
        rows = (
            Observation.objects.filter(
                municipality_id__in=set(ids) - set(found),
                indicator__code=code,
                year__lte=year,
            )
            .order_by("municipality_id", "-year")
            .distinct("municipality_id")
            .values_list("municipality_id", "value")
        )
        found.update({pk: float(value) for pk, value in rows})
    return found


def urban_zones(
    *, year: int, parameters: ZoneParameters = DEFAULT_ZONE_PARAMETERS
) -> tuple[list[Zone], dict[int, float]]:
    matrix = {
        (row["origin_id"], row["destination_id"]): row["persons"]
        for row in MunicipalFlow.objects.filter(
            year=year, purpose__in=parameters.purposes
        )
        .values("origin_id", "destination_id")
        .annotate(persons=Sum("count"))
    }
    ids = {o for o, _d in matrix} | {d for _o, d in matrix if d is not None}
    population = _populations(ids, year)
    return delineate(matrix, population, parameters), population


def urban_zone_member_ids(municipality_id: int) -> set[int]:
    """The members of the municipality's urban zone in the latest flow period
    (itself included); just itself when it belongs to no zone."""
    periods = flow_periods()
    if not periods:
        return {municipality_id}
    zones, _population = urban_zones(year=periods[0])
    for zone in zones:
        if municipality_id in zone.all_members:
            return set(zone.all_members)
    return {municipality_id}


def urban_zones_geojson(
    *, year: int, parameters: ZoneParameters = DEFAULT_ZONE_PARAMETERS
) -> dict:
    """Zones as a GeoJSON FeatureCollection: the union of member boundaries where
    every member has one, otherwise the members' seats as a MultiPoint (said in
    `geometry_basis`), so a zone is never drawn with a missing member."""
    zones, population = urban_zones(year=year, parameters=parameters)
    ids = {member for zone in zones for member in zone.all_members}
    places = {m.pk: m for m in Municipality.objects.filter(pk__in=ids)}

    def describe(pk: int) -> dict:
        m = places[pk]
        return {
            "code": m.code,
            "name": m.name,
            "name_ko": m.name_ko,
            "name_en": m.name_en,
            "population": population.get(pk),
        }

    features = []
    for zone in zones:
        members = [places[pk] for pk in zone.all_members]
        if all(m.boundary for m in members):
            geometry = MultiPolygon(
                *[polygon for m in members for polygon in m.boundary], srid=4326
            ).unary_union
            basis = "boundaries"
        else:
            geometry = MultiPoint(*[m.location for m in members], srid=4326)
            basis = "seats"
        features.append(
            {
                "type": "Feature",
                "id": places[zone.centre].code,
                "geometry": geojson(geometry),
                "properties": {
                    "period": year,
                    "kind": zone.kind,
                    "centre": describe(zone.centre),
                    "members": [
                        {**describe(pk), "share_to_centre": share}
                        for pk, share in zone.members.items()
                    ],
                    "network_pairs": [
                        [places[a].code, places[b].code] for a, b in zone.network_pairs
                    ],
                    "flows": [
                        {
                            "origin": places[f.origin].code,
                            "destination": places[f.destination].code,
                            "count": f.count,
                            "share": f.share,
                        }
                        for f in zone.flows
                    ],
                    "geometry_basis": basis,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "period": year,
        "parameters": {**asdict(parameters), "purposes": list(parameters.purposes)},
        "features": features,
    }
