"""Pages of renewal projects: a city's map and list, the proposal form, a project's
page with its supports, comments, review timeline and progress, and "my page".

Reads go through the selectors (with moderation applied), writes through the
services, and every permission is asked of the rules, as the API does. Each action
on a project page is a small POST view that redirects back to the page.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cities.models import in_current_language
from cities.views_support import (
    detail_url_template,
    geojson,
    municipality_or_404,
    query_without_page,
    refusal_shown,
)
from core.ratelimit import WriteLimit
from renewal.forms import (
    ParticipationEventForm,
    ProgressUpdateForm,
    ProjectPageFilter,
    RenewalProjectProposalForm,
    radius_label,
)
from renewal.models import (
    Capability,
    CommunityOrganization,
    Notification,
    ProjectCategory,
    ProjectFollow,
    ProjectStatus,
    ProjectSupport,
    RenewalProject,
    SpaceKind,
    VacantSpace,
)
from renewal.models.projects import (
    REASON_REQUIRED,
    SUPPORTABLE_STATUSES,
    UPDATABLE_STATUSES,
)
from renewal.rules import organization_ids, survey_round_ids
from renewal.selectors.engagement import (
    area_follow_list,
    comment_is_masked,
    comment_list,
)
from renewal.selectors.meetings import held_event_list, meeting_list
from renewal.selectors.owners import listed_space
from renewal.selectors.progress import progress_update_list
from renewal.selectors.projects import (
    renewal_project_list,
    sees_hidden_content,
    typical_step_days,
    visible_projects,
)
from renewal.services.notifications import (
    notification_mark_all_read,
    notification_mark_read,
)
from renewal.services.projects import (
    allowed_project_transitions,
    project_support_add,
    project_support_withdraw,
    renewal_project_propose,
    renewal_project_transition,
)
from renewal.views.matching import candidate_panel_context
from renewal.views.place_picker import area_follow_config, place_picker_config

LIST_PAGE_SIZE = 50
# The map draws every matching project of the city from the page itself; a city has
# hundreds of proposals, not the thousands of points the inventory map fetches by view.
MAP_LIMIT = 1000
NOTIFICATIONS_SHOWN = 50


def _projects(request):
    return visible_projects(renewal_project_list(), request.user)


def project_map(request, code: str):
    """The city's projects on a map, and the same projects as a table below it, so
    that the page works without a map (and without JavaScript)."""
    municipality = municipality_or_404(code)
    filters = ProjectPageFilter(request.GET or None)
    projects = filters.filter(_projects(request).filter(municipality=municipality))
    page = Paginator(projects, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    # PostgreSQL writes the GeoJSON, in the same single query for all features.
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(row["geojson"]),
            "properties": {
                "id": row["pk"],
                "title": row["title"],
                "category": row["category"],
                "status": row["status"],
                "supports": row["support_count"],
            },
        }
        for row in projects.annotate(geojson=AsGeoJSON("place", precision=6)).values(
            "pk", "title", "category", "status", "support_count", "geojson"
        )[:MAP_LIMIT]
    ]
    config = {
        "center": [municipality.location.y, municipality.location.x],
        "downtown": geojson(municipality.downtown),
        "detailUrl": detail_url_template("renewal:project-detail"),
        "labels": {
            "category": dict(ProjectCategory.choices),
            "status": dict(ProjectStatus.choices),
        },
        "text": {"supports": _("Supports"), "details": _("Details")},
        "features": {"type": "FeatureCollection", "features": features},
    }
    return render(
        request,
        "renewal/project_map.html",
        {
            "municipality": municipality,
            "filters": filters,
            "page": page,
            "query": query_without_page(request),
            "map_config": config,
            "follow": area_follow_config(request, municipality),
            # The map colours projects by status: its legend names each colour.
            "status_legend": ProjectStatus.choices,
        },
    )


@login_required
def project_create(request, code: str):
    # The service checks the place against the boundary.
    municipality = municipality_or_404(code, boundary=True)
    if not request.user.has_perm("renewal.add_renewalproject"):
        raise PermissionDenied
    space = _listed_space_or_404(request, municipality)
    form = RenewalProjectProposalForm(request.POST or None, space=space)
    limit = WriteLimit("propose", request)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form), limit.counting():
            project = renewal_project_propose(
                proposer=request.user,
                municipality=municipality,
                data=form.project_data(),
            )
            messages.success(request, _("Your proposal has been published."))
            return redirect(project_url(project, "top"))
    return render(
        request,
        "renewal/project_form.html",
        {
            "form": form,
            "municipality": municipality,
            "picker_config": _proposal_picker_config(request, municipality),
            "space": space,
        },
        status=429 if limit.refused else 200,
    )


def _listed_space_or_404(request, municipality) -> VacantSpace | None:
    """The space a proposal from the listing starts from (`space`, in the address
    or the form). The service refuses it if it is no longer offered; the page says
    so at once."""
    raw = request.POST.get("space") or request.GET.get("space")
    if not raw:
        return None
    try:
        pk = int(raw)
    except ValueError:
        raise Http404 from None
    space = get_object_or_404(
        VacantSpace.objects.defer("footprint"), pk=pk, municipality=municipality
    )
    if request.method == "GET" and listed_space(space.pk) is None:
        messages.error(
            request,
            _("This space is no longer offered; choose another one from the listing."),
        )
    return space


def _proposal_picker_config(request, municipality) -> dict:
    config = place_picker_config(
        municipality,
        point_text=_("Click on the map to place the project."),
        area=request.GET.get("area", ""),
    )
    config["text"].update(
        area=_(
            "Click the corners of the area one by one, then press “Finish the area”."
        ),
        tooFew=_("An area needs at least three corners."),
    )
    return config


def project_or_404(request, pk: int) -> RenewalProject:
    return get_object_or_404(_projects(request), pk=pk)


def _comment_tree(project: RenewalProject, user) -> list[dict]:
    """Threads as nested dicts. Oldest-first order puts every parent before its
    replies, so one pass builds the tree."""
    sees_hidden = sees_hidden_content(user)
    nodes: dict[int, dict] = {}
    roots: list[dict] = []
    for comment in comment_list(project=project, user=user):
        node = {
            "comment": comment,
            "masked": comment_is_masked(comment, user=user, sees_hidden=sees_hidden),
            "replies": [],
        }
        nodes[comment.pk] = node
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        (parent["replies"] if parent else roots).append(node)
    return roots


def user_organizations(user) -> list[CommunityOrganization]:
    return list(
        CommunityOrganization.objects.filter(pk__in=organization_ids(user)).order_by(
            "name"
        )
    )


# What happens after each status, said to residents on the project page: who acts
# next. The typical time is added from the city's own review log where it has one.
NEXT_STEPS = {
    ProjectStatus.PROPOSED: gettext_lazy(
        "Next: the city's responsible department reviews the proposal."
    ),
    ProjectStatus.UNDER_REVIEW: gettext_lazy(
        "Next: the city's responsible department decides, approving or rejecting "
        "it with a reason."
    ),
    ProjectStatus.APPROVED: gettext_lazy(
        "Next: the lead organisation and the city prepare the work; updates and "
        "meetings appear on this page."
    ),
    ProjectStatus.IN_PROGRESS: gettext_lazy(
        "Next: the work goes on; updates and meetings appear on this page."
    ),
    ProjectStatus.COMPLETED: gettext_lazy("The project is finished."),
    ProjectStatus.REJECTED: gettext_lazy(
        "The city has rejected the proposal; the reason is in the timeline."
    ),
    ProjectStatus.WITHDRAWN: gettext_lazy("The proposer has withdrawn the proposal."),
}
# Where a page action's message is shown: next to the section it was done in.
MESSAGE_PLACES = frozenset(
    {"top", "support", "timeline", "progress", "events", "participation", "comments"}
)


def _next_step(project: RenewalProject) -> dict:
    step = {"text": NEXT_STEPS[ProjectStatus(project.status)], "typical_days": None}
    if project.status in (ProjectStatus.PROPOSED, ProjectStatus.UNDER_REVIEW):
        step["typical_days"] = typical_step_days(
            municipality_id=project.municipality_id, from_status=project.status
        )
    return step


def project_page(
    request,
    project: RenewalProject,
    *,
    status: int = 200,
    at: str = "",
    comment_draft: str = "",
):
    """The project page in the order residents read it: what and where, its status
    and what happens next, support and follow, then progress, meetings and
    comments; the city's working material (candidate spaces and their scores,
    review and recording forms) last.

    `at` puts the page's messages next to the action that caused them.
    """
    user = request.user
    updates = list(progress_update_list(project=project))
    organizations = user_organizations(user) if user.is_authenticated else []
    at = at or request.GET.get("at", "")
    context = {
        "project": project,
        "municipality": project.municipality,
        "place_geojson": geojson(project.place),
        "support_count": project.support_count,
        "space_kinds": [SpaceKind(kind).label for kind in project.needs_space_kinds],
        "capabilities": [
            Capability(capability).label for capability in project.partner_capabilities
        ],
        "supported": user.is_authenticated
        and ProjectSupport.objects.filter(project=project, user=user).exists(),
        "following": user.is_authenticated
        and ProjectFollow.objects.filter(project=project, user=user).exists(),
        "can_support": project.status in SUPPORTABLE_STATUSES,
        "next_step": _next_step(project),
        "comments": _comment_tree(project, user),
        "comment_draft": comment_draft,
        "timeline": project.transitions.select_related("actor"),
        "updates": updates,
        "latest_update": updates[0] if updates else None,
        "meetings": list(meeting_list(user=user, project=project)),
        "held_events": list(held_event_list(user=user, project=project)),
        "can_announce": user.has_perm("renewal.announce_event", project),
        "transitions": [
            ProjectStatus(status)
            for status in allowed_project_transitions(user=user, project=project)
        ],
        "reason_required": [str(status) for status in REASON_REQUIRED],
        "progress_form": None,
        "event_form": None,
        # The messages are shown next to the action (see MESSAGE_PLACES), not in
        # the site-wide bar above the page (the template empties that block).
        "message_at": at if at in MESSAGE_PLACES else "top",
    }
    if project.status in UPDATABLE_STATUSES and user.has_perm(
        "renewal.add_progressupdate", project
    ):
        context["progress_form"] = ProgressUpdateForm()
    if organizations:
        context["event_form"] = ParticipationEventForm(organizations=organizations)
    context.update(candidate_panel_context(project, user))
    return render(request, "renewal/project_detail.html", context, status=status)


def project_detail(request, pk: int):
    return project_page(request, project_or_404(request, pk))


def project_url(project: RenewalProject, at: str = "") -> str:
    url = reverse("renewal:project-detail", args=[project.pk])
    return f"{url}?at={at}#message" if at else url


def back_to_project(project: RenewalProject, at: str = ""):
    """Back to the project page, at the message of the action just done (its
    region takes the focus: static/js/focus-message.js)."""
    return redirect(project_url(project, at))


@login_required
@require_POST
def project_support(request, pk: int):
    """Support (or withdraw it). Repeating a support is harmless: it counts once."""
    project = project_or_404(request, pk)
    limit = WriteLimit("support", request)
    with refusal_shown(request), limit.counting():
        if request.POST.get("action") == "withdraw":
            project_support_withdraw(user=request.user, project=project)
            messages.success(request, _("Your support has been withdrawn."))
        else:
            project_support_add(user=request.user, project=project)
            messages.success(request, _("Thank you for supporting this project."))
    if limit.refused:
        return project_page(request, project, status=429, at="support")
    return back_to_project(project, "support")


@login_required
@require_POST
def project_transition(request, pk: int):
    project = project_or_404(request, pk)
    with refusal_shown(request):
        project = renewal_project_transition(
            actor=request.user,
            project=project,
            to=request.POST.get("to", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(
            request,
            _("The project is now “%(status)s”.")
            % {"status": ProjectStatus(project.status).label},
        )
    return back_to_project(project, "timeline")


def _named_area_follows(user) -> list:
    area_follows = list(area_follow_list(user=user))
    for area_follow in area_follows:
        area_follow.city_name = in_current_language(
            area_follow.city_name_ko or "", area_follow.city_name_en or ""
        )
        area_follow.radius_label = radius_label(area_follow.radius_m)
    return area_follows


@login_required
def my_page(request):
    user = request.user
    projects = renewal_project_list()
    # Hidden projects leave the other lists; one's own proposals stay (with a note).
    visible = visible_projects(projects, user)
    notifications = Notification.objects.filter(user=user).select_related("project")
    return render(
        request,
        "renewal/me.html",
        {
            "sections": [
                (
                    "proposals",
                    _("My proposals"),
                    projects.filter(proposer=user),
                    _("You have not proposed a project yet."),
                ),
                (
                    "supports",
                    _("Projects I support"),
                    visible.filter(
                        Exists(
                            ProjectSupport.objects.filter(
                                project=OuterRef("pk"), user=user
                            )
                        )
                    ),
                    _("You do not support any project yet."),
                ),
                (
                    "followed",
                    _("Projects I follow"),
                    visible.filter(
                        Exists(
                            ProjectFollow.objects.filter(
                                project=OuterRef("pk"), user=user
                            )
                        )
                    ),
                    _("You do not follow any project yet."),
                ),
            ],
            "my_organizations": [
                {
                    "organization": organization,
                    "projects": visible.filter(lead_organization=organization),
                }
                for organization in user_organizations(user)
            ],
            "area_follows": _named_area_follows(user),
            # Surveyors reach their rounds' phone page from here.
            "surveys_assigned": bool(survey_round_ids(user)),
            "notifications": notifications[:NOTIFICATIONS_SHOWN],
            "unread_count": notifications.filter(read_at__isnull=True).count(),
        },
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notification_mark_read(user=request.user, notification=notification)
    return redirect(f"{reverse('renewal:me')}#notifications")


@login_required
@require_POST
def notification_read_all(request):
    notification_mark_all_read(user=request.user)
    return redirect(f"{reverse('renewal:me')}#notifications")
