"""Back office for city and organisation staff.

Lists show only records of the user's own cities; every add, change and view is asked
of renewal/rules.py, the same rules the API uses. Vacant spaces are written through
the space services, as on the pages and the API. Resources, organisations and
districts are read-only here: their pages and API write them through services that
check what the admin could not (an organisation's kind and verification are the
city's decision, a district's boundary and lifecycle), so a second way to write them
would be a way around those checks.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rules.contrib.admin import ObjectPermissionsModelAdmin

from cities.admin import MapAdmin
from cities.models import Municipality
from core.errors import DomainError
from renewal.models import (
    BusinessImprovementDistrict,
    CityMembership,
    CommunityOrganization,
    InventoryChange,
    NeighborhoodResource,
    OrganizationMembership,
    OwnershipClaim,
    SpaceOwner,
    SpacePhoto,
    SurveyObservation,
    SurveyRound,
    VacancyEvidence,
    VacantSpace,
)
from renewal.models.spaces import SPACE_OWNER_FIELDS, SPACE_TRACKED_FIELDS
from renewal.rules import municipality_ids_with_permission, organization_ids
from renewal.services.photos import space_photo_publish
from renewal.services.spaces import (
    vacant_space_check,
    vacant_space_register,
    vacant_space_update,
)


def _permission(model_admin: admin.ModelAdmin, action: str) -> str:
    return f"{model_admin.opts.app_label}.{action}_{model_admin.opts.model_name}"


class CityScopedAdmin(ObjectPermissionsModelAdmin, MapAdmin):
    def get_queryset(self, request):
        records = super().get_queryset(request).select_related("municipality")
        if request.user.is_superuser:
            return records
        return records.filter(
            municipality_id__in=municipality_ids_with_permission(
                user=request.user, permission=_permission(self, "view")
            )
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "municipality" and not request.user.is_superuser:
            kwargs["queryset"] = Municipality.objects.filter(
                pk__in=municipality_ids_with_permission(
                    user=request.user, permission=_permission(self, "add")
                )
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class NoWritesMixin:
    """Shown to those who may view, written only through the services' pages and API."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWritesMixin, CityScopedAdmin):
    pass


class SpaceOwnerInline(admin.StackedInline):
    model = SpaceOwner
    extra = 0
    max_num = 1
    # Clearing the fields removes the details; the record stays for the history.
    can_delete = False


class VacancyEvidenceInline(admin.TabularInline):
    model = VacancyEvidence
    extra = 0


class VacantSpaceAdminForm(forms.ModelForm):
    class Meta:
        model = VacantSpace
        fields = ["municipality", *SPACE_TRACKED_FIELDS]

    def _post_clean(self):
        super()._post_clean()
        if self._errors:
            return
        # The services' own check, so that a refusal shows on the form with the
        # values typed; saving checks again under the row lock.
        try:
            vacant_space_check(self.instance)
        except DomainError as refused:
            self.add_error(None, str(refused.message))
            for name, errors in refused.fields.items():
                if name in self.fields:
                    for error in errors:
                        self.add_error(name, str(error))


@admin.register(VacantSpace)
class VacantSpaceAdmin(CityScopedAdmin):
    form = VacantSpaceAdminForm
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

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A space never moves to another city (the services refuse it).
        return [*fields, "municipality"] if obj is not None else fields

    def has_delete_permission(self, request, obj=None):
        # A space leaves the inventory by retiring, which its history records.
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The admin saves inside one transaction: a refusal by the services (such
        # as a change made meanwhile that breaks a rule) undoes the whole save.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refused:
            self.message_user(request, str(refused.message), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        # Written in save_related, once the owner inline's values are known too:
        # one service call, one history entry for the whole edit.
        pass

    def save_related(self, request, form, formsets, change):
        space = form.instance
        owner = None
        for formset in formsets:
            if formset.model is SpaceOwner:
                owner = self._owner_data(formset)
        if change:
            data = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in SPACE_TRACKED_FIELDS
            }
            vacant_space_update(actor=request.user, space=space, data=data, owner=owner)
        else:
            data = {
                name: value
                for name, value in form.cleaned_data.items()
                if name in SPACE_TRACKED_FIELDS
            }
            created = vacant_space_register(
                actor=request.user,
                municipality=form.cleaned_data["municipality"],
                data=data,
                owner=owner,
            )
            # The admin logs and redirects to the object it built from the form.
            space.pk = created.pk
            space._state.adding = False
        for formset in formsets:
            if formset.model is SpaceOwner:
                # Saved by the service above; the admin's change message reads these.
                formset.new_objects = formset.changed_objects = []
                formset.deleted_objects = []
            else:
                self.save_formset(request, form, formset, change=change)

    @staticmethod
    def _owner_data(formset) -> dict | None:
        changed = [
            owner_form for owner_form in formset.forms if owner_form.has_changed()
        ]
        if not changed:
            return None
        return {
            name: changed[0].cleaned_data.get(name, "") for name in SPACE_OWNER_FIELDS
        }


@admin.register(NeighborhoodResource)
class NeighborhoodResourceAdmin(ReadOnlyAdmin):
    list_display = ["name", "category", "municipality"]
    list_filter = ["category"]
    search_fields = ["name"]


@admin.register(CommunityOrganization)
class CommunityOrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "municipality", "verified"]
    list_filter = ["kind", "verified"]
    search_fields = ["name"]

    def get_queryset(self, request):
        # Organisation staff also see their own organisation, whatever its city.
        records = CommunityOrganization.objects.select_related("municipality")
        if request.user.is_superuser:
            return records
        return records.filter(
            Q(
                municipality_id__in=municipality_ids_with_permission(
                    user=request.user, permission=_permission(self, "view")
                )
            )
            | Q(pk__in=organization_ids(request.user))
        )


