"""The survey import wizard: a city's staff upload a survey in their own columns,
encoding and coordinate system, see it before anything is written, and follow the
worker's import to its report."""

import csv
import io

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client

from renewal.models import (
    ImportColumnMapping,
    ImportStatus,
    SpaceImport,
    TaskOutbox,
    VacantSpace,
)
from renewal.services import imports as import_services
from renewal.services.imports import IMPORT_CITY_LEASE
from renewal.services.imports.wizard import (
    KNOWN_NAMES,
    MAPPABLE_COLUMNS,
    space_import_configure,
    space_import_draft_create,
    space_import_start,
)
from renewal.tasks import space_import_run_task

# Two vacant houses in Daegu's old downtown, as longitude and latitude.
PLACES = [(128.5934, 35.8691), (128.5951, 35.8702)]
HEADER = "관리번호,유형,주소,면적,평가기준,등급,X,Y"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def daegu(city):
    lon, lat = PLACES[0]
    d = 0.05
    city.boundary = MultiPolygon(
        Polygon.from_bbox((lon - d, lat - d, lon + d, lat + d)), srid=4326
    )
    city.location = Point(lon, lat, srid=4326)
    city.save()
    return city


def survey_csv(*, srid: int = 5186, encoding: str = "cp949") -> bytes:
    """The survey as a Korean office's Excel saves it: CP949, Korean column names,
    coordinates in GRS80 Central Belt."""
    lines = [HEADER]
    for n, (lon, lat) in enumerate(PLACES, start=1):
        point = Point(lon, lat, srid=4326)
        point.transform(srid)
        lines.append(
            f"DG-{n:03d},빈집,중앙대로 {n},{80 + n},national-2023,2,"
            f"{point.x:.2f},{point.y:.2f}"
        )
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def client_of(user, language: str = "ko") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def upload(client, city, content: bytes, *, name="빈집조사.csv", **data):
    return client.post(
        f"/ko/cities/{city.code}/imports/new/",
        {"file": SimpleUploadedFile(name, content), **data},
    )


def mapping_post(client, space_import, **columns):
    return client.post(
        f"/ko/cities/{space_import.municipality.code}/imports/{space_import.pk}/",
        columns,
    )


def test_a_cp949_survey_with_korean_columns_in_5186_lands_in_the_city(
    personas, daegu, django_capture_on_commit_callbacks
):
    editor = client_of(personas["city_editor"])

    response = upload(editor, daegu, survey_csv())

    assert response.status_code == 302, response.content.decode()
    draft = SpaceImport.objects.get()
    assert (draft.status, draft.encoding) == (ImportStatus.DRAFT, "cp949")
    assert draft.column_map == {
        "external_id": "관리번호",
        "kind": "유형",
        "address": "주소",
        "floor_area_m2": "면적",
        "grading_scheme": "평가기준",
        "grade": "등급",
        "lon": "X",
        "lat": "Y",
    }
    page = editor.get(response["Location"]).content.decode()
    assert 'name="srid"' in page  # a table does not say its coordinate system
    assert "GRS80 중부원점" in page

    saved = mapping_post(editor, draft, srid=5186, **draft.column_map)
    assert saved.status_code == 302, saved.content.decode()
    preview = editor.get(saved["Location"]).content.decode()

    assert "preview-outside" not in preview
    assert "중앙대로 2" in preview and "빈집" in preview
    assert 'id="import-start-form"' in preview
    assert not VacantSpace.objects.exists()  # a preview writes nothing

    with django_capture_on_commit_callbacks(execute=True):
        started = editor.post(f"/ko/cities/{daegu.code}/imports/{draft.pk}/start/")

    assert started.status_code == 302
    spaces = VacantSpace.objects.filter(municipality=daegu).order_by("external_id")
    assert [space.external_id for space in spaces] == ["DG-001", "DG-002"]
    for space, (lon, lat) in zip(spaces, PLACES, strict=True):
        assert daegu.boundary.contains(space.location)
        assert abs(space.location.x - lon) < 1e-4 and abs(space.location.y - lat) < 1e-4
    assert spaces[0].kind == "house"
    assert (spaces[1].address, spaces[1].grade) == ("중앙대로 2", 2)
    progress = editor.get(f"/ko/cities/{daegu.code}/imports/{draft.pk}/progress/")
    assert progress.json() == {
        "status": "succeeded",
        "status_label": "완료",
        "progress": 100,
        "read": 2,
        "written": 2,
        "rejected": 0,
        "finished": True,
        "waiting": False,
    }
    report = editor.get(started["Location"]).content.decode()
    assert 'id="import-report-csv"' in report
    assert "모든 행을 가져왔습니다" in report


