"""Photos of spaces: what is accepted and refused, what the EXIF gives, what the
worker strips, and who sees what."""

import datetime
import io
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from PIL import ExifTags, Image

from core.errors import DomainError, NotPermitted
from renewal.models import InventoryChange, SpacePhoto
from renewal.services import photos as photo_services
from renewal.services.photos import (
    space_photo_add,
    space_photo_create,
    space_photo_delete,
    space_photo_process,
    space_photo_publish,
)
from tests.factories import VacantSpaceFactory
from tests.helpers import HANG_GUARD_SECONDS
from tests.photos import (
    SEOUL,
    bomb_png,
    exif_of,
    jpeg_bytes,
    marked_image,
    png_bytes,
    stored_files,
    upload,
)


@pytest.fixture
def space(city):
    return VacantSpaceFactory(municipality=city, address="중앙로 12")


@pytest.fixture
def editor(personas):
    return personas["city_editor"]


def _create(space, data, *, name="photo.jpg", **options):
    return space_photo_create(
        actor=options.pop("actor", None),
        space=space,
        upload=upload(data, name),
        source=options.pop("source", "survey"),
        **options,
    )


@pytest.fixture
def create(django_capture_on_commit_callbacks):
    """_create, with what waits for the commit run (the worker's task, eager here,
    and file deletions)."""

    def create(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return _create(*args, **kwargs)

    return create


def _image(photo, field: str) -> Image.Image:
    with getattr(photo, field).open("rb") as stored:
        return Image.open(io.BytesIO(stored.read()))


# What the EXIF gives ----------------------------------------------------------


def test_a_phone_photo_keeps_when_and_where_it_was_taken(create, space, editor):
    photo = create(space, jpeg_bytes(), actor=editor, client_id=uuid.uuid4())

    photo.refresh_from_db()
    assert photo.taken_at == datetime.datetime(2024, 5, 1, 5, 30, tzinfo=datetime.UTC)
    assert photo.location.y == pytest.approx(SEOUL[0], abs=1e-4)
    assert photo.location.x == pytest.approx(SEOUL[1], abs=1e-4)
    assert (photo.width, photo.height) == (120, 80)
    assert photo.uploaded_by == editor
    assert photo.processed_at is not None  # eager here: the task ran at commit


def test_a_time_without_offset_is_korean_time_and_a_zero_position_is_none(
    create, space
):
    photo = create(space, jpeg_bytes(offset=None, position=(0.0, 0.0)))

    assert photo.taken_at == datetime.datetime(2024, 5, 1, 5, 30, tzinfo=datetime.UTC)
    assert photo.location is None


def test_a_photo_without_exif_is_accepted_without_time_or_place(create, space):
    photo = create(space, png_bytes(), name="plan.png")

    assert (photo.taken_at, photo.location) == (None, None)
    assert photo.original.name.startswith("originals/")
    assert photo.original.name.endswith(".png")


def test_a_phone_jpeg_with_extra_frames_is_a_jpeg(create, space):
    # Multi-picture JPEG (MPO): what many phones write for portrait-mode shots.
    out = io.BytesIO()
    marked_image().save(
        out, "MPO", save_all=True, append_images=[Image.new("RGB", (120, 80))]
    )

    photo = create(space, out.getvalue(), name="portrait.jpg")

    photo.refresh_from_db()
    assert photo.original.name.endswith(".jpg")
    assert _image(photo, "published_image").getpixel((10, 40))[0] > 200


def test_a_rotated_photo_counts_its_size_as_shown(create, space):
    # Orientation 6: stored landscape, shown portrait.
    photo = create(space, jpeg_bytes(orientation=6))

    assert (photo.width, photo.height) == (80, 120)


# The worker's copies ----------------------------------------------------------


def test_the_published_copies_carry_no_metadata_and_are_turned_upright(create, space):
    photo = create(space, jpeg_bytes(marked_image((640, 400)), orientation=6))

    photo.refresh_from_db()
    published = _image(photo, "published_image")
    thumbnail = _image(photo, "thumbnail")
    assert published.format == thumbnail.format == "JPEG"
    assert exif_of(photo.published_image.open("rb").read()) == {}
    assert exif_of(photo.thumbnail.open("rb").read()) == {}
    assert not {"icc_profile", "comment", "xmp"} & set(published.info)
    # Turned a quarter clockwise: the red left half is now on top.
    assert published.size == (400, 640)
    assert max(thumbnail.size) == 320
    top, bottom = published.getpixel((200, 20)), published.getpixel((200, 620))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60
    # The original keeps what the camera wrote, privately.
    assert exif_of(photo.original.open("rb").read())


@pytest.mark.worker
def test_a_real_worker_writes_copies_without_exif(
    celery_worker, monkeypatch, photo_root, personas, city
):
    queue = celery_worker(PHOTO_ROOT=str(photo_root))
    monkeypatch.setattr(photo_services, "PHOTO_QUEUE", queue)
    space = VacantSpaceFactory(municipality=city)

    photo = space_photo_add(
        actor=personas["city_editor"],
        space=space,
        upload=upload(jpeg_bytes(marked_image((300, 200)), orientation=8)),
    )
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not SpacePhoto.objects.filter(pk=photo.pk, processed_at__isnull=False):
        assert time.monotonic() < deadline, "the worker did not process the photo"
        time.sleep(0.1)

    photo.refresh_from_db()
    for field in ("published_image", "thumbnail"):
        data = getattr(photo, field).open("rb").read()
        assert exif_of(data) == {}
        with Image.open(io.BytesIO(data)) as image:
            assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
            # Orientation 8: turned a quarter anticlockwise, red half at the bottom.
            assert image.height > image.width
            bottom = image.getpixel((image.width // 2, image.height - 5))
            assert bottom[0] > 200 and bottom[2] < 60
    assert stored_files(photo_root) == sorted(
        [photo.original.name, photo.published_image.name, photo.thumbnail.name]
    )


def test_processing_twice_changes_nothing(create, space, photo_root):
    photo = create(space, jpeg_bytes())
    photo.refresh_from_db()
    files = stored_files(photo_root)

    space_photo_process(photo.pk)

    again = SpacePhoto.objects.get(pk=photo.pk)
    assert (again.published_image.name, again.thumbnail.name) == (
        photo.published_image.name,
        photo.thumbnail.name,
    )
    assert again.processed_at == photo.processed_at
    assert stored_files(photo_root) == files
    assert len(files) == 3


def test_a_transparent_png_is_published_on_white(create, space):
    image = Image.new("RGBA", (60, 60), (0, 0, 0, 0))
    photo = create(space, png_bytes(image), name="logo.png")

    photo.refresh_from_db()
    assert _image(photo, "published_image").getpixel((30, 30)) == (255, 255, 255)


# Refusals: a specific sentence, nothing stored ---------------------------------


def _refused(create, space, data, name, photo_root) -> str:
    with translation.override("en"), pytest.raises(DomainError) as refusal:
        create(space, data, name=name)
    assert not SpacePhoto.objects.exists()
    assert stored_files(photo_root) == []
    assert not InventoryChange.objects.exists()
    return str(refusal.value.message)


def test_a_file_over_the_size_limit_is_refused(create, space, settings, photo_root):
    settings.SPACE_PHOTO_MAX_BYTES = 1000
    data = jpeg_bytes(marked_image((400, 300)))
    assert len(data) > 1000

    message = _refused(create, space, data, "big.jpg", photo_root)

    with translation.override("en"):
        size, limit = filesizeformat(len(data)), filesizeformat(1000)
    assert message == f"The file is {size}; photos may be at most {limit}."
    assert limit == "1000\xa0bytes"


def test_a_pdf_named_jpg_is_not_an_image(create, space, photo_root):
    message = _refused(
        create, space, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "x.jpg", photo_root
    )

    assert message == "“x.jpg” is not an image: send a JPEG, PNG or WebP photo."


def test_a_truncated_jpeg_is_damaged(create, space, photo_root):
    data = jpeg_bytes(marked_image((400, 300)))

    message = _refused(create, space, data[: len(data) // 2], "cut.jpg", photo_root)

    assert message == "The image is damaged and cannot be read."


def test_a_decompression_bomb_is_refused(create, space, photo_root):
    message = _refused(create, space, bomb_png(), "bomb.png", photo_root)

    assert "too many pixels" in message or "100000 × 100000" in message


def test_a_picture_just_over_the_pixel_limit_is_refused(create, space, photo_root):
    # Between the limit and twice it Pillow only warns; the service refuses.
    message = _refused(create, space, bomb_png(10_000, 9_000), "wide.png", photo_root)

    assert message.startswith("The image is 10000 × 9000 pixels")


def test_an_empty_file_is_refused(create, space, photo_root):
    message = _refused(create, space, b"", "empty.jpg", photo_root)

    assert message == "The file is empty: send a JPEG, PNG or WebP photo."


def test_a_gif_is_refused_by_format(create, space, photo_root):
    out = io.BytesIO()
    marked_image().save(out, "GIF")

    message = _refused(create, space, out.getvalue(), "anim.gif", photo_root)

    assert message == "“anim.gif” is a GIF image; photos must be JPEG, PNG or WebP."


def test_a_heic_photo_is_refused_with_the_way_to_send_jpeg(create, space, photo_root):
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64

    message = _refused(create, space, heic, "IMG_0001.HEIC", photo_root)

    assert message.startswith("“IMG_0001.HEIC” is a HEIC photo")
    assert "JPEG" in message


def test_a_failure_after_the_file_is_written_leaves_no_file(
    create, space, photo_root, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("history down")

    monkeypatch.setattr(photo_services, "_photo_history", broken)

    with pytest.raises(RuntimeError):
        create(space, jpeg_bytes())

    assert not SpacePhoto.objects.exists()
    assert stored_files(photo_root) == []


# Idempotent uploads from an offline device ------------------------------------


def test_the_same_client_id_twice_stores_one_photo(create, space, photo_root):
    client_id = uuid.uuid4()
    first = create(space, jpeg_bytes(), client_id=client_id)
    again = create(space, jpeg_bytes(), client_id=str(client_id))

    assert again.pk == first.pk
    assert SpacePhoto.objects.count() == 1
    originals = [name for name in stored_files(photo_root) if "originals/" in name]
    assert len(originals) == 1


def test_the_same_client_id_on_another_space_is_another_photo(create, space, city):
    client_id = uuid.uuid4()
    create(space, jpeg_bytes(), client_id=client_id)
    create(VacantSpaceFactory(municipality=city), jpeg_bytes(), client_id=client_id)

    assert SpacePhoto.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sends_of_one_photo_store_it_once(space, photo_root):
    client_id = uuid.uuid4()
    data = jpeg_bytes()

    def send(_):
        try:
            return _create(space, data, client_id=client_id).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        ids = list(pool.map(send, range(2), timeout=HANG_GUARD_SECONDS))

    assert ids[0] == ids[1]
    assert SpacePhoto.objects.count() == 1
    assert len([n for n in stored_files(photo_root) if "originals/" in n]) == 1


# Check services ---------------------------------------------------------------


def test_city_staff_add_publish_and_delete_with_history(
    space, editor, photo_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        photo = space_photo_add(actor=editor, space=space, upload=upload(jpeg_bytes()))
    assert (photo.source, photo.is_published) == ("staff", False)
    assert len(stored_files(photo_root)) == 3

    space_photo_publish(actor=editor, photo=photo, published=True)
    assert SpacePhoto.objects.get(pk=photo.pk).is_published
    with django_capture_on_commit_callbacks(execute=True):
        space_photo_delete(actor=editor, photo=photo)

    assert not SpacePhoto.objects.exists()
    assert stored_files(photo_root) == []
    events = [
        entry.changes["photo"]["event"]
        for entry in InventoryChange.objects.filter(object_id=space.pk).order_by("id")
    ]
    assert events == ["added", "published", "deleted"]


def test_staff_of_another_city_may_not_add_publish_or_delete(
    create, space, personas, photo_root
):
    outsider = personas["other_city_editor"]
    with pytest.raises(NotPermitted):
        space_photo_add(actor=outsider, space=space, upload=upload(jpeg_bytes()))
    assert stored_files(photo_root) == []

    photo = create(space, jpeg_bytes())
    with pytest.raises(NotPermitted):
        space_photo_publish(actor=outsider, photo=photo, published=True)
    with pytest.raises(NotPermitted):
        space_photo_delete(actor=outsider, photo=photo)
    assert SpacePhoto.objects.filter(pk=photo.pk, is_published=False).exists()
