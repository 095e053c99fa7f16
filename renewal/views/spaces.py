"""Pages of the vacant-space inventory: a map, an accessible list, detail and staff
forms. Reads go through `vacant_space_list`, writes through the services, and every
permission is asked of the rules, as the API does."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cities.models import Municipality
from cities.views_support import (
    detail_url_template,
    geojson,
    municipality_or_404,
    query_without_page,
    refusal_shown,
)
from renewal.forms import VacantSpaceForm, VacantSpacePageFilter
from renewal.models import (
    Availability,
    GradingScheme,
    InventoryChange,
    SpaceKind,
    SpaceOwner,
    SpaceStatus,
    VacantSpace,
)
from renewal.models.spaces import SPACE_TRACKED_FIELDS
from renewal.selectors.photos import ORIGINAL_PERMISSION, space_photos_for
from renewal.selectors.spaces import vacant_space_list
from renewal.services.spaces import (
    allowed_space_transitions,
    legal_vacancy_status,
    vacant_space_register,
    vacant_space_transition,
    vacant_space_update,
)
from renewal.views.place_picker import place_picker_config

LIST_PAGE_SIZE = 50


def _page_filter(request, municipality: Municipality) -> VacantSpacePageFilter:
    return VacantSpacePageFilter(
        request.GET or None,
        queryset=vacant_space_list(user=request.user).filter(municipality=municipality),
        request=request,
    )


def space_map(request, code: str):
    """Only the visible part of the map is fetched from the API (space-map.js); the
    filter form also works without JavaScript and hands over to the list."""
    municipality = municipality_or_404(code)
    filterset = _page_filter(request, municipality)
    config = {
        "apiUrl": reverse("space-list"),
        "detailApiUrl": detail_url_template("space-detail"),
        "detailUrl": detail_url_template("renewal:space-detail"),
        "city": municipality.code,
        "center": [municipality.location.y, municipality.location.x],
        "downtown": geojson(municipality.downtown),
        "labels": {
            "kind": dict(SpaceKind.choices),
            "status": dict(SpaceStatus.choices),
            "availability": dict(Availability.choices),
        },
        "text": {
            "details": _("Details"),
            "floorArea": _("Floor area"),
            "owner": _("Owner"),
            "loading": _("Loading…"),
            "failed": _("The spaces could not be loaded."),
            "shown": _("%(shown)s of %(count)s matching spaces in this view."),
            "shownMore": _(
                "%(shown)s of more than %(count)s matching spaces in this view."
            ),
            "zoomIn": _("Zoom in to see all of them."),
        },
    }
    return render(
        request,
        "renewal/space_map.html",
        {
            "municipality": municipality,
            "filterset": filterset,
            # Without JavaScript the page still says how many spaces match.
            "count": filterset.qs.count(),
            "query": query_without_page(request),
            "map_config": config,
            "can_add": request.user.has_perm("renewal.add_vacantspace", municipality),
        },
    )


def space_list(request, code: str):
    """The map's content as a table, for people who cannot use a map."""
    municipality = municipality_or_404(code)
    filterset = _page_filter(request, municipality)
    page = Paginator(filterset.qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "renewal/space_list.html",
        {
            "municipality": municipality,
            "filterset": filterset,
            "page": page,
            "query": query_without_page(request),
            "can_add": request.user.has_perm("renewal.add_vacantspace", municipality),
            "can_bulk_change": request.user.has_perm(
                "renewal.change_vacantspace", municipality
            ),
            "statuses": SpaceStatus.choices,
            "grading_schemes": GradingScheme.choices,
        },
    )


def _space(request, pk: int) -> VacantSpace:
    return get_object_or_404(vacant_space_list(user=request.user), pk=pk)


def _owner_of(space: VacantSpace) -> SpaceOwner | None:
    try:
        return space.owner
    except SpaceOwner.DoesNotExist:
        return None


def _photo_events() -> dict[str, str]:
    return {
        "added": _("added"),
        "published": _("published"),
        "unpublished": _("withdrawn from publication"),
        "deleted": _("deleted"),
    }


