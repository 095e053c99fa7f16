"""OGC API – Features (Part 1: Core, GeoJSON, OpenAPI 3.0) over the public records.

What GIS clients (QGIS, GDAL's OAPIF driver, ArcGIS) read: a landing page, the
conformance classes, the collections and their items as GeoJSON in CRS84, with
`bbox`, `limit`/`offset` paging through `next` links, `datetime` on `updated_at`
and property filters as query parameters. PostgreSQL builds the features; these
views add the envelope and the links. Errors use the standard's exception shape
(`code`, `description`) next to the project's own `error` object, since generic
OGC clients read the first and our own clients the second.
"""

import json

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from config.api import error_body
from core.geography import KOREA_BOUNDS, InvalidBbox, bbox_parse
from renewal.selectors.ogc import (
    COLLECTIONS,
    URBAN_ZONES,
    Collection,
    ComputedCollection,
    InvalidParameter,
    ItemQuery,
    collection_item,
    collection_items,
    parse_datetime_range,
)

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
# Tables read by SQL, then the zones computed from the flows.
PUBLISHED: dict[str, Collection | ComputedCollection] = {
    **COLLECTIONS,
    URBAN_ZONES.id: URBAN_ZONES,
}
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
PAGING_PARAMETERS = ("bbox", "limit", "offset", "datetime", "f")
# `f` picks the encoding in many clients' URLs; GeoJSON is the only one here.
FORMATS = ("json", "geojson")


def _response(data: dict, content_type: str = JSON, status: int = 200):
    response = JsonResponse(data, status=status, content_type=content_type)
    # Public data for any client on any origin (no cookies are read).
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _exception(status: int, code: str, message, fields: dict | None = None):
    own = error_body(
        "invalid_parameter" if status == 400 else "not_found", message, fields
    )
    return _response({"code": code, "description": str(message), **own}, status=status)


def _not_found(message=None):
    return _exception(404, "NotFound", message or _("Not found."))


def _link(href: str, rel: str, media_type: str, title=None) -> dict:
    link = {"href": href, "rel": rel, "type": media_type}
    if title:
        link["title"] = str(title)
    return link


def _url(request, name: str, *args) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


