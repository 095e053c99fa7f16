"""Map outlines from the census boundaries (KOSTAT SGIS 2018): a municipality's
boundary and its 읍면동, as GeoJSON built by PostgreSQL."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from cities.boundaries import municipality_outline_geojson, submunicipalities_geojson
from cities.views_support import municipality_or_404

GEOJSON = "application/geo+json"


class MunicipalitySubmunicipalitiesView(APIView):
    """The municipality's 읍면동 as a GeoJSON FeatureCollection of simplified
    outlines: properties `sgis_code` and `name` (request language); `attribution`
    names the source, to be shown on any map that draws them."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        geojson = submunicipalities_geojson(municipality_or_404(code))
        return HttpResponse(geojson, content_type=GEOJSON)


class MunicipalityBoundaryView(APIView):
    """The municipality's boundary as one GeoJSON Feature (simplified outline,
    null geometry when none is loaded), with its `attribution`."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        geojson = municipality_outline_geojson(municipality_or_404(code))
        return HttpResponse(geojson, content_type=GEOJSON)
