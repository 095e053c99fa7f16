"""Photos of vacant spaces, from owners, surveyors in the field and city staff.

The original is kept as uploaded, privately: it may carry the camera's GPS position
and other metadata. The public only ever sees the copies a worker makes from it (a
re-encoded image without any metadata, and a thumbnail), and only once the photo is
published.
"""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.core.files.storage import Storage
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.storage import StorageAlias

# The thumbnail's longer side, and the published copy's at most (a phone's 12
# megapixels shown on a web page only cost bandwidth).
THUMBNAIL_PX = 320
PUBLISHED_MAX_PX = 2048


class PhotoSource(models.TextChoices):
    OWNER = "owner", _("Owner")
    SURVEY = "survey", _("Field survey")
    STAFF = "staff", _("City staff")


_photo_storage = StorageAlias("photos")


def photo_storage() -> Storage:
    return _photo_storage


def _unguessable(folder: str, filename: str) -> str:
    # Never the uploader's name: it can hold personal data, and a name that can be
    # guessed is one step from a leak if the folder is ever exposed.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{folder}/{uuid.uuid4().hex}.{extension}"


def original_path(photo, filename: str) -> str:
    return _unguessable("originals", filename)


def published_path(photo, filename: str) -> str:
    return _unguessable("published", filename)


def thumbnail_path(photo, filename: str) -> str:
    return _unguessable("thumbnails", filename)


class SpacePhoto(models.Model):
    space = models.ForeignKey(
        "renewal.VacantSpace", on_delete=models.CASCADE, related_name="photos"
    )
    source = models.CharField(_("source"), max_length=10, choices=PhotoSource.choices)
    original = models.FileField(
        _("original"), storage=photo_storage, upload_to=original_path, max_length=200
    )
    # Written by the worker (space_photo_process); blank until then.
    published_image = models.FileField(
        _("published image"),
        storage=photo_storage,
        upload_to=published_path,
        max_length=200,
        blank=True,
    )
    thumbnail = models.FileField(
        _("thumbnail"),
        storage=photo_storage,
        upload_to=thumbnail_path,
        max_length=200,
        blank=True,
    )
    # From the original's EXIF, when the camera recorded them.
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    location = models.PointField(_("camera position"), srid=4326, null=True, blank=True)
    # As shown: after the EXIF orientation is applied.
    width = models.PositiveIntegerField(_("width (px)"))
    height = models.PositiveIntegerField(_("height (px)"))
    content_sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    # Chosen by the uploading device, so that an offline phone that sends a photo
    # again (it never heard the answer) does not store it twice.
    client_id = models.UUIDField(_("client identifier"), null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("photo of a space")
        verbose_name_plural = _("photos of spaces")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "client_id"],
                condition=Q(client_id__isnull=False),
                name="space_photo_client_id_unique_per_space",
            ),
            models.CheckConstraint(
                condition=Q(width__gt=0, height__gt=0),
                name="space_photo_has_pixels",
            ),
            # The public sees only processed photos: publishing one that has no
            # stripped copy yet is allowed, serving it is not (the selectors).
        ]

    def __str__(self) -> str:
        return f"photo #{self.pk} of space #{self.space_id}"

    @property
    def is_public(self) -> bool:
        return self.is_published and self.processed_at is not None

    @property
    def thumbnail_size(self) -> tuple[int, int]:
        """The thumbnail's width and height, for the page to reserve its space."""
        scale = min(1, THUMBNAIL_PX / max(self.width, self.height))
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))

    def alt_text(self) -> str:
        """What a screen reader says for the photo: its caption, else the place."""
        if self.caption:
            return self.caption
        if self.space.address:
            return gettext("Photo of %(address)s") % {"address": self.space.address}
        return gettext("Photo of vacant space #%(id)s") % {"id": self.space_id}
