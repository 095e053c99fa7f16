"""Reads of the census boundaries (KOSTAT SGIS 2018, loaded by
cities.services.boundaries): map outlines as GeoJSON built by PostgreSQL, and which
points lie outside a municipality, named by the 시군구 they fall in."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import connection
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cities.models import BOUNDARY_ATTRIBUTION, CensusDistrict, Municipality

# Degrees; about 10 m in Korea: outlines for a city map, not for deciding
# whether a point is inside (that reads the stored boundary).
OUTLINE_TOLERANCE = 0.0001


def _english() -> bool:
    return (get_language() or "ko").startswith("en")


def submunicipalities_geojson(municipality: Municipality) -> str:
    """The municipality's 읍면동 as a GeoJSON FeatureCollection (simplified
    outlines; properties sgis_code and name in the request language), with the
    attribution their licence asks for."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT json_build_object(
                'type', 'FeatureCollection',
                'attribution', %s::text,
                'features', COALESCE(json_agg(json_build_object(
                    'type', 'Feature',
                    'id', s.sgis_code,
                    'geometry', ST_AsGeoJSON(
                        ST_SimplifyPreserveTopology(s.boundary, %s), 6)::json,
                    'properties', json_build_object(
                        'sgis_code', s.sgis_code,
                        'name', CASE WHEN %s THEN s.name_en ELSE s.name_ko END)
                ) ORDER BY s.sgis_code), '[]'::json)
            )::text
            FROM cities_submunicipality s
            WHERE s.municipality_id = %s
            """,
            [str(BOUNDARY_ATTRIBUTION), OUTLINE_TOLERANCE, _english(), municipality.pk],
        )
        return cursor.fetchone()[0]


def municipality_outline_geojson(municipality: Municipality) -> str:
    """The municipality's boundary as a GeoJSON Feature (simplified; null geometry
    when none is loaded), properties code, sgis_code, name and attribution."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT json_build_object(
                'type', 'Feature',
                'id', m.code,
                'geometry', ST_AsGeoJSON(
                    ST_SimplifyPreserveTopology(m.boundary, %s), 6)::json,
                'properties', json_build_object(
                    'code', m.code,
                    'sgis_code', m.sgis_code,
                    'name', CASE WHEN %s THEN m.name_en ELSE m.name_ko END,
                    'attribution', %s::text)
            )::text
            FROM cities_municipality m
            WHERE m.id = %s
            """,
            [OUTLINE_TOLERANCE, _english(), str(BOUNDARY_ATTRIBUTION), municipality.pk],
        )
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class PlaceOutside:
    """A place that is not in its municipality: the 시군구 it lies in, or None
    for the sea or outside Korea."""

    index: int
    district: CensusDistrict | None


def places_outside(
    municipality: Municipality, places: Sequence[Point | None]
) -> list[PlaceOutside]:
    """Which of the places the municipality's boundary does not cover (a point) or
    touch (an area: a project may reach over the border), each named by the 시군구
    it lies in: one statement for any number, the city's boundary and each
    district's prepared once. Empty when the municipality has no boundary; None
    entries are skipped."""
    indexed = [(i, place) for i, place in enumerate(places) if place is not None]
    if not indexed:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH place AS (
                SELECT i, ST_GeomFromWKB(g, 4326) AS g
                FROM unnest(%s::int[], %s::bytea[]) AS p(i, g)
            ),
            outside AS MATERIALIZED (
                SELECT place.i, ST_PointOnSurface(place.g) AS g
                FROM place
                JOIN cities_municipality m ON m.id = %s AND m.boundary IS NOT NULL
                WHERE NOT CASE WHEN ST_Dimension(place.g) = 0
                               THEN ST_Covers(m.boundary, place.g)
                               ELSE ST_Intersects(m.boundary, place.g) END
            ),
            -- District by district, each tested against all the places in a row:
            -- PostGIS then prepares a district's polygon once, where testing
            -- place by place would read a large coastline for every place.
            named AS (
                SELECT DISTINCT ON (o.i) o.i, d.id
                FROM cities_censusdistrict d
                CROSS JOIN LATERAL (
                    SELECT o.i FROM outside o
                    WHERE ST_Intersects(d.boundary, o.g) OFFSET 0
                ) o
                WHERE d.boundary && (
                        SELECT ST_SetSRID(ST_Extent(g)::geometry, 4326) FROM outside
                    )
                  AND d.municipality_id IS DISTINCT FROM %s
                ORDER BY o.i, d.sgis_code
            )
            SELECT outside.i, named.id
            FROM outside LEFT JOIN named USING (i)
            ORDER BY outside.i
            """,
            [
                [i for i, _ in indexed],
                [bytes(place.wkb) for _, place in indexed],
                municipality.pk,
                municipality.pk,
            ],
        )
        rows = cursor.fetchall()
    districts = CensusDistrict.objects.defer("boundary").in_bulk(
        {district_id for _, district_id in rows if district_id}
    )
    return [
        PlaceOutside(index=i, district=districts.get(district_id))
        for i, district_id in rows
    ]


def place_outside_message(municipality: Municipality, outside: PlaceOutside) -> str:
    """Why the place is refused, naming where it lies instead."""
    if outside.district is None:
        return _("The location lies outside %(city)s, in the sea or outside Korea.") % {
            "city": municipality.name
        }
    return _("The location lies outside %(city)s, in %(district)s.") % {
        "city": municipality.name,
        "district": outside.district.full_name,
    }
