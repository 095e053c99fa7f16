import functools
import json
import math
from dataclasses import dataclass

from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Case,
    Expression,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from renewal.models import SPACE_TRANSITIONS, SpaceOwner, VacantSpace
from renewal.models.spaces import SPACE_OWNER_FIELDS
from renewal.rules import is_city_staff, municipality_ids_with_permission
from renewal.selectors.exports import (
    PUBLIC_COLUMNS,
    geojson_geometry,
    json_object,
    json_text,
    personal_data_municipality_ids,
)

METRES_PER_DEGREE_LATITUDE = 111_320


def vacant_space_list(*, user) -> QuerySet[VacantSpace]:
    """Spaces in a stable order. Owner details are joined only for staff of some
    city; whether they may see a given space's owner is still asked of the rules
    per space. `in_downtown` is the database's own answer to ST_Contains (kept by
    triggers, see migration 0008)."""
    spaces = (
        VacantSpace.objects.select_related("municipality")
        # A list needs the city's code and name, not its polygons on every row.
        .defer(
            "footprint",
            "municipality__location",
            "municipality__boundary",
            "municipality__downtown",
        )
        .order_by("id")
    )
    # The rules' own predicate, asked without a space ("staff of any city?"):
    # has_perm would also ask Django's model permissions, two queries more.
    if user.is_superuser or is_city_staff(user):
        spaces = spaces.select_related("owner")
    return spaces


def within_bbox(spaces: QuerySet, bbox: tuple[float, float, float, float]) -> QuerySet:
    return spaces.filter(location__intersects=Polygon.from_bbox(bbox))


def near(spaces: QuerySet, *, point: Point, radius_m: float) -> QuerySet:
    """Within radius_m metres of point.

    The bounding-box test uses the spatial index; the exact spheroid distance then
    runs only on the few rows inside it (casting the column to geography in the filter
    would skip the index).
    """
    dlat = radius_m / METRES_PER_DEGREE_LATITUDE
    dlon = dlat / max(math.cos(math.radians(point.y)), 0.01)
    box = Polygon.from_bbox(
        (point.x - dlon, point.y - dlat, point.x + dlon, point.y + dlat)
    )
    return spaces.filter(location__intersects=box).filter(
        location__distance_lte=(point, D(m=radius_m))
    )


TRANSITION_PERMISSION = "renewal.transition_vacantspace"
# ST_AsGeoJSON's default of 9 decimals would round coordinates; 15 gives back the
# stored double exactly for longitudes and latitudes of Korea's size, as the
# serializer writes them.
COORDINATE_DECIMALS = 15


def _json(value) -> Func:
    return Func(
        Value(json.dumps(value)),
        template="%(expressions)s::json",
        output_field=TextField(),
    )


def _allowed_transitions(editor_ids: frozenset[int]) -> Expression:
    # The transitions table compiled into one CASE, answered only on rows of the
    # cities where the user may transition spaces, as allowed_space_transitions does.
    if not editor_ids:
        return _json([])
    return Case(
        *[
            When(
                Q(municipality_id__in=editor_ids, status=status),
                then=_json(sorted(targets)),
            )
            for status, targets in SPACE_TRANSITIONS.items()
        ],
        default=_json([]),
        output_field=TextField(),
    )


def _owner() -> Expression:
    # A subquery inside the staff branch of the CASE: PostgreSQL reads the owner
    # only for rows whose owner the user may see, and null when there is none.
    owners = SpaceOwner.objects.filter(space=OuterRef("pk"))
    return Subquery(
        owners.values(
            details=json_object({name: F(name) for name in SPACE_OWNER_FIELDS})
        ),
        output_field=TextField(),
    )


def _public_properties() -> dict[str, Expression]:
    # The export's public columns but its ids (a Feature has its own), in its order,
    # with the types VacantSpaceSerializer writes: decimals as text with their two
    # places (numeric's text output keeps the scale), dates as ISO.
    return {
        column.name: (
            Cast(column.expression, TextField())
            if column.ogr_type == "Real"
            else column.expression
        )
        for column in PUBLIC_COLUMNS
        if column.name not in ("id", "platform_id")
    }


def _feature_scopes(user) -> tuple[frozenset[int], frozenset[int]]:
    """The cities where the user may transition spaces, and where they are staff."""
    return (
        municipality_ids_with_permission(user=user, permission=TRANSITION_PERMISSION),
        personal_data_municipality_ids(user=user),
    )


