"""Page actions of engagement on a project: following, commenting and reporting to
the moderators. Each is a small POST view that redirects back to the project page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cities.views_support import refusal_shown
from core.ratelimit import WriteLimit
from renewal.models import Comment
from renewal.selectors.engagement import content_get
from renewal.services.engagement import (
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
