"""Downtown health: vacant spaces inside versus outside the downtown polygon, per
municipality and year, read from the per-year totals PostgreSQL keeps by triggers
(COUNTS_SQL, a few hundred rows per city) plus one query for indicators. HEALTH_SQL
computes the same rows from the spaces and their history; it serves a request made
in another time zone than the totals' and is the reference they are tested against.

Definitions (docs/typology.md § Downtown health):
- a space is *vacant* at a moment when it has entered the inventory by then and its
  status at that moment is reported, surveyed or available (matched, in use and
  retired spaces are no longer vacant). Its status at a past moment is read from the
  inventory history: the last status change before it, else the old value of the
  first change after it, else its current status;
- a space *enters* on its `vacant_since` date when the survey recorded one, otherwise
  on the day it was recorded: a first survey of long-empty buildings is not a wave of
  new vacancies;
- *new vacancies* of a year: spaces that entered during it;
- *re-uses* of a year: spaces whose status changed during it from a vacant status to
  matched or in use (counted once per space);
- *trend*: the downtown's vacant count at the end of the year against the end of the
  previous year: worsening when it rose by more than `stable_band` (5 %), improving
  when it fell by more, otherwise stable (from zero: worsening if any appeared).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db import connection, transaction
from django.utils import timezone

from cities.models import Municipality, Observation
from cities.typology import (
    CENSUS_POPULATION,
    POPULATION,
    municipality_typology_list,
    yearly_else_census,
)
from renewal.models import VacantSpace
from renewal.selectors.spaces import vacant_space_list

VACANT_STATUSES = ("reported", "surveyed", "available")
REUSE_STATUSES = ("matched", "in_use")
STABLE_BAND = 0.05
HEALTH_WORK_MEM = "32MB"
IMPROVING, WORSENING, STABLE = "improving", "worsening", "stable"

# One row per (year, municipality, inside or outside, kind); a year runs from
# midnight on 1 January to the next, in the current time zone.
#
# Linear in the inventory and its history, with no correlated subquery and no sort:
# each status change is read once and hashed per (space, year) into what the status
# was at the year's two ends (`changed`); spaces are grouped by what the counts need
# (a space with changes keeps a row of its own) and meet `changed` in one hash join.
# Entered before 1 January of year y is the same as an entry year below y.
#
# Inside the downtown means ST_Covers (the edge counts as inside). The stored
# `in_downtown` (ST_Contains, kept by triggers) answers for every point but those on
# the edge, which `edge` finds through the spatial index.
HEALTH_SQL = """
WITH period AS (
    SELECT y AS year,
           make_timestamptz(y, 1, 1, 0, 0, 0, %(tz)s) AS start_at,
           make_timestamptz(y + 1, 1, 1, 0, 0, 0, %(tz)s) AS end_at
    FROM unnest(%(years)s::int[]) AS y
),
-- Each status change once, as sortable keys: (time in microseconds, id, what the
-- status is: 0 none, 1 vacant, 2 other), so that the last change before a moment is
-- a max() and the first at or after it a min(), hashed per space without a sort.
history AS MATERIALIZED (
    SELECT h.object_id, h.at,
           ARRAY[h.us, h.id, CASE WHEN h.new IS NULL THEN 0
                                  WHEN h.new = ANY(%(vacant)s) THEN 1 ELSE 2 END]
               AS new_key,
           ARRAY[h.us, h.id, CASE WHEN h.old IS NULL THEN 0
                                  WHEN h.old = ANY(%(vacant)s) THEN 1 ELSE 2 END]
               AS old_key,
           h.new = ANY(%(reuse)s) AND h.old = ANY(%(vacant)s) AS reuse
    FROM (
        SELECT c.object_id, c.at, c.id,
               (extract(epoch FROM c.at) * 1000000)::bigint AS us,
               c.changes -> 'status' ->> 0 AS old,
               c.changes -> 'status' ->> 1 AS new
        FROM renewal_inventorychange c
        WHERE c.content_type_id = %(space_type)s
          AND c.municipality_id = ANY(%(ids)s)
          AND c.changes ? 'status'
    ) h
),
-- A space's status at a moment: the new value of the last change before it, else
-- the old value of the first change at or after it (else its current status); a
-- change whose value is none passes to the next rule, as COALESCE does.
changed AS (
    SELECT object_id, year,
           COALESCE(NULLIF(new_before_end[3], 0), NULLIF(old_after_end[3], 0))
               AS end_code,
           COALESCE(NULLIF(new_before_start[3], 0), NULLIF(old_after_start[3], 0))
               AS start_code,
           reused
    FROM (
        SELECT h.object_id, p.year,
            max(h.new_key) FILTER (WHERE h.at < p.end_at) AS new_before_end,
            min(h.old_key) FILTER (WHERE h.at >= p.end_at) AS old_after_end,
            max(h.new_key) FILTER (WHERE h.at < p.start_at) AS new_before_start,
            min(h.old_key) FILTER (WHERE h.at >= p.start_at) AS old_after_start,
            COALESCE(bool_or(h.reuse) FILTER (
                WHERE h.at >= p.start_at AND h.at < p.end_at), false) AS reused
        FROM history h CROSS JOIN period p
        GROUP BY h.object_id, p.year
    ) keys
),
edge AS MATERIALIZED (
    SELECT s.id
    FROM renewal_vacantspace s
    JOIN cities_municipality m ON m.id = s.municipality_id
    WHERE s.municipality_id = ANY(%(ids)s) AND m.id = ANY(%(ids)s)
      AND NOT s.in_downtown AND ST_Covers(m.downtown, s.location)
),
-- Spaces without a status change keep one status for every year: grouped by what
-- the counts need before they meet the years. A space with changes keeps a row.
space AS (
    SELECT s.municipality_id, s.kind, s.status,
           s.in_downtown OR s.id IN (SELECT id FROM edge) AS downtown,
           extract(year FROM COALESCE(
               s.vacant_since, (s.created_at AT TIME ZONE %(tz)s)::date))::int
               AS entered_year,
           CASE WHEN s.id IN (SELECT object_id FROM history) THEN s.id END
               AS changed_id,
           count(*) AS n
    FROM renewal_vacantspace s
    WHERE s.municipality_id = ANY(%(ids)s)
    GROUP BY 1, 2, 3, 4, 5, 6
),
dated AS (
    SELECT p.year, s.municipality_id, s.downtown, s.kind, s.entered_year,
           CASE c.end_code WHEN 1 THEN true WHEN 2 THEN false
                ELSE s.status = ANY(%(vacant)s) END AS vacant_end,
           CASE c.start_code WHEN 1 THEN true WHEN 2 THEN false
                ELSE s.status = ANY(%(vacant)s) END AS vacant_start,
           COALESCE(c.reused, false) AS reused,
           sum(s.n) AS n
    FROM space s CROSS JOIN period p
    LEFT JOIN changed c ON c.object_id = s.changed_id AND c.year = p.year
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
)
SELECT year, municipality_id, downtown, kind,
       COALESCE(sum(n) FILTER (WHERE entered_year <= year AND vacant_end), 0)::int
           AS vacant,
       COALESCE(sum(n) FILTER (WHERE entered_year < year AND vacant_start), 0)::int
           AS vacant_before,
       COALESCE(sum(n) FILTER (WHERE entered_year = year), 0)::int
           AS new_vacancies,
       COALESCE(sum(n) FILTER (WHERE reused), 0)::int AS reuses