def _change_lines(changes: dict) -> list[tuple[str, str]]:
    """(field label, "old → new") for one history entry, for people to read."""
    lines = []
    for name, change in changes.items():
        if name == "photo" and isinstance(change, dict):
            # A photo's events (renewal/services/photos.py): {"id", "event"}.
            label = _("Photo #%(id)s") % {"id": change.get("id")}
            event = change.get("event", "")
            lines.append((label, _photo_events().get(event, event)))
            continue
        choices = {}
        if name in SPACE_TRACKED_FIELDS:
            field = VacantSpace._meta.get_field(name)
            label = str(field.verbose_name)
            # A kind or a status is read by its name in the page's language.
            choices = dict(field.flatchoices) if field.choices else {}
        else:
            label = _("owner details") if name == "owner" else name
        if name in ("location", "footprint") or not isinstance(change, list):
            text = _("changed")
        else:
            old, new = (
                "—" if value in (None, "") else str(choices.get(value, value))
                for value in change
            )
            text = f"{old} → {new}"
        lines.append((label, text))
    return lines


def space_detail(request, pk: int):
    space = _space(request, pk)
    user = request.user
    owner = None
    can_see_owner = user.has_perm("renewal.view_space_personal_data", space)
    if can_see_owner:
        owner = _owner_of(space)
    history = None
    if user.has_perm("renewal.view_inventory_history", space):
        history = [
            (entry, _change_lines(entry.changes))
            for entry in InventoryChange.objects.filter(
                content_type=ContentType.objects.get_for_model(VacantSpace),
                object_id=space.pk,
            ).select_related("actor")
        ]
    return render(
        request,
        "renewal/space_detail.html",
        {
            "space": space,
            "municipality": space.municipality,
            "evidence": space.evidence.select_related("recorded_by"),
            "can_see_owner": can_see_owner,
            "owner": owner,
            "history": history,
            "transitions": [
                SpaceStatus(status)
                for status in allowed_space_transitions(user=user, space=space)
            ],
            "can_edit": user.has_perm("renewal.change_vacantspace", space),
            "legal_vacancy": legal_vacancy_status(space),
            "location_geojson": geojson(space.location),
            "photos": [
                (
                    photo,
                    user.has_perm("renewal.publish_spacephoto", photo),
                    user.has_perm("renewal.delete_spacephoto", photo),
                    user.has_perm(ORIGINAL_PERMISSION, photo),
                )
                for photo in space_photos_for(user, space)
            ],
            "can_add_photo": user.has_perm("renewal.add_spacephoto", space),
            "photo_max_bytes": settings.SPACE_PHOTO_MAX_BYTES,
        },
    )


@login_required
@require_POST
def space_transition(request, pk: int):
    space = _space(request, pk)
    with refusal_shown(request):
        space = vacant_space_transition(
            actor=request.user,
            space=space,
            to=request.POST.get("to", ""),
            reason=request.POST.get("reason", "").strip(),
        )
        messages.success(
            request,
            _("The space is now “%(status)s”.")
            % {"status": SpaceStatus(space.status).label},
        )
    return redirect("renewal:space-detail", pk=space.pk)


def _form_page(request, *, form, municipality, space=None):
    return render(
        request,
        "renewal/space_form.html",
        {
            "form": form,
            "municipality": municipality,
            "space": space,
            "picker_config": place_picker_config(
                municipality, point_text=_("Click on the map to place the space.")
            ),
        },
    )


@login_required
def space_create(request, code: str):
    # The service checks the location against the boundary.
    municipality = municipality_or_404(code, boundary=True)
    if not request.user.has_perm("renewal.add_vacantspace", municipality):
        raise PermissionDenied
    form = VacantSpaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        owner = form.owner_data()
        with refusal_shown(request, form=form):
            space = vacant_space_register(
                actor=request.user,
                municipality=municipality,
                data=form.space_data(),
                owner=owner if any(owner.values()) else None,
            )
            messages.success(request, _("The space has been registered."))
            return redirect("renewal:space-detail", pk=space.pk)
    return _form_page(request, form=form, municipality=municipality)


@login_required
def space_edit(request, pk: int):
    space = _space(request, pk)
    if not request.user.has_perm("renewal.change_vacantspace", space):
        raise PermissionDenied
    if not request.user.has_perm("renewal.view_space_personal_data", space):
        # Editing owner fields one cannot read would overwrite them blind.
        raise PermissionDenied
    form = VacantSpaceForm(request.POST or None, space=space)
    if request.method == "POST" and form.is_valid():
        owner = form.owner_data()
        if not any(owner.values()) and _owner_of(space) is None:
            owner = None  # no empty owner record for a space that never had one
        with refusal_shown(request, form=form):
            vacant_space_update(
                actor=request.user, space=space, data=form.space_data(), owner=owner
            )
            messages.success(request, _("The space has been saved."))
            return redirect("renewal:space-detail", pk=space.pk)
    return _form_page(request, form=form, municipality=space.municipality, space=space)
