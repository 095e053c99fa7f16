from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import Municipality
from core.errors import DomainError, require_perm
from renewal.models import NeighborhoodResource
from renewal.services.history import apply_changes, record_created, record_updated
from renewal.services.tiles import tiles_invalidate

TRACKED_FIELDS = ["category", "name", "description", "location", "source"]


@transaction.atomic
def neighborhood_resource_create(
    *, actor, municipality: Municipality, data: dict
) -> NeighborhoodResource:
    require_perm(actor, "renewal.add_neighborhoodresource", municipality)
    resource = NeighborhoodResource.objects.create(municipality=municipality, **data)
    record_created(record=resource, actor=actor, fields=TRACKED_FIELDS)
    tiles_invalidate("resources")
    return resource


@transaction.atomic
def neighborhood_resource_update(
    *, actor, resource: NeighborhoodResource, data: dict
) -> NeighborhoodResource:
    resource = NeighborhoodResource.objects.select_for_update().get(pk=resource.pk)
    require_perm(actor, "renewal.change_neighborhoodresource", resource)
    if "municipality" in data:
        raise DomainError(_("A resource cannot move to another municipality."))
    changes = apply_changes(resource, data, TRACKED_FIELDS)
    if record_updated(record=resource, actor=actor, changes=changes):
        tiles_invalidate("resources")
    return resource
