"""Photos of spaces over HTTP: the API, the files' addresses and the space page."""

import io

import pytest
from django.utils import timezone, translation
from PIL import Image
from rest_framework.test import APIClient

from renewal.models import SpacePhoto
from renewal.services import photos as photo_services
from renewal.services.photos import space_photo_create, space_photo_process
from tests.factories import VacantSpaceFactory
from tests.helpers import api_client, count_queries, page_client
from tests.photos import bomb_png, exif_of, jpeg_bytes, stored_files, upload


@pytest.fixture(autouse=True)
def _on_commit_runs(django_capture_on_commit_callbacks):
    """The test's transaction never commits: run what waits for a commit (the
    photo's processing, eager here, and file deletions) at the end of each call."""

    class Runner:
        def __call__(self, function, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return function(*args, **kwargs)

    return Runner()


@pytest.fixture
def run(_on_commit_runs):
    return _on_commit_runs


@pytest.fixture
def space(city):
    return VacantSpaceFactory(municipality=city, address="중앙로 7")


def _post_photo(client, space, data, name="photo.jpg", **fields):
    return client.post(
        f"/api/v1/spaces/{space.pk}/photos/",
        {"file": upload(data, name), **fields},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def _published_photo(run, personas, space, **fields) -> dict:
    response = run(
        _post_photo,
        api_client(personas["city_editor"]),
        space,
        jpeg_bytes(),
        publish="true",
        **fields,
    )
    assert response.status_code == 201, response.content
    return response.json()


# The API -----------------------------------------------------------------------


def test_staff_upload_and_list_with_location_public_sees_no_location(
    run, personas, space
):
    body = _published_photo(run, personas, space, caption="정면")

    assert body["is_published"] is True
    assert body["processed"] is False  # the worker runs after commit
    assert body["original_url"].endswith(f"/photos/{body['id']}/original")

    staff_list = api_client(personas["city_viewer"]).get(
        f"/api/v1/spaces/{space.pk}/photos/"
    )
    public_list = api_client().get(f"/api/v1/spaces/{space.pk}/photos/")

    (staff_photo,) = staff_list.json()
    (public_photo,) = public_list.json()
    assert staff_photo["location"]["type"] == "Point"
    assert staff_photo["taken_at"] == "2024-05-01T14:30:00+09:00"
    assert staff_photo["thumbnail_url"].endswith(f"/photos/{body['id']}/thumbnail.jpg")
    assert public_photo["location"] is None
    assert public_photo["original_url"] is None
    assert public_photo["alt"] == "정면"
    assert public_photo["image_url"].endswith(f"/photos/{body['id']}/image.jpg")


def test_unpublished_photos_are_listed_for_staff_only(run, personas, space):
    response = run(
        _post_photo, api_client(personas["city_editor"]), space, jpeg_bytes()
    )
    assert response.status_code == 201

    def listed(user):
        return len(api_client(user).get(f"/api/v1/spaces/{space.pk}/photos/").json())

    assert listed(personas["city_viewer"]) == 1
    assert listed(personas["other_city_editor"]) == 0
    assert listed(None) == 0


@pytest.mark.parametrize(
    ("make", "name", "status", "message"),
    [
        (lambda: b"%PDF-1.4\n%%EOF\n", "x.pdf", 400, "“x.pdf” is not an image"),
        (
            lambda: jpeg_bytes()[:400],
            "cut.jpg",
            400,
            "The image is damaged and cannot be read.",
        ),
        (bomb_png, "bomb.png", 400, "pixels"),
        (lambda: b"", "empty.jpg", 400, "The file is empty"),
    ],
)
def test_bad_files_are_refused_in_the_error_shape_and_nothing_is_stored(
    run, personas, space, photo_root, make, name, status, message
):
    response = run(
        _post_photo, api_client(personas["city_editor"]), space, make(), name
    )

    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert message in error["message"]
    assert not SpacePhoto.objects.exists()
    assert stored_files(photo_root) == []


def test_an_oversize_body_is_413_before_it_is_read(
    run, personas, space, photo_root, settings
):
    settings.SPACE_PHOTO_MAX_BYTES = 1024
    data = jpeg_bytes() + b"\0" * (100 * 1024)

    response = run(_post_photo, api_client(personas["city_editor"]), space, data)

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert error["message"].startswith("The file is 1")
    assert "photos may be at most 1.0" in error["message"]
    assert stored_files(photo_root) == []


@pytest.mark.parametrize("auth", ["token", "session"])
def test_a_file_just_over_the_limit_is_413_once_read_that_far(
    run, personas, space, photo_root, settings, auth
):
    # Its declared size is within the margin for the form's other fields: the
    # upload handler stops reading at the limit.
    data = jpeg_bytes()
    settings.SPACE_PHOTO_MAX_BYTES = len(data) - 1
    client = api_client(personas["city_editor"])
    if auth == "session":
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(personas["city_editor"])
        client.get("/en/")  # the CSRF cookie
        client.credentials(HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)

    response = run(_post_photo, client, space, data)

    assert response.status_code == 413, response.content
    assert response.json()["error"]["fields"]["file"]
    assert stored_files(photo_root) == []


def test_who_may_upload_publish_and_delete(run, personas, space, photo_root):
    refused = run(
        _post_photo, api_client(personas["other_city_editor"]), space, jpeg_bytes()
    )
    assert refused.status_code == 403
    anonymous = run(_post_photo, api_client(), space, jpeg_bytes())
    assert anonymous.status_code == 401
    assert stored_files(photo_root) == []

    photo = _published_photo(run, personas, space)
    viewer = api_client(personas["city_viewer"])
    assert (
        viewer.post(
            f"/api/v1/photos/{photo['id']}/publish/", {"published": False}
        ).status_code
        == 403
    )
    # Another city's editor sees the published photo but may not change it.
    other = api_client(personas["other_city_editor"])
    assert other.delete(f"/api/v1/photos/{photo['id']}/").status_code == 403

    editor = api_client(personas["city_editor"])
    withdrawn = editor.post(
        f"/api/v1/photos/{photo['id']}/publish/", {"published": False}, format="json"
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["is_published"] is False
    # Unpublished: as if it did not exist for anyone outside the city's staff.
    assert other.delete(f"/api/v1/photos/{photo['id']}/").status_code == 404

    deleted = run(editor.delete, f"/api/v1/photos/{photo['id']}/")
    assert deleted.status_code == 204
    assert stored_files(photo_root) == []


# The files ---------------------------------------------------------------------


def test_unpublished_files_are_404_to_the_public_and_other_cities(run, personas, space):
    response = run(
        _post_photo, api_client(personas["city_editor"]), space, jpeg_bytes()
    )
    pk = response.json()["id"]

    for user in (None, personas["resident"], personas["other_city_editor"]):
        client = page_client(user)
        for path in ("image.jpg", "thumbnail.jpg", "original"):
            assert client.get(f"/photos/{pk}/{path}").status_code == 404, (user, path)
    # The city's staff preview it, privately cached.
    preview = page_client(personas["city_viewer"]).get(f"/photos/{pk}/thumbnail.jpg")
    assert preview.status_code == 200
    assert preview["Cache-Control"].startswith("private")


def test_published_files_are_public_jpeg_without_exif(run, personas, space):
    pk = _published_photo(run, personas, space)["id"]

    for variant in ("image", "thumbnail"):
        response = page_client().get(f"/photos/{pk}/{variant}.jpg")
        data = b"".join(response.streaming_content)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"].startswith("public")
        assert exif_of(data) == {}
        assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_the_original_is_for_the_city_staff_only(run, personas, space):
    pk = _published_photo(run, personas, space)["id"]

    for name, expected in (
        ("anonymous", 403),
        ("resident", 403),
        ("other_city_editor", 403),
        ("city_viewer", 200),
        ("city_editor", 200),
    ):
        response = page_client(personas[name]).get(f"/photos/{pk}/original")
        assert response.status_code == expected, name
    original = page_client(personas["city_viewer"]).get(f"/photos/{pk}/original")
    assert original["Cache-Control"].startswith("private")
    # As uploaded: the camera's metadata is there, for staff.
    assert exif_of(b"".join(original.streaming_content))


def test_no_photo_file_is_reachable_under_media_url(run, personas, space, photo_root):
    _published_photo(run, personas, space)

    for name in stored_files(photo_root):
        for prefix in ("/media/", "/ko/media/", "/static/"):
            assert page_client().get(prefix + name).status_code == 404


# The space page ----------------------------------------------------------------


def test_the_page_shows_published_thumbnails_with_alt_text(run, personas, space):
    _published_photo(run, personas, space)

    page = page_client().get(f"/en/spaces/{space.pk}/").content.decode()

    assert 'alt="Photo of 중앙로 7"' in page
    assert "/thumbnail.jpg" in page
    assert "photo-upload-form" not in page
    assert "/original" not in page


def test_staff_upload_publish_and_delete_on_the_page(run, personas, space, photo_root):
    client = page_client(personas["city_editor"])
    page = client.get(f"/en/spaces/{space.pk}/").content.decode()
    assert "photo-upload-form" in page

    response = run(
        client.post,
        f"/en/spaces/{space.pk}/photos/",
        {"file": upload(jpeg_bytes()), "caption": "뒷마당"},
        follow=True,
    )
    assert response.status_code == 200
    photo = SpacePhoto.objects.get()
    assert (photo.caption, photo.is_published, photo.source) == (
        "뒷마당",
        False,
        "staff",
    )

    client.post(f"/en/photos/{photo.pk}/publication/", {"published": "1"})
    assert SpacePhoto.objects.get().is_published
    assert (
        'alt="뒷마당"' in page_client().get(f"/en/spaces/{space.pk}/").content.decode()
    )

    run(client.post, f"/en/photos/{photo.pk}/delete/")
    assert not SpacePhoto.objects.exists()
    assert stored_files(photo_root) == []


def test_a_refused_upload_shows_its_sentence_on_the_page(run, personas, space):
    client = page_client(personas["city_editor"])

    with translation.override("en"):
        response = run(
            client.post,
            f"/en/spaces/{space.pk}/photos/",
            {"file": upload(b"%PDF-1.4", "plan.pdf")},
            follow=True,
        )

    assert "“plan.pdf” is not an image" in response.content.decode()
    assert not SpacePhoto.objects.exists()


def test_an_oversize_upload_on_the_page_is_refused_before_reading(
    run, personas, space, settings, photo_root
):
    settings.SPACE_PHOTO_MAX_BYTES = 1024
    client = page_client(personas["city_editor"])

    response = client.post(
        f"/en/spaces/{space.pk}/photos/",
        {"file": upload(b"\xff" * (200 * 1024))},
        follow=True,
    )

    assert "photos may be at most" in response.content.decode()
    assert stored_files(photo_root) == []


def test_a_page_upload_just_over_the_limit_stops_at_the_limit(
    run, personas, space, settings, photo_root
):
    data = jpeg_bytes()
    settings.SPACE_PHOTO_MAX_BYTES = len(data) - 1
    client = page_client(personas["city_editor"])

    with translation.override("en"):
        response = run(
            client.post,
            f"/en/spaces/{space.pk}/photos/",
            {"file": upload(data)},
            follow=True,
        )

    assert "photos may be at most" in response.content.decode()
    assert not SpacePhoto.objects.exists()
    assert stored_files(photo_root) == []


def test_the_space_history_names_the_photo_events(run, personas, space):
    photo = _published_photo(run, personas, space)
    page_client(personas["city_editor"]).post(
        f"/en/photos/{photo['id']}/publication/", {"published": "0"}
    )

    page = page_client(personas["city_viewer"]).get(f"/ko/spaces/{space.pk}/")

    history = page.content.decode().split('id="space-history"')[1]
    assert f"사진 #{photo['id']}: 추가됨" in history
    assert f"사진 #{photo['id']}: 공개 취소됨" in history


def test_other_city_staff_cannot_post_photos_through_the_page(personas, space):
    client = page_client(personas["other_city_editor"])

    response = client.post(
        f"/en/spaces/{space.pk}/photos/", {"file": upload(jpeg_bytes())}
    )

    assert response.status_code == 403
    assert not SpacePhoto.objects.exists()


# The admin ---------------------------------------------------------------------


def test_admin_lists_own_city_photos_read_only_and_publishes_through_the_service(
    run, personas, space, other_city
):
    mine = _published_photo(run, personas, space)["id"]
    elsewhere = run(
        _post_photo,
        api_client(personas["other_city_editor"]),
        VacantSpaceFactory(municipality=other_city),
        jpeg_bytes(),
    ).json()["id"]
    client = page_client(personas["city_editor"])

    listing = client.get("/en/admin/renewal/spacephoto/")
    change = client.get(f"/en/admin/renewal/spacephoto/{mine}/change/")
    foreign = client.get(f"/en/admin/renewal/spacephoto/{elsewhere}/change/")
    withdrawn = client.post(
        "/en/admin/renewal/spacephoto/",
        {"action": "withdraw", "_selected_action": [mine]},
    )

    assert listing.status_code == 200
    assert f"/{mine}/change/" in listing.content.decode()
    assert f"/{elsewhere}/change/" not in listing.content.decode()
    assert change.status_code == 200
    assert f"/photos/{mine}/original" in change.content.decode()
    assert 'type="file"' not in change.content.decode()
    assert foreign.status_code in (302, 403, 404)
    assert withdrawn.status_code == 302
    assert not SpacePhoto.objects.get(pk=mine).is_published


def test_refusals_are_in_korean_for_korean_callers(run, personas, space):
    response = run(
        api_client(personas["city_editor"]).post,
        f"/api/v1/spaces/{space.pk}/photos/",
        {"file": upload(b"%PDF-1.4", "도면.pdf")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="ko",
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "“도면.pdf”은(는) 이미지가 아닙니다. JPEG, PNG 또는 WebP 사진을 보내 주세요."
    )


# Query budgets -------------------------------------------------------------------


def _photos(space, rows: int) -> None:
    # Rows only: the list and the page never open the files.
    SpacePhoto.objects.bulk_create(
        SpacePhoto(
            space=space,
            source="staff",
            original=f"originals/{space.pk}-{n}.jpg",
            published_image=f"published/{space.pk}-{n}.jpg",
            thumbnail=f"thumbnails/{space.pk}-{n}.jpg",
            width=400,
            height=300,
            content_sha256="0" * 64,
            is_published=n % 2 == 0,
            processed_at=timezone.now(),
        )
        for n in range(rows)
    )


@pytest.mark.parametrize("persona", ["anonymous", "city_editor"])
@pytest.mark.parametrize("path", ["/api/v1/spaces/{pk}/photos/", "/ko/spaces/{pk}/"])
def test_query_count_does_not_grow_with_photos(personas, city, persona, path):
    counts = []
    client = page_client(personas[persona])
    # Once first, so that per-process caches (content types) are not counted.
    client.get(path.format(pk=VacantSpaceFactory(municipality=city).pk))
    for rows in (1, 20):
        space = VacantSpaceFactory(municipality=city)
        _photos(space, rows)
        response, queries = count_queries(client, path.format(pk=space.pk))
        assert response.status_code == 200
        counts.append(queries)

    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("resident", 404),
        ("org_member", 404),
        ("lead_org_member", 404),
        ("moderator", 404),
        ("other_city_editor", 404),
        ("city_viewer", 403),
        ("city_editor", 200),
    ],
)
def test_publishing_an_unpublished_photo_by_persona(
    run, personas, space, persona, expected
):
    photo = run(
        _post_photo, api_client(personas["city_editor"]), space, jpeg_bytes()
    ).json()

    response = api_client(personas[persona]).post(
        f"/api/v1/photos/{photo['id']}/publish/", {"published": True}, format="json"
    )

    assert response.status_code == expected
    assert SpacePhoto.objects.get().is_published == (expected == 200)


def test_a_failed_processing_leaves_no_copies(space, photo_root, monkeypatch):
    photo = space_photo_create(
        actor=None, space=space, upload=upload(jpeg_bytes()), source="survey"
    )  # the test's transaction never commits: not processed yet
    monkeypatch.setattr(photo_services.timezone, "now", _broken_clock)

    with pytest.raises(RuntimeError):
        space_photo_process(photo.pk)

    assert stored_files(photo_root) == [photo.original.name]
    assert SpacePhoto.objects.get().processed_at is None


def _broken_clock():
    raise RuntimeError("clock down")
