"""Matching pages: a project's candidate spaces with their explained scores, the
city's assignment runs with the proposed pairs, and a match's page where the
project answers an offer.

The candidate panel is shown to everyone who may see the project, as the candidates
API is: it names available spaces of the public inventory and explains their scores,
and holds no owner data (owners are not read by the candidate query at all). The
assignment pages are for those who may run assignments (city editors): they start
runs and offer matches there. A match's page is for the city's staff and the
project's proposer and lead organisation (renewal.view_match).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models.functions import PointOnSurface
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cities.models import Municipality
from cities.views_support import (
    detail_url_template,
    geojson,
    municipality_or_404,
    refusal_shown,
)
from renewal.forms import MatchingSettingsForm, UseAgreementForm
from renewal.models import (
    AgreementKind,
    Availability,
    Match,
    MatchStatus,
    RenewalProject,
    RunStatus,
    SpaceKind,
    UseAgreement,
)
from renewal.models.matching import MATCHING_SETTINGS_FIELDS
from renewal.selectors.matching import (
    CITY_MATCHING_PERMISSION,
    PREVIEW_PROJECTS,
    NotACandidateStatus,
    assignment_run_list,
    match_candidates,
    match_candidates_compared,
    match_list,
    preview_projects,
)
from renewal.services.matching.matches import (
    allowed_match_actions,
    match_accept,
    match_activate,
    match_decline,
    match_end,
    match_offer,
)
from renewal.services.matching.runs import assignment_run_start
from renewal.services.matching.scoring import SPACE_COMPONENTS
from renewal.services.matching.settings import (
    matching_settings_of,
    matching_settings_update,
    matching_settings_validate,
)
from renewal.services.owners import owner_contact_for

CANDIDATES_SHOWN = 10
RUNS_SHOWN = 50
# A city run proposes at most one pair per open project: hundreds, not thousands.
PAIRS_SHOWN = 1000
COMPONENT_LABELS = {
    "kind": gettext_lazy("Kind"),
    "size": gettext_lazy("Size"),
    "distance": gettext_lazy("Distance"),
    "condition": gettext_lazy("Condition"),
    "availability": gettext_lazy("Availability"),
    "cost": gettext_lazy("Cost"),
    "downtown": gettext_lazy("Downtown bonus"),
}
STEPS = {
    "offer": match_offer,
    "decline": match_decline,
    "activate": match_activate,
    "end": match_end,
}
STEP_DONE = {
    "offer": gettext_lazy("The space has been offered to the project."),
    "decline": gettext_lazy("The match has been declined."),
    "activate": gettext_lazy("The space is now in use."),
    "end": gettext_lazy("The match has ended; the space is available again."),
}


def _components(breakdown: dict) -> list[dict]:
    """The breakdown in the documented order, labelled, for a table row."""
    return [
        {
            "name": name,
            "label": COMPONENT_LABELS[name],
            "score": breakdown[name]["score"],
            "weight": breakdown[name]["weight"],
        }
        for name in SPACE_COMPONENTS
        if name in breakdown
    ]


def candidate_panel_context(project: RenewalProject, user) -> dict:
    """Context of renewal/project_candidates_panel.html: the project's best candidate
    spaces with the breakdown of their scores, the map's data, and the matches of
    the project the user may see."""
    # The selector decides which projects have candidates, for the API as here.
    try:
        candidates = match_candidates(
            project=project, kind="space", limit=CANDIDATES_SHOWN
        )
    except NotACandidateStatus:
        candidates, shown = [], False
    else:
        shown = True
    rows = []
    for rank, candidate in enumerate(candidates, start=1):
        rows.append(
            {
                "rank": rank,
                "id": candidate["id"],
                "kind": SpaceKind(candidate["space_kind"]).label,
                "address": candidate.get("address") or "",
                "distance_m": candidate["distance_m"],
                "score": candidate["score"],
                "components": _components(candidate["breakdown"]),
            }
        )
    columns = [
        {"label": component["label"], "weight": component["weight"]}
        for component in (rows[0]["components"] if rows else [])
    ]
    map_config = {
        "place": geojson(project.place),
        "detailUrl": detail_url_template("renewal:space-detail"),
        "text": {"project": _("The project"), "score": _("Score")},
        "candidates": [
            {
                "rank": rank,
                "id": candidate["id"],
                "label": f"{SpaceKind(candidate['space_kind']).label} "
                f"#{candidate['id']}",
                "score": candidate["score"],
                "lon": candidate["location"]["coordinates"][0],
                "lat": candidate["location"]["coordinates"][1],
            }
            for rank, candidate in enumerate(candidates, start=1)
        ],
    }
    return {
        "candidate_panel": {
            "shown": shown,
            "rows": rows,
            "columns": columns,
            "map_config": map_config,
            "matches": list(
                match_list(user=user)
                .filter(project=project)
                .exclude(status=MatchStatus.SUGGESTED)
            )
            if user.is_authenticated
            else [],
            "can_run": user.has_perm("renewal.run_assignment", project.municipality),
        }
    }


def _may_run(user, municipality: Municipality) -> None:
    if not user.has_perm("renewal.run_assignment", municipality):
        raise PermissionDenied


@login_required
def assignment_runs(request, code: str):
    """The city's runs, newest first, and the button that starts one."""
    municipality = municipality_or_404(code)
    _may_run(request.user, municipality)
    runs = assignment_run_list(user=request.user).filter(municipality=municipality)
    return render(
        request,
        "renewal/assignment_runs.html",
        {"municipality": municipality, "runs": runs[:RUNS_SHOWN]},
    )