@admin.register(InventoryChange)
class InventoryChangeAdmin(NoWritesMixin, admin.ModelAdmin):
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
        return records.filter(
            municipality_id__in=municipality_ids_with_permission(
                user=request.user, permission="renewal.view_inventory_history"
            )
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("renewal.view_inventory_history", obj)

    def has_module_permission(self, request):
        return request.user.has_perm("renewal.view_inventory_history")


@admin.register(SpacePhoto)
class SpacePhotoAdmin(NoWritesMixin, admin.ModelAdmin):
    """Read-only: photos arrive through the upload services, which check the file
    and keep nothing half-stored. Publishing goes through its service too."""

    list_display = ["id", "space", "source", "is_published", "processed_at"]
    list_filter = ["source", "is_published"]
    list_select_related = ["space"]
    fields = [
        "space",
        "source",
        "caption",
        "is_published",
        "files",
        "taken_at",
        "location",
        "width",
        "height",
        "content_sha256",
        "client_id",
        "processed_at",
        "uploaded_by",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["publish", "withdraw"]

    def get_queryset(self, request):
        photos = super().get_queryset(request).select_related("space", "uploaded_by")
        if request.user.is_superuser:
            return photos
        return photos.filter(
            space__municipality_id__in=municipality_ids_with_permission(
                user=request.user, permission="renewal.view_spacephoto_original"
            )
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("renewal.view_spacephoto_original", obj)

    def has_module_permission(self, request):
        return request.user.has_perm("renewal.view_spacephoto_original")

    @admin.display(description=_("files"))
    def files(self, photo):
        # The files are served by views that ask the rules, never by a file URL.
        original = reverse("space-photo-original", args=[photo.pk])
        if photo.processed_at is None:
            return format_html('<a href="{}">{}</a>', original, _("original"))
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            original,
            _("original"),
            reverse("space-photo-file", args=[photo.pk, "image"]),
            _("published image"),
        )

    def _publish(self, request, queryset, published: bool):
        for photo in queryset:
            try:
                space_photo_publish(
                    actor=request.user, photo=photo, published=published
                )
            except DomainError as refusal:
                self.message_user(request, str(refusal.message), messages.ERROR)
                return

    @admin.action(description=_("Publish the selected photos"))
    def publish(self, request, queryset):
        self._publish(request, queryset, True)

    @admin.action(description=_("Withdraw the selected photos from publication"))
    def withdraw(self, request, queryset):
        self._publish(request, queryset, False)


@admin.register(BusinessImprovementDistrict)
class BusinessImprovementDistrictAdmin(ReadOnlyAdmin):
    list_display = ["name", "municipality", "status", "term_start", "term_end"]
    list_filter = ["status"]
    search_fields = ["name"]


admin.site.register(CityMembership)
admin.site.register(OrganizationMembership)


@admin.register(OwnershipClaim)
class OwnershipClaimAdmin(ReadOnlyAdmin):
    """Claims are decided on the city's claims page, which records the reason and
    tells the claimant; the document is handed out there, never by a file URL."""

    list_display = ["id", "municipality", "space", "address", "status", "created_at"]
    list_filter = ["status", "evidence"]
    list_select_related = ["municipality", "space"]
    exclude = ["document"]


class SurveyAdminMixin(NoWritesMixin):
    """Rounds are run on the city's survey pages; observations arrive by sync, and a
    conflict is decided on the conflicts page. Shown to the city's staff."""

    permission = "renewal.view_survey_round"

    def get_queryset(self, request):
        records = super().get_queryset(request).select_related("municipality")
        if request.user.is_superuser:
            return records
        return records.filter(
            municipality_id__in=municipality_ids_with_permission(
                user=request.user, permission=self.permission
            )
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(
            self.permission, obj.municipality if obj is not None else None
        )

    def has_module_permission(self, request):
        return request.user.has_perm(self.permission)


@admin.register(SurveyRound)
class SurveyRoundAdmin(SurveyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "municipality", "status", "starts_on", "ends_on"]
    list_filter = ["status"]
    exclude = ["area"]


@admin.register(SurveyObservation)
class SurveyObservationAdmin(SurveyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "round", "space", "surveyor", "state", "received_at"]
    list_filter = ["state"]
    list_select_related = ["round", "space", "surveyor", "municipality"]
    exclude = ["location"]
