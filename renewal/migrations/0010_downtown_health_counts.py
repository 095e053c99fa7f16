"""Downtown health counts, kept by the database.

Downtown health (renewal.selectors.downtown) needs, per city, area (inside or
outside the downtown), kind and year: how many spaces are vacant at the end of the
year, how many entered and how many were re-used in it. Computing that from the
inventory history on every request is linear in the city's spaces and changes
(seconds at 100,000 spaces). Here the database keeps it instead:

- `renewal_spacehealthyear`: per space, one row for each year in which what it
  adds to the counts changes: the change of "entered and vacant at the end of the
  year" (+1, -1 or 0) against the previous such row, whether it entered that year,
  and whether it was re-used in it. Its area, kind and city are those the row was
  computed with, so that taking it back off the totals needs nothing else.
- `renewal_downtownhealthcount`: those rows summed per city, area, kind and year.
  The vacant count at the end of a year is the sum of the changes up to that year.
  Writers only append rows of differences, never update one: a shared total per
  city and year would make every writer of a city wait for the others' commit (an
  import would hold an editor's save for its whole length). Readers sum the rows;
  `renewal_space_health_compact()` folds them back to one per key (beat, hourly).

Triggers recompute a space's rows when the space or its status history is written
(insert, update, delete: services, imports, raw SQL alike) and all of a city's
when its downtown is redrawn, then append the difference to the totals. The years are calendar years in
HEALTH_TIME_ZONE (the project's time zone when this ran); the selector falls back
to computing from the history when asked in another time zone.

Nothing here is a Django model: the tables are derived data, like an index, and
only these functions write them. A TRUNCATE of the inventory empties them.
"""

from django.conf import settings
from django.db import migrations

HEALTH_TIME_ZONE = settings.TIME_ZONE

TABLES = """
CREATE TABLE renewal_spacehealthyear (
    space_id bigint NOT NULL,
    municipality_id bigint NOT NULL,
    downtown boolean NOT NULL,
    kind varchar(20) NOT NULL,
    year integer NOT NULL,
    vacant smallint NOT NULL,
    entered boolean NOT NULL,
    reused boolean NOT NULL
);
CREATE INDEX renewal_spacehealthyear_space ON renewal_spacehealthyear (space_id);
CREATE TABLE renewal_downtownhealthcount (
    municipality_id bigint NOT NULL,
    downtown boolean NOT NULL,
    kind varchar(20) NOT NULL,
    year integer NOT NULL,
    vacant integer NOT NULL,
    new_vacancies integer NOT NULL,
    reuses integer NOT NULL
);
CREATE INDEX renewal_downtownhealthcount_city_year
    ON renewal_downtownhealthcount (municipality_id, year);
"""

# A space's rows (the definitions in renewal.selectors.downtown): its status at the
# end of a year is the new value of the last status change before it, else the old
# value of the first change at or after it, else its current status, a change with
# no value passing to the next rule. Between the ends of two years in which neither
# a change nor the entry falls, nothing can change, so only those years get a row.
# {where} selects the spaces; {tz} is a quoted literal.
ROWS_SQL = """
WITH space AS (
    SELECT s.id, s.municipality_id, s.kind,
           s.status IN ('reported', 'surveyed', 'available') AS vacant_now,
           s.in_downtown OR COALESCE(ST_Covers(m.downtown, s.location), false)
               AS downtown,
           extract(year FROM COALESCE(
               s.vacant_since, (s.created_at AT TIME ZONE {tz})::date))::int
               AS entered_year
    FROM renewal_vacantspace s
    JOIN cities_municipality m ON m.id = s.municipality_id
    WHERE {where}
),
history AS MATERIALIZED (
    SELECT h.space_id, h.at, extract(year FROM h.at AT TIME ZONE {tz})::int AS year,
           ARRAY[h.us, h.id, CASE WHEN h.new IS NULL THEN 0
               WHEN h.new IN ('reported', 'surveyed', 'available') THEN 1
               ELSE 2 END] AS new_key,
           ARRAY[h.us, h.id, CASE WHEN h.old IS NULL THEN 0
               WHEN h.old IN ('reported', 'surveyed', 'available') THEN 1
               ELSE 2 END] AS old_key,
           h.new IN ('matched', 'in_use')
               AND h.old IN ('reported', 'surveyed', 'available') AS reuse
    FROM (
        SELECT c.object_id AS space_id, c.at, c.id,
               (extract(epoch FROM c.at) * 1000000)::bigint AS us,
               c.changes -> 'status' ->> 0 AS old,
               c.changes -> 'status' ->> 1 AS new
        FROM space s
        JOIN renewal_inventorychange c
            ON c.object_id = s.id AND c.municipality_id = s.municipality_id
        WHERE c.content_type_id = (
                SELECT id FROM django_content_type
                WHERE app_label = 'renewal' AND model = 'vacantspace')
          AND c.changes ? 'status'
    ) h
),
years AS (
    SELECT id AS space_id, entered_year AS year FROM space
    UNION
    SELECT space_id, year FROM history
),
state AS (
    SELECT y.space_id, y.year,
           COALESCE(
               NULLIF((max(h.new_key) FILTER (WHERE h.at < y.end_at))[3], 0),
               NULLIF((min(h.old_key) FILTER (WHERE h.at >= y.end_at))[3], 0))
               AS code,
           COALESCE(bool_or(h.reuse) FILTER (WHERE h.year = y.year), false)
               AS reused
    FROM (
        SELECT space_id, year,
               make_timestamptz(year + 1, 1, 1, 0, 0, 0, {tz}) AS end_at
        FROM years
    ) y
    LEFT JOIN history h ON h.space_id = y.space_id
    GROUP BY y.space_id, y.year, y.end_at
),
counted AS (
    SELECT s.id, s.municipality_id, s.downtown, s.kind, st.year, st.reused,
           st.year = s.entered_year AS entered,
           (s.entered_year <= st.year AND CASE st.code WHEN 1 THEN true
                WHEN 2 THEN false ELSE s.vacant_now END)::int AS counted
    FROM space s JOIN state st ON st.space_id = s.id
)
SELECT id, municipality_id, downtown, kind, year, vacant, entered, reused
FROM (
    SELECT *, (counted - COALESCE(
               lag(counted) OVER (PARTITION BY id ORDER BY year), 0))::smallint
               AS vacant
    FROM counted
) d
WHERE vacant <> 0 OR entered OR reused
"""