@login_required
@require_POST
def assignment_run_create(request, code: str):
    municipality = municipality_or_404(code)
    with refusal_shown(request):
        run = assignment_run_start(actor=request.user, municipality=municipality)
        messages.success(request, _("The assignment run has been started."))
        return redirect("renewal:assignment-run-detail", pk=run.pk)
    return redirect("renewal:assignment-runs", code=municipality.code)


@login_required
def matching_settings(request, code: str):
    """The city's matching weights and scales: its staff read them, its editors
    change them (a change re-runs the city's assignment)."""
    municipality = municipality_or_404(code)
    if not request.user.has_perm(CITY_MATCHING_PERMISSION, municipality):
        raise Http404
    may_change = request.user.has_perm("renewal.change_matchingsettings", municipality)
    current = matching_settings_of(municipality)
    status = 200
    preview = None
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if "preview" in request.POST:
            form, preview, status = _settings_preview(request, municipality, current)
        else:
            form = MatchingSettingsForm(request.POST, instance=current)
            if form.is_valid():
                with refusal_shown(request, form=form):
                    matching_settings_update(
                        actor=request.user,
                        municipality=municipality,
                        data={
                            name: form.cleaned_data[name]
                            for name in MATCHING_SETTINGS_FIELDS
                        },
                    )
                    messages.success(
                        request,
                        _(
                            "The matching settings are saved; the assignment will "
                            "re-run."
                        ),
                    )
                    return redirect("renewal:matching-settings", code=municipality.code)
            status = 400
    else:
        form = MatchingSettingsForm(instance=current)
    if not may_change:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "renewal/matching_settings.html",
        {
            "municipality": municipality,
            "form": form,
            "may_change": may_change,
            "preview": preview,
            "preview_projects": preview_projects(municipality_id=municipality.pk)[
                :PREVIEW_PROJECTS
            ]
            if may_change
            else [],
            "preview_project_id": request.POST.get("preview_project", ""),
        },
        status=status,
    )


def _settings_preview(request, municipality, current):
    """The chosen project's candidates under the saved and the edited settings;
    nothing is saved (the form stays filled in, ready to save)."""
    saved = matching_settings_of(municipality)
    form = MatchingSettingsForm(request.POST, instance=current)
    if not form.is_valid():
        return form, None, 400
    project_id = request.POST.get("preview_project", "")
    project = (
        preview_projects(municipality_id=municipality.pk)
        .filter(pk=int(project_id))
        .first()
        if project_id.isdigit()
        else None
    )
    if project is None:
        form.add_error(None, _("Choose a project to preview its candidates."))
        return form, None, 400
    with refusal_shown(request, form=form):
        matching_settings_validate(form.instance)
        return (
            form,
            {
                "project": project,
                **match_candidates_compared(
                    project=project, current=saved, proposed=form.instance
                ),
            },
            200,
        )
    return form, None, 400


def _pairs(run) -> list[dict]:
    # A project's place may be an area: its lines start from a point inside it.
    rows = (
        Match.objects.filter(run=run)
        .annotate(project_point=PointOnSurface("project__place"))
        .order_by("-score", "id")
        .values(
            "id",
            "status",
            "score",
            "breakdown",
            "project_id",
            "project__title",
            "space_id",
            "space__kind",
            "space__address",
            "space__status",
            "space__location",
            "project_point",
        )[:PAIRS_SHOWN]
    )
    return [
        {
            "match": row["id"],
            "status": row["status"],
            "status_label": MatchStatus(row["status"]).label,
            "score": row["score"],
            "components": _components(row["breakdown"]),
            "project_id": row["project_id"],
            "project_title": row["project__title"],
            "space_id": row["space_id"],
            "space_label": f"{SpaceKind(row['space__kind']).label} #{row['space_id']}",
            "space_address": row["space__address"],
            "project_lonlat": [row["project_point"].x, row["project_point"].y],
            "space_lonlat": [row["space__location"].x, row["space__location"].y],
        }
        for row in rows
    ]


