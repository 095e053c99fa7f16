"""The comparison of city types: one read-only endpoint over the dashboard selector."""

import datetime

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.api.analysis import year_param
from renewal.selectors.dashboard import city_type_dashboard


class PopulationPointSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    population = serializers.IntegerField()


class DowntownVacancySerializer(serializers.Serializer):
    cities = serializers.ListField(child=serializers.CharField())
    downtown_vacant = serializers.IntegerField()
    downtown_vacant_previous_year = serializers.IntegerField()
    outside_vacant = serializers.IntegerField()
    new_vacancies = serializers.IntegerField()
    reuses = serializers.IntegerField()
    downtown_rate_per_1000_buildings = serializers.FloatField(allow_null=True)
    trend = serializers.ChoiceField(choices=["improving", "worsening", "stable"])


class ParticipationSerializer(serializers.Serializer):
    events = serializers.IntegerField()
    attendees = serializers.IntegerField()
    volunteer_hours = serializers.FloatField()


class BidKpiAttainmentSerializer(serializers.Serializer):
    kpis = serializers.IntegerField()
    observed = serializers.IntegerField()
    met = serializers.IntegerField()
    attainment_pct = serializers.FloatField(allow_null=True)


class CityTypeSummarySerializer(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField()
    cities = serializers.ListField(child=serializers.CharField())
    population_trend = PopulationPointSerializer(many=True)
    downtown_vacancy = DowntownVacancySerializer(allow_null=True)
    projects_by_stage = serializers.DictField(child=serializers.IntegerField())
    projects_total = serializers.IntegerField()
    participation = ParticipationSerializer()
    bid_kpi_attainment = BidKpiAttainmentSerializer(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    period = serializers.IntegerField()
    types = CityTypeSummarySerializer(many=True)


class CityTypeDashboardView(APIView):
    """Per city type (effective: an override first): its cities, the summed
    population by year, downtown vacancy at the end of `period`, projects by stage
    (those the caller may see), participation totals and BID KPI attainment (null
    until BIDs have KPIs). Each figure is the sum of the per-city figures."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period", int, description="Year for downtown vacancy; default now."
            )
        ],
        responses=DashboardSerializer,
    )
    def get(self, request):
        year = year_param(request, default=datetime.date.today().year)
        entries = city_type_dashboard(user=request.user, year=year)
        return Response(DashboardSerializer({"period": year, "types": entries}).data)
