"""Reads of the photos of spaces, scoped to what the reader may see.

The public sees a photo once it is published *and* processed: before the worker
has written its stripped copy there is nothing that may be shown.
"""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from renewal.models import SpacePhoto, VacantSpace
from renewal.rules import municipality_ids_with_permission

PUBLIC = Q(is_published=True, processed_at__isnull=False)
# Whose staff see every photo of a space, published or not.
STAFF_PERMISSION = "renewal.view_vacantspace"
# Who may see a photo's original, with the camera's metadata.
ORIGINAL_PERMISSION = "renewal.view_spacephoto_original"


def _photos() -> QuerySet[SpacePhoto]:
    # The space comes along: the rules decide by photo.space, and a page names it.
    return (
        SpacePhoto.objects.select_related("space")
        .defer("space__footprint")
        .order_by("created_at", "id")
    )


def public_space_photos(space_ids: Iterable[int]) -> QuerySet[SpacePhoto]:
    """The published, processed photos of these spaces, oldest first."""
    return _photos().filter(PUBLIC, space_id__in=list(space_ids))


def space_photos_for(user, space: VacantSpace) -> QuerySet[SpacePhoto]:
    """The photos of `space` that `user` may see: all of them for staff of its
    city, the public ones for everyone else."""
    photos = _photos().filter(space=space)
    if not user.has_perm(STAFF_PERMISSION, space):
        photos = photos.filter(PUBLIC)
    return photos


def space_photo_visible(user, pk: int) -> SpacePhoto | None:
    """One photo, if `user` may see it at all (None: as if it did not exist)."""
    visible = PUBLIC
    staff_of = municipality_ids_with_permission(user=user, permission=STAFF_PERMISSION)
    if staff_of:
        visible |= Q(space__municipality_id__in=staff_of)
    return _photos().filter(visible, pk=pk).first()