def test_an_undecidable_encoding_is_refused_with_the_encoding_to_choose(
    personas, daegu
):
    # 0x80 starts no character in UTF-8 nor in CP949.
    content = HEADER.encode("cp949") + b"\r\nDG-1,\x80\x80,x,1,,,1,1\r\n"
    editor = client_of(personas["city_editor"], "en")

    response = editor.post(
        f"/en/cities/{daegu.code}/imports/new/",
        {"file": SimpleUploadedFile("survey.csv", content)},
    )
    chosen = editor.post(
        f"/en/cities/{daegu.code}/imports/new/",
        {"file": SimpleUploadedFile("survey.csv", content), "encoding": "utf-8"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be recognised: line 2 is neither UTF-8 nor CP949" in page
    assert "Choose the encoding the file was saved in" in page
    assert 'name="encoding"' in page
    assert chosen.status_code == 400
    assert "Line 1 of the file cannot be read as UTF-8" in chosen.content.decode()
    assert not SpaceImport.objects.exists()


def test_a_chosen_encoding_reads_a_file_detection_would_misread(personas, daegu):
    editor = client_of(personas["city_editor"])

    response = upload(editor, daegu, survey_csv(encoding="utf-16"), encoding="utf-16")

    assert response.status_code == 302, response.content.decode()
    assert SpaceImport.objects.get().column_map["external_id"] == "관리번호"


def test_a_wrong_coordinate_system_is_warned_in_the_preview_and_nothing_is_written(
    personas, daegu, django_capture_on_commit_callbacks
):
    editor = client_of(personas["city_editor"])
    upload(editor, daegu, survey_csv(srid=5186))
    draft = SpaceImport.objects.get()

    # The same coordinates taken for UTM-K land in the Yellow Sea.
    mapping_post(editor, draft, srid=5179, **draft.column_map)
    preview = editor.get(f"/ko/cities/{daegu.code}/imports/{draft.pk}/")

    page = preview.content.decode()
    assert 'id="preview-outside-korea"' in page
    assert "좌표계" in page
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(f"/ko/cities/{daegu.code}/imports/{draft.pk}/start/")
    draft.refresh_from_db()
    assert draft.status == ImportStatus.FAILED
    assert {entry["field"] for entry in draft.report} == {"geometry"}
    assert not VacantSpace.objects.exists()


def test_a_point_outside_the_city_is_warned_in_the_preview(personas, daegu):
    editor = client_of(personas["city_editor"])
    upload(editor, daegu, survey_csv(srid=5186))
    draft = SpaceImport.objects.get()

    # Central Belt with the old false northing: 100 km further north, in Korea.
    mapping_post(editor, draft, srid=5181, **draft.column_map)
    page = editor.get(f"/ko/cities/{daegu.code}/imports/{draft.pk}/").content.decode()

    assert 'id="preview-outside-city"' in page
    assert 'id="preview-outside-korea"' not in page


def test_the_mapping_is_remembered_for_the_city_s_next_survey(personas, daegu):
    editor = personas["city_editor"]
    content = "빈집코드,건물종류,동경,북위\r\nA-1,shop,128.5934,35.8691\r\n".encode()

    def draft():
        return space_import_draft_create(
            actor=editor,
            municipality=daegu,
            uploaded_file=SimpleUploadedFile("survey.csv", content),
        )

    first = draft()
    assert "external_id" not in first.column_map  # nobody calls it that
    chosen = {
        "external_id": "빈집코드",
        "kind": "건물종류",
        "lon": "동경",
        "lat": "북위",
    }
    space_import_configure(
        actor=editor, space_import=first, column_map=chosen, srid=4326
    )
    space_import_start(actor=editor, space_import=first)

    second = draft()

    assert ImportColumnMapping.objects.get(municipality=daegu).columns == chosen
    assert second.column_map == chosen


def test_every_known_name_is_a_column_of_the_import():
    assert set(KNOWN_NAMES) <= set(MAPPABLE_COLUMNS)


def test_a_mapping_that_misses_a_required_column_or_uses_one_twice_is_refused(
    personas, daegu
):
    editor = client_of(personas["city_editor"], "en")
    upload(editor, daegu, survey_csv())
    draft = SpaceImport.objects.get()
    before = dict(draft.column_map)

    response = editor.post(
        f"/en/cities/{daegu.code}/imports/{draft.pk}/",
        {"srid": 5186, "external_id": "관리번호", "address": "관리번호", "lon": "X"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "is already mapped onto" in page
    assert "Required: choose the file" in page
    draft.refresh_from_db()
    assert draft.column_map == before


def test_an_oversize_file_is_refused_and_not_kept(personas, daegu, monkeypatch):
    monkeypatch.setattr(import_services, "MAX_FILE_BYTES", 100)
    editor = client_of(personas["city_editor"], "en")

    response = editor.post(
        f"/en/cities/{daegu.code}/imports/new/",
        {"file": SimpleUploadedFile("survey.csv", survey_csv())},
    )

    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    page = editor.get(f"/en/cities/{daegu.code}/imports/new/").content.decode()
    assert 'data-max-bytes="100"' in page  # the browser refuses it before sending
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(personas["city_editor"])
    # The upload handler needs the view exempt from the middleware's check; the
    # view checks the token itself.
    assert upload(forged, daegu, b"x").status_code == 403
    assert not SpaceImport.objects.exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("other_city_editor", 404), ("resident", 404), ("city_viewer", 403)],
)
def test_only_the_city_s_editors_may_use_the_wizard(personas, daegu, persona, expected):
    draft = space_import_draft_create(
        actor=personas["city_editor"],
        municipality=daegu,
        uploaded_file=SimpleUploadedFile("survey.csv", survey_csv()),
    )
    client = client_of(personas[persona])
    base = f"/ko/cities/{daegu.code}/imports"

    assert client.get(f"{base}/new/").status_code == expected
    assert upload(client, daegu, survey_csv()).status_code == expected
    assert client.get(f"{base}/{draft.pk}/").status_code == expected
    assert client.post(f"{base}/{draft.pk}/start/").status_code == expected
    assert SpaceImport.objects.get().status == ImportStatus.DRAFT
    assert Client().get(f"{base}/new/").status_code == 302  # to the sign-in page


def test_the_progress_and_report_are_hidden_from_other_cities(personas, daegu):
    space_import = SpaceImport.objects.create(
        municipality=daegu,
        original_filename="survey.csv",
        status=ImportStatus.FAILED,
        report=[{"line": 2, "field": "kind", "message": "“castle” is wrong."}],
        column_map={"kind": "유형"},
        created_by=personas["city_editor"],
    )
    base = f"/ko/cities/{daegu.code}/imports/{space_import.pk}"

    viewer = client_of(personas["city_viewer"])
    report = viewer.get(f"{base}/report.csv")
    assert report.status_code == 200
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[1] == ["2", "유형", "“castle” is wrong."]
    for path in ("progress/", "report.csv", ""):
        assert (
            client_of(personas["other_city_editor"]).get(base + "/" + path).status_code
            == 404
        )


def test_starting_twice_queues_the_import_once(personas, daegu):
    editor = client_of(personas["city_editor"], "en")
    upload(editor, daegu, survey_csv())
    draft = SpaceImport.objects.get()
    mapping_post(editor, draft, srid=5186, **draft.column_map)
    start = f"/en/cities/{daegu.code}/imports/{draft.pk}/start/"

    editor.post(start)
    again = editor.post(start, follow=True)

    assert "already been started" in again.content.decode()
    assert TaskOutbox.objects.filter(task=space_import_run_task.name).count() == 1


def test_a_second_import_of_the_city_waits_while_one_runs_then_follows(
    personas, daegu, django_capture_on_commit_callbacks
):
    editor = personas["city_editor"]

    def started(name: str, content: bytes) -> SpaceImport:
        draft = space_import_draft_create(
            actor=editor,
            municipality=daegu,
            uploaded_file=SimpleUploadedFile(name, content),
        )
        space_import_configure(
            actor=editor, space_import=draft, column_map=draft.column_map, srid=5186
        )
        return space_import_start(actor=editor, space_import=draft)

    first = started("first.csv", survey_csv())
    second = started("second.csv", survey_csv().replace(b"DG-", b"DH-"))
    SpaceImport.objects.filter(pk=first.pk).update(status=ImportStatus.RUNNING)
    primary = connections["default"]
    worker = primary.__class__(dict(primary.settings_dict), alias="worker")
    try:
        with worker.cursor() as cursor:  # the first import's worker holds the city
            cursor.execute(
                "SELECT pg_advisory_lock(%s, %s)", [IMPORT_CITY_LEASE, daegu.pk]
            )
        space_import_run_task(second.pk)
        page = client_of(editor).get(f"/ko/cities/{daegu.code}/imports/{second.pk}/")
        progress = client_of(editor).get(
            f"/ko/cities/{daegu.code}/imports/{second.pk}/progress/"
        )
    finally:
        worker.close()

    second.refresh_from_db()
    assert (second.status, second.attempts) == (ImportStatus.QUEUED, 0)
    assert not VacantSpace.objects.exists()
    assert progress.json()["status"] == "queued"
    assert progress.json()["waiting"] is True
    assert '<span id="import-waiting">' in page.content.decode()

    # The first one, once it has run, sends the second.
    with django_capture_on_commit_callbacks(execute=True):
        space_import_run_task(first.pk)

    second.refresh_from_db()
    assert second.status == ImportStatus.SUCCEEDED, second.report
    assert VacantSpace.objects.filter(municipality=daegu).count() == 4
