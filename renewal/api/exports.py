"""Downloads of the vacant-space inventory, with the list's filters.

Exports are reads and stream, so they are not rate-limited here; a national GeoPackage
costs a request some tens of seconds of GDAL, which a scoped throttle would bound.
"""

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer

from config.api import ScopedThrottle
from renewal.api.spaces import VacantSpaceFilter
from renewal.selectors.exports import (
    export_columns,
    has_personal_data,
    vacant_space_export_csv,
    vacant_space_export_geojson,
    vacant_space_export_gpkg,
)
from renewal.selectors.spaces import vacant_space_list

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
}


class FormatNamesTheFile(BaseContentNegotiation):
    """DRF reads `?format=` to pick a renderer and answers 404 for an unknown one.
    Here it names the file format; errors are always JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class VacantSpaceExportView(GenericAPIView):
    """Vacant spaces as a CSV, GeoJSON or GeoPackage file, with the list's filters.
    Owner details appear only on rows of the cities whose staff the caller is."""

    filterset_class = VacantSpaceFilter
    renderer_classes = [JSONRenderer]
    # A national file costs the server tens of seconds: limit how often one client asks.
    throttle_classes = [ScopedThrottle]
    throttle_scope = "export"
    content_negotiation_class = FormatNamesTheFile
    pagination_class = None

    def get_queryset(self):
        return vacant_space_list(user=self.request.user)

    @extend_schema(
        operation_id="spaces_export",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(CONTENT_TYPES),
                required=True,
                description="File format; the other parameters filter as in the list.",
            )
        ],
        responses={
            (200, CONTENT_TYPES["csv"]): OpenApiResponse(OpenApiTypes.BINARY),
            (200, CONTENT_TYPES["geojson"]): OpenApiResponse(OpenApiTypes.OBJECT),
            (200, CONTENT_TYPES["gpkg"]): OpenApiResponse(OpenApiTypes.BINARY),
            400: OpenApiResponse(OpenApiTypes.OBJECT),
        },
    )
    def get(self, request):
        file_format = request.query_params.get("format", "")
        if file_format not in CONTENT_TYPES:
            raise ValidationError(
                {
                    "format": [
                        _("Choose one of: %(choices)s.")
                        % {"choices": ", ".join(CONTENT_TYPES)}
                    ]
                }
            )
        spaces = self.filter_queryset(self.get_queryset())
        columns = export_columns(user=request.user)
        export = {
            "csv": vacant_space_export_csv,
            "geojson": vacant_space_export_geojson,
            "gpkg": vacant_space_export_gpkg,
        }[file_format](spaces=spaces, columns=columns)
        if file_format == "gpkg":
            response = FileResponse(export, content_type=CONTENT_TYPES["gpkg"])
        else:
            response = StreamingHttpResponse(
                export, content_type=CONTENT_TYPES[file_format]
            )
        filename = f"vacant-spaces-{timezone.localdate():%Y%m%d}.{file_format}"
        response["Content-Disposition"] = content_disposition_header(True, filename)
        patch_cache_control(response, private=True)
        if has_personal_data(columns):
            # Personal data must not linger in browser or proxy caches.
            patch_cache_control(response, no_store=True)
        return response
