"""Read-mostly analysis endpoints of a municipality: indicator series and typology;
and the urban zones of a period. Downtown health reads the inventory: it is in
renewal/api/downtown.py."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.models import CityType
from cities.selectors import municipality_group_exists, municipality_indicator_series
from cities.services.typology import typology_override_set
from cities.typology import STUDY_GROUP, TypologyStatus, municipality_typology
from cities.views_support import municipality_or_404
from cities.zones import ZoneParameters, flow_periods, urban_zones_geojson
from config.api import WriteThrottleMixin


def year_param(request, *, default: int | None, name: str = "period") -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not 1900 <= int(raw) <= 2100:
        raise ValidationError({name: [_("A year between 1900 and 2100.")]})
    return int(raw)


def group_param(request, *, name: str = "group") -> str:
    """The municipality group to classify: the study's 40 unless another is named."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return STUDY_GROUP
    if not municipality_group_exists(raw):
        raise ValidationError(
            {
                name: [
                    _("There is no municipality group “%(slug)s”.") % {"slug": raw[:60]}
                ]
            }
        )
    return raw


class PointSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    value = serializers.FloatField()
    source = serializers.CharField()
    is_illustrative = serializers.BooleanField()


class IndicatorSeriesSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_ko = serializers.CharField()
    name_en = serializers.CharField()
    unit = serializers.CharField()
    higher_is_better = serializers.BooleanField(allow_null=True)
    description = serializers.CharField()
    series = PointSerializer(many=True)


class MunicipalityIndicatorsView(APIView):
    """Every indicator observed for the municipality, each with its yearly series.
    Illustrative figures say so (`is_illustrative`) and carry their source."""

    @extend_schema(
        parameters=[
            OpenApiParameter("indicator", str, description="Only this indicator code.")
        ],
        responses=IndicatorSeriesSerializer(many=True),
    )
    def get(self, request, code: str):
        series = municipality_indicator_series(
            municipality_or_404(code),
            indicator=request.query_params.get("indicator") or None,
        )
        data = [
            {
                "code": entry["indicator"].code,
                "name": entry["indicator"].name,
                "name_ko": entry["indicator"].name_ko,
                "name_en": entry["indicator"].name_en,
                "unit": entry["indicator"].unit,
                "higher_is_better": entry["indicator"].higher_is_better,
                "description": entry["indicator"].description,
                "series": [
                    {
                        "year": o.year,
                        "value": float(o.value),
                        "source": o.source,
                        "is_illustrative": o.is_illustrative,
                    }
                    for o in entry["points"]
                ],
            }
            for entry in series
        ]
        return Response(IndicatorSeriesSerializer(data, many=True).data)


class InputSourceSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    year = serializers.IntegerField()
    source = serializers.CharField()
    illustrative = serializers.BooleanField(
        help_text="A demo figure, not published statistics."
    )


class ReasonSerializer(serializers.Serializer):
    rule = serializers.CharField()
    fired = serializers.BooleanField()
    text = serializers.CharField()
    values = serializers.DictField()
    sources = InputSourceSerializer(many=True)
    illustrative = serializers.BooleanField(
        help_text="At least one of the compared inputs is illustrative."
    )


class ComputedTypeSerializer(serializers.Serializer):
    type = serializers.CharField(
        allow_null=True,
        help_text="regional_growth_centre, industrial_city or small_city",
    )
    status = serializers.ChoiceField(choices=TypologyStatus.choices)
    provisional = serializers.BooleanField(
        help_text="The type stands on at least one illustrative input."
    )
    subtypes = serializers.ListField(child=serializers.CharField())
    reasons = ReasonSerializer(many=True)
    inputs = serializers.DictField()
    parameters = serializers.DictField()


class OverrideSerializer(serializers.Serializer):
    type = serializers.CharField(source="city_type")
    reason = serializers.CharField()
    by = serializers.CharField(source="created_by.username", default=None)
    at = serializers.DateTimeField(source="created_at")


class TypologySerializer(serializers.Serializer):
    municipality = serializers.CharField()
    computed = ComputedTypeSerializer()
    override = OverrideSerializer(allow_null=True)
    effective_type = serializers.CharField(allow_null=True)
    can_override = serializers.BooleanField()


class OverrideInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=[("", "-"), *CityType.choices],
        help_text="The type to use instead of the computed one; empty withdraws.",
        allow_blank=True,
    )
    reason = serializers.CharField()


class MunicipalityTypologyView(WriteThrottleMixin, APIView):
    """The computed type with its reasons, and the staff override beside it.

    POST records an override (city editors of that city), with a reason."""

    write_throttle_scope = "propose"

    def _payload(self, request, municipality):
        typology = municipality_typology(municipality)
        return TypologySerializer(
            {
                "municipality": municipality.code,
                "computed": typology.computed.as_dict(),
                "override": typology.override
                if typology.override and typology.override.city_type
                else None,
                "effective_type": typology.effective_type,
                "can_override": request.user.has_perm(
                    "cities.override_typology", municipality
                ),
            }
        ).data

    @extend_schema(responses=TypologySerializer)
    def get(self, request, code: str):
        return Response(self._payload(request, municipality_or_404(code)))

    @extend_schema(request=OverrideInputSerializer, responses={201: TypologySerializer})
    def post(self, request, code: str):
        municipality = municipality_or_404(code)
        data = OverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        typology_override_set(
            actor=request.user,
            municipality=municipality,
            city_type=data.validated_data["type"],
            reason=data.validated_data["reason"],
        )
        return Response(
            self._payload(request, municipality), status=status.HTTP_201_CREATED
        )


class UrbanZonesView(APIView):
    """Urban zones of a census period as a GeoJSON FeatureCollection: one feature per
    zone (centre–periphery or network), members with their share of commuters going
    to the centre, and the flows between members."""

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description="Year; default the latest."),
            OpenApiParameter(
                "purpose",
                str,
                enum=["commute", "school", "both"],
                description="Flows to use; default commute.",
            ),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        periods = flow_periods()
        year = year_param(request, default=periods[0] if periods else None)
        purpose = request.query_params.get("purpose", "commute")
        purposes = {
            "commute": ("commute",),
            "school": ("school",),
            "both": ("commute", "school"),
        }.get(purpose)
        if purposes is None:
            raise ValidationError({"purpose": [_("commute, school or both.")]})
        if year is None:
            return Response(
                {"type": "FeatureCollection", "period": None, "features": []}
            )
        geojson = urban_zones_geojson(
            year=year, parameters=ZoneParameters(purposes=purposes)
        )
        geojson["periods"] = periods
        return Response(geojson)
