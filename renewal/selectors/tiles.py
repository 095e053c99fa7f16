"""Mapbox vector tiles built by PostGIS (ST_AsMVT), public fields only.

Each layer's rows are found through the spatial index on the stored EPSG:4326
column: the tile's envelope is transformed to 4326 once, rather than every row to
3857 before the test (which would skip the index). Only the rows inside are
transformed to 3857 for ST_AsMVTGeom.

Spaces at zoom <= AGGREGATE_MAX_ZOOM come from the pre-aggregated grid
(renewal_space_tile_cell, refreshed by `manage.py tiles_refresh_aggregates`): a
z6 tile over a million points takes seconds with ST_AsMVT, the grid a few
milliseconds (docs/gis.md).
"""

from dataclasses import dataclass, field

from django.db import connections, transaction

from config.db_router import PRIMARY
from renewal.selectors.ogc import COLLECTIONS, MUNICIPALITY_TABLE, PropertyFilter

EXTENT = 4096
BUFFER = 64
AGGREGATE_MAX_ZOOM = 10
MAX_ZOOM = 22
CELL_TABLE = "renewal_space_tile_cell"
CITY_JOIN_CELL = f"JOIN {MUNICIPALITY_TABLE} m ON m.id = c.municipality_id"
# Grid levels of renewal_space_tile_cell: (level, cell size in EPSG:3857 metres,
# highest zoom it serves). Cells of ~1/20 of a tile keep every tile to a few
# hundred cells.
GRID_LEVELS = ((2, 32_000, 6), (1, 8_000, 8), (0, 2_000, AGGREGATE_MAX_ZOOM))
WEB_MERCATOR_HALF = 20037508.342789244
# Protects the database from a pathological request; a normal tile takes ms.
STATEMENT_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class TileLayer:
    name: str
    table: str
    geometry: str
    columns: str
    filters: dict[str, PropertyFilter] = field(default_factory=dict)
    where: str = "TRUE"
    joins: str = ""


def _layer(name: str, columns: str, filter_names: tuple[str, ...], where=None):
    collection = COLLECTIONS[name]
    return TileLayer(
        name=name,
        table=collection.table,
        geometry=collection.geometry,
        columns=columns,
        filters={key: collection.filters[key] for key in filter_names},
        where=where or collection.where,
        joins=collection.joins,
    )


# Few properties per feature: a z14 tile holds thousands of them.
TILE_LAYERS: dict[str, TileLayer] = {
    "spaces": _layer(
        "spaces",
        "m.code AS city, t.kind, t.status, t.availability, t.grade",
        ("city", "kind", "status", "availability"),
    ),
    "projects": _layer(
        "projects",
        "t.title, m.code AS city, t.category, t.status",
        ("city", "category", "status"),
    ),
    "resources": _layer(
        "resources", "t.name, m.code AS city, t.category", ("city", "category")
    ),
    "organizations": _layer(
        "organizations",
        "t.name, m.code AS city, t.kind, t.verified",
        ("city", "kind", "verified"),
        where="t.location IS NOT NULL",
    ),
}

# The grid's columns for the spaces filters (`m` is the city, joined when asked).
CELL_FILTERS = {
    "city": PropertyFilter("m.code"),
    "kind": PropertyFilter("c.kind", TILE_LAYERS["spaces"].filters["kind"].choices),
    "status": PropertyFilter(
        "c.status", TILE_LAYERS["spaces"].filters["status"].choices
    ),
    "availability": PropertyFilter(
        "c.availability", TILE_LAYERS["spaces"].filters["availability"].choices
    ),
}


def _filter_sql(filters: dict[str, PropertyFilter], params: dict[str, str]):
    clauses, values = [], []
    for name, raw in params.items():
        clause, more = filters[name].sql(name, raw)
        clauses.append(clause)
        values.extend(more)
    return "".join(f" AND {clause}" for clause in clauses), values