def _with_features(
    spaces: QuerySet, editor_ids: frozenset[int], staff_ids: frozenset[int]
) -> QuerySet:
    """Each space of `spaces` (from vacant_space_list) as the text of a GeoJSON
    Feature built by PostgreSQL, with what VacantSpaceSerializer shows a user
    who may transition spaces in editor_ids and is staff in staff_ids.

    The rules are asked once per municipality, not per row: transitions fill on
    rows of the cities where the user may transition spaces, and the owner key
    appears only on rows of the cities whose staff the user is. For callers who
    are staff nowhere, the owner table is not even named in the query.
    """
    properties = _public_properties()
    properties["allowed_transitions"] = _allowed_transitions(editor_ids)
    if staff_ids:
        property_object = Case(
            When(
                municipality_id__in=staff_ids,
                then=json_object({**properties, "owner": _owner()}),
            ),
            default=json_object(properties),
            output_field=TextField(),
        )
    else:
        property_object = json_object(properties)
    feature = json_object(
        {
            "id": F("id"),
            "type": Value("Feature", output_field=TextField()),
            "geometry": geojson_geometry(
                "location", decimal_digits=COORDINATE_DECIMALS
            ),
            "properties": property_object,
        }
    )
    return spaces.annotate(feature=json_text(feature)).values_list("feature", flat=True)


@functools.lru_cache(maxsize=512)
def _page_features_sql(
    editor_ids: frozenset[int], staff_ids: frozenset[int]
) -> tuple[str, tuple]:
    """The features of the rows named by the statement's `page`, compiled once per
    pair of scopes: compiling the feature expression took ~2 ms of every request,
    and it depends on nothing else (most callers share the empty scopes)."""
    page_ids = RawSQL("SELECT id FROM page", ())  # noqa: S611  no outside value
    # The page's rows by id alone: repeating the filter here could tempt the
    # planner into scanning the window again.
    spaces = VacantSpace.objects.select_related("municipality").filter(id__in=page_ids)
    features = _with_features(spaces.order_by("id"), editor_ids, staff_ids)
    sql, params = features.query.sql_with_params()
    return sql, tuple(params)


@dataclass(frozen=True)
class SpacePage:
    count: int
    # False when more spaces match than the count limit: `count` is then that limit.
    count_exact: bool
    features: list[str]


# The statement's CTE names; the feature query selects the rows of the page by name.
_PAGE_SQL = """
WITH hits AS MATERIALIZED ({hits}),
page AS MATERIALIZED (SELECT id FROM hits ORDER BY id LIMIT %s OFFSET %s)
SELECT (SELECT count(*) FROM hits), ARRAY({features})
"""


def vacant_space_page(
    *, spaces: QuerySet[VacantSpace], user, offset: int, limit: int, count_limit: int
) -> SpacePage:
    """One page of `spaces` (from vacant_space_list, filtered) as GeoJSON Feature
    texts, with how many spaces match, in one statement.

    The filter runs once: the matching ids (at most count_limit + 1 of them) are
    counted and the page is cut from them, so a dense window is scanned once
    rather than by a COUNT and again by the page. PostgreSQL builds the features
    of the page's rows only. When more than count_limit spaces match, the ids
    collected are not all of them, so the page is read again in id order over the
    whole filter and the count is reported as a lower bound.
    """
    scopes = _feature_scopes(user)
    # The raw statement runs where the queryset would read: the replica, when one is
    # configured and no transaction on the primary is open (config/db_router.py).
    alias = spaces.db
    hits = spaces.order_by().values("id")[: count_limit + 1]
    try:
        hits_sql, hits_params = hits.query.sql_with_params()
    except EmptyResultSet:  # a filter no row can match, e.g. a grade beyond any integer
        return SpacePage(count=0, count_exact=True, features=[])
    features_sql, features_params = _page_features_sql(*scopes)
    with connections[alias].cursor() as cursor:
        cursor.execute(
            _PAGE_SQL.format(hits=hits_sql, features=features_sql),
            [*hits_params, limit, offset, *features_params],
        )
        count, page = cursor.fetchone()
    if count <= count_limit:
        return SpacePage(count=count, count_exact=True, features=page)
    rest = _with_features(spaces.using(alias), *scopes)[offset : offset + limit]
    return SpacePage(count=count_limit, count_exact=False, features=list(rest))
