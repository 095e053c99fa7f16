"""Map outlines from the census boundaries (KOSTAT SGIS 2018): a municipality's
boundary and its 읍면동, as GeoJSON built by PostgreSQL."""

from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from cities.boundaries import municipality_outline_geojson, submunicipalities_geojson
from cities.decline import municipality_decline_geojson
from cities.views_support import municipality_or_404

GEOJSON = "application/geo+json"


class GeoJSONRenderer(BaseRenderer):
    """Lets a client ask for application/geo+json: the views answer with a body
    PostgreSQL built, so only errors are rendered."""

    media_type = GEOJSON
    format = "geojson"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only an error (404, throttling) reaches here; it keeps its JSON shape.
        return JSONRenderer().render(data, accepted_media_type, renderer_context)


class _GeoJSONView(APIView):
    renderer_classes = [JSONRenderer, GeoJSONRenderer]


class MunicipalitySubmunicipalitiesView(_GeoJSONView):
    """The municipality's 읍면동 as a GeoJSON FeatureCollection of simplified
    outlines: properties `sgis_code` and `name` (request language); `attribution`
    names the source, to be shown on any map that draws them."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        geojson = submunicipalities_geojson(municipality_or_404(code))
        return HttpResponse(geojson, content_type=GEOJSON)


class MunicipalityBoundaryView(_GeoJSONView):
    """The municipality's boundary as one GeoJSON Feature (simplified outline,
    null geometry when none is loaded), with its `attribution`."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        geojson = municipality_outline_geojson(municipality_or_404(code))
        return HttpResponse(geojson, content_type=GEOJSON)


class MunicipalityDeclineView(_GeoJSONView):
    """The legal decline test (시행령 제17조) for each 읍면동 of the municipality, as
    a GeoJSON FeatureCollection: `qualifies` (at least two criteria hold),
    `criteria` with each one's verdict, explanation with its figures, sources and
    whether any figure is illustrative."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        collection = municipality_decline_geojson(municipality_or_404(code))
        return JsonResponse(
            collection,
            content_type=GEOJSON,
            json_dumps_params={"ensure_ascii": False},
        )
