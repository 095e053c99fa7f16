"""The comparison of city types: one read-only endpoint over the dashboard selector."""

import datetime

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.api.analysis import group_param, year_param
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
    provisional_cities = serializers.ListField(
        child=serializers.CharField(),
        help_text="Cities whose computed type stands on an illustrative figure.",
    )
    population_trend = PopulationPointSerializer(many=True)
    downtown_vacancy = DowntownVacancySerializer(allow_null=True)
    projects_by_stage = serializers.DictField(child=serializers.IntegerField())
    projects_total = serializers.IntegerField()
    participation = ParticipationSerializer()
    bid_kpi_attainment = BidKpiAttainmentSerializer(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    period = serializers.IntegerField()
    group = serializers.CharField()
    types = CityTypeSummarySerializer(many=True)
    unclassified = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="The group's cities without a type, by status "
        "(not_classifiable, outside_scope).",
    )


class CityTypeDashboardView(APIView):
    """Per city type (effective: an override first): its cities, the summed
    population by year, downtown vacancy at the end of `period`, projects by stage
    (those the caller may see), participation totals and BID KPI attainment (null
    until BIDs have KPIs). Each figure is the sum of the per-city figures."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period", int, description="Year for downtown vacancy; default now."
            ),
            OpenApiParameter(
                "group",
                str,
                description="Slug of the municipality group whose cities are "
                "classified; default the KRIHS study's 40 cities.",
            ),
        ],
        responses=DashboardSerializer,
    )
    def get(self, request):
        year = year_param(request, default=datetime.date.today().year)
        group = group_param(request)
        entries, unclassified = city_type_dashboard(
            user=request.user, year=year, group=group
        )
        return Response(
            DashboardSerializer(
                {
                    "period": year,
                    "group": group,
                    "types": entries,
                    "unclassified": unclassified,
                }
            ).data
        )
