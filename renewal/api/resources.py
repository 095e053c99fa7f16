import django_filters
from rest_framework import mixins, serializers, viewsets

from cities.models import Municipality
from config.api import GeoFeatureSerializer, GeoPagination
from renewal.api.geometry import validate_korean_point
from renewal.api.history import HistoryMixin
from renewal.models import NeighborhoodResource, ResourceCategory
from renewal.services.resources import (
    neighborhood_resource_create,
    neighborhood_resource_update,
)


class NeighborhoodResourceSerializer(GeoFeatureSerializer):
    municipality = serializers.SlugRelatedField(
        slug_field="code", queryset=Municipality.objects.all()
    )

    class Meta:
        model = NeighborhoodResource
        geo_field = "location"
        fields = ["id", "municipality", "category", "name", "description", "source"]

    def validate_location(self, location):
        return validate_korean_point(location)


class NeighborhoodResourceFilter(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="municipality__code")
    category = django_filters.ChoiceFilter(choices=ResourceCategory.choices)

    class Meta:
        model = NeighborhoodResource
        fields = []


class NeighborhoodResourceViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Heritage, markets, parks, skills, festivals: assets projects build on.
    Anyone reads; editors of the resource's city write."""

    serializer_class = NeighborhoodResourceSerializer
    pagination_class = GeoPagination
    filterset_class = NeighborhoodResourceFilter
    queryset = NeighborhoodResource.objects.select_related("municipality").order_by(
        "id"
    )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = neighborhood_resource_create(
            actor=self.request.user, municipality=data.pop("municipality"), data=data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if data.get("municipality") == serializer.instance.municipality:
            data.pop("municipality")
        serializer.instance = neighborhood_resource_update(
            actor=self.request.user, resource=serializer.instance, data=data
        )
