"""Small helpers shared by the pages and API views of both apps (renewal imports
them from here; cities never imports renewal's views)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse

from cities.models import Municipality
from core.errors import DomainError, NotPermitted


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


@contextmanager
def refusal_shown(request, *, form=None) -> Iterator[None]:
    """Shows a service's refusal on the page instead of an error page.

        with refusal_shown(request, form=form):
            space = vacant_space_register(...)
            messages.success(request, ...)
            return redirect(...)
        return render(request, "...", {"form": form})

    A `NotPermitted` becomes a 403. Any other `DomainError` ends the block and
    the view goes on after it (back to the page, or the form shown again): its
    sentence and field messages go on `form` when there is one (a form with
    DomainErrorFormMixin), else into the page messages. The service has rolled
    its transaction back by then, so nothing is changed.
    """
    try:
        yield
    except NotPermitted as error:
        raise PermissionDenied from error
    except DomainError as error:
        if form is not None:
            form.add_domain_error(error)
            return
        messages.error(request, str(error.message))
        for field_messages in error.fields.values():
            for message in field_messages:
                messages.error(request, str(message))
