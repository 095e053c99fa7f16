import django_filters
from rest_framework import mixins, serializers, viewsets

from cities.models import Municipality
from config.api import GeoFeatureSerializer, GeoPagination
from renewal.api.geometry import validate_korean_point
from renewal.api.history import HistoryMixin
from renewal.models import Capability, CommunityOrganization, OrganizationKind
from renewal.services.organizations import (
    community_organization_register,
    community_organization_update,
)


class CommunityOrganizationSerializer(GeoFeatureSerializer):
    municipality = serializers.SlugRelatedField(
        slug_field="code", queryset=Municipality.objects.all()
    )
    capabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=Capability.choices), required=False
    )

    class Meta:
        model = CommunityOrganization
        geo_field = "location"
        fields = [
            "id",
            "municipality",
            "name",
            "kind",
            "capabilities",
            "description",
            "member_count",
            "verified",
            "website",
            "contact_email",
            "contact_phone",
            "contact_public",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        # Contact details are the organisation's to publish: others see them only
        # once it has chosen to show them.
        if not instance.contact_public and not (
            request is not None
            and request.user.has_perm("renewal.change_communityorganization", instance)
        ):
            fields = data.get("properties", data)
            fields.pop("contact_email", None)
            fields.pop("contact_phone", None)
        return data

    def validate_location(self, location):
        return None if location is None else validate_korean_point(location)


class CommunityOrganizationFilter(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="municipality__code")
    kind = django_filters.ChoiceFilter(choices=OrganizationKind.choices)
    capability = django_filters.ChoiceFilter(
        choices=Capability.choices,
        field_name="capabilities",
        method="filter_capability",
    )
    verified = django_filters.BooleanFilter()

    class Meta:
        model = CommunityOrganization
        fields = []

    def filter_capability(self, queryset, name, value):
        return queryset.filter(capabilities__contains=[value])


class CommunityOrganizationViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Village enterprises, cooperatives, NGOs and other community organisations.
    Anyone reads; city editors register; organisation staff edit their own profile;
    only city staff verify."""

    serializer_class = CommunityOrganizationSerializer
    pagination_class = GeoPagination
    filterset_class = CommunityOrganizationFilter
    queryset = CommunityOrganization.objects.select_related("municipality").order_by(
        "id"
    )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = community_organization_register(
            actor=self.request.user, municipality=data.pop("municipality"), data=data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if data.get("municipality") == serializer.instance.municipality:
            data.pop("municipality")
        serializer.instance = community_organization_update(
            actor=self.request.user, organization=serializer.instance, data=data
        )
