"""Photos of vacant spaces: accept, process, publish, delete.

Check, then do. `space_photo_create` is the do-function every uploader goes through
(city staff through `space_photo_add`; owners and surveyors through their own check
services). It refuses anything that is not a readable JPEG, PNG or WebP photo within
the limits *before* writing anything, reads the camera's time and position from the
EXIF, stores the original privately and queues `space_photo_process`, which writes
the copies the public may see: re-encoded without any metadata, and a thumbnail.

Nothing is half-stored: the original is written before the row, and deleted again
if the row is not saved. (A caller that wraps this in a transaction of its own and
then rolls it back owns that file; no caller does.)

EXIF position: kept as the camera recorded it, wherever it lies (a phone without a
fix, or a photo taken from across a river, is still the photo of this space). It is
informational, shown to the city's staff only, and never part of a published file.
A time without an offset is read as Korean time.
"""

import datetime
import hashlib
import io
import math
import os
import uuid
import warnings
from functools import partial
from struct import error as struct_error

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from core.errors import DomainError, require_perm
from renewal.models import ChangeAction, PhotoSource, SpacePhoto, VacantSpace
from renewal.models.photos import PUBLISHED_MAX_PX, THUMBNAIL_PX
from renewal.services.background import enqueue_after_commit
from renewal.services.history import inventory_change_record
from renewal.tasks import space_photo_process_task

# Pillow's formats accepted, with the extension the original is stored under.
# MPO is how Pillow names a JPEG with extra frames (a depth map, a preview), as
# many phones write them: a JPEG to everyone else, the first frame is the photo.
ALLOWED_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
# Pillow's own guard against decompression bombs (about 89 megapixels): far above
# any phone camera, far below what would exhaust a worker's memory.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS
CAPTION_MAX_LENGTH = SpacePhoto._meta.get_field("caption").max_length
# The brand codes of an ISO base media file that is a HEIF/HEIC/AVIF image.
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
PHOTO_QUEUE = settings.TASK_QUEUES["default"]
FILE_FIELD = "file"


def space_photo_max_bytes() -> int:
    return settings.SPACE_PHOTO_MAX_BYTES


def _refusal(message) -> DomainError:
    return DomainError(message, fields={FILE_FIELD: [message]})


def photo_too_large(size: int) -> DomainError:
    return _refusal(
        _("The file is %(size)s; photos may be at most %(limit)s.")
        % {
            "size": filesizeformat(size),
            "limit": filesizeformat(space_photo_max_bytes()),
        }
    )


# A multipart body is the file plus a few hundred bytes of form fields.
MULTIPART_SLACK = 64 * 1024


