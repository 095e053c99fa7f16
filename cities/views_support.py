"""Small helpers shared by the pages and API views of both apps (renewal imports
them from here; cities never imports renewal's views)."""

import json

from django.shortcuts import get_object_or_404
from django.urls import reverse

from cities.models import Municipality


def municipality_or_404(code: str, *, boundary: bool = False) -> Municipality:
    """The municipality with this code, else 404. Its boundary, a large polygon, is
    loaded only when asked for: the services that check a place against it."""
    municipalities = Municipality.objects.all()
    if not boundary:
        municipalities = municipalities.defer("boundary")
    return get_object_or_404(municipalities, code=code)


def geojson(geometry) -> dict | None:
    """A geometry as a GeoJSON dict for a page's JSON, None for no geometry."""
    return json.loads(geometry.geojson) if geometry else None


def detail_url_template(name: str) -> str:
    """A detail route reversed once with a placeholder id that the page's script
    replaces per feature: "/ko/spaces/{id}/"."""
    return reverse(name, args=[0]).replace("/0/", "/{id}/")


def query_without_page(request) -> str:
    """The request's query string without its page number, for pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
