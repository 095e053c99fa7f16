"""API plumbing shared by every endpoint: the error shape, parsing, routing and the
token view."""

from collections.abc import Mapping

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.contrib.rest_framework_gis import (
    GeoFeatureModelSerializerExtension,
)
from rest_framework import exceptions
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter, SimpleRouter
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_gis.pagination import GeoJsonPagination
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from config.api_parsing import PARSERS, RequestTooLarge
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

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        # rest_framework_gis renames `results` to `features` but leaves `results`
        # required, which no response has.
        page["required"] = ["type", "count", "features"]
        # `schema` is drf-spectacular's FeatureCollection component, named after its
        # Feature component + "List"; a page's `features` holds the Features alone.
        collection = page["properties"]["features"].get("$ref", "")
        if collection.endswith("List"):
            page["properties"]["features"] = {
                "type": "array",
                "items": {"$ref": collection.removesuffix("List")},
            }
        return page


class GeoFeatureSerializer(GeoFeatureModelSerializer):
    """A GeoJSON Feature serializer that answers a body of the wrong shape with a 400:
    rest_framework_gis assumes an object whose `properties` is an object."""

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Expected a GeoJSON Feature object.")]}
            )
        if "properties" in data and not isinstance(data["properties"], Mapping):
            raise exceptions.ValidationError(
                {"properties": [_("Expected an object of the feature's properties.")]}
            )
        if "properties" in data:
            # rest_framework_gis writes the geometry into `properties`: a copy keeps
            # the request's data as sent.
            data = {**data, "properties": dict(data["properties"])}
        return super().to_internal_value(data)


class GeoFeatureSerializerSchema(GeoFeatureModelSerializerExtension):
    """drf-spectacular's GeoJSON Feature schema, with a null geometry where the
    model allows one (an organisation without a location)."""

    target_class = GeoFeatureSerializer
    priority = 1

    def map_geo_feature_model_serializer(self, serializer, base_schema):
        schema = super().map_geo_feature_model_serializer(serializer, base_schema)
        model_field = serializer.Meta.model._meta.get_field(serializer.Meta.geo_field)
        if model_field.null:
            schema["properties"]["geometry"]["nullable"] = True
        return schema


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = gettext_lazy(
        "The service is briefly unavailable; try again shortly."
    )
    default_code = "service_unavailable"


class NumericIdRouter(SimpleRouter):
    """Records are found by a numeric id: `/projects/abc/` matches no URL (a 404)
    rather than reaching the view and failing on int("abc"). A viewset that looks
    up by another field sets its own `lookup_value_regex`."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_field", "pk") == "pk" and not hasattr(
            viewset, "lookup_value_regex"
        ):
            kwarg = getattr(viewset, "lookup_url_kwarg", None) or "pk"
            return f"(?P<{lookup_prefix}{kwarg}>[0-9]+)"
        return super().get_lookup_regex(viewset, lookup_prefix)


class Router(NumericIdRouter, DefaultRouter):
    """NumericIdRouter with DefaultRouter's API root."""


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


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "array",
                        "items": {"type": "string"},
                    },
                },
            },
        }
    },
}
# Answers any operation can give, all in the error shape: invalid input, a missing
# or bad token, no permission, an unknown record, an unacceptable Accept header, a
# body too large or of an unread type, a rate limit, the database briefly away.
ERROR_STATUSES = {
    "400": "Invalid input.",
    "401": "Not signed in, or an invalid token.",
    "403": "Not permitted.",
    "404": "No such record, or not visible to the caller.",
    "406": "No representation for the Accept header.",
    "413": "Request body too large.",
    "415": "Unsupported request content type.",
    "429": "Rate limit reached; see Retry-After.",
    "503": "Briefly unavailable; try again.",
}


def schema_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the error
    answers above with the error shape, beside the answers it declares itself."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = (
        ERROR_SCHEMA
    )
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result


def exception_handler(error, context):
    """Every API error as error_body."""
    from core.errors import DomainError

    if statement_cancelled(error):
        response = Response(
            error_body("statement_timeout", statement_cancelled_message()),
            status=SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if isinstance(error, DomainError):
        return Response(
            error_body(error.code, error.message, error.fields), status=error.status
        )
    if isinstance(error, Http404):
        error = exceptions.NotFound()
    elif isinstance(error, PermissionDenied):
        error = exceptions.PermissionDenied()
    elif isinstance(error, RequestDataTooBig):
        error = RequestTooLarge()
    elif isinstance(error, SuspiciousOperation):
        # Too many form fields and the like: Django's own 400, in the API's shape.
        error = exceptions.ParseError()
    elif isinstance(error, OperationalError | InterfaceError):
        # The database is unreachable (restarting, failing over): a retry may succeed.
        error = ServiceUnavailable()
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
    parser_classes = PARSERS


class PerUserThrottle(ScopedThrottle):
    """The view's `throttle_scope`, counted per signed-in user (per address otherwise)."""

    def refund(self) -> None:
        """Take back the count of a request that was refused as invalid."""
        key, now = getattr(self, "key", None), getattr(self, "now", None)
        if key is None or now is None:
            return
        history = self.cache.get(key, [])
        if now in history:
            history.remove(now)
            self.cache.set(key, history, self.duration)


class PerAddressThrottle(PerUserThrottle):
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
        self.write_throttles = [throttle() for throttle in WRITE_THROTTLES]
        return self.write_throttles

    def finalize_response(self, request, response, *args, **kwargs):
        # An invalid submission (400) does not count against the limits: a resident
        # who mistyped is not locked out by their own corrections.
        if response.status_code == 400:
            for throttle in getattr(self, "write_throttles", ()):
                throttle.refund()
        return super().finalize_response(request, response, *args, **kwargs)
