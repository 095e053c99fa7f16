"""Public feature collections, read straight into GeoJSON by PostgreSQL.

The OGC API – Features endpoints (renewal.api.ogc) and the vector tiles
(renewal.selectors.tiles) publish the same public records: owner details
(SpaceOwner) are never joined, hidden projects never selected. Each collection is
declared once here: its table, geometry, public properties and the property filters
a client may use. PostgreSQL builds the features (`json_build_object`,
`ST_AsGeoJSON`): serialising objects one by one in Python costs ~15x more on large
pages (docs/performance.md).
"""

import datetime as dt
import json
import math
from dataclasses import dataclass, field

from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db import connections
from django.db.models import Model
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.models import Municipality, MunicipalityKind, Province
from cities.zones import (
    CENTRE_PERIPHERY,
    NETWORK,
    flow_periods,
    urban_zones_geojson,
)
from config.db_router import read_alias
from renewal.models import (
    Availability,
    CommunityOrganization,
    GradingScheme,
    NeighborhoodResource,
    Ownership,
    SpaceKind,
    SpaceStatus,
    VacantSpace,
)
from renewal.models.organizations import OrganizationKind
from renewal.models.projects import ProjectCategory, ProjectStatus, RenewalProject
from renewal.models.resources import ResourceCategory
from renewal.services.errors import DomainError

MUNICIPALITY_TABLE = Municipality._meta.db_table
CITY_JOIN = f"JOIN {MUNICIPALITY_TABLE} m ON m.id = t.municipality_id"


class InvalidParameter(DomainError):
    code = "invalid_parameter"

    def __init__(self, name: str, message) -> None:
        super().__init__(message, fields={name: [str(message)]})
        self.name = name


@dataclass(frozen=True)
class PropertyFilter:
    """A query parameter that filters on one column; several values with commas."""

    column: str
    choices: tuple[str, ...] | None = None
    boolean: bool = False

    def sql(self, name: str, raw: str) -> tuple[str, list]:
        if self.boolean:
            if raw not in ("true", "false"):
                raise InvalidParameter(name, _("Expected true or false."))
            return f"{self.column} = %s", [raw == "true"]
        return f"{self.column} = ANY(%s)", [self.values(name, raw)]

    def values(self, name: str, raw: str) -> list[str]:
        values = [value.strip() for value in raw.split(",") if value.strip()]
        if not values:
            raise InvalidParameter(name, _("Expected at least one value."))
        if self.choices is not None:
            unknown = [value for value in values if value not in self.choices]
            if unknown:
                raise InvalidParameter(
                    name,
                    _("Unknown value %(value)s; expected one of: %(choices)s.")
                    % {"value": unknown[0], "choices": ", ".join(self.choices)},
                )
        return values


def choices(enum) -> tuple[str, ...]:
    return tuple(enum.values)


@dataclass(frozen=True)
class Collection:
    id: str
    title: Promise
    description: Promise
    model: type[Model]
    geometry: str
    geometry_type: str
    # Public properties only: name -> SQL expression over `t` (and `m`, the city).
    properties: dict[str, str]
    filters: dict[str, PropertyFilter] = field(default_factory=dict)
    joins: str = CITY_JOIN
    where: str = "TRUE"
    datetime_column: str | None = "t.updated_at"

    @property
    def table(self) -> str:
        return self.model._meta.db_table


CITY_FILTER = PropertyFilter("m.code")