@login_required
def assignment_run_detail(request, pk: int):
    """A run's progress (the page reloads itself while the run is under way), its
    totals, and the proposed pairs on a map and in a table, each with an offer
    button while it is only suggested."""
    run = get_object_or_404(assignment_run_list(user=request.user), pk=pk)
    municipality = run.municipality
    _may_run(request.user, municipality)
    pairs = _pairs(run) if run.status == RunStatus.DONE else []
    # The offer rule depends only on the match's city, the run's city.
    may_offer = request.user.has_perm("renewal.offer_match", municipality)
    config = {
        "center": [municipality.location.y, municipality.location.x],
        "projectUrl": detail_url_template("renewal:project-detail"),
        "spaceUrl": detail_url_template("renewal:space-detail"),
        "text": {"score": _("Score"), "status": _("Status")},
        "pairs": [
            {
                "match": pair["match"],
                "status": pair["status"],
                "statusLabel": str(pair["status_label"]),
                "score": pair["score"],
                "project": pair["project_id"],
                "projectTitle": pair["project_title"],
                "space": pair["space_id"],
                "spaceLabel": pair["space_label"],
                "from": pair["project_lonlat"],
                "to": pair["space_lonlat"],
            }
            for pair in pairs
        ],
    }
    columns = [
        {"label": component["label"], "weight": component["weight"]}
        for component in (pairs[0]["components"] if pairs else [])
    ]
    return render(
        request,
        "renewal/assignment_run_detail.html",
        {
            "run": run,
            "municipality": municipality,
            "running": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
            "failed": run.status == RunStatus.FAILED,
            "gain": run.total_score - run.greedy_total_score,
            "pairs": pairs,
            "columns": columns,
            "may_offer": may_offer,
            "map_config": config,
        },
    )


def _match(request, pk: int) -> Match:
    match = get_object_or_404(match_list(user=request.user), pk=pk)
    if not request.user.has_perm("renewal.view_match", match):
        raise PermissionDenied
    return match


def _render_match(request, match: Match, form=None, status: int = 200):
    actions = allowed_match_actions(user=request.user, match=match)
    if form is None and "accept" in actions:
        form = UseAgreementForm(initial=_agreement_initial(match))
    try:
        agreement = match.agreement
    except UseAgreement.DoesNotExist:
        agreement = None
    space = match.space
    is_owner = request.user.has_perm("renewal.change_space_as_owner", space)
    steps = [action for action in actions if action in STEPS]
    if is_owner:
        # The owner declines with a reason, on a form of its own.
        steps = [step for step in steps if step != "decline"]
    return render(
        request,
        "renewal/match_detail.html",
        {
            "owner_contact": owner_contact_for(user=request.user, match=match),
            "owner_may_decline": is_owner and "decline" in actions,
            "decline_reason": match.decline_reason,
            "match": match,
            "project": match.project,
            "space": space,
            "municipality": match.municipality,
            "components": _components(match.breakdown),
            "agreement": agreement,
            "steps": steps,
            "form": form if "accept" in actions else None,
            "may_run": request.user.has_perm(
                "renewal.run_assignment", match.municipality
            ),
            "map_config": {
                "place": geojson(match.project.place),
                "space": [space.location.x, space.location.y],
                "text": {"project": _("The project"), "space": _("The space")},
            },
        },
        status=status,
    )


def _agreement_initial(match: Match) -> dict:
    # The space's offer suggests the agreement; the project can change it.
    space = match.space
    if space.availability == Availability.FREE_USE:
        return {"kind": AgreementKind.FREE_USE}
    return {"kind": AgreementKind.LEASE, "monthly_rent_krw": space.asking_rent_krw}


@login_required
def match_detail(request, pk: int):
    return _render_match(request, _match(request, pk))


@login_required
@require_POST
def match_accept_view(request, pk: int):
    """Accept an offer with its use agreement; a refusal (the space was promised
    meanwhile, dates out of order) is shown on the form."""
    match = _match(request, pk)
    form = UseAgreementForm(request.POST)
    if form.is_valid():
        with refusal_shown(request, form=form):
            match_accept(
                actor=request.user, match=match, agreement=form.agreement_data()
            )
            messages.success(
                request,
                _("You have accepted the space. The city will be in touch."),
            )
            return redirect("renewal:match-detail", pk=match.pk)
    match.refresh_from_db()
    return _render_match(request, match, form=form, status=400)


@login_required
@require_POST
def match_step(request, pk: int):
    """Offer, decline, activate or end: one button each, back to where it was
    pressed (the run page or the match page)."""
    match = _match(request, pk)
    action = request.POST.get("action", "")
    if action not in STEPS:
        messages.error(request, _("Unknown action."))
    else:
        with refusal_shown(request):
            STEPS[action](actor=request.user, match=match)
            messages.success(request, str(STEP_DONE[action]))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("renewal:match-detail", pk=match.pk)
