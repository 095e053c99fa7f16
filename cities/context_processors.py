from django.conf import settings
from django.utils.translation import get_language_from_path

from cities.models import BOUNDARY_ATTRIBUTION


def map_settings(request):
    return {
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
        # Downtowns are drawn from the census 읍면동: their licence asks for this.
        "BOUNDARY_ATTRIBUTION": BOUNDARY_ATTRIBUTION,
    }


def language_neutral_path(request):
    """The current path without its /ko/ or /en/ prefix, for the language switch.

    Django's set_language can only translate a prefixed URL that resolves in the
    browser's language; an unprefixed path instead lands on LocaleMiddleware, which
    redirects it to the language just chosen.
    """
    path = request.get_full_path()
    language = get_language_from_path(request.path_info)
    if language:
        path = path[len(language) + 1 :]
    return {"language_neutral_path": path}