COLLECTIONS: dict[str, Collection] = {
    collection.id: collection
    for collection in (
        Collection(
            id="spaces",
            title=gettext_lazy("Vacant spaces"),
            description=gettext_lazy(
                "Vacant houses, shops, offices, schools and land surveyed by the "
                "cities (public fields; owners are never published)."
            ),
            model=VacantSpace,
            geometry="t.location",
            geometry_type="Point",
            properties={
                "municipality": "m.code",
                "external_id": "t.external_id",
                "kind": "t.kind",
                "status": "t.status",
                "address": "t.address",
                "floor_area_m2": "t.floor_area_m2",
                "land_area_m2": "t.land_area_m2",
                "year_built": "t.year_built",
                "grading_scheme": "t.grading_scheme",
                "grade": "t.grade",
                "vacant_since": "t.vacant_since",
                "ownership": "t.ownership",
                "availability": "t.availability",
                "asking_rent_krw": "t.asking_rent_krw",
                "source": "t.source",
                "created_at": "t.created_at",
                "updated_at": "t.updated_at",
            },
            filters={
                "city": CITY_FILTER,
                "kind": PropertyFilter("t.kind", choices(SpaceKind)),
                "status": PropertyFilter("t.status", choices(SpaceStatus)),
                "availability": PropertyFilter("t.availability", choices(Availability)),
                "ownership": PropertyFilter("t.ownership", choices(Ownership)),
                "grading_scheme": PropertyFilter(
                    "t.grading_scheme", choices(GradingScheme)
                ),
            },
        ),
        Collection(
            id="projects",
            title=gettext_lazy("Renewal projects"),
            description=gettext_lazy(
                "Projects proposed by residents and organisations (hidden projects "
                "are left out)."
            ),
            model=RenewalProject,
            geometry="t.place",
            geometry_type="Geometry",
            properties={
                "title": "t.title",
                "description": "t.description",
                "municipality": "m.code",
                "category": "t.category",
                "status": "t.status",
                "needs_space_kinds": "t.needs_space_kinds",
                "needs_min_area_m2": "t.needs_min_area_m2",
                "needs_max_area_m2": "t.needs_max_area_m2",
                "budget_krw": "t.budget_krw",
                "earliest_start": "t.earliest_start",
                "partner_capabilities": "t.partner_capabilities",
                "lead_organization": "t.lead_organization_id",
                "created_at": "t.created_at",
                "updated_at": "t.updated_at",
            },
            filters={
                "city": CITY_FILTER,
                "category": PropertyFilter("t.category", choices(ProjectCategory)),
                "status": PropertyFilter("t.status", choices(ProjectStatus)),
            },
            # Hidden by moderation: out of every public list.
            where="NOT t.is_hidden",
        ),
        Collection(
            id="resources",
            title=gettext_lazy("Neighbourhood resources"),
            description=gettext_lazy(
                "Heritage, markets, parks, skills and festivals projects build on."
            ),
            model=NeighborhoodResource,
            geometry="t.location",
            geometry_type="Point",
            properties={
                "municipality": "m.code",
                "category": "t.category",
                "name": "t.name",
                "description": "t.description",
                "source": "t.source",
                "created_at": "t.created_at",
                "updated_at": "t.updated_at",
            },
            filters={
                "city": CITY_FILTER,
                "category": PropertyFilter("t.category", choices(ResourceCategory)),
            },
        ),
        Collection(
            id="organizations",
            title=gettext_lazy("Community organisations"),
            description=gettext_lazy(
                "Village enterprises, cooperatives, NGOs and other community "
                "organisations (geometry empty where no location is known)."
            ),
            model=CommunityOrganization,
            geometry="t.location",
            geometry_type="Point",
            properties={
                "municipality": "m.code",
                "name": "t.name",
                "kind": "t.kind",
                "capabilities": "t.capabilities",
                "description": "t.description",
                "member_count": "t.member_count",
                "verified": "t.verified",
                "website": "t.website",
                "created_at": "t.created_at",
                "updated_at": "t.updated_at",
            },
            filters={
                "city": CITY_FILTER,
                "kind": PropertyFilter("t.kind", choices(OrganizationKind)),
                "verified": PropertyFilter("t.verified", boolean=True),
            },
        ),
        Collection(
            id="municipalities",
            title=gettext_lazy("Municipalities"),
            description=gettext_lazy(
                "The cities and counties on the platform, at their town hall."
            ),
            model=Municipality,
            geometry="t.location",
            geometry_type="Point",
            properties={
                "code": "t.code",
                "kind": "t.kind",
                "province": "t.province",
                "name_ko": "t.name_ko",
                "name_en": "t.name_en",
                "updated_at": "t.updated_at",
            },
            filters={
                "code": PropertyFilter("t.code"),
                "kind": PropertyFilter("t.kind", choices(MunicipalityKind)),
                "province": PropertyFilter("t.province", choices(Province)),
            },
            joins="",
        ),
    )
}


