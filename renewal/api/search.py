"""Suggestions for the search boxes: cities, 읍면동, projects and space addresses whose
name contains what was typed, best first, each with its page and its place."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import DomainError
from renewal.selectors.search import (
    SEARCH_KINDS,
    SEARCH_LIMIT,
    normalized_query,
    place_search,
)


class SearchResultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SEARCH_KINDS)
    name = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField()
    longitude = serializers.FloatField(allow_null=True)
    latitude = serializers.FloatField(allow_null=True)
    code = serializers.CharField()


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    results = SearchResultSerializer(many=True)


def search_kinds(raw: str | None) -> tuple[str, ...]:
    """The `kind` parameter: comma-separated kinds, all of them when absent."""
    if not raw:
        return SEARCH_KINDS
    kinds = tuple(kind for kind in raw.split(",") if kind)
    unknown = [kind for kind in kinds if kind not in SEARCH_KINDS]
    if unknown:
        raise DomainError(
            _("“%(kind)s” is not a kind of search result.") % {"kind": unknown[0]},
            fields={"kind": [_("Use city, area, project or space.")]},
        )
    return kinds


class SearchView(APIView):
    """Up to eight results whose name contains `q` in Korean or English."""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="What to look for."),
            OpenApiParameter(
                "kind",
                str,
                description="Comma-separated: city, area (읍면동), project, space.",
            ),
        ],
        responses=SearchResponseSerializer,
    )
    def get(self, request):
        query = normalized_query(request.query_params.get("q"))
        results = place_search(
            query=query,
            user=request.user,
            kinds=search_kinds(request.query_params.get("kind")),
            limit=SEARCH_LIMIT,
        )
        return Response(
            SearchResponseSerializer({"query": query, "results": results}).data
        )
