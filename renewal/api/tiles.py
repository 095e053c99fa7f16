"""Vector tiles: `/tiles/{layer}/{z}/{x}/{y}.mvt` for MapLibre, QGIS and others.

Plain Django views: a tile is bytes from PostGIS, nothing for DRF to negotiate or
serialise. The ETag is the layer's version (renewal.services.tiles), checked before
any SQL runs, so a client revalidating an unchanged tile costs one cache read.
Filters are query parameters, several values separated by commas
(`?kind=shop,house&status=available`); docs/gis.md has the URL templates.
"""

from django.http import HttpResponse, JsonResponse
from django.urls import register_converter
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_safe

from config.api import error_body
from renewal.selectors.ogc import InvalidParameter
from renewal.selectors.tiles import MAX_ZOOM, TILE_LAYERS, tile_bytes
from renewal.services.tiles import tiles_etag

CONTENT_TYPE = "application/vnd.mapbox-vector-tile"


class LayerConverter:
    regex = "|".join(TILE_LAYERS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(LayerConverter, "tile_layer")


def error(status: int, code: str, message, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields), status=status)


def _etag(request, layer: str, **_coordinates) -> str:
    return tiles_etag(layer)


@require_safe
@condition(etag_func=_etag)
def tile(request, layer: str, z: int, x: int, y: int):
    if z > MAX_ZOOM or x >= 2**z or y >= 2**z:
        return error(404, "not_found", _("No such tile."))
    filters = TILE_LAYERS[layer].filters
    unknown = sorted(set(request.GET) - set(filters))
    if unknown:
        return error(
            400,
            "invalid_parameter",
            _("Unknown parameter %(name)s; this layer filters on: %(names)s.")
            % {"name": unknown[0], "names": ", ".join(filters)},
            {unknown[0]: [_("Unknown parameter.")]},
        )
    try:
        data = tile_bytes(layer, z, x, y, request.GET.dict())
    except InvalidParameter as problem:
        return error(400, problem.code, problem.message, problem.fields)
    response = HttpResponse(data, content_type=CONTENT_TYPE)
    # Kept by browsers and proxies but revalidated on every use: the ETag answers
    # 304 until the layer changes, so an edit shows on the next pan.
    patch_cache_control(response, public=True, no_cache=True)
    # Public data for any map client on any origin (no cookies are read).
    response["Access-Control-Allow-Origin"] = "*"
    return response