def request_body_too_large(content_length: str | None) -> int | None:
    """The declared size of a request body (its Content-Length) when it is too
    large to hold an acceptable photo: the pages and the API refuse it before
    reading it. None: it may be acceptable (the upload is checked again)."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return None
    return length if length > space_photo_max_bytes() + MULTIPART_SLACK else None


def _read_upload(upload) -> tuple[str, bytes]:
    """The upload's base name and content, refused when empty or too large
    without reading more than the limit."""
    name = os.path.basename(getattr(upload, "name", "") or "") or _("the file")
    limit = space_photo_max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise photo_too_large(size)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise photo_too_large(size if size and size > limit else len(data))
    if not data:
        raise _refusal(_("The file is empty: send a JPEG, PNG or WebP photo."))
    return name, data


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


def _decoded(name: str, data: bytes) -> Image.Image:
    """The image, fully decoded, or a refusal saying what is wrong with it."""
    not_an_image = _("“%(name)s” is not an image: send a JPEG, PNG or WebP photo.") % {
        "name": name
    }
    try:
        with warnings.catch_warnings():
            # Between MAX_PIXELS and twice that, Pillow only warns: the size check
            # below refuses those; beyond, it raises DecompressionBombError.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        if image.format not in ALLOWED_FORMATS:
            raise _refusal(
                _("“%(name)s” is a %(format)s image; photos must be JPEG, PNG or WebP.")
                % {"name": name, "format": image.format}
            )
        _check_pixels(image.width, image.height)
        image.load()
    except Image.DecompressionBombError:
        raise _refusal(
            _(
                "The image has too many pixels; photos may have at most %(limit)s "
                "million pixels."
            )
            % {"limit": MAX_PIXELS // 1_000_000}
        )
    except UnidentifiedImageError:
        if _is_heif(data):
            raise _refusal(
                _(
                    "“%(name)s” is a HEIC photo, which cannot be read here: send it "
                    "as JPEG (on an iPhone: Settings › Camera › Formats › Most "
                    "Compatible)."
                )
                % {"name": name}
            )
        raise _refusal(not_an_image)
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct_error):
        # Truncated or corrupt data: Pillow's decoders say so in these ways.
        raise _refusal(_("The image is damaged and cannot be read."))
    return image


def _check_pixels(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise _refusal(_("The image is damaged and cannot be read."))
    if width * height > MAX_PIXELS:
        raise _refusal(
            _(
                "The image is %(width)d × %(height)d pixels; photos may have at "
                "most %(limit)d million pixels."
            )
            % {"width": width, "height": height, "limit": MAX_PIXELS // 1_000_000}
        )


# EXIF -------------------------------------------------------------------------


def _exif_taken_at(exif_ifd) -> datetime.datetime | None:
    raw = exif_ifd.get(ExifTags.Base.DateTimeOriginal)
    if not isinstance(raw, str):
        return None
    try:
        taken = datetime.datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:  # "0000:00:00 00:00:00" and other placeholders
        return None
    offset = exif_ifd.get(ExifTags.Base.OffsetTimeOriginal)
    zone = None
    if isinstance(offset, str):
        try:
            zone = datetime.datetime.strptime(offset.strip("\x00 "), "%z").tzinfo
        except ValueError:
            zone = None
    if zone is not None:
        taken = taken.replace(tzinfo=zone)
    else:
        # Cameras record local time; this platform's photos are taken in Korea.
        taken = timezone.make_aware(taken, timezone.get_default_timezone())
    if taken.year < 1990 or taken > timezone.now() + datetime.timedelta(days=1):
        return None  # an unset or wrong camera clock
    return taken


def _degrees(value) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    return degrees + minutes / 60 + seconds / 3600


def _exif_location(gps_ifd) -> Point | None:
    try:
        lat = _degrees(gps_ifd[ExifTags.GPS.GPSLatitude])
        lon = _degrees(gps_ifd[ExifTags.GPS.GPSLongitude])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if str(gps_ifd.get(ExifTags.GPS.GPSLatitudeRef, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps_ifd.get(ExifTags.GPS.GPSLongitudeRef, "E")).upper().startswith("W"):
        lon = -lon
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None  # no fix: some cameras write zeros
    return Point(lon, lat, srid=4326)


def photo_exif_facts(
    image: Image.Image,
) -> tuple[datetime.datetime | None, Point | None]:
    """When and where the camera says the photo was taken (None where it does not
    say, or says something impossible). Malformed EXIF never refuses a photo."""
    try:
        exif = image.getexif()
        taken_at = _exif_taken_at(exif.get_ifd(ExifTags.IFD.Exif))
        location = _exif_location(exif.get_ifd(ExifTags.IFD.GPSInfo))
    except Exception:  # noqa: BLE001 - EXIF is informational, its parsers many
        return None, None
    return taken_at, location


def _shown_size(image: Image.Image) -> tuple[int, int]:
    """Width and height as the photo is shown, after its EXIF orientation."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # noqa: BLE001
        orientation = 1
    if orientation in (5, 6, 7, 8):  # rotated a quarter turn
        return image.height, image.width
    return image.width, image.height


# Writes -----------------------------------------------------------------------


def _photo_history(*, actor, space: VacantSpace, photo_id: int, event: str) -> None:
    # On the space: its history is where staff look for what happened to it.
    inventory_change_record(
        record=space,
        actor=actor,
        action=ChangeAction.UPDATE,
        changes={"photo": {"id": photo_id, "event": event}},
    )


def _files_delete(storage, names) -> None:
    for name in names:
        if name:
            storage.delete(name)