FROM dated
GROUP BY year, municipality_id, downtown, kind
"""

# The same rows from the totals the database keeps per city, area, kind and year
# (migration 0010_downtown_health_counts, by triggers on the spaces, their history
# and the downtowns): a year's `vacant` holds the change of the vacant count at its
# end, so the count at the end of a year is the sum up to it. A few hundred rows per
# city, whatever its size.
COUNTS_SQL = """
SELECT p.year, c.municipality_id, c.downtown, c.kind,
       COALESCE(sum(c.vacant) FILTER (WHERE c.year <= p.year), 0)::int AS vacant,
       COALESCE(sum(c.vacant) FILTER (WHERE c.year < p.year), 0)::int
           AS vacant_before,
       COALESCE(sum(c.new_vacancies) FILTER (WHERE c.year = p.year), 0)::int
           AS new_vacancies,
       COALESCE(sum(c.reuses) FILTER (WHERE c.year = p.year), 0)::int AS reuses
FROM renewal_downtownhealthcount c
CROSS JOIN unnest(%(years)s::int[]) AS p(year)
WHERE c.municipality_id = ANY(%(ids)s) AND c.year <= p.year
GROUP BY 1, 2, 3, 4
"""

INDICATORS = (
    "buildings",
    "buildings_downtown",
    POPULATION,
    CENSUS_POPULATION,
    "population_downtown",
    "businesses",
    "businesses_downtown",
)


@dataclass
class Area:
    vacant: int = 0
    vacant_before: int = 0
    new_vacancies: int = 0
    reuses: int = 0
    buildings: float | None = None

    def __post_init__(self):
        self.by_kind: dict[str, int] = {}

    def add(self, kind: str, vacant: int, before: int, new: int, reuses: int) -> None:
        self.vacant += vacant
        self.vacant_before += before
        self.new_vacancies += new
        self.reuses += reuses
        if vacant:
            self.by_kind[kind] = self.by_kind.get(kind, 0) + vacant

    @property
    def rate_per_1000_buildings(self) -> float | None:
        if not self.buildings:
            return None
        return round(self.vacant * 1000 / self.buildings, 2)

    def as_dict(self) -> dict:
        return {
            "vacant": self.vacant,
            "vacant_by_kind": dict(sorted(self.by_kind.items())),
            "vacant_previous_year": self.vacant_before,
            "new_vacancies": self.new_vacancies,
            "reuses": self.reuses,
            "buildings": self.buildings,
            "rate_per_1000_buildings": self.rate_per_1000_buildings,
        }


def trend_direction(before: int, now: int, stable_band: float = STABLE_BAND) -> str:
    if before == 0:
        return WORSENING if now > 0 else STABLE
    change = (now - before) / before
    if change > stable_band:
        return WORSENING
    if change < -stable_band:
        return IMPROVING
    return STABLE


@dataclass
class DowntownHealth:
    municipality: Municipality
    year: int
    downtown: Area
    outside: Area
    population_share_pct: float | None = None
    businesses_share_pct: float | None = None

    @property
    def trend(self) -> str:
        return trend_direction(self.downtown.vacant_before, self.downtown.vacant)

    def as_dict(self) -> dict:
        return {
            "municipality": self.municipality.code,
            "period": self.year,
            "has_downtown": self.municipality.downtown is not None,
            "downtown": self.downtown.as_dict(),
            "outside": self.outside.as_dict(),
            "downtown_population_share_pct": self.population_share_pct,
            "downtown_businesses_share_pct": self.businesses_share_pct,
            "trend": self.trend,
        }


def _latest_indicators(ids, years) -> dict[int, dict[tuple[int, str], float]]:
    """For each year, the latest figure at or before it of each indicator, keyed by
    (municipality id, indicator code); one query."""
    latest: dict[int, dict[tuple[int, str], float]] = {year: {} for year in years}
    for pk, code, observed, value in (
        Observation.objects.filter(
            municipality_id__in=ids,
            indicator__code__in=INDICATORS,
            year__lte=max(years),
        )
        .order_by("year")
        .values_list("municipality_id", "indicator__code", "year", "value")
    ):
        for year, values in latest.items():
            if observed <= year:  # later observations overwrite earlier ones
                values[(pk, code)] = float(value)
    return latest


def _share(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return round(part * 100 / whole, 2)


def health_rows(ids: list[int], years: list[int]) -> list[tuple]:
    """The health rows for these municipality ids and years: (year, municipality
    id, downtown, kind, vacant, vacant before, new vacancies, re-uses). Read from
    the counts the database keeps (COUNTS_SQL) when they are in the current time
    zone's years, else computed from the history (HEALTH_SQL)."""
    tz = str(timezone.get_current_timezone())
    with connection.cursor() as cursor:
        cursor.execute("SELECT renewal_space_health_time_zone()")
        if cursor.fetchone()[0] == tz:
            cursor.execute(COUNTS_SQL, {"ids": ids, "years": years})
            return cursor.fetchall()
    return health_rows_from_history(ids, years)


