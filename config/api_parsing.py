"""Reading API requests, kept apart from config.api because DRF's settings import
these classes while rest_framework.views, which config.api needs, is loading."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers
from rest_framework.metadata import SimpleMetadata


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a 400 for nesting too deep to decode and a 413 for a
    body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads the stream whole)."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise RequestTooLarge()
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error - nested too deeply."))


PARSERS = [JSONParser, parsers.FormParser, parsers.MultiPartParser]


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


class Metadata(SimpleMetadata):
    """OPTIONS for every view: a generic view without a serializer (an action that
    takes no body) describes no fields rather than failing DRF's assertion."""

    def determine_actions(self, request, view):
        if getattr(view, "serializer_class", None) is None:
            try:
                view.get_serializer_class()
            except AssertionError:
                return {}
        return super().determine_actions(request, view)