def space_photo_create(
    *,
    actor,
    space: VacantSpace,
    upload,
    source: str,
    client_id: uuid.UUID | str | None = None,
    publish: bool = False,
    caption: str = "",
) -> SpacePhoto:
    """Store a photo of `space` (permission decided by the caller).

    The same `client_id` for the same space returns the photo already stored and
    stores nothing new, however often and however concurrently it is sent.
    """
    if source not in PhotoSource.values:
        raise DomainError(_("Unknown photo source."), fields={"source": [source]})
    caption = (caption or "").strip()
    if len(caption) > CAPTION_MAX_LENGTH:
        raise DomainError(
            _("A caption may be at most %(limit)d characters.")
            % {"limit": CAPTION_MAX_LENGTH},
            fields={"caption": [_("Too long.")]},
        )
    if client_id is not None and not isinstance(client_id, uuid.UUID):
        try:
            client_id = uuid.UUID(str(client_id))
        except ValueError:
            raise DomainError(
                _("The client identifier must be a UUID."),
                fields={"client_id": [_("Not a UUID.")]},
            )
    if client_id is not None:
        existing = SpacePhoto.objects.filter(space=space, client_id=client_id).first()
        if existing is not None:
            return existing

    name, data = _read_upload(upload)
    image = _decoded(name, data)
    width, height = _shown_size(image)
    taken_at, location = photo_exif_facts(image)
    image.close()

    photo = SpacePhoto(
        space=space,
        source=source,
        width=width,
        height=height,
        taken_at=taken_at,
        location=location,
        content_sha256=hashlib.sha256(data).hexdigest(),
        client_id=client_id,
        is_published=publish,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        caption=caption,
    )
    extension = ALLOWED_FORMATS[image.format]
    # Written first, so that the row never points at a file that is not there.
    photo.original.save(f"photo.{extension}", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            photo.save()
            _photo_history(actor=actor, space=space, photo_id=photo.pk, event="added")
            enqueue_after_commit(
                space_photo_process_task, args=(photo.pk,), queue=PHOTO_QUEUE
            )
    except IntegrityError:
        photo.original.storage.delete(photo.original.name)
        # The same device's other request stored it a moment ago.
        existing = (
            SpacePhoto.objects.filter(space=space, client_id=client_id).first()
            if client_id is not None
            else None
        )
        if existing is None:
            raise
        return existing
    except BaseException:
        photo.original.storage.delete(photo.original.name)
        raise
    return photo


def _jpeg(image: Image.Image, *, longest: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    # A new image carries nothing of the original's: no EXIF (GPS, camera serial
    # number, time), no XMP, no comment, no ICC profile.
    clean = Image.new("RGB", copy.size)
    clean.paste(copy)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """RGB, transparent parts on white (a JPEG has no transparency)."""
    if image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def space_photo_process(photo_id: int) -> None:
    """Write the published copy (oriented, re-encoded, no metadata) and the
    thumbnail of a photo. Idempotent: a processed or deleted photo is left alone,
    and of two concurrent runs only one's files are kept."""
    photo = SpacePhoto.objects.filter(pk=photo_id).first()
    if photo is None or photo.processed_at is not None:
        return
    try:
        with photo.original.open("rb") as original:
            data = original.read()
    except FileNotFoundError:
        if not SpacePhoto.objects.filter(pk=photo_id).exists():
            return  # deleted, its files with it, since it was read above
        raise
    with Image.open(io.BytesIO(data)) as image:
        # The pixels as the camera meant them to be seen, then nothing else.
        shown = _flattened(ImageOps.exif_transpose(image))
    published = _jpeg(shown, longest=PUBLISHED_MAX_PX)
    thumbnail = _jpeg(shown, longest=THUMBNAIL_PX)
    storage = photo.original.storage
    photo.published_image.save("image.jpg", ContentFile(published), save=False)
    photo.thumbnail.save("thumbnail.jpg", ContentFile(thumbnail), save=False)
    written = [photo.published_image.name, photo.thumbnail.name]
    try:
        with transaction.atomic():
            current = SpacePhoto.objects.select_for_update().filter(pk=photo_id).first()
            if current is None or current.processed_at is not None:
                _files_delete(storage, written)
                return
            SpacePhoto.objects.filter(pk=photo_id).update(
                published_image=written[0],
                thumbnail=written[1],
                processed_at=timezone.now(),
            )
    except BaseException:
        _files_delete(storage, written)
        raise


def space_photo_publication_set(
    *, actor, photo: SpacePhoto, published: bool
) -> SpacePhoto:
    """Publish or withdraw a photo (do-function). Withdrawing takes effect at
    once: every public address of the photo answers 404 from then on."""
    if photo.is_published == published:
        return photo
    with transaction.atomic():
        photo.is_published = published
        photo.save(update_fields=["is_published"])
        _photo_history(
            actor=actor,
            space=photo.space,
            photo_id=photo.pk,
            event="published" if published else "unpublished",
        )
    return photo


def space_photo_publish(*, actor, photo: SpacePhoto, published: bool) -> SpacePhoto:
    require_perm(actor, "renewal.publish_spacephoto", photo)
    return space_photo_publication_set(actor=actor, photo=photo, published=published)


def space_photo_add(
    *, actor, space: VacantSpace, upload, caption: str = "", publish: bool = False
) -> SpacePhoto:
    """A photo uploaded by the city's staff."""
    require_perm(actor, "renewal.add_spacephoto", space)
    return space_photo_create(
        actor=actor,
        space=space,
        upload=upload,
        source=PhotoSource.STAFF,
        publish=publish,
        caption=caption,
    )


def space_photo_delete(*, actor, photo: SpacePhoto) -> None:
    """Delete a photo and, once that is committed, its files."""
    require_perm(actor, "renewal.delete_spacephoto", photo)
    storage = photo.original.storage
    photo_id = photo.pk
    with transaction.atomic():
        # The names as stored now: the worker may have written its copies since
        # `photo` was read (and, locked out here, it sees the photo gone after).
        names = (
            SpacePhoto.objects.select_for_update()
            .filter(pk=photo_id)
            .values_list("original", "published_image", "thumbnail")
            .first()
        )
        if names is None:
            return
        SpacePhoto.objects.filter(pk=photo_id).delete()
        _photo_history(
            actor=actor, space=photo.space, photo_id=photo_id, event="deleted"
        )
        transaction.on_commit(partial(_files_delete, storage, names), robust=True)