# Appends rows that add (sign 1) or take off (sign -1) rows to or from the totals.
TOTALS_SQL = """
INSERT INTO renewal_downtownhealthcount
    (municipality_id, year, downtown, kind, vacant, new_vacancies, reuses)
SELECT municipality_id, year, downtown, kind,
       {sign} * sum(vacant), {sign} * count(*) FILTER (WHERE entered),
       {sign} * count(*) FILTER (WHERE reused)
FROM {rows}
GROUP BY 1, 2, 3, 4
"""

# Folds the appended rows into one per key, dropping keys that sum to nothing. Rows
# that writers append meanwhile are not in this statement's snapshot and stay.
COMPACT_SQL = """
CREATE FUNCTION renewal_space_health_compact() RETURNS void
LANGUAGE sql AS $fn$
    WITH gone AS (
        DELETE FROM renewal_downtownhealthcount RETURNING *
    )
    INSERT INTO renewal_downtownhealthcount
        (municipality_id, year, downtown, kind, vacant, new_vacancies, reuses)
    SELECT municipality_id, year, downtown, kind,
           sum(vacant), sum(new_vacancies), sum(reuses)
    FROM gone
    GROUP BY 1, 2, 3, 4
    HAVING sum(vacant) <> 0 OR sum(new_vacancies) <> 0 OR sum(reuses) <> 0
$fn$;
"""


def functions_sql(tz: str) -> str:
    tz_literal = "'" + tz.replace("'", "''") + "'"
    rows = ROWS_SQL.format(tz=tz_literal, where="s.id = ANY(space_ids)")
    take_off = TOTALS_SQL.format(sign=-1, rows="gone")
    add = TOTALS_SQL.format(sign=1, rows="fresh")
    return f"""
CREATE FUNCTION renewal_space_health_time_zone() RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT {tz_literal}::text $$;

CREATE FUNCTION renewal_space_health_refresh(space_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF cardinality(space_ids) = 0 THEN
        RETURN;
    END IF;
    -- One writer per space at a time: a second waits, then reads what the first
    -- committed, instead of both removing the same old rows and adding twice.
    PERFORM 1 FROM renewal_vacantspace WHERE id = ANY(space_ids)
        ORDER BY id FOR NO KEY UPDATE;
    WITH gone AS (
        DELETE FROM renewal_spacehealthyear WHERE space_id = ANY(space_ids)
        RETURNING *
    )
    {take_off};
    WITH fresh AS (
        INSERT INTO renewal_spacehealthyear
            (space_id, municipality_id, downtown, kind, year, vacant, entered, reused)
        {rows}
        RETURNING *
    )
    {add};
END
$fn$;

CREATE FUNCTION renewal_space_health_history_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    space_type integer := (SELECT id FROM django_content_type
                           WHERE app_label = 'renewal' AND model = 'vacantspace');
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM renewal_space_health_refresh(ARRAY(
            SELECT DISTINCT object_id FROM new_rows
            WHERE content_type_id = space_type));
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM renewal_space_health_refresh(ARRAY(
            SELECT DISTINCT object_id FROM old_rows
            WHERE content_type_id = space_type));
    END IF;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION renewal_space_health_space_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Only the columns the counts read.
        PERFORM renewal_space_health_refresh(ARRAY(
            SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE (n.status, n.kind, n.municipality_id, n.vacant_since,
                   n.created_at, n.in_downtown, n.location)
                  IS DISTINCT FROM (o.status, o.kind, o.municipality_id,
                   o.vacant_since, o.created_at, o.in_downtown, o.location)));
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM renewal_space_health_refresh(ARRAY(SELECT id FROM new_rows));
    ELSE
        PERFORM renewal_space_health_refresh(ARRAY(SELECT id FROM old_rows));
    END IF;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION renewal_space_health_downtown_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM renewal_space_health_refresh(ARRAY(
        SELECT id FROM renewal_vacantspace WHERE municipality_id = NEW.id));
    RETURN NULL;
END
$fn$;

CREATE FUNCTION renewal_space_health_truncated() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM renewal_spacehealthyear;
    DELETE FROM renewal_downtownhealthcount;
    PERFORM renewal_space_health_refresh(ARRAY(SELECT id FROM renewal_vacantspace));
    RETURN NULL;
END
$fn$;
"""


