from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import Municipality
from renewal.models import ChangeAction, NeighborhoodResource
from renewal.services.errors import DomainError, NotPermitted
from renewal.services.history import apply_changes, inventory_change_record, snapshot
from renewal.services.tiles import tiles_invalidate

TRACKED_FIELDS = ["category", "name", "description", "location", "source"]


@transaction.atomic
def neighborhood_resource_create(
    *, actor, municipality: Municipality, data: dict
) -> NeighborhoodResource:
    if not actor.has_perm("renewal.add_neighborhoodresource", municipality):
        raise NotPermitted()
    resource = NeighborhoodResource.objects.create(municipality=municipality, **data)
    inventory_change_record(
        record=resource,
        actor=actor,
        action=ChangeAction.CREATE,
        changes={k: [None, v] for k, v in snapshot(resource, TRACKED_FIELDS).items()},
    )
    tiles_invalidate("resources")
    return resource


@transaction.atomic
def neighborhood_resource_update(
    *, actor, resource: NeighborhoodResource, data: dict
) -> NeighborhoodResource:
    resource = NeighborhoodResource.objects.select_for_update().get(pk=resource.pk)
    if not actor.has_perm("renewal.change_neighborhoodresource", resource):
        raise NotPermitted()
    if "municipality" in data:
        raise DomainError(_("A resource cannot move to another municipality."))
    changes = apply_changes(resource, data, TRACKED_FIELDS)
    if changes:
        inventory_change_record(
            record=resource, actor=actor, action=ChangeAction.UPDATE, changes=changes
        )
    tiles_invalidate("resources")
    return resource
