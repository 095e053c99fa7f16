import django_filters
from rest_framework import viewsets

from cities.api.serializers import MunicipalitySerializer
from cities.models import Municipality, MunicipalityKind, Province
from cities.selectors import municipality_list
from config.api import GeoPagination


class MunicipalityFilter(django_filters.FilterSet):
    province = django_filters.ChoiceFilter(choices=Province.choices)
    kind = django_filters.ChoiceFilter(choices=MunicipalityKind.choices)
    group = django_filters.CharFilter(
        field_name="groups__slug",
        help_text="Slug of a municipality group, e.g. krihs2017-study.",
    )

    class Meta:
        model = Municipality
        fields = ["province", "kind", "group"]


class MunicipalityViewSet(viewsets.ReadOnlyModelViewSet):
    """Municipalities (cities and counties) as GeoJSON, looked up by administrative code."""

    serializer_class = MunicipalitySerializer
    pagination_class = GeoPagination
    filterset_class = MunicipalityFilter
    lookup_field = "code"
    lookup_value_regex = r"\d{5}"

    def get_queryset(self):
        return municipality_list()