def health_rows_from_history(ids: list[int], years: list[int]) -> list[tuple]:
    """health_rows computed from the spaces and their history, in the current time
    zone (linear in the cities' spaces and status changes)."""
    # No savepoint: nothing here needs to roll back on its own.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # PostgreSQL estimates as many groups as spaces (it cannot know that most
        # share a kind, status and entry year) and, within the default work_mem,
        # would sort them on disk instead of hashing a few hundred groups.
        cursor.execute(f"SET LOCAL work_mem = '{HEALTH_WORK_MEM}'")
        cursor.execute(
            HEALTH_SQL,
            {
                "ids": ids,
                "years": years,
                "tz": str(timezone.get_current_timezone()),
                "space_type": ContentType.objects.get_for_model(VacantSpace).pk,
                "vacant": list(VACANT_STATUSES),
                "reuse": list(REUSE_STATUSES),
            },
        )
        return cursor.fetchall()


def downtown_health_by_year(
    municipalities: list[Municipality], *, years: Iterable[int]
) -> dict[int, list[DowntownHealth]]:
    """Downtown health of each municipality for each calendar year, in two queries
    (and a SET) whatever the number of years or spaces: {year: [health in the
    municipalities' order]}."""
    years = sorted(set(years))
    if not years:
        return {}
    ids = [m.pk for m in municipalities]
    health = {
        (year, m.pk): DowntownHealth(m, year, Area(), Area())
        for year in years
        for m in municipalities
    }
    for year, pk, downtown, kind, vacant, before, new, reuses in health_rows(
        ids, years
    ):
        entry = health[(year, pk)]
        (entry.downtown if downtown else entry.outside).add(
            kind, vacant, before, new, reuses
        )
    latest = _latest_indicators(ids, years)
    for (year, pk), entry in health.items():
        values = latest[year]
        total = values.get((pk, "buildings"))
        downtown = values.get((pk, "buildings_downtown"))
        if downtown is not None:
            entry.downtown.buildings = downtown
            if total is not None:
                entry.outside.buildings = total - downtown
        entry.population_share_pct = _share(
            values.get((pk, "population_downtown")), yearly_else_census(values, pk)
        )
        entry.businesses_share_pct = _share(
            values.get((pk, "businesses_downtown")), values.get((pk, "businesses"))
        )
    return {year: [health[(year, pk)] for pk in ids] for year in years}


