"""Back office for city and organisation staff.

Lists show only records of the user's own cities; every add, change and view is asked
of renewal/rules.py, the same rules the API uses.
"""

from django.contrib import admin
from django.db.models import Q
from rules.contrib.admin import ObjectPermissionsModelAdmin

from cities.admin import MapAdmin
from renewal.models import (
    BusinessImprovementDistrict,
    CityMembership,
    CommunityOrganization,
    InventoryChange,
    NeighborhoodResource,
    OrganizationMembership,
    SpaceOwner,
    VacancyEvidence,
    VacantSpace,
)
from renewal.rules import city_roles, organization_ids


class CityScopedAdmin(ObjectPermissionsModelAdmin, MapAdmin):
    def get_queryset(self, request):
        records = super().get_queryset(request).select_related("municipality")
        if request.user.is_superuser:
            return records
        return records.filter(municipality_id__in=city_roles(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "municipality" and not request.user.is_superuser:
            from cities.models import Municipality

            editable = [
                pk for pk, role in city_roles(request.user).items() if role == "editor"
            ]
            kwargs["queryset"] = Municipality.objects.filter(pk__in=editable)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SpaceOwnerInline(admin.StackedInline):
    model = SpaceOwner
    extra = 0


class VacancyEvidenceInline(admin.TabularInline):
    model = VacancyEvidence
    extra = 0


@admin.register(VacantSpace)
class VacantSpaceAdmin(CityScopedAdmin):
    list_display = [
        "id",
        "kind",
        "address",
        "municipality",
        "status",
        "grade",
        "availability",
    ]
    list_filter = ["status", "kind", "availability", "grading_scheme", "in_downtown"]
    search_fields = ["address", "external_id"]
    # The lifecycle changes through transitions, which check and record it.
    # in_downtown is the database's answer from the downtown polygon (migration 0008).
    readonly_fields = [
        "status",
        "in_downtown",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [SpaceOwnerInline, VacancyEvidenceInline]


@admin.register(NeighborhoodResource)
class NeighborhoodResourceAdmin(CityScopedAdmin):
    list_display = ["name", "category", "municipality"]
    list_filter = ["category"]
    search_fields = ["name"]


@admin.register(CommunityOrganization)
class CommunityOrganizationAdmin(CityScopedAdmin):
    list_display = ["name", "kind", "municipality", "verified"]
    list_filter = ["kind", "verified"]
    search_fields = ["name"]

    def get_queryset(self, request):
        # Organisation staff also see their own organisation, whatever its city.
        records = CommunityOrganization.objects.select_related("municipality")
        if request.user.is_superuser:
            return records
        return records.filter(
            Q(municipality_id__in=city_roles(request.user))
            | Q(pk__in=organization_ids(request.user))
        )


@admin.register(InventoryChange)
class InventoryChangeAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "action",
        "content_type",
        "object_id",
        "actor",
        "municipality",
    ]
    list_filter = ["action", "content_type"]
    readonly_fields = [f.name for f in InventoryChange._meta.fields]

    def get_queryset(self, request):
        records = (
            super()
            .get_queryset(request)
            .select_related("actor", "content_type", "municipality")
        )
        if request.user.is_superuser:
            return records
        return records.filter(municipality_id__in=city_roles(request.user))

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("renewal.view_inventory_history", obj)

    def has_module_permission(self, request):
        return request.user.has_perm("renewal.view_inventory_history")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BusinessImprovementDistrict)
class BusinessImprovementDistrictAdmin(CityScopedAdmin):
    list_display = ["name", "municipality", "status", "term_start", "term_end"]
    list_filter = ["status"]
    search_fields = ["name"]


admin.site.register(CityMembership)
admin.site.register(OrganizationMembership)