@dataclass(frozen=True)
class ItemQuery:
    bbox: tuple[float, float, float, float] | None = None
    # Inclusive bounds; None is open.
    datetime_range: tuple[dt.datetime | None, dt.datetime | None] | None = None
    filters: dict[str, str] = field(default_factory=dict)


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        values = []
    if len(values) == 6:  # a 3D box: heights do not apply to these collections
        values = [values[0], values[1], values[3], values[4]]
    # float() reads "nan" and "inf", which no coordinate can be.
    if len(values) != 4 or not all(math.isfinite(value) for value in values):
        raise InvalidParameter(
            "bbox", _("Expected minLon,minLat,maxLon,maxLat (CRS84).")
        )
    min_lon, min_lat, max_lon, max_lat = values
    if min_lon > max_lon or min_lat > max_lat:
        raise InvalidParameter("bbox", _("Minimum must be below maximum."))
    return min_lon, min_lat, max_lon, max_lat


def _instant(raw: str, *, end: bool) -> dt.datetime | None:
    if raw in ("", ".."):
        return None
    # parse_datetime also reads a bare date (as a naive midnight): dates first.
    day = parse_date(raw) if len(raw) == len("2024-05-01") else None
    if day is not None:
        # A bare date stands for the whole day, in UTC.
        start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
        return start + dt.timedelta(days=1, microseconds=-1) if end else start
    moment = parse_datetime(raw)
    if moment is not None:
        if moment.tzinfo is None:
            raise InvalidParameter(
                "datetime", _("Times need a time zone (RFC 3339), e.g. Z or +09:00.")
            )
        return moment
    raise InvalidParameter(
        "datetime", _("Expected an RFC 3339 date or time, or an interval a/b.")
    )


def parse_datetime_range(raw: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """An RFC 3339 instant, or an interval `start/end` with `..` for open ends."""
    try:
        if "/" in raw:
            start_raw, end_raw = raw.split("/")
            start = _instant(start_raw, end=False)
            end = _instant(end_raw, end=True)
            if start and end and start > end:
                raise InvalidParameter(
                    "datetime", _("The interval ends before it starts.")
                )
            return start, end
        # A day stands for the whole day; an instant for itself.
        return _instant(raw, end=False), _instant(raw, end=True)
    except ValueError as error:  # e.g. "a/b/c", or a 30th of February
        raise InvalidParameter(
            "datetime", _("Expected an RFC 3339 date or time, or an interval a/b.")
        ) from error


def _where(collection: Collection, query: ItemQuery) -> tuple[str, list]:
    clauses, params = [collection.where], []
    if query.bbox is not None:
        clauses.append(
            f"ST_Intersects({collection.geometry}, ST_MakeEnvelope(%s, %s, %s, %s, 4326))"
        )
        params.extend(query.bbox)
    if query.datetime_range is not None and collection.datetime_column:
        start, end = query.datetime_range
        if start is not None:
            clauses.append(f"{collection.datetime_column} >= %s")
            params.append(start)
        if end is not None:
            clauses.append(f"{collection.datetime_column} <= %s")
            params.append(end)
    for name, raw in query.filters.items():
        clause, values = collection.filters[name].sql(name, raw)
        clauses.append(clause)
        params.extend(values)
    return " AND ".join(clauses), params


def _feature_sql(collection: Collection) -> str:
    properties = ", ".join(
        f"'{name}', {expression}" for name, expression in collection.properties.items()
    )
    return (
        "json_build_object('type', 'Feature', 'id', t.id, "
        f"'geometry', ST_AsGeoJSON({collection.geometry})::json, "
        f"'properties', json_build_object({properties}))"
    )


def collection_items(
    collection: Collection, *, query: ItemQuery, limit: int, offset: int
) -> tuple[int, int, str]:
    """(numberMatched, numberReturned, the features as a JSON array text)."""
    where, params = _where(collection, query)
    # The city is joined for the ids and the count only when a filter needs it:
    # the join otherwise tempts the planner into a loop over every city.
    filter_joins = collection.joins if "m." in where else ""
    # The f-string interpolates the collection's declared SQL only; every value
    # from the request goes through parameters.
    sql = f"""
        WITH page AS MATERIALIZED (
            -- Ids first: the features are built for the page only, not for the
            -- rows an offset skips.
            SELECT t.id
            FROM {collection.table} t {filter_joins}
            WHERE {where}
            ORDER BY t.id
            LIMIT %s OFFSET %s
        )
        SELECT
            (SELECT count(*) FROM {collection.table} t {filter_joins}
             WHERE {where}),
            (SELECT count(*) FROM page),
            COALESCE((
                SELECT json_agg({_feature_sql(collection)} ORDER BY t.id)
                FROM page JOIN {collection.table} t ON t.id = page.id
                {collection.joins}
            ), '[]')::text
    """  # noqa: S608
    # On the replica when one is configured (public, read-only data); parallel
    # workers and JIT are off per connection (config/settings.py).
    with connections[read_alias(collection.model)].cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset, *params])
        matched, returned, features = cursor.fetchone()
    return matched, returned, features


