"""Map outlines from the census boundaries (KOSTAT SGIS 2018): a municipality's
boundary and its 읍면동, as GeoJSON built by PostgreSQL."""

import json

from django.http import HttpResponse
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
        return JSONRenderer().render(data, accepted_media_type, renderer_context)


class _GeoJSONView(APIView):
    """Answers in the media type the client asked for: application/json by
    default, application/geo+json when asked."""

    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    def handle_exception(self, exc):
        # Errors keep the API's one error shape and its media type.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def geojson_response(self, request, body: str) -> HttpResponse:
        return HttpResponse(
            body, content_type=f"{request.accepted_media_type}; charset=utf-8"
        )


class MunicipalitySubmunicipalitiesView(_GeoJSONView):
    """The municipality's 읍면동 as a GeoJSON FeatureCollection of simplified
    outlines: properties `sgis_code` and `name` (request language); `attribution`
    names the source, to be shown on any map that draws them."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        geojson = submunicipalities_geojson(municipality_or_404(code))
        return self.geojson_response(request, geojson)


class MunicipalityBoundaryView(_GeoJSONView):
    """The municipality's boundary as one GeoJSON Feature (simplified outline,
    null geometry when none is loaded), with its `attribution`."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        geojson = municipality_outline_geojson(municipality_or_404(code))
        return self.geojson_response(request, geojson)


class MunicipalityDeclineView(_GeoJSONView):
    """The legal decline test (시행령 제17조) for each 읍면동 of the municipality, as
    a GeoJSON FeatureCollection: `qualifies` (at least two criteria hold),
    `criteria` with each one's verdict, explanation with its figures, sources and
    whether any figure is illustrative."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        collection = municipality_decline_geojson(municipality_or_404(code))
        return self.geojson_response(
            request, json.dumps(collection, ensure_ascii=False)
        )
