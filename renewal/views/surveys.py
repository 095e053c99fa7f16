"""Field survey pages: the surveyor's phone page (which keeps working offline, by
its service worker) and the city staff's pages for rounds and conflicts."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cities.views_support import municipality_or_404, refusal_shown
from renewal.forms import DomainErrorFormMixin
from renewal.models import (
    CONDITION_CHECKLISTS,
    HIGHEST_GRADE,
    GradingScheme,
    SpaceStatus,
    SurveyObservation,
    SurveyRoundStatus,
    VacancySign,
)
from renewal.models.surveys import ConditionRating
from renewal.rules import municipality_ids_with_permission
from renewal.selectors.surveys import (
    survey_candidate_space_ids,
    survey_conflicts,
    survey_round_areas,
    survey_round_get,
    survey_rounds_of,
    survey_rounds_of_city,
)
from renewal.services.surveys import (
    SURVEY_CACHE,
    SYNC_BATCH_MAX,
    survey_conflict_resolve,
    survey_conflict_values,
    survey_round_close,
    survey_round_spaces_assign,
    survey_round_start,
    survey_surveyor_assign,
)

MANAGE = "renewal.manage_survey_rounds"


@login_required
def survey_home(request):
    """My rounds; the cities whose rounds I run."""
    from cities.models import Municipality

    managed = Municipality.objects.filter(
        pk__in=municipality_ids_with_permission(user=request.user, permission=MANAGE)
    ).only("id", "code", "name_ko", "name_en")
    return render(
        request,
        "renewal/survey_home.html",
        {"rounds": survey_rounds_of(user=request.user), "managed": managed},
    )


def _app_strings() -> dict:
    """The sentences the phone page's script writes, in the page's language."""
    return {
        "downloaded": _("Downloaded %(count)s buildings."),
        "download_failed": _("The download failed: %(message)s"),
        "offline": _("You are offline. Records are kept on this phone."),
        "online": _("Online."),
        "queued": _("Queued"),
        "sent": _("Sent"),
        "conflict": _("Sent: the office changed this building; an editor decides."),
        "refused": _("Refused: %(message)s"),
        "record": _("Record"),
        "recorded": _("Recorded"),
        "saved": _("Saved on this phone. It is sent when you are online."),
        "syncing": _("Sending %(count)s records…"),
        "synced": _("All records are sent."),
        "sync_stopped": _(
            "Sending stopped: %(message)s. It resumes when you are online."
        ),
        "distance": _("%(metres)s m away"),
        "gps_failed": _("No position from GPS: %(message)s"),
        "gps_ok": _("Position from GPS (±%(metres)s m)."),
        "tap_ok": _("Position tapped on the map."),
        "building_ok": _("The building's recorded position."),
        "photos": _("%(count)s photos"),
        "no_package": _("Download the round before going out."),
        "building": _("Building"),
        "not_graded": _("This kind of building is not graded."),
    }


@login_required
def survey_app(request, pk: int):
    survey_round = survey_round_get(user=request.user, pk=pk)
    config = {
        "round": survey_round.pk,
        "package_url": reverse("survey-round-package", args=[survey_round.pk]),
        "sync_url": reverse("survey-round-observations", args=[survey_round.pk]),
        "photos_url": reverse("survey-round-observations", args=[survey_round.pk])
        + "{client_id}/photos/",
        "worker_url": reverse("renewal:survey-worker"),
        "scope": reverse("renewal:survey-home"),
        "batch": SYNC_BATCH_MAX,
        "cache": SURVEY_CACHE,
        "strings": _app_strings(),
    }
    return render(
        request,
        "renewal/survey_app.html",
        {
            "survey_round": survey_round,
            "config": config,
            "may_survey": request.user.has_perm("renewal.survey_round", survey_round),
            "signs": VacancySign.choices,
            "checklist": CONDITION_CHECKLISTS[survey_round.grading_scheme],
            "ratings": ConditionRating.choices,
            "grades": range(1, HIGHEST_GRADE[survey_round.grading_scheme] + 1),
        },
    )


def survey_worker(request):
    """The service worker, served under /<lang>/survey/ so that its scope covers the
    survey pages; the assets it keeps offline are named with their static URLs."""
    from django.templatetags.static import static

    assets = [
        static(name)
        for name in (
            "vendor/krds-uiux-1.1.0/css/krds_tokens.css",
            "css/krds.css",
            "css/site.css",
            "css/survey.css",
            "vendor/leaflet-1.9.4/leaflet.css",
            "vendor/leaflet-1.9.4/leaflet.js",
            "vendor/leaflet-1.9.4/images/marker-icon.png",
            "vendor/leaflet-1.9.4/images/marker-icon-2x.png",
            "vendor/leaflet-1.9.4/images/marker-shadow.png",
            "js/survey/store.js",
            "js/survey/app.js",
        )
    ]
    body = render_to_string(
        "renewal/survey_sw.js", {"assets": assets, "cache": SURVEY_CACHE}
    )
    response = HttpResponse(body, content_type="application/javascript")
    # A new version of the worker is picked up on the next visit, not a day later.
    response["Cache-Control"] = "no-cache"
    return response


# Staff pages.


class SurveyRoundForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    grading_scheme = forms.ChoiceField(
        label=gettext_lazy("Grading scheme"), choices=GradingScheme.choices
    )
    starts_on = forms.DateField(
        label=gettext_lazy("Starts on"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends on"), widget=forms.DateInput(attrs={"type": "date"})
    )


def _managed_city(request, code: str):
    municipality = municipality_or_404(code)
    if not request.user.has_perm(MANAGE, municipality):
        raise PermissionDenied
    return municipality


@login_required
def survey_rounds_page(request, code: str):
    municipality = _managed_city(request, code)
    form = SurveyRoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            survey_round = survey_round_start(
                actor=request.user, municipality=municipality, data=form.cleaned_data
            )
            messages.success(request, _("The survey round is created."))
            return redirect("renewal:survey-round-manage", pk=survey_round.pk)
    return render(
        request,
        "renewal/survey_rounds.html",
        {
            "municipality": municipality,
            "rounds": survey_rounds_of_city(municipality=municipality),
            "form": form,
        },
    )


@login_required
def survey_round_manage(request, pk: int):
    survey_round = survey_round_get(user=request.user, pk=pk)
    if not request.user.has_perm(MANAGE, survey_round):
        raise PermissionDenied
    if request.method == "POST":
        action = request.POST.get("action")
        with refusal_shown(request):
            if action == "assign":
                assignment = survey_surveyor_assign(
                    actor=request.user,
                    survey_round=survey_round,
                    username=request.POST.get("username", ""),
                )
                messages.success(
                    request,
                    _("%(name)s surveys this round.")
                    % {"name": assignment.surveyor.get_username()},
                )
            elif action == "spaces":
                statuses = request.POST.getlist("status") or [SpaceStatus.REPORTED]
                codes = request.POST.getlist("area")
                areas = (
                    survey_round_areas(
                        municipality=survey_round.municipality, codes=codes
                    )
                    if codes
                    else None
                )
                ids = survey_candidate_space_ids(
                    municipality=survey_round.municipality,
                    statuses=statuses,
                    areas=areas,
                )
                added = survey_round_spaces_assign(
                    actor=request.user,
                    survey_round=survey_round,
                    space_ids=ids,
                    areas=areas,
                )
                messages.success(
                    request,
                    _("%(count)s spaces added to the round.") % {"count": added},
                )
            elif action == "close":
                survey_round_close(actor=request.user, survey_round=survey_round)
                messages.success(request, _("The round is closed."))
        return redirect("renewal:survey-round-manage", pk=survey_round.pk)
    return render(
        request,
        "renewal/survey_round_manage.html",
        {
            "survey_round": survey_round,
            "municipality": survey_round.municipality,
            "surveyors": survey_round.assignments.select_related("surveyor"),
            "space_count": survey_round.round_spaces.count(),
            "statuses": SpaceStatus.choices,
            "areas": survey_round_areas(municipality=survey_round.municipality).only(
                "sgis_code", "name_ko", "name_en"
            ),
            "is_open": survey_round.status == SurveyRoundStatus.OPEN,
        },
    )


@login_required
def survey_conflicts_page(request, code: str):
    municipality = municipality_or_404(code)
    if not request.user.has_perm("renewal.resolve_survey_conflict", municipality):
        raise PermissionDenied
    conflicts = [
        (observation, survey_conflict_values(observation))
        for observation in survey_conflicts(municipality=municipality)[:50]
    ]
    return render(
        request,
        "renewal/survey_conflicts.html",
        {"municipality": municipality, "conflicts": conflicts},
    )


@login_required
@require_POST
def survey_conflict_decide(request, pk: int):
    observation = get_object_or_404(
        SurveyObservation.objects.select_related("municipality"), pk=pk
    )
    if not request.user.has_perm("renewal.resolve_survey_conflict", observation):
        raise PermissionDenied
    with refusal_shown(request):
        survey_conflict_resolve(
            actor=request.user,
            observation=observation,
            keep=request.POST.get("keep", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("Decided. The observation stays as evidence."))
    return redirect("renewal:survey-conflicts", code=observation.municipality.code)