def collection_item(collection: Collection, feature_id: int) -> str | None:
    """One feature as GeoJSON text, or None when it is absent or not public."""
    sql = f"""
        SELECT {_feature_sql(collection)}::text
        FROM {collection.table} t {collection.joins}
        WHERE t.id = %s AND {collection.where}
    """  # noqa: S608
    with connections[read_alias(collection.model)].cursor() as cursor:
        cursor.execute(sql, [feature_id])
        row = cursor.fetchone()
    return row[0] if row else None


# Urban zones -------------------------------------------------------------------
# Zones are computed from the commuting flows (cities.zones), not stored: a few
# dozen features, built in Python and paged here.


@dataclass(frozen=True)
class ComputedCollection:
    id: str
    title: Promise
    description: Promise
    filters: dict[str, PropertyFilter]
    datetime_column: str | None = None

    def features(self, query: ItemQuery) -> list[dict]:
        periods = flow_periods()
        raw_period = query.filters.get("period")
        if raw_period is None:
            if not periods:
                return []
            year = periods[0]
        elif raw_period.isdigit() and int(raw_period) in periods:
            year = int(raw_period)
        else:
            raise InvalidParameter(
                "period",
                _("No flows for that year; years with flows: %(years)s.")
                % {"years": ", ".join(str(period) for period in periods) or "-"},
            )
        kinds = (
            self.filters["kind"].values("kind", query.filters["kind"])
            if "kind" in query.filters
            else None
        )
        box = Polygon.from_bbox(query.bbox) if query.bbox else None
        features = []
        for zone in urban_zones_geojson(year=year)["features"]:
            properties = zone["properties"]
            if kinds is not None and properties["kind"] not in kinds:
                continue
            if box is not None and not box.intersects(
                GEOSGeometry(json.dumps(zone["geometry"]))
            ):
                continue
            centre = properties["centre"]
            # Flat properties: GIS tables have no nested records.
            features.append(
                {
                    "type": "Feature",
                    "id": zone["id"],
                    "geometry": zone["geometry"],
                    "properties": {
                        "period": properties["period"],
                        "kind": properties["kind"],
                        "centre": centre["code"],
                        "centre_name_ko": centre["name_ko"],
                        "centre_name_en": centre["name_en"],
                        "members": [member["code"] for member in properties["members"]],
                        "geometry_basis": properties["geometry_basis"],
                    },
                }
            )
        return sorted(features, key=lambda feature: feature["id"])


URBAN_ZONES = ComputedCollection(
    id="urban-zones",
    title=gettext_lazy("Urban zones"),
    description=gettext_lazy(
        # xgettext:no-python-format
        "Daily-life zones (생활권) delineated from commuting flows: a centre and the "
        "municipalities sending it at least 10 % of their commuters. The latest "
        "year with flows unless `period` asks for another."
    ),
    filters={
        "kind": PropertyFilter("kind", (NETWORK, CENTRE_PERIPHERY)),
        "period": PropertyFilter("period"),
    },
)
