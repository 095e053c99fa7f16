"""Pages of the owner portal and the public listing (빈집은행).

An owner claims a space of the inventory (found by its address) or registers a
building not in it yet (placed on the map); the city's editors verify or reject the
claim on their city's claims page; a verified owner sets how the space is offered.
The listing shows offered spaces without anything of their owners.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cities.models import Municipality, SubMunicipality, in_current_language
from cities.views_support import municipality_or_404, query_without_page, refusal_shown
from core.ratelimit import WriteLimit
from renewal.forms import (
    ClaimDecisionForm,
    ListingFilterForm,
    MatchDeclineReasonForm,
    NewBuildingClaimForm,
    OwnershipEvidenceForm,
    OwnerSpaceForm,
)
from renewal.models import Availability, OwnershipClaim, SpaceKind, VacantSpace
from renewal.selectors.matching import match_list
from renewal.selectors.owners import (
    claimable_spaces,
    claims_of,
    listing_cities,
    listing_photos,
    listing_search,
    owned_spaces,
    owner_matches,
    pending_claims,
)
from renewal.services.owners import (
    owner_match_decline,
    owner_space_photo_add,
    owner_space_update,
    ownership_claim_decide,
    ownership_claim_submit,
    ownership_claim_withdraw,
)
from renewal.views.place_picker import place_picker_config

LISTING_PAGE_SIZE = 24
CLAIM_SEARCH_LIMIT = 20


def listing(request):
    """The public listing: offered spaces, filtered, with a "propose a project
    here" action each. Works without JavaScript."""
    cities = listing_cities()
    # Bound even when empty: no filter is required, so no filter lists everything.
    city_code = request.GET.get("city", "")
    areas = (
        list(
            SubMunicipality.objects.filter(municipality__code=city_code)
            .only("sgis_code", "name_ko", "name_en")
            .order_by("name_ko")
        )
        if city_code
        else []
    )
    form = ListingFilterForm(request.GET, cities=cities, areas=areas)
    rows = listing_search(form.filters()) if form.is_valid() else []
    page = Paginator(rows, LISTING_PAGE_SIZE).get_page(request.GET.get("page"))
    photos = listing_photos([row["id"] for row in page.object_list])
    spaces = [
        {
            **row,
            "photos": photos.get(row["id"], []),
            "kind_label": SpaceKind(row["kind"]).label,
            "availability_label": Availability(row["availability"]).label,
            "city_name": in_current_language(row["city_ko"], row["city_en"]),
        }
        for row in page.object_list
    ]
    return render(
        request,
        "renewal/listing.html",
        {
            "form": form,
            "page": page,
            "spaces": spaces,
            "query": query_without_page(request),
        },
    )


@login_required
def my_spaces(request):
    """An owner's spaces, claims and the offers made on their spaces."""
    return render(
        request,
        "renewal/my_spaces.html",
        {
            "spaces": owned_spaces(user=request.user),
            "claims": claims_of(user=request.user),
            "matches": owner_matches(user=request.user)[:50],
        },
    )


@login_required
def claim_start(request):
    """From "My spaces" to a city's claim page, by the city's name or code."""
    typed = " ".join(request.GET.get("city", "").split())
    city = (
        Municipality.objects.filter(
            Q(code=typed) | Q(name_ko=typed) | Q(name_en__iexact=typed)
        )
        .exclude(code="")
        .order_by("code")
        .first()
        if typed
        else None
    )
    if city is None:
        messages.error(request, _("No city or county of that name or code."))
        return redirect("renewal:my-spaces")
    return redirect("renewal:claim-space", city.code)


@login_required
def claim_space(request, code: str):
    """Find a space of the city by its address and claim it."""
    municipality = municipality_or_404(code)
    query = request.GET.get("q", "")
    form = OwnershipEvidenceForm(request.POST or None, request.FILES or None)
    limit = WriteLimit("claim", request)
    space = None
    if request.method == "POST":
        space = get_object_or_404(
            VacantSpace,
            pk=_int_or_404(request.POST.get("space")),
            municipality=municipality,
        )
        if form.is_valid():
            with refusal_shown(request, form=form), limit.counting():
                ownership_claim_submit(
                    actor=request.user,
                    municipality=municipality,
                    space=space,
                    **form.claim_data(),
                )
                messages.success(
                    request,
                    _("Your claim has been sent. The city will check it and tell you."),
                )
                return redirect("renewal:my-spaces")
    return render(
        request,
        "renewal/claim_space.html",
        {
            "municipality": municipality,
            "query": query,
            "results": claimable_spaces(
                municipality=municipality, query=query, limit=CLAIM_SEARCH_LIMIT
            ),
            "chosen": space,
            "form": form,
        },
        status=429 if limit.refused else (400 if request.method == "POST" else 200),
    )


