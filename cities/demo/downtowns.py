"""Illustrative downtowns (원도심) for the demo cities, made of their real 읍면동.

The rule (docs/demo-data.md lists what it gives for each city): a Korean city's
old core is a cluster of small, densely built 동, while its newer districts and the
former townships (읍, 면) are large. So the seed is the city's smallest 동 by area,
joined by the 동 that share a border with it and are at most three times its area
(the three smallest of them at most). It reads nothing but the census boundaries:
not the position of today's city hall, which in many of these cities moved out of
the old centre. It is a stand-in until a city records its own downtown, and it is
labelled illustrative in the data; a downtown whose source is not illustrative is
never replaced.
"""

from django.db import connection

from cities.demo import ILLUSTRATIVE_SOURCE
from cities.models import Municipality, MunicipalityKind
from cities.services.downtown import municipality_downtown_set

NEIGHBOUR_AREA_RATIO = 3
MAX_NEIGHBOURS = 3
DEMO_DOWNTOWN_SOURCE = (
    f"{ILLUSTRATIVE_SOURCE}; rule: the smallest 동 and its small neighbours "
    "(census 읍면동, KOSTAT SGIS 2018)"
)

CLUSTER_SQL = """
WITH dong AS (
    SELECT id, sgis_code, boundary, ST_Area(boundary::geography) AS area
    FROM cities_submunicipality
    WHERE municipality_id = %(municipality)s AND name_ko LIKE '%%동'
),
seed AS (SELECT * FROM dong ORDER BY area, sgis_code LIMIT 1)
SELECT seed.id FROM seed
UNION ALL (
    SELECT dong.id FROM dong, seed
    WHERE dong.id <> seed.id
      AND ST_Intersects(dong.boundary, seed.boundary)
      AND dong.area <= %(ratio)s * seed.area
    ORDER BY dong.area, dong.sgis_code
    LIMIT %(neighbours)s
)
"""


def demo_downtown_submunicipalities(municipality: Municipality) -> list[int]:
    """The 읍면동 (ids) the rule picks for this city; empty without 동."""
    with connection.cursor() as cursor:
        cursor.execute(
            CLUSTER_SQL,
            {
                "municipality": municipality.pk,
                "ratio": NEIGHBOUR_AREA_RATIO,
                "neighbours": MAX_NEIGHBOURS,
            },
        )
        return [row[0] for row in cursor.fetchall()]


def demo_downtowns_derive() -> int:
    """Give each city (시) without a recorded downtown the rule's; how many were
    set or changed. Idempotent: a city already showing the rule's choice is left
    alone."""
    changed = 0
    cities = Municipality.objects.filter(kind=MunicipalityKind.CITY).defer(
        "boundary", "downtown"
    )
    for city in cities:
        if city.downtown_source and not city.downtown_source.startswith(
            ILLUSTRATIVE_SOURCE.split(":")[0]
        ):
            continue
        chosen = demo_downtown_submunicipalities(city)
        if not chosen:
            continue
        current = set(city.downtown_submunicipalities.values_list("pk", flat=True))
        if current == set(chosen) and city.downtown_source == DEMO_DOWNTOWN_SOURCE:
            continue
        municipality_downtown_set(
            municipality=city,
            source=DEMO_DOWNTOWN_SOURCE,
            submunicipality_ids=chosen,
        )
        changed += 1
    return changed
