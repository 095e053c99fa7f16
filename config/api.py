"""API plumbing shared by every endpoint: the error shape and the token view."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_gis.pagination import GeoJsonPagination

from config.timeouts import (
    RETRY_AFTER,
    SERVICE_UNAVAILABLE,
    statement_cancelled,
    statement_cancelled_message,
)
from core.ratelimit import client_address

MAX_PAGE_SIZE = 1000


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class GeoPagination(GeoJsonPagination):
    """GeoJSON FeatureCollection pages: `features` plus count and next/previous."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


def error_body(code: str, message, fields: dict | None = None) -> dict:
    """The shape of every API error: {"error": {"code", "message", "fields"}}, each
    field naming a list of messages."""
    return {
        "error": {
            "code": code,
            "message": str(message),
            "fields": {
                name: [str(item) for item in items]
                for name, items in (fields or {}).items()
            },
        }
    }


def exception_handler(error, context):
    """Every API error as error_body."""
    from core.errors import DomainError, NotPermitted

    if statement_cancelled(error):
        response = Response(
            error_body("statement_timeout", statement_cancelled_message()),
            status=SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if isinstance(error, DomainError):
        return Response(
            error_body(error.code, error.message, error.fields),
            status=403 if isinstance(error, NotPermitted) else 400,
        )
    if isinstance(error, Http404):
        error = exceptions.NotFound()
    elif isinstance(error, PermissionDenied):
        error = exceptions.PermissionDenied()
    response = drf_exception_handler(error, context)
    if response is None:
        return None
    detail = response.data
    fields = {}
    if isinstance(error, exceptions.ValidationError):
        message = _("The request contains invalid values.")
        if isinstance(detail, dict):
            fields = {
                name: [
                    str(item)
                    for item in (value if isinstance(value, list) else [value])
                ]
                for name, value in detail.items()
                if name != "non_field_errors"
            }
            non_field = detail.get("non_field_errors")
            if non_field:
                message = " ".join(str(item) for item in non_field)
        elif isinstance(detail, list) and detail:
            message = " ".join(str(item) for item in detail)
    else:
        message = (
            str(detail.get("detail", detail))
            if isinstance(detail, dict)
            else str(detail)
        )
    code = getattr(error, "default_code", "error")
    if isinstance(error, exceptions.ValidationError):
        code = "invalid"
    response.data = error_body(code, message, fields)
    return response


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, counting anonymous callers by the one client address
    the whole platform uses (core.ratelimit.client_address)."""

    def get_ident(self, request):
        return client_address(request)


class ThrottledObtainAuthToken(ObtainAuthToken):
    """Exchange a username and password for an API token.

    Password checks are deliberately slow, so this endpoint is rate-limited.
    """

    throttle_classes = [ScopedThrottle]
    throttle_scope = "login"


class PerUserThrottle(ScopedThrottle):
    """The view's `throttle_scope`, counted per signed-in user (per address otherwise)."""


class PerAddressThrottle(ScopedThrottle):
    """The view's `throttle_scope` + "_ip", counted per client address whoever is signed
    in, so that many accounts from one machine share one budget."""

    def allow_request(self, request, view):
        self.scope = f"{getattr(view, self.scope_attr, '')}_ip"
        if self.scope == "_ip":
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super(ScopedRateThrottle, self).allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }


WRITE_THROTTLES = [PerUserThrottle, PerAddressThrottle]


class WriteThrottleMixin:
    """Apply the per-user and per-address limits of `write_throttle_scope` to writes
    only; reading stays unthrottled. A viewset names a scope per action in
    `write_throttle_scopes` instead; writes of actions it leaves out are unthrottled."""

    write_throttle_scope = ""
    write_throttle_scopes: dict[str, str] = {}

    def get_throttles(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return super().get_throttles()
        scope = self.write_throttle_scopes.get(
            getattr(self, "action", None), self.write_throttle_scope
        )
        if not scope:
            return super().get_throttles()
        self.throttle_scope = scope
        return [throttle() for throttle in WRITE_THROTTLES]
