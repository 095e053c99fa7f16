"""Errors that happen outside DRF's views, answered in the API's error shape under
the API's prefixes and as HTML pages elsewhere: unknown URLs, unreadable requests,
NUL bytes in a URL or query, crashes and database outages."""

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.csrf import csrf_failure as html_csrf_failure

from config.api import error_body

# The JSON interfaces: the REST API, vector tiles and OGC API Features.
API_PREFIXES = ("/api/", "/tiles/", "/ogc/")


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIXES)


def api_error(status: int, code: str, message) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def bad_request(request, exception, template_name="400.html"):
    if is_api(request):
        return api_error(400, "parse_error", _("The request could not be read."))
    return defaults.bad_request(request, exception, template_name)


def permission_denied(request, exception, template_name="403.html"):
    if is_api(request):
        return api_error(
            403,
            "permission_denied",
            _("You do not have permission to perform this action."),
        )
    return defaults.permission_denied(request, exception, template_name)


def page_not_found(request, exception, template_name="404.html"):
    if is_api(request):
        return api_error(404, "not_found", _("No such address in the API."))
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name="500.html"):
    if is_api(request):
        return api_error(500, "server_error", _("The server failed to answer."))
    return defaults.server_error(request, template_name)


def csrf_failure(request, reason=""):
    if is_api(request):
        return api_error(403, "csrf_failed", _("CSRF check failed."))
    return html_csrf_failure(request, reason)


def _has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    return any(
        "\x00" in name or any("\x00" in value for value in values)
        for name, values in request.GET.lists()
    )


class RequestGuardMiddleware:
    """Refuses a NUL byte in the path or the query string with a 400 before any view
    runs: PostgreSQL text cannot hold one, so every filter and lookup that passed it
    on would fail. Answers a database outage in the API with a 503 to retry, where
    DRF's exception handler does not see it (plain views, middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            if is_api(request):
                return api_error(
                    400,
                    "invalid",
                    _("The address or a query parameter contains a NUL character."),
                )
            return defaults.bad_request(request, None)
        response = self.get_response(request)
        # With DEBUG on, Django answers an unknown address with its HTML debug page
        # and never asks handler404: the API keeps its JSON shape there too.
        if (
            response.status_code == 404
            and is_api(request)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return page_not_found(request, None)
        return response

    def process_exception(self, request, exception):
        if is_api(request) and isinstance(exception, OperationalError | InterfaceError):
            return api_error(
                503,
                "service_unavailable",
                _("The service is briefly unavailable; try again shortly."),
            )
        return None