TRIGGERS = """
CREATE TRIGGER renewal_inventorychange_health_insert
    AFTER INSERT ON renewal_inventorychange REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_space_health_history_changed();
CREATE TRIGGER renewal_inventorychange_health_update
    AFTER UPDATE ON renewal_inventorychange
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_space_health_history_changed();
CREATE TRIGGER renewal_inventorychange_health_delete
    AFTER DELETE ON renewal_inventorychange REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_space_health_history_changed();
CREATE TRIGGER renewal_vacantspace_health_insert
    AFTER INSERT ON renewal_vacantspace REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_space_health_space_changed();
CREATE TRIGGER renewal_vacantspace_health_update
    AFTER UPDATE ON renewal_vacantspace
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_space_health_space_changed();
CREATE TRIGGER renewal_vacantspace_health_delete
    AFTER DELETE ON renewal_vacantspace REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_space_health_space_changed();
CREATE TRIGGER cities_municipality_downtown_health
    AFTER UPDATE OF downtown ON cities_municipality
    FOR EACH ROW WHEN (OLD.downtown IS DISTINCT FROM NEW.downtown)
    EXECUTE FUNCTION renewal_space_health_downtown_changed();
CREATE TRIGGER renewal_vacantspace_health_truncate
    AFTER TRUNCATE ON renewal_vacantspace
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_space_health_truncated();
CREATE TRIGGER renewal_inventorychange_health_truncate
    AFTER TRUNCATE ON renewal_inventorychange
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_space_health_truncated();
"""


DROP = """
DROP TRIGGER IF EXISTS renewal_inventorychange_health_truncate
    ON renewal_inventorychange;
DROP TRIGGER IF EXISTS renewal_vacantspace_health_truncate ON renewal_vacantspace;
DROP TRIGGER IF EXISTS cities_municipality_downtown_health ON cities_municipality;
DROP TRIGGER IF EXISTS renewal_vacantspace_health_delete ON renewal_vacantspace;
DROP TRIGGER IF EXISTS renewal_vacantspace_health_update ON renewal_vacantspace;
DROP TRIGGER IF EXISTS renewal_vacantspace_health_insert ON renewal_vacantspace;
DROP TRIGGER IF EXISTS renewal_inventorychange_health_delete
    ON renewal_inventorychange;
DROP TRIGGER IF EXISTS renewal_inventorychange_health_update
    ON renewal_inventorychange;
DROP TRIGGER IF EXISTS renewal_inventorychange_health_insert
    ON renewal_inventorychange;
DROP FUNCTION IF EXISTS renewal_space_health_truncated();
DROP FUNCTION IF EXISTS renewal_space_health_downtown_changed();
DROP FUNCTION IF EXISTS renewal_space_health_space_changed();
DROP FUNCTION IF EXISTS renewal_space_health_history_changed();
DROP FUNCTION IF EXISTS renewal_space_health_refresh(bigint[]);
DROP FUNCTION IF EXISTS renewal_space_health_time_zone();
DROP FUNCTION IF EXISTS renewal_space_health_compact();
DROP TABLE IF EXISTS renewal_downtownhealthcount;
DROP TABLE IF EXISTS renewal_spacehealthyear;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("renewal", "0009_task_outbox_and_work_attempts"),
    ]

    operations = [
        migrations.RunSQL(
            TABLES + functions_sql(HEALTH_TIME_ZONE) + COMPACT_SQL + TRIGGERS, DROP
        ),
    ]
