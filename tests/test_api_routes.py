"""Every API route is listed in config/api_urls.py, so the API reads in one place."""

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

API_PREFIXES = ("api/", "tiles/", "ogc/")


def routes(patterns, prefix="", source="config.urls"):
    """(path, view class or function, urls module it is listed in) for each route."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            # An inline list stays in its module; an included module is a new source.
            name = pattern.urlconf_name
            inner = (
                source if isinstance(name, list) else getattr(name, "__name__", name)
            )
            yield from routes(
                pattern.url_patterns, prefix + str(pattern.pattern), inner
            )
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", pattern.callback)
            yield prefix + str(pattern.pattern), view, source


def test_every_api_route_is_listed_in_config_api_urls():
    found = list(routes(get_resolver().url_patterns))
    api_routes = [
        (path, source)
        for path, view, source in found
        if path.startswith(API_PREFIXES)
        or (isinstance(view, type) and issubclass(view, APIView))
    ]

    assert len(api_routes) > 50  # the walk reached the API
    assert {source for _path, source in api_routes} == {"config.api_urls"}


def test_the_api_root_lists_every_resource_on_the_router(client, db):
    body = client.get("/api/v1/", HTTP_ACCEPT="application/json").json()

    assert set(body) == {
        "municipalities",
        "spaces",
        "resources",
        "organizations",
        "projects",
        "matches",
        "bids",
    }
