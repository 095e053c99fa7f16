"""Tile versions (the ETag of every tile of a layer) and the low-zoom grid.

A layer's version lives in the Django cache (Redis in production, shared by every
web worker). Services that change a layer's records call `tiles_invalidate(layer)`;
the new version reaches clients as a new ETag, so their cached tiles are fetched
again, while unchanged layers keep answering 304 without touching the database.
"""

import time

from django.core.cache import cache
from django.db import connection, transaction

from renewal.models import VacantSpace
from renewal.selectors.tiles import CELL_TABLE, GRID_LEVELS, TILE_LAYERS

# Part of every ETag: bump it when the tiles' content changes shape (a property
# added, a grid level changed) so that clients do not keep tiles of the old shape.
TILE_SCHEMA = 1
LAYERS = tuple(TILE_LAYERS)


def _key(layer: str) -> str:
    return f"tiles:version:{layer}"


def tiles_version(layer: str) -> int:
    """The layer's current version. A cache that lost the key (restart, eviction)
    starts again from the clock, never from a number an earlier ETag carried."""
    version = cache.get(_key(layer))
    if version is None:
        cache.add(_key(layer), time.time_ns(), timeout=None)
        version = cache.get(_key(layer))
    return version


def tiles_etag(layer: str) -> str:
    return f"{layer}-{TILE_SCHEMA}-{tiles_version(layer)}"


def tiles_invalidate(layer: str) -> None:
    """Give every tile of `layer` a new ETag once the current transaction commits.

    After commit, so that no request can read the old rows under the new version.
    """
    if layer not in TILE_LAYERS:
        raise ValueError(f"Unknown tile layer {layer!r}; expected one of {LAYERS}.")

    def bump() -> None:
        try:
            cache.incr(_key(layer))
        except ValueError:  # no version yet: any fresh one differs from the old
            cache.add(_key(layer), time.time_ns(), timeout=None)

    transaction.on_commit(bump)


# One statement per level. Totals (kind NULL) and the kind × status × availability
# split come from one scan through GROUPING SETS.
REFRESH_LEVEL_SQL = f"""
INSERT INTO {CELL_TABLE} (
    level, cell_x, cell_y, municipality_id, kind, status, availability,
    n, x_sum, y_sum
)
SELECT %(level)s, p.cell_x, p.cell_y, p.municipality_id, p.kind, p.status,
       p.availability, count(*), sum(p.x), sum(p.y)
FROM (
    SELECT s.municipality_id, s.kind, s.status, s.availability, g.x, g.y,
           floor(g.x / %(size)s)::int AS cell_x, floor(g.y / %(size)s)::int AS cell_y
    FROM {VacantSpace._meta.db_table} s
    CROSS JOIN LATERAL (
        SELECT ST_X(m) AS x, ST_Y(m) AS y FROM ST_Transform(s.location, 3857) AS m
    ) AS g
) AS p
GROUP BY GROUPING SETS (
    (p.cell_x, p.cell_y, p.municipality_id),
    (p.cell_x, p.cell_y, p.municipality_id, p.kind, p.status, p.availability)
)
"""  # noqa: S608


def space_tile_grid_refresh() -> dict[int, int]:
    """Rebuild the low-zoom grid from the spaces table; returns rows per level.

    Idempotent. Readers keep seeing the previous grid until the transaction commits.
    """
    rows = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CELL_TABLE}")  # noqa: S608
        for level, size, _max_zoom in GRID_LEVELS:
            cursor.execute(REFRESH_LEVEL_SQL, {"level": level, "size": float(size)})
            rows[level] = cursor.rowcount
        tiles_invalidate("spaces")
    return rows
