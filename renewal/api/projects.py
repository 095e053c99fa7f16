import django_filters
from django.contrib.gis.geos import Polygon
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cities.models import Municipality
from config.api import GeoFeatureSerializer, GeoPagination, WriteThrottleMixin
from renewal.api.geometry import parse_bbox
from renewal.api.spaces import TransitionSerializer
from renewal.models.projects import (
    PROJECT_NEEDS_FIELDS,
    ProjectCategory,
    ProjectStatus,
    RenewalProject,
)
from renewal.selectors.projects import renewal_project_list, visible_projects
from renewal.services.projects import (
    allowed_project_transitions,
    project_support_add,
    project_support_withdraw,
    renewal_project_propose,
    renewal_project_transition,
)


class _ProjectNeedsModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = RenewalProject
        fields = PROJECT_NEEDS_FIELDS
        extra_kwargs = {
            "needs_min_area_m2": {"min_value": 1},
            "needs_max_area_m2": {"min_value": 1},
        }


class NeedsSerializer(serializers.Serializer):
    """What the project needs: the model's PROJECT_NEEDS_FIELDS, named in the API
    without their `needs_` prefix (`space_kinds`, `min_area_m2`, …)."""

    def get_fields(self) -> dict:
        fields = {}
        for name, field in _ProjectNeedsModelSerializer().get_fields().items():
            api_name = name.removeprefix("needs_")
            if api_name != name:
                field.source = name
            field.required = False
            fields[api_name] = field
        return fields


class RenewalProjectSerializer(GeoFeatureSerializer):
    municipality = serializers.SlugRelatedField(
        slug_field="code", queryset=Municipality.objects.all()
    )
    category = serializers.ChoiceField(choices=ProjectCategory.choices)
    needs = NeedsSerializer(source="*", required=False)
    proposer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    support_count = serializers.IntegerField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = RenewalProject
        geo_field = "place"
        fields = [
            "id",
            "title",
            "description",
            "municipality",
            "category",
            "status",
            "needs",
            "proposer",
            "lead_organization",
            "support_count",
            "allowed_transitions",
            "created_at",
        ]
        read_only_fields = ["status", "lead_organization", "created_at"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, project) -> list[str]:
        return allowed_project_transitions(
            user=self.context["request"].user, project=project
        )


class RenewalProjectFilter(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="municipality__code")
    category = django_filters.ChoiceFilter(choices=ProjectCategory.choices)
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices)
    bbox = django_filters.CharFilter(
        method="filter_bbox", help_text="minLon,minLat,maxLon,maxLat (EPSG:4326)"
    )

    class Meta:
        model = RenewalProject
        fields = []

    def filter_bbox(self, queryset, name, value):
        return queryset.filter(
            place__intersects=Polygon.from_bbox(parse_bbox("bbox", value))
        )


SupportState = inline_serializer(
    "SupportState",
    fields={
        "supported": serializers.BooleanField(),
        "support_count": serializers.IntegerField(),
    },
)


class RenewalProjectViewSet(
    WriteThrottleMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Renewal projects proposed by residents, as GeoJSON (place: Point or Polygon)."""

    serializer_class = RenewalProjectSerializer
    pagination_class = GeoPagination
    filterset_class = RenewalProjectFilter
    write_throttle_scopes = {"create": "propose", "support": "support"}

    def get_queryset(self):
        return visible_projects(renewal_project_list(), self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = renewal_project_propose(
            proposer=self.request.user, municipality=data.pop("municipality"), data=data
        )
        serializer.instance = self.get_queryset().get(pk=project.pk)

    @extend_schema(request=TransitionSerializer, responses=RenewalProjectSerializer)
    @action(detail=True, methods=["post"])
    def transitions(self, request, pk=None):
        project = get_object_or_404(self.get_queryset(), pk=pk)
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        renewal_project_transition(
            actor=request.user, project=project, **payload.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    # 200 with a body for DELETE too, not the 204 that drf-spectacular assumes.
    @extend_schema(request=None, responses={200: SupportState})
    @action(detail=True, methods=["post", "delete"])
    def support(self, request, pk=None):
        project = get_object_or_404(self.get_queryset(), pk=pk)
        if request.method == "POST":
            project_support_add(user=request.user, project=project)
        else:
            project_support_withdraw(user=request.user, project=project)
        supported = request.method == "POST"
        count = project.supports.count()
        return Response(
            {"supported": supported, "support_count": count}, status=status.HTTP_200_OK
        )