def _collection_json(request, collection: Collection) -> dict:
    extent = {"spatial": {"bbox": [list(KOREA_BOUNDS)], "crs": CRS84}}
    if collection.datetime_column:
        extent["temporal"] = {
            "interval": [[None, None]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return {
        "id": collection.id,
        "title": str(collection.title),
        "description": str(collection.description),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            _link(
                _url(request, "ogc-collection", collection.id),
                "self",
                JSON,
                collection.title,
            ),
            _link(
                _url(request, "ogc-items", collection.id),
                "items",
                GEOJSON,
                collection.title,
            ),
        ],
    }


@require_safe
def landing(request):
    return _response(
        {
            "title": _("Village renewal platform: open data"),
            "description": _(
                "Vacant spaces, renewal projects, neighbourhood resources, "
                "community organisations and municipalities as OGC API – Features."
            ),
            "links": [
                _link(_url(request, "ogc-landing"), "self", JSON, _("This document")),
                _link(
                    _url(request, "ogc-api"),
                    "service-desc",
                    OPENAPI,
                    _("The API definition"),
                ),
                _link(
                    _url(request, "ogc-conformance"),
                    "conformance",
                    JSON,
                    _("Conformance classes"),
                ),
                _link(
                    _url(request, "ogc-collections"),
                    "data",
                    JSON,
                    _("Feature collections"),
                ),
            ],
        }
    )


@require_safe
def conformance(request):
    return _response({"conformsTo": CONFORMANCE})


@require_safe
def collections(request):
    return _response(
        {
            "links": [
                _link(_url(request, "ogc-collections"), "self", JSON),
            ],
            "collections": [
                _collection_json(request, collection)
                for collection in PUBLISHED.values()
            ],
        }
    )


@require_safe
def collection(request, collection_id: str):
    found = PUBLISHED.get(collection_id)
    if found is None:
        return _not_found(_("No such collection."))
    return _response(_collection_json(request, found))


# PostgreSQL's LIMIT and OFFSET are bigints; far beyond any collection's size.
MAX_INTEGER = 2**31 - 1


def _integer(request, name: str, default: int, minimum: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if not minimum <= value <= MAX_INTEGER:
        raise InvalidParameter(
            name,
            _("Expected a whole number from %(minimum)d to %(maximum)d.")
            % {"minimum": minimum, "maximum": MAX_INTEGER},
        )
    return value


def _bbox(raw: str) -> tuple[float, float, float, float]:
    try:
        return bbox_parse(raw)
    except InvalidBbox as error:
        raise InvalidParameter("bbox", str(error))


def _item_query(
    request, found: Collection | ComputedCollection
) -> tuple[ItemQuery, int, int]:
    known = set(PAGING_PARAMETERS) | set(found.filters)
    unknown = sorted(set(request.GET) - known)
    if unknown:
        raise InvalidParameter(
            unknown[0],
            _("Unknown parameter %(name)s; this collection filters on: %(names)s.")
            % {"name": unknown[0], "names": ", ".join(found.filters)},
        )
    if request.GET.get("f", "json") not in FORMATS:
        raise InvalidParameter("f", _("Only GeoJSON is offered (f=json)."))
    # Larger pages are cut to the maximum, as the standard allows.
    limit = min(_integer(request, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = _integer(request, "offset", 0, 0)
    bbox = request.GET.get("bbox")
    datetime = request.GET.get("datetime")
    query = ItemQuery(
        bbox=_bbox(bbox) if bbox is not None else None,
        datetime_range=parse_datetime_range(datetime) if datetime else None,
        filters={
            name: request.GET[name] for name in found.filters if name in request.GET
        },
    )
    return query, limit, offset


def _page_url(request, collection_id: str, *, offset: int, limit: int) -> str:
    params = request.GET.copy()
    params["offset"] = str(offset)
    params["limit"] = str(limit)
    return f"{_url(request, 'ogc-items', collection_id)}?{params.urlencode()}"


@require_safe
def items(request, collection_id: str):
    found = PUBLISHED.get(collection_id)
    if found is None:
        return _not_found(_("No such collection."))
    try:
        query, limit, offset = _item_query(request, found)
        if isinstance(found, ComputedCollection):
            every = found.features(query)
            page = every[offset : offset + limit]
            matched, returned, features = len(every), len(page), json.dumps(page)
        else:
            matched, returned, features = collection_items(
                found, query=query, limit=limit, offset=offset
            )
    except InvalidParameter as problem:
        return _exception(400, "InvalidParameterValue", problem.message, problem.fields)
    self_url = request.build_absolute_uri()
    links = [_link(self_url, "self", GEOJSON, _("This page"))]
    if offset + returned < matched:
        links.append(
            _link(
                _page_url(request, collection_id, offset=offset + limit, limit=limit),
                "next",
                GEOJSON,
                _("Next page"),
            )
        )
    if offset > 0:
        links.append(
            _link(
                _page_url(
                    request, collection_id, offset=max(offset - limit, 0), limit=limit
                ),
                "prev",
                GEOJSON,
                _("Previous page"),
            )
        )
    links.append(
        _link(_url(request, "ogc-collection", collection_id), "collection", JSON)
    )
    envelope = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": timezone.now()
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "links": links,
    }
    # The features arrive as JSON text from PostgreSQL; only the envelope is
    # encoded here.
    body = json.dumps(envelope)[:-1] + ', "features": ' + features + "}"
    response = HttpResponse(body, content_type=GEOJSON)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def item(request, collection_id: str, feature_id: str):
    found = PUBLISHED.get(collection_id)
    if found is None:
        return _not_found(_("No such collection."))
    if isinstance(found, ComputedCollection):
        matching = [
            feature
            for feature in found.features(ItemQuery())
            if feature["id"] == feature_id
        ]
        feature = json.dumps(matching[0]) if matching else None
    elif not feature_id.isdigit() or len(feature_id) > 18:
        feature = None
    else:
        feature = collection_item(found, int(feature_id))
    if feature is None:
        return _not_found(_("No such feature."))
    links = [
        _link(_url(request, "ogc-item", collection_id, feature_id), "self", GEOJSON),
        _link(_url(request, "ogc-collection", collection_id), "collection", JSON),
    ]
    body = feature[:-1] + ', "links": ' + json.dumps(links) + "}"
    response = HttpResponse(body, content_type=GEOJSON)
    response["Access-Control-Allow-Origin"] = "*"
    return response


# OpenAPI ----------------------------------------------------------------------


def _parameter(name: str, schema: dict, description, *, explode=None) -> dict:
    parameter = {
        "name": name,
        "in": "query",
        "required": False,
        "description": str(description),
        "schema": schema,
        "style": "form",
    }
    if explode is not None:
        parameter["explode"] = explode
    return parameter


def _filter_parameter(name: str, property_filter) -> dict:
    if property_filter.boolean:
        return _parameter(
            name, {"type": "boolean"}, _("Filter on %(name)s.") % {"name": name}
        )
    items_schema = {"type": "string"}
    if property_filter.choices:
        items_schema["enum"] = list(property_filter.choices)
    return _parameter(
        name,
        {"type": "array", "items": items_schema},
        _("Filter on %(name)s; several values separated by commas.") % {"name": name},
        explode=False,
    )


def _ok(description, media_type: str) -> dict:
    return {
        "200": {
            "description": str(description),
            "content": {media_type: {"schema": {"type": "object"}}},
        },
        "400": {"description": str(_("Invalid parameter."))},
        "404": {"description": str(_("Not found."))},
    }


def _items_parameters(collection: Collection | ComputedCollection) -> list[dict]:
    parameters = [
        _parameter(
            "bbox",
            {
                "type": "array",
                "minItems": 4,
                "maxItems": 6,
                "items": {"type": "number"},
            },
            _("minLon,minLat,maxLon,maxLat in CRS84."),
            explode=False,
        ),
        _parameter(
            "limit",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
            _("Features per page."),
        ),
        _parameter(
            "offset",
            {"type": "integer", "minimum": 0, "default": 0},
            _("Features to skip; follow the next link rather than counting."),
        ),
    ]
    if collection.datetime_column:
        parameters.append(
            _parameter(
                "datetime",
                {"type": "string"},
                _("RFC 3339 instant or interval (a/b, ../b, a/..) on updated_at."),
            )
        )
    parameters += [
        _filter_parameter(name, property_filter)
        for name, property_filter in collection.filters.items()
    ]
    return parameters


def openapi_document(request) -> dict:
    server = _url(request, "ogc-landing").rstrip("/")
    paths = {
        "/": {
            "get": {
                "operationId": "getLandingPage",
                "summary": str(_("Landing page")),
                "responses": _ok(_("Landing page"), JSON),
            }
        },
        "/conformance": {
            "get": {
                "operationId": "getConformance",
                "summary": str(_("Conformance classes")),
                "responses": _ok(_("Conformance classes"), JSON),
            }
        },
        "/api": {
            "get": {
                "operationId": "getApi",
                "summary": str(_("This document")),
                "responses": _ok(_("The API definition"), OPENAPI),
            }
        },
        "/collections": {
            "get": {
                "operationId": "getCollections",
                "summary": str(_("Feature collections")),
                "responses": _ok(_("Feature collections"), JSON),
            }
        },
        "/collections/{collectionId}": {
            "get": {
                "operationId": "describeCollection",
                "summary": str(_("One collection")),
                "parameters": [
                    {
                        "name": "collectionId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": list(PUBLISHED)},
                    }
                ],
                "responses": _ok(_("One collection"), JSON),
            }
        },
    }
    for collection in PUBLISHED.values():
        computed = isinstance(collection, ComputedCollection)
        paths[f"/collections/{collection.id}/items"] = {
            "get": {
                "operationId": f"getFeatures_{collection.id}",
                "summary": str(collection.title),
                "description": str(collection.description),
                "tags": [collection.id],
                "parameters": _items_parameters(collection),
                "responses": _ok(_("A page of features."), GEOJSON),
            }
        }
        paths[f"/collections/{collection.id}/items/{{featureId}}"] = {
            "get": {
                "operationId": f"getFeature_{collection.id}",
                "summary": str(collection.title),
                "tags": [collection.id],
                "parameters": [
                    {
                        "name": "featureId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string" if computed else "integer"},
                    }
                ],
                "responses": _ok(_("One feature."), GEOJSON),
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": str(_("Village renewal platform: open data")),
            "version": "1.0.0",
            "description": str(
                _("OGC API – Features over the platform's public records.")
            ),
        },
        "servers": [{"url": server}],
        "paths": paths,
    }


@require_safe
def api(request):
    return _response(openapi_document(request), content_type=OPENAPI)