def downtown_health_list(
    municipalities: list[Municipality], *, year: int
) -> list[DowntownHealth]:
    """Downtown health of each municipality for a calendar year, in two queries."""
    return downtown_health_by_year(municipalities, years=[year])[year]


def downtown_health(municipality: Municipality, *, year: int) -> DowntownHealth:
    return downtown_health_list([municipality], year=year)[0]


def downtown_health_by_city_type(
    *, year: int, municipalities=None, types: dict[int, str | None] | None = None
) -> dict[str, dict]:
    """Per effective city type: the sums of its cities' downtown figures, and rates
    computed from those sums (cities without building counts count in the totals but
    not in the rates). `types` (municipality id → effective type) when the caller
    has already typed these cities for `year`."""
    if municipalities is None:
        municipalities = Municipality.objects.filter(kind="city").defer("boundary")
    municipalities = list(municipalities)
    if types is None:
        types = {
            entry.municipality.pk: entry.effective_type
            for entry in municipality_typology_list(municipalities, year=year)
        }
    totals: dict[str, dict] = {}
    for entry in downtown_health_list(municipalities, year=year):
        city_type = types.get(entry.municipality.pk)
        if city_type is None:
            continue
        bucket = totals.setdefault(
            city_type,
            {
                "cities": [],
                "downtown_vacant": 0,
                "downtown_vacant_previous_year": 0,
                "outside_vacant": 0,
                "new_vacancies": 0,
                "reuses": 0,
                "_rated_vacant": 0,
                "_buildings": 0.0,
            },
        )
        bucket["cities"].append(entry.municipality.code)
        bucket["downtown_vacant"] += entry.downtown.vacant
        bucket["downtown_vacant_previous_year"] += entry.downtown.vacant_before
        bucket["outside_vacant"] += entry.outside.vacant
        bucket["new_vacancies"] += (
            entry.downtown.new_vacancies + entry.outside.new_vacancies
        )
        bucket["reuses"] += entry.downtown.reuses + entry.outside.reuses
        if entry.downtown.buildings:
            bucket["_rated_vacant"] += entry.downtown.vacant
            bucket["_buildings"] += entry.downtown.buildings
    for bucket in totals.values():
        rated, buildings = bucket.pop("_rated_vacant"), bucket.pop("_buildings")
        bucket["downtown_rate_per_1000_buildings"] = (
            round(rated * 1000 / buildings, 2) if buildings else None
        )
        bucket["trend"] = trend_direction(
            bucket["downtown_vacant_previous_year"], bucket["downtown_vacant"]
        )
    return totals


# --- The downtown on the city page ----------------------------------------------------

DOWNTOWN_MAP_LIMIT = 500
# Wraps a compiled queryset (columns id, kind, status, address, geometry) as "t".
FEATURE_COLLECTION_SQL = (
    "SELECT json_build_object('type', 'FeatureCollection', 'features', "
    "COALESCE(json_agg(json_build_object('type', 'Feature', 'id', t.id, "
    "'geometry', t.geometry::json, 'properties', json_build_object("
    "'kind', t.kind, 'status', t.status, 'address', t.address))), '[]'))"
)


def downtown_vacant_spaces_geojson(
    *, user, municipality: Municipality, limit: int = DOWNTOWN_MAP_LIMIT
) -> dict:
    """The vacant spaces inside the city's downtown as a GeoJSON FeatureCollection
    that PostgreSQL builds (one query, public fields only), at most `limit` of
    them; `total` says how many there are (one more query)."""
    spaces = vacant_space_list(user=user).filter(
        municipality=municipality, in_downtown=True, status__in=VACANT_STATUSES
    )
    rows = spaces.annotate(geometry=AsGeoJSON("location", precision=6)).values(
        "id", "kind", "status", "address", "geometry"
    )[:limit]
    # Django compiles the inner query; its values stay parameters, never text.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"{FEATURE_COLLECTION_SQL} FROM ({sql}) t", params)
        collection = cursor.fetchone()[0]
    if isinstance(collection, str):  # a driver without JSON decoding
        collection = json.loads(collection)
    collection["total"] = spaces.count()
    collection["limit"] = limit
    return collection
