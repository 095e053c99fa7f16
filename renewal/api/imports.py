"""Survey-file imports of vacant spaces: upload (queued for a worker) and status."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.models import Municipality
from renewal.models import SpaceImport
from renewal.services.imports import ALLOWED_SRIDS, space_import_create


class SpaceImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV, XLSX, GeoJSON, zipped Shapefile (.zip) or GeoPackage"
    )
    municipality = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Municipality.objects.all(),
        help_text="Administrative code",
    )
    srid = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=(
            "EPSG code of the coordinates when the file does not carry one; CSV and "
            "XLSX default to 4326. Accepted: "
            + ", ".join(str(code) for code in sorted(ALLOWED_SRIDS))
        ),
    )


class ReportEntrySerializer(serializers.Serializer):
    line = serializers.IntegerField(
        allow_null=True, help_text="1-based data row or feature; null for the file"
    )
    field = serializers.CharField()
    message = serializers.CharField()


class SpaceImportSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    url = serializers.SerializerMethodField()
    report = ReportEntrySerializer(many=True, read_only=True)

    class Meta:
        model = SpaceImport
        fields = [
            "id",
            "url",
            "municipality",
            "original_filename",
            "declared_srid",
            "status",
            "progress",
            "row_count",
            "created_count",
            "updated_count",
            "rejected_count",
            "report",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, space_import) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("space-import-detail", args=[space_import.pk])
        )


class SpaceImportUploadView(APIView):
    """Upload a survey file; it is imported all or nothing by a worker. Editors of
    the municipality only. Answers 202 with the import's status address."""

    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="spaces_imports_create",
        request={"multipart/form-data": SpaceImportUploadSerializer},
        responses={202: SpaceImportSerializer},
    )
    def post(self, request):
        payload = SpaceImportUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        space_import = space_import_create(
            actor=request.user,
            municipality=payload.validated_data["municipality"],
            uploaded_file=payload.validated_data["file"],
            srid=payload.validated_data.get("srid"),
        )
        body = SpaceImportSerializer(space_import, context={"request": request}).data
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]}
        )


class SpaceImportDetailView(APIView):
    """Status, progress, counts and the rejected rows of one import; staff of its
    municipality only (404 for everyone else)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="spaces_imports_retrieve",
        responses={200: SpaceImportSerializer},
    )
    def get(self, request, pk: int):
        space_import = get_object_or_404(
            SpaceImport.objects.select_related("municipality"), pk=pk
        )
        # Imports are inventory administration: the staff who may read the city's
        # inventory records may follow them.
        if not request.user.has_perm("renewal.view_vacantspace", space_import):
            raise Http404
        return Response(
            SpaceImportSerializer(space_import, context={"request": request}).data
        )
