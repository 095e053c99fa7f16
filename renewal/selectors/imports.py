"""Reads of survey imports, scoped to the staff of their city."""

from django.http import Http404

from cities.models import Municipality
from renewal.models import ImportStatus, SpaceImport

# Imports are inventory administration: the staff who may read the city's
# inventory records may follow them (as the API's status endpoint).
IMPORT_VIEW_PERMISSION = "renewal.view_vacantspace"


def space_import_of_city(*, user, municipality: Municipality, pk: int) -> SpaceImport:
    """One import of the city, or 404 for anyone who is not the city's staff."""
    space_import = (
        SpaceImport.objects.filter(municipality=municipality, pk=pk)
        .select_related("municipality")
        .first()
    )
    if space_import is None or not user.has_perm(IMPORT_VIEW_PERMISSION, space_import):
        raise Http404
    return space_import


def space_import_waits_for_city(space_import: SpaceImport) -> bool:
    """Whether a queued import waits behind another of its city that is running."""
    return (
        space_import.status == ImportStatus.QUEUED
        and SpaceImport.objects.filter(
            municipality_id=space_import.municipality_id, status=ImportStatus.RUNNING
        )
        .exclude(pk=space_import.pk)
        .exists()
    )
