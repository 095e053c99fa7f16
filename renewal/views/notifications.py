"""The notifications page (newest first, marked read one by one or all at once, by
plain POST forms), and the language switch that also sets the language of one's
e-mail."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from renewal.selectors.notifications import notification_list
from renewal.services.notifications import (
    notification_language_set,
    notification_mark_all_read,
    notification_mark_read,
)

PAGE_SIZE = 20


@login_required
def notification_list_page(request):
    page = Paginator(notification_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "renewal/notification_list.html", {"page": page})


def _back_to_list(request):
    url = reverse("renewal:notifications")
    page = request.POST.get("page", "")
    # Back to the page the form was on; anything but a page number is dropped.
    if page.isdigit() and page != "1":
        url += f"?page={page}"
    return redirect(url)


@login_required
@require_POST
def notification_read_page(request, pk: int):
    notification = get_object_or_404(notification_list(user=request.user), pk=pk)
    notification_mark_read(user=request.user, notification=notification)
    return _back_to_list(request)


@login_required
@require_POST
def notification_read_all_page(request):
    marked = notification_mark_all_read(user=request.user)
    if marked:
        messages.success(request, _("All notifications are marked as read."))
    return _back_to_list(request)


def language_switch(request):
    """Django's set_language, which also remembers a signed-in user's choice for
    their e-mail."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        notification_language_set(
            user=request.user, language=request.POST.get("language", "")
        )
    return response
