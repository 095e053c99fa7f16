"""Photos of spaces under /api/v1/: list and upload per space, publish, delete.

The list holds what the caller may see (every photo for the staff of the space's
city, the published and processed ones for everyone else), with the addresses of
the files (renewal/views/photos.py serves them). The camera's position and the
original are the city staff's only.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_parsing import PARSERS
from core.errors import NotPermitted, TooLarge
from renewal.models import SpacePhoto
from renewal.selectors.photos import (
    ORIGINAL_PERMISSION,
    space_photo_visible,
    space_photos_for,
)
from renewal.selectors.spaces import vacant_space_list
from renewal.services.photos import (
    photo_too_large,
    space_photo_add,
    space_photo_delete,
    space_photo_publish,
)
from renewal.views.photos import PhotoUploadLimit, refused_size

NULLABLE_POINT = {
    "type": "object",
    "nullable": True,
    "description": "GeoJSON Point in EPSG:4326",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 2,
            "maxItems": 2,
        },
    },
}


class SpacePhotoSerializer(serializers.ModelSerializer):
    alt = serializers.SerializerMethodField()
    processed = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField()
    location = serializers.SerializerMethodField()

    class Meta:
        model = SpacePhoto
        fields = [
            "id",
            "space",
            "caption",
            "alt",
            "source",
            "is_published",
            "processed",
            "width",
            "height",
            "taken_at",
            "created_at",
            "image_url",
            "thumbnail_url",
            "original_url",
            "location",
        ]
        read_only_fields = fields

    def _url(self, name: str, *args) -> str:
        return self.context["request"].build_absolute_uri(reverse(name, args=args))

    def _is_staff(self, photo) -> bool:
        return self.context["request"].user.has_perm(ORIGINAL_PERMISSION, photo)

    def get_alt(self, photo) -> str:
        return photo.alt_text()

    def get_processed(self, photo) -> bool:
        return photo.processed_at is not None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image_url(self, photo) -> str | None:
        if photo.processed_at is None:
            return None
        return self._url("space-photo-file", photo.pk, "image")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, photo) -> str | None:
        if photo.processed_at is None:
            return None
        return self._url("space-photo-file", photo.pk, "thumbnail")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_original_url(self, photo) -> str | None:
        if not self._is_staff(photo):
            return None
        return self._url("space-photo-original", photo.pk)

    @extend_schema_field(NULLABLE_POINT)
    def get_location(self, photo) -> dict | None:
        """The camera's position from the EXIF: staff of the city only."""
        if photo.location is None or not self._is_staff(photo):
            return None
        return {"type": "Point", "coordinates": [photo.location.x, photo.location.y]}


class SpacePhotoUploadSerializer(serializers.Serializer):
    # Empty files reach the service, which says what is wrong in its own words.
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="A JPEG, PNG or WebP photo, at most SPACE_PHOTO_MAX_BYTES",
    )
    caption = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    publish = serializers.BooleanField(required=False, default=False)


class SpacePhotoPublishSerializer(serializers.Serializer):
    published = serializers.BooleanField()


class SpacePhotosView(APIView):
    """The photos of a space the caller may see; staff of its city upload (a
    multipart form: `file`, optional `caption` and `publish`)."""

    parser_classes = [MultiPartParser, FormParser]
    serializer_class = SpacePhotoSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return []

    def _space(self, request, pk: int):
        return get_object_or_404(vacant_space_list(user=request.user), pk=pk)

    @extend_schema(
        operation_id="spaces_photos_list",
        responses={200: SpacePhotoSerializer(many=True)},
    )
    def get(self, request, pk: int):
        photos = space_photos_for(request.user, self._space(request, pk))
        return Response(
            SpacePhotoSerializer(photos, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="spaces_photos_create",
        request={"multipart/form-data": SpacePhotoUploadSerializer},
        responses={201: SpacePhotoSerializer},
    )
    def initialize_request(self, request, *args, **kwargs):
        # Before DRF reads the body (its session CSRF check does, on POST).
        request.upload_handlers.insert(0, PhotoUploadLimit(request))
        return super().initialize_request(request, *args, **kwargs)

    def post(self, request, pk: int):
        space = self._space(request, pk)
        if not request.user.has_perm("renewal.add_spacephoto", space):
            raise NotPermitted()
        upload = photo_upload_fields(request, SpacePhotoUploadSerializer)
        photo = space_photo_add(
            actor=request.user,
            space=space,
            upload=upload["file"],
            caption=upload["caption"],
            publish=upload["publish"],
        )
        return Response(
            SpacePhotoSerializer(photo, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


def photo_upload_fields(request, serializer_class) -> dict:
    """The validated fields of a photo upload (the API's multipart bodies); a body
    over the photo limit is refused with 413 before its fields are looked at."""
    data = request.data  # read first: the size limit is found while reading
    too_large = refused_size(request._request)
    if too_large is not None:
        refusal = photo_too_large(too_large)
        raise TooLarge(refusal.message, fields=refusal.fields)
    payload = serializer_class(data=data)
    payload.is_valid(raise_exception=True)
    return payload.validated_data


def _visible_photo(request, pk: int) -> SpacePhoto:
    photo = space_photo_visible(request.user, pk)
    if photo is None:
        raise Http404
    return photo


class SpacePhotoPublishView(APIView):
    """Publish a photo (`{"published": true}`) or withdraw it; editors of the
    space's city."""

    permission_classes = [IsAuthenticated]
    parser_classes = PARSERS

    @extend_schema(
        operation_id="photos_publish",
        request=SpacePhotoPublishSerializer,
        responses={200: SpacePhotoSerializer},
    )
    def post(self, request, pk: int):
        photo = _visible_photo(request, pk)
        payload = SpacePhotoPublishSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        photo = space_photo_publish(
            actor=request.user,
            photo=photo,
            published=payload.validated_data["published"],
        )
        return Response(SpacePhotoSerializer(photo, context={"request": request}).data)


class SpacePhotoDetailView(APIView):
    """Delete a photo and its files; editors of the space's city."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="photos_destroy", request=None, responses={204: None})
    def delete(self, request, pk: int):
        space_photo_delete(actor=request.user, photo=_visible_photo(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
