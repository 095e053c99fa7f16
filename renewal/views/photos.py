"""Photos of spaces, as files and as the space page's forms.

The files are served here, never by a static file server: a published photo's
stripped copies to everyone, an unpublished one's to its city's staff only, the
original (with the camera's metadata) to its city's staff only. Withdrawing a
photo takes effect at the next request; public copies are cached briefly for that
reason.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from cities.views_support import refusal_shown
from renewal.models import SpacePhoto
from renewal.selectors.photos import ORIGINAL_PERMISSION, space_photo_visible
from renewal.selectors.spaces import vacant_space_list
from renewal.services.photos import (
    photo_too_large,
    request_body_too_large,
    space_photo_add,
    space_photo_delete,
    space_photo_max_bytes,
    space_photo_publish,
)

# The public copies, by the name in their address.
VARIANTS = {"image": "published_image", "thumbnail": "thumbnail"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, max-age=300"


class PhotoUploadLimit(FileUploadHandler):
    """Stops reading an upload once it passes the photo size limit: the rest of
    the body is discarded as it arrives, never kept in memory or on disk. Put
    first, before anything reads the body (a session's CSRF check does)."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > space_photo_max_bytes():
            self.request.photo_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def refused_size(request) -> int | None:
    """The size to name in the refusal of a body too large for a photo (its
    declared length), or None when it may hold an acceptable one."""
    content_length = request.META.get("CONTENT_LENGTH")
    too_large = request_body_too_large(content_length)
    if too_large is None and getattr(request, "photo_too_large", False):
        try:
            too_large = int(content_length or 0)
        except ValueError:
            too_large = 0
        too_large = max(too_large, space_photo_max_bytes() + 1)
    return too_large


def _file_response(field_file, content_type: str, cache: str) -> FileResponse:
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def photo_file(request, pk: int, variant: str):
    """/photos/<id>/image.jpg and /photos/<id>/thumbnail.jpg."""
    field = VARIANTS.get(variant)
    if field is None:
        raise Http404
    photo = space_photo_visible(request.user, pk)
    if photo is None or photo.processed_at is None:
        raise Http404
    cache = PUBLIC_CACHE if photo.is_public else PRIVATE_CACHE
    return _file_response(getattr(photo, field), "image/jpeg", cache)


@require_safe
def photo_original(request, pk: int):
    """/photos/<id>/original: as uploaded, EXIF and all, for the city's staff."""
    photo = space_photo_visible(request.user, pk)
    if photo is None:
        raise Http404
    if not request.user.has_perm(ORIGINAL_PERMISSION, photo):
        raise PermissionDenied
    extension = photo.original.name.rsplit(".", 1)[-1].lower()
    return _file_response(
        photo.original,
        CONTENT_TYPES.get(extension, "application/octet-stream"),
        PRIVATE_CACHE,
    )


def _back_to_space(space_id: int):
    return redirect(reverse("renewal:space-detail", args=[space_id]) + "#photos")


@login_required
@csrf_exempt
@require_POST
def space_photo_upload(request, pk: int):
    # A body that declares too large a size is refused before anything reads it,
    # the CSRF check included (hence csrf_exempt here, csrf_protect on the view
    # proper); one that turns out too large while it is read, as soon as it does.
    space = get_object_or_404(vacant_space_list(user=request.user), pk=pk)
    if not request.user.has_perm("renewal.add_spacephoto", space):
        raise PermissionDenied
    request.upload_handlers.insert(0, PhotoUploadLimit(request))
    too_large = request_body_too_large(request.META.get("CONTENT_LENGTH"))
    if too_large is not None:
        messages.error(request, str(photo_too_large(too_large).message))
        return _back_to_space(space.pk)
    return _space_photo_upload(request, space)


@csrf_protect
def _space_photo_upload(request, space):
    upload = request.FILES.get("file")
    too_large = refused_size(request)
    if too_large is not None:
        messages.error(request, str(photo_too_large(too_large).message))
    elif upload is None:
        messages.error(request, _("Choose a photo to upload."))
    else:
        with refusal_shown(request):
            space_photo_add(
                actor=request.user,
                space=space,
                upload=upload,
                caption=request.POST.get("caption", ""),
                publish=request.POST.get("publish") == "on",
            )
            messages.success(
                request,
                _("The photo was added; its published copy is being prepared."),
            )
    return _back_to_space(space.pk)


def _photo_for_staff(request, pk: int) -> SpacePhoto:
    photo = space_photo_visible(request.user, pk)
    if photo is None:
        raise Http404
    return photo


@login_required
@require_POST
def space_photo_publication(request, pk: int):
    photo = _photo_for_staff(request, pk)
    published = request.POST.get("published") == "1"
    with refusal_shown(request):
        space_photo_publish(actor=request.user, photo=photo, published=published)
        messages.success(
            request,
            _("The photo is now public.")
            if published
            else _("The photo is no longer public."),
        )
    return _back_to_space(photo.space_id)


@login_required
@require_POST
def space_photo_remove(request, pk: int):
    photo = _photo_for_staff(request, pk)
    with refusal_shown(request):
        space_photo_delete(actor=request.user, photo=photo)
        messages.success(request, _("The photo was deleted."))
    return _back_to_space(photo.space_id)