def _int_or_404(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Http404 from None


@login_required
def claim_new_building(request, code: str):
    municipality = municipality_or_404(code, boundary=True)
    form = NewBuildingClaimForm(request.POST or None, request.FILES or None)
    limit = WriteLimit("claim", request)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form), limit.counting():
            ownership_claim_submit(
                actor=request.user,
                municipality=municipality,
                building=form.building(),
                **form.claim_data(),
            )
            messages.success(
                request,
                _("Your claim has been sent. The city will check it and tell you."),
            )
            return redirect("renewal:my-spaces")
    return render(
        request,
        "renewal/claim_new_building.html",
        {
            "municipality": municipality,
            "form": form,
            "picker_config": place_picker_config(
                municipality, point_text=_("Click on the map to place the building.")
            ),
        },
        status=429 if limit.refused else (400 if request.method == "POST" else 200),
    )


def _claim(request, pk: int) -> OwnershipClaim:
    claim = get_object_or_404(
        OwnershipClaim.objects.select_related("municipality", "space"), pk=pk
    )
    # Out of the user's sight: not found, rather than forbidden.
    if not request.user.has_perm("renewal.view_ownershipclaim", claim):
        raise Http404
    return claim


@login_required
@require_POST
def claim_withdraw(request, pk: int):
    claim = _claim(request, pk)
    with refusal_shown(request):
        ownership_claim_withdraw(actor=request.user, claim=claim)
        messages.success(request, _("Your claim has been withdrawn."))
    return redirect("renewal:my-spaces")


@login_required
def claim_document(request, pk: int):
    """The claim's evidence file, for its claimant and the city's staff only."""
    claim = _claim(request, pk)
    if not claim.document:
        raise Http404
    response = FileResponse(
        claim.document.open("rb"),
        content_type=claim.document_type or "application/octet-stream",
        as_attachment=True,
        filename=f"claim-{claim.pk}-document",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def claim_review(request, code: str):
    """The city's pending claims, each with its evidence and a verify / reject form."""
    municipality = municipality_or_404(code)
    if not request.user.has_perm("renewal.verify_ownershipclaim", municipality):
        raise PermissionDenied
    return render(
        request,
        "renewal/claim_review.html",
        {
            "municipality": municipality,
            "claims": pending_claims(municipality=municipality),
        },
    )


@login_required
@require_POST
def claim_decide(request, pk: int):
    claim = _claim(request, pk)
    form = ClaimDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to verify or to reject the claim."))
    else:
        verify = form.cleaned_data["decision"] == "verify"
        with refusal_shown(request):
            ownership_claim_decide(
                actor=request.user,
                claim=claim,
                verify=verify,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                _("The claim has been verified.")
                if verify
                else _("The claim has been rejected."),
            )
    return redirect("renewal:claim-review", claim.municipality.code)


@login_required
def owner_space_edit(request, pk: int):
    """A verified owner's page of their space: how it is offered, the consent."""
    space = get_object_or_404(
        VacantSpace.objects.select_related("owner", "municipality"), pk=pk
    )
    if not request.user.has_perm("renewal.change_space_as_owner", space):
        raise Http404
    owner = space.owner
    initial = {
        "availability": space.availability,
        "asking_rent_krw": space.asking_rent_krw,
        "asking_price_krw": space.asking_price_krw,
        "contact_channel": owner.contact_channel,
        "contact_consent": owner.contact_consent,
    }
    form = OwnerSpaceForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form), transaction.atomic():
            owner_space_update(actor=request.user, space=space, data=form.owner_data())
            if form.cleaned_data.get("photo"):
                owner_space_photo_add(
                    actor=request.user,
                    space=space,
                    upload=form.cleaned_data["photo"],
                    caption=form.cleaned_data.get("photo_caption", ""),
                )
            messages.success(request, _("Your space has been saved."))
            return redirect("renewal:owner-space", space.pk)
    return render(
        request,
        "renewal/owner_space.html",
        {
            "space": space,
            "form": form,
            "photos": listing_photos([space.pk]).get(space.pk, []),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def owner_match_decline_view(request, pk: int):
    match = get_object_or_404(match_list(user=request.user), pk=pk)
    form = MatchDeclineReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you decline, for the project and the city."))
    else:
        with refusal_shown(request):
            owner_match_decline(
                actor=request.user, match=match, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("You have declined the offer."))
    return redirect("renewal:match-detail", pk=match.pk)
