from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from cities.models import Municipality


class MunicipalitySerializer(GeoFeatureModelSerializer):
    """A municipality as a GeoJSON Feature at its seat (city or county hall)."""

    name = serializers.CharField(
        read_only=True, help_text="Name in the request language."
    )
    groups = serializers.SerializerMethodField()
    population = serializers.IntegerField(read_only=True, allow_null=True)
    population_year = serializers.IntegerField(read_only=True, allow_null=True)
    population_change_pct = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Change since the previous census, in percent.",
    )
    has_downtown = serializers.BooleanField(read_only=True)

    class Meta:
        model = Municipality
        geo_field = "location"
        id_field = "code"
        fields = [
            "code",
            "former_codes",
            "sgis_code",
            "name",
            "name_ko",
            "name_en",
            "province",
            "kind",
            "groups",
            "population",
            "population_year",
            "population_change_pct",
            "has_downtown",
            "location_source",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_groups(self, municipality: Municipality) -> list[str]:
        return [group.slug for group in municipality.groups.all()]
