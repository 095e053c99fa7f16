"""The raw SQL the spaces benchmark holds the API against: one statement written by
hand that returns the same FeatureCollection page."""

from renewal.benchmarks.inventory import MUNICIPALITY_TABLE, TABLE

PAGE_SIZE = 100

# What the API writes for each feature of the page (anonymous caller: no owner,
# no transitions).
FEATURE_SQL = """json_build_object(
    'id', s.id,
    'type', 'Feature',
    'geometry', ST_AsGeoJSON(s.location, 15)::json,
    'properties', json_build_object(
        'municipality', m.code,
        'external_id', s.external_id,
        'kind', s.kind,
        'status', s.status,
        'address', s.address,
        'floor_area_m2', s.floor_area_m2::text,
        'land_area_m2', s.land_area_m2::text,
        'year_built', s.year_built,
        'grading_scheme', s.grading_scheme,
        'grade', s.grade,
        'vacant_since', s.vacant_since,
        'ownership', s.ownership,
        'availability', s.availability,
        'asking_rent_krw', s.asking_rent_krw,
        'source', s.source,
        'in_downtown', s.in_downtown,
        'allowed_transitions', '[]'::json
    )
)"""

# One statement that builds the same FeatureCollection page the API returns, as
# SQL written by hand would: the filter runs once, its ids (up to the count limit)
# give the count and the page; past the limit the page is read in id order over
# the whole filter and the count is the limit.
RAW_PAGE_SQL = f"""
WITH hits AS MATERIALIZED (
    SELECT s.id FROM {TABLE} s {{join}} WHERE {{where}} LIMIT %(count_limit)s + 1
), matched AS (SELECT count(*) AS n FROM hits)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'count', LEAST(matched.n, %(count_limit)s),
    'count_exact', matched.n <= %(count_limit)s,
    'features', COALESCE(CASE WHEN matched.n <= %(count_limit)s THEN (
        SELECT json_agg(f.feature ORDER BY f.id) FROM (
            SELECT s.id, {FEATURE_SQL} AS feature
            FROM {TABLE} s JOIN {MUNICIPALITY_TABLE} m ON m.id = s.municipality_id
            WHERE s.id IN (SELECT id FROM hits ORDER BY id LIMIT {PAGE_SIZE})
        ) f
    ) ELSE (
        SELECT json_agg(f.feature ORDER BY f.id) FROM (
            SELECT s.id, {FEATURE_SQL} AS feature
            FROM {TABLE} s JOIN {MUNICIPALITY_TABLE} m ON m.id = s.municipality_id
            WHERE {{where}}
            ORDER BY s.id
            LIMIT {PAGE_SIZE}
        ) f
    ) END, '[]'::json)
)::text
FROM matched
"""  # noqa: S608

RAW_FILTERS = {
    # (WHERE clause, join the WHERE clause needs)
    "bbox": (
        "ST_Intersects(s.location, "
        "ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326))",
        "",
    ),
    "near": (
        # The same test as the API: index-backed box, then the exact distance.
        "ST_Intersects(s.location, "
        "ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326)) "
        "AND ST_DistanceSphere(s.location, "
        "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)) <= %(radius)s",
        "",
    ),
    "in_downtown": (
        # The stored answer of ST_Contains (migration 0008), as the API reads it.
        "m.code = %(code)s AND s.in_downtown",
        f"JOIN {MUNICIPALITY_TABLE} m ON m.id = s.municipality_id",
    ),
}