def layer_tile_sql(layer: TileLayer, z: int, x: int, y: int, filters: dict):
    """The SQL of one tile of a layer, straight from its table."""
    extra, values = _filter_sql(layer.filters, filters)
    margin = BUFFER / EXTENT
    sql = f"""
        SELECT ST_AsMVT(tile, %s, {EXTENT}, 'geom', 'id') FROM (
            SELECT t.id, {layer.columns},
                ST_AsMVTGeom(
                    ST_Transform({layer.geometry}, 3857),
                    ST_TileEnvelope(%s, %s, %s), {EXTENT}, {BUFFER}, true
                ) AS geom
            FROM (
                SELECT * FROM {layer.table} t
                WHERE {layer.geometry} && ST_Transform(
                    ST_TileEnvelope(%s, %s, %s, margin => {margin}), 4326
                ) AND {layer.where}
                -- OFFSET 0 keeps the filters out of this scan: otherwise the
                -- planner ANDs the (city, status, kind) b-tree's bitmap, reading
                -- a third of the table's index to narrow a few thousand rows.
                OFFSET 0
            ) AS t {layer.joins}
            WHERE TRUE{extra}
        ) AS tile
        WHERE geom IS NOT NULL
    """  # noqa: S608
    return sql, [layer.name, z, x, y, z, x, y, *values]


def grid_level(z: int) -> tuple[int, int]:
    """(level, cell size) of the grid serving zoom z."""
    for level, size, max_zoom in GRID_LEVELS:
        if z <= max_zoom:
            return level, size
    raise ValueError(z)


def grid_tile_sql(z: int, x: int, y: int, filters: dict):
    """One low-zoom spaces tile from the grid: a point per cell with its count,
    at the mean position of the cell's spaces."""
    level, size = grid_level(z)
    tile_size = 2 * WEB_MERCATOR_HALF / 2**z
    margin = tile_size * BUFFER / EXTENT
    min_x = -WEB_MERCATOR_HALF + x * tile_size - margin
    max_x = -WEB_MERCATOR_HALF + (x + 1) * tile_size + margin
    max_y = WEB_MERCATOR_HALF - y * tile_size + margin
    min_y = WEB_MERCATOR_HALF - (y + 1) * tile_size - margin
    extra, values = _filter_sql(CELL_FILTERS, filters)
    # Rows with kind NULL are the per-cell totals (GROUPING SETS in the refresh):
    # without a filter on kind, status or availability they are all we need.
    detail = "IS NOT NULL" if set(filters) - {"city"} else "IS NULL"
    join = CITY_JOIN_CELL if "city" in filters else ""
    sql = f"""
        SELECT ST_AsMVT(tile, 'spaces_grid', {EXTENT}, 'geom') FROM (
            SELECT sum(c.n)::int AS count,
                ST_AsMVTGeom(
                    ST_SetSRID(ST_MakePoint(
                        sum(c.x_sum) / sum(c.n), sum(c.y_sum) / sum(c.n)), 3857),
                    ST_TileEnvelope(%s, %s, %s), {EXTENT}, {BUFFER}, true
                ) AS geom
            FROM {CELL_TABLE} c {join}
            WHERE c.level = %s AND c.kind {detail}
              AND c.cell_x BETWEEN %s AND %s AND c.cell_y BETWEEN %s AND %s{extra}
            GROUP BY c.cell_x, c.cell_y
        ) AS tile
        WHERE geom IS NOT NULL
    """  # noqa: S608
    cells = [
        int(min_x // size),
        int(max_x // size),
        int(min_y // size),
        int(max_y // size),
    ]
    return sql, [z, x, y, level, *cells, *values]


def tile_sql(layer: str, z: int, x: int, y: int, filters: dict):
    if layer == "spaces" and z <= AGGREGATE_MAX_ZOOM:
        return grid_tile_sql(z, x, y, filters)
    return layer_tile_sql(TILE_LAYERS[layer], z, x, y, filters)


def tile_bytes(layer: str, z: int, x: int, y: int, filters: dict) -> bytes:
    """The tile's MVT bytes (empty when nothing is inside)."""
    sql, params = tile_sql(layer, z, x, y, filters)
    # The primary: a lagging replica would serve an old tile under the new ETag.
    # (Parallel workers and JIT are off per connection: config/settings.py.)
    with transaction.atomic(using=PRIMARY), connections[PRIMARY].cursor() as cursor:
        cursor.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
        cursor.execute(sql, params)
        data = cursor.fetchone()[0]
    return bytes(data) if data else b""
