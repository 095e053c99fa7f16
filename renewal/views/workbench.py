"""The city workbench: what waits for a city's staff, the review decisions taken
from its queue, and bulk changes of the spaces list. Reads go through
renewal.selectors.workbench; every change through the record's own check service,
one request per decision and one transaction per space."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cities.models import Municipality
from cities.views_support import municipality_or_404, refusal_shown
from core.errors import DomainError
from renewal.models import GradingScheme, ProjectStatus, RenewalProject, SpaceStatus
from renewal.selectors.spaces import vacant_space_list
from renewal.selectors.workbench import (
    WORKBENCH_PERMISSION,
    workbench,
    workbench_municipalities,
    workbench_municipality_ids,
)
from renewal.services.projects import REVIEW_DECISIONS, renewal_project_review_decide
from renewal.services.spaces import vacant_space_transition, vacant_space_update

# More rows than a list page shows (50), few enough to answer within a request.
BULK_MAX_ROWS = 200
DECISION_DONE = {
    ProjectStatus.APPROVED: gettext_lazy(
        "“%(title)s” is approved; the proposer is told."
    ),
    ProjectStatus.CHANGES_REQUESTED: gettext_lazy(
        "Changes to “%(title)s” are asked for; the proposer is told."
    ),
    ProjectStatus.REJECTED: gettext_lazy(
        "“%(title)s” is rejected; the proposer is told."
    ),
}


def _workbench_city(request, code: str) -> Municipality:
    municipality = municipality_or_404(code)
    if not request.user.has_perm(WORKBENCH_PERMISSION, municipality):
        raise PermissionDenied
    return municipality


@login_required
def workbench_picker(request):
    """Staff of one city go straight to its workbench; staff of several pick one."""
    municipalities = list(workbench_municipalities(user=request.user))
    if not municipalities:
        raise PermissionDenied
    if len(municipalities) == 1:
        return redirect("cities:workbench", code=municipalities[0].code)
    return render(
        request, "renewal/workbench_picker.html", {"municipalities": municipalities}
    )


@login_required
def workbench_page(request, code: str):
    municipality = _workbench_city(request, code)
    may_review = request.user.has_perm("renewal.review_renewalproject", municipality)
    return render(
        request,
        "renewal/workbench.html",
        {
            "municipality": municipality,
            "workbench": workbench(municipality=municipality),
            "may_review": may_review,
            "may_change_spaces": request.user.has_perm(
                "renewal.transition_vacantspace", municipality
            ),
            "decisions": [ProjectStatus(status) for status in REVIEW_DECISIONS],
            "other_cities": len(workbench_municipality_ids(user=request.user)) > 1,
        },
    )


@login_required
@require_POST
def workbench_decide(request, code: str, pk: int):
    """One review decision from the queue: one POST, no script needed."""
    municipality = _workbench_city(request, code)
    project = get_object_or_404(
        RenewalProject.objects.filter(municipality=municipality), pk=pk
    )
    to = request.POST.get("to", "")
    with refusal_shown(request):
        project = renewal_project_review_decide(
            actor=request.user,
            project=project,
            to=to,
            seen_status=request.POST.get("seen_status", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(
            request, DECISION_DONE[project.status] % {"title": project.title}
        )
    url = reverse("cities:workbench", kwargs={"code": municipality.code})
    return redirect(f"{url}#proposals")


@dataclass
class RowResult:
    space_id: int
    label: str
    ok: bool
    message: str


def _space_ids(request) -> list[int]:
    ids = []
    for value in request.POST.getlist("space"):
        if value.isdigit():
            ids.append(int(value))
    return list(dict.fromkeys(ids))[:BULK_MAX_ROWS]


def _bulk_change(request, space, action: str) -> None:
    if action == "status":
        vacant_space_transition(
            actor=request.user,
            space=space,
            to=request.POST.get("to", ""),
            reason=request.POST.get("reason", "").strip(),
        )
        return
    scheme = request.POST.get("grading_scheme", "")
    grade = request.POST.get("grade", "")
    if scheme not in GradingScheme.values or not grade.isdigit():
        raise DomainError(_("Choose a grading scheme and a grade within it."))
    vacant_space_update(
        actor=request.user,
        space=space,
        data={"grading_scheme": scheme, "grade": int(grade)},
    )


@login_required
@require_POST
def space_bulk(request, code: str):
    """Change the status (with one reason) or the grade of the selected spaces,
    each in its own transaction through the space's services; a refusal of one row
    leaves the others done and is shown beside it."""
    municipality = municipality_or_404(code)
    if not request.user.has_perm("renewal.change_vacantspace", municipality):
        raise PermissionDenied
    action = request.POST.get("action", "")
    ids = _space_ids(request)
    list_url = reverse("renewal:space-list", kwargs={"code": municipality.code})
    back = request.POST.get("query", "")
    back_url = f"{list_url}?{back}" if back else list_url
    if action not in ("status", "grade"):
        messages.error(request, _("Choose what to change: the status or the grade."))
        return redirect(back_url)
    if not ids:
        messages.error(request, _("Select at least one space."))
        return redirect(back_url)
    spaces = {
        space.pk: space
        for space in vacant_space_list(user=request.user).filter(
            Q(pk__in=ids), municipality=municipality
        )
    }
    results = []
    for pk in ids:
        space = spaces.get(pk)
        if space is None:
            results.append(
                RowResult(pk, f"#{pk}", False, _("No such space in this city."))
            )
            continue
        label = f"{space.get_kind_display()} #{space.pk}"
        try:
            _bulk_change(request, space, action)
        except DomainError as error:
            parts = [str(error.message)]
            for field_messages in error.fields.values():
                parts.extend(str(message) for message in field_messages)
            results.append(RowResult(pk, label, False, " ".join(parts)))
        else:
            results.append(RowResult(pk, label, True, ""))
    done = sum(result.ok for result in results)
    return render(
        request,
        "renewal/workbench_bulk_result.html",
        {
            "municipality": municipality,
            "results": results,
            "done": done,
            "refused": len(results) - done,
            "back_url": back_url,
            "statuses": SpaceStatus,
        },
    )
