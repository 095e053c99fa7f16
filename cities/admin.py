from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from cities.models import (
    Indicator,
    MunicipalFlow,
    Municipality,
    MunicipalityGroup,
    Observation,
    TypologyOverride,
)
from cities.widgets import OfflineOSMWidget


class MapAdmin(GISModelAdmin):
    gis_widget = OfflineOSMWidget


class ObservationInline(admin.TabularInline):
    model = Observation
    extra = 0
    autocomplete_fields = ["indicator"]


@admin.register(Municipality)
class MunicipalityAdmin(MapAdmin):
    list_display = ["code", "name_ko", "name_en", "province", "kind"]
    list_filter = ["province", "kind", "groups"]
    search_fields = ["code", "name_ko", "name_en"]
    inlines = [ObservationInline]


@admin.register(MunicipalityGroup)
class MunicipalityGroupAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_ko", "name_en"]
    filter_horizontal = ["members"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ko", "name_en", "unit", "higher_is_better", "source"]
    search_fields = ["code", "name_ko", "name_en"]


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = ["municipality", "indicator", "year", "value", "is_illustrative"]
    list_filter = ["indicator", "year", "is_illustrative"]
    list_select_related = ["municipality", "indicator"]
    autocomplete_fields = ["municipality", "indicator"]


@admin.register(MunicipalFlow)
class MunicipalFlowAdmin(admin.ModelAdmin):
    list_display = ["origin", "destination", "year", "purpose", "count"]
    list_filter = ["year", "purpose", "is_illustrative"]
    list_select_related = ["origin", "destination"]
    autocomplete_fields = ["origin", "destination"]


@admin.register(TypologyOverride)
class TypologyOverrideAdmin(admin.ModelAdmin):
    """Read-only history: overrides are recorded through the API, which asks the
    rules who may override which city."""

    list_display = ["municipality", "city_type", "created_by", "created_at"]
    list_select_related = ["municipality", "created_by"]
    readonly_fields = [
        "municipality",
        "city_type",
        "reason",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False
