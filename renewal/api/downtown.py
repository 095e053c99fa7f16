"""Downtown health of a municipality, and the comparison of city types that sums it
(renewal/api/dashboard.py): both read the inventory, so they live in renewal."""

import datetime

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.api.analysis import year_param
from cities.views_support import municipality_or_404
from renewal.selectors.downtown import downtown_health


class AreaSerializer(serializers.Serializer):
    vacant = serializers.IntegerField()
    vacant_by_kind = serializers.DictField(child=serializers.IntegerField())
    vacant_previous_year = serializers.IntegerField()
    new_vacancies = serializers.IntegerField()
    reuses = serializers.IntegerField()
    buildings = serializers.FloatField(allow_null=True)
    rate_per_1000_buildings = serializers.FloatField(allow_null=True)


class DowntownHealthSerializer(serializers.Serializer):
    municipality = serializers.CharField()
    period = serializers.IntegerField()
    has_downtown = serializers.BooleanField()
    downtown = AreaSerializer()
    outside = AreaSerializer()
    downtown_population_share_pct = serializers.FloatField(allow_null=True)
    downtown_businesses_share_pct = serializers.FloatField(allow_null=True)
    trend = serializers.ChoiceField(choices=["improving", "worsening", "stable"])


class DowntownHealthView(APIView):
    """Vacant spaces inside versus outside the downtown polygon at the end of a year,
    new vacancies and re-uses during it, downtown shares, and the trend."""

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description="Year; default this year.")
        ],
        responses=DowntownHealthSerializer,
    )
    def get(self, request, code: str):
        municipality = municipality_or_404(code)
        year = year_param(request, default=datetime.date.today().year)
        return Response(
            DowntownHealthSerializer(
                downtown_health(municipality, year=year).as_dict()
            ).data
        )
