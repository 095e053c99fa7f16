"""Page actions of engagement: following, commenting and reporting to the
moderators on a project's page, and following an area from a map page. Each is a
small POST view that redirects back to the page it came from."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cities.views_support import refusal_shown
from core.ratelimit import WriteLimit
from renewal.forms import AreaFollowForm, radius_label
from renewal.models import AreaFollow, Comment
from renewal.selectors.engagement import content_get
from renewal.services.engagement import (
    area_follow_create,
    area_follow_delete,
    comment_post,
    content_report,
    project_follow,
    project_unfollow,
)
from renewal.views.projects import back_to_project, project_or_404, project_page


@login_required
@require_POST
def project_follow_toggle(request, pk: int):
    project = project_or_404(request, pk)
    if request.POST.get("action") == "unfollow":
        project_unfollow(user=request.user, project=project)
        messages.success(request, _("You no longer follow this project."))
    else:
        project_follow(user=request.user, project=project)
        messages.success(
            request,
            _("You follow this project: you will be told when it changes."),
        )
    return back_to_project(project, "support")


@login_required
@require_POST
def project_comment(request, pk: int):
    project = project_or_404(request, pk)
    parent = None
    parent_id = request.POST.get("parent", "")
    if parent_id:
        parent = get_object_or_404(
            Comment, pk=parent_id if parent_id.isdigit() else 0, project=project
        )
    body = request.POST.get("body", "")
    limit = WriteLimit("comment", request)
    with refusal_shown(request), limit.counting():
        comment_post(author=request.user, project=project, body=body, parent=parent)
        messages.success(request, _("Your comment has been posted."))
        return back_to_project(project, "comments")
    # Refused: the page again, with what was typed still in the comment box.
    return project_page(
        request,
        project,
        status=429 if limit.refused else 400,
        at="comments",
        comment_draft=body,
    )


@login_required
@require_POST
def project_report(request, pk: int):
    """Report the project or one of its comments to the moderators."""
    project = project_or_404(request, pk)
    limit = WriteLimit("report", request)
    kind = request.POST.get("kind", "project")
    object_id = request.POST.get("object_id", "")
    if kind == "project":
        content = project
    elif kind == "comment" and object_id.isdigit():
        content = content_get(kind="comment", pk=int(object_id), user=request.user)
        if content.project_id != project.pk:
            raise PermissionDenied
    else:
        return back_to_project(project)
    with refusal_shown(request), limit.counting():
        _report, created = content_report(
            reporter=request.user,
            content=content,
            reason=request.POST.get("reason", ""),
        )
        messages.success(
            request,
            _("Thank you: the moderators will look at it.")
            if created
            else _("You have already reported this."),
        )
    if limit.refused:
        return project_page(request, project, status=429, at="top")
    return back_to_project(project, "top")


def _back(request, default: str) -> str:
    """The page the form was on, if it is one of ours."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
@require_POST
def area_follow_add(request):
    """ "Notify me about new projects within … of here", from a map page. A refused
    follow comes back as the form with its errors, nothing saved."""
    form = AreaFollowForm(request.POST)
    if form.is_valid():
        with refusal_shown(request, form=form):
            area_follow = area_follow_create(
                user=request.user, **form.area_follow_data()
            )
            messages.success(
                request,
                _(
                    "You will be told about new projects within %(radius)s of this "
                    "place. Your followed areas are on My page."
                )
                % {"radius": radius_label(area_follow.radius_m)},
            )
            return redirect(_back(request, reverse("renewal:me")))
    return render(
        request,
        "renewal/area_follow_form.html",
        {"form": form, "next": _back(request, "")},
        status=400,
    )


@login_required
@require_POST
def area_follow_remove(request, pk: int):
    # Another person's follow is not there for this user: 404, as for any id.
    area_follow = get_object_or_404(AreaFollow, pk=pk, user=request.user)
    with refusal_shown(request):
        area_follow_delete(user=request.user, area_follow=area_follow)
        messages.success(request, _("You no longer follow that area."))
    return redirect(f"{reverse('renewal:me')}#area-follows")
