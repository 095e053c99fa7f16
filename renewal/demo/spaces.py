"""Believable, illustrative vacant spaces for every demo city.

Deterministic per city (seeded by its code) and idempotent: rows carry a stable
`demo-<code>-<n>` survey identifier, and a second run inserts nothing.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from cities.demo import ILLUSTRATIVE_SOURCE, DemoGenerator
from cities.models import Municipality, MunicipalityKind
from renewal.models import (
    Availability,
    GradingScheme,
    SpaceKind,
    SpaceStatus,
    VacantSpace,
)
from renewal.services.spaces import SpaceWrite, vacant_spaces_create

KIND_WEIGHTS = {
    "house": 55,
    "shop": 25,
    "office": 7,
    "factory": 5,
    "land": 5,
    "public_building": 2,
    "school": 1,
}
MEDIAN_FLOOR_AREA_M2 = {
    "house": 75,
    "shop": 60,
    "office": 120,
    "factory": 600,
    "public_building": 400,
    "school": 2500,
}
DOWNTOWN_RADIUS_M = 800
OUTER_RADIUS_M = 5000


def _count_for(population: float | None) -> int:
    # Roughly one surveyed vacancy per 1,500 residents, at least 100 and at most 300.
    return max(100, min(300, int((population or 150_000) / 1500)))


@transaction.atomic
def demo_spaces_generate(*, municipalities=None) -> int:
    from cities.selectors import municipality_list

    cities = municipalities or municipality_list().filter(kind=MunicipalityKind.CITY)
    created = 0
    for city in cities:
        created += _generate_for(city)
    return created


def _points_inside(generator: DemoGenerator, city: Municipality, count: int):
    """Points around the city's downtown (else its seat), redrawn until they lie
    inside its boundary: a coastal city's circle reaches into the sea."""
    centre = city.downtown.point_on_surface if city.downtown else city.location
    boundary = city.boundary.prepared if city.boundary else None
    points = []
    for _attempt in range(20):
        drawn = generator.scatter(
            centre,
            count,
            core_radius_m=DOWNTOWN_RADIUS_M,
            outer_radius_m=OUTER_RADIUS_M,
            core_share=0.45,
        )
        points += [p for p in drawn if boundary is None or boundary.covers(p)]
        if len(points) >= count:
            break
    return points[:count]


def _area(value: float) -> Decimal:
    return Decimal(f"{value:.1f}")


def _generate_for(city: Municipality) -> int:
    existing = set(
        VacantSpace.objects.filter(
            municipality=city, external_id__startswith="demo-"
        ).values_list("external_id", flat=True)
    )
    count = _count_for(getattr(city, "population", None))
    if len(existing) >= count:
        return 0
    generator = DemoGenerator(f"spaces:{city.code}")
    points = _points_inside(generator, city, count)
    kinds, weights = zip(*KIND_WEIGHTS.items(), strict=True)
    offers = [Availability.LEASE, Availability.SALE, Availability.FREE_USE]
    writes = []
    for number, point in enumerate(points, start=1):
        # Every draw is made for every number, so that the rows that exist already
        # leave the others as a first run would have made them.
        kind = generator.choice(kinds, weights)
        area = MEDIAN_FLOOR_AREA_M2.get(kind)
        status = generator.choice(
            [SpaceStatus.REPORTED, SpaceStatus.SURVEYED, SpaceStatus.AVAILABLE],
            [20, 50, 30],
        )
        offered = status == SpaceStatus.AVAILABLE
        data = {
            "external_id": f"demo-{city.code}-{number:04d}",
            "kind": kind,
            "address": f"{city.name_ko} 예시 주소 {number}",
            "location": point,
            "floor_area_m2": _area(generator.lognormal(area, 0.4)) if area else None,
            "land_area_m2": _area(generator.lognormal(250, 0.6)),
            "year_built": generator.random.randint(1955, 2008),
            "grading_scheme": GradingScheme.NATIONAL_2023,
            "grade": generator.choice([1, 2, 3], [45, 40, 15]),
            "vacant_since": datetime.date(2014, 1, 1)
            + datetime.timedelta(days=generator.random.randint(0, 4000)),
            "availability": generator.choice(offers, [50, 30, 20])
            if offered
            else Availability.NOT_OFFERED,
            "asking_rent_krw": generator.random.randrange(200_000, 1_500_000, 50_000)
            if offered and kind in ("shop", "office")
            else None,
            "status": status,
            "source": ILLUSTRATIVE_SOURCE,
        }
        if kind != SpaceKind.HOUSE:
            # The grades are vacant-house grades; drawn all the same so that every
            # other figure of the demo stays as it was.
            data["grading_scheme"], data["grade"] = "", None
        if data["external_id"] not in existing:
            writes.append(SpaceWrite(data=data))
    # The demo's projects arrive next with illustrative matches of their own: an
    # automatic assignment run would add system proposals the demo does not show.
    return len(
        vacant_spaces_create(
            actor=None, municipality=city, writes=writes, rerun_matching=False
        )
    )
