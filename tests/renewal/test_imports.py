"""Survey-file imports: every format and Korean coordinate system lands on the same
spot, all or nothing, idempotent, for editors of the city only.

Test files are written at test time with GDAL's ogr2ogr from a GeoJSON in EPSG:4326.
"""

import json
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.files import File
from django.core.management import CommandError, call_command
from django.db import connections
from rest_framework.test import APIClient

from core.errors import DomainError, NotPermitted
from renewal.models import (
    ChangeAction,
    InventoryChange,
    SpaceImport,
    SpaceOwner,
    VacantSpace,
)
from renewal.services.imports import (
    IMPORT_LEASE,
    MAX_ATTEMPTS,
    space_import_create,
    space_import_run,
)
from renewal.tasks import space_import_run_task
from tests.factories import VacantSpaceFactory
from tests.helpers import api_client

# Daegu's old downtown, as the surveyor's GPS gave it.
LON, LAT = 128.5934, 35.8691
# About 1 m in degrees at this latitude (longitude degrees are shorter).
ONE_METRE = 1 / 111_320


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _feature(external_id, *, lon=LON, lat=LAT, geometry=None, **properties):
    return {
        "type": "Feature",
        "properties": {"external_id": external_id, "kind": "shop", **properties},
        "geometry": geometry or {"type": "Point", "coordinates": [lon, lat]},
    }


def _survey(directory: Path, features: list[dict]) -> Path:
    path = directory / "surveyed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _ogr2ogr(*arguments) -> None:
    subprocess.run(["ogr2ogr", *map(str, arguments)], check=True, capture_output=True)


def _convert(source: Path, fmt: str, srid: int, directory: Path) -> Path:
    """The survey in `fmt`, coordinates transformed to EPSG:srid."""
    target = ["-t_srs", f"EPSG:{srid}"]
    stem = directory / f"survey-{srid}"
    if fmt == "geojson":
        path = stem.with_suffix(".geojson")
        _ogr2ogr("-f", "GeoJSON", path, source, *target)
    elif fmt == "gpkg":
        path = stem.with_suffix(".gpkg")
        _ogr2ogr("-f", "GPKG", path, source, *target, "-nln", "spaces")
    elif fmt == "shp":
        folder = directory / f"shp-{srid}"
        folder.mkdir()
        _ogr2ogr("-f", "ESRI Shapefile", folder / "spaces.shp", source, *target)
        path = stem.with_suffix(".zip")
        with zipfile.ZipFile(path, "w") as archive:
            for part in folder.iterdir():
                archive.write(part, part.name)
    elif fmt in ("csv", "xlsx"):
        path = stem.with_suffix(".csv")
        _ogr2ogr("-f", "CSV", path, source, *target, "-lco", "GEOMETRY=AS_XY")
        if fmt == "xlsx":
            xlsx = stem.with_suffix(".xlsx")
            _ogr2ogr("-f", "XLSX", xlsx, path)
            path = xlsx
    else:
        raise AssertionError(fmt)
    return path


def _import(path: Path, *, actor, municipality, srid=None) -> SpaceImport:
    with path.open("rb") as handle:
        space_import = space_import_create(
            actor=actor,
            municipality=municipality,
            uploaded_file=File(handle, name=path.name),
            srid=srid,
            run_in_background=False,
        )
    return space_import_run(space_import=space_import)


def _close_to(point: Point, lon: float, lat: float) -> bool:
    return abs(point.x - lon) < ONE_METRE * 1.3 and abs(point.y - lat) < ONE_METRE


@pytest.mark.parametrize(
    ("fmt", "srid", "declared"),
    [
        ("geojson", 4326, None),
        ("geojson", 5179, None),
        ("geojson", 5181, None),
        ("shp", 5186, None),
        ("shp", 5179, None),
        ("gpkg", 5181, None),
        ("gpkg", 5186, None),
        ("csv", 4326, None),
        ("csv", 5179, 5179),
        ("xlsx", 5186, 5186),
        ("xlsx", 4326, None),
    ],
)
def test_each_format_and_coordinate_system_lands_on_the_surveyed_spot(
    personas, city, tmp_path, fmt, srid, declared
):
    source = _survey(
        tmp_path,
        [
            _feature(
                "DG-001",
                kind="house",
                address="중앙대로 1",
                floor_area_m2=85.5,
                year_built=1978,
                grading_scheme="national-2023",
                grade=2,
                vacant_since="2021-04-01",
                availability="lease",
                asking_rent_krw=450000,
                owner_name="김영희",
                owner_contact="010-1111-2222",
            )
        ],
    )
    path = _convert(source, fmt, srid, tmp_path)

    space_import = _import(
        path, actor=personas["city_editor"], municipality=city, srid=declared
    )

    assert space_import.status == "succeeded", space_import.report
    assert space_import.created_count == 1
    space = VacantSpace.objects.get(municipality=city, external_id="DG-001")
    assert _close_to(space.location, LON, LAT), space.location.coords
    assert space.kind == "house"
    assert space.floor_area_m2 == Decimal("85.50")
    assert space.year_built == 1978
    assert (space.grading_scheme, space.grade) == ("national-2023", 2)
    assert space.vacant_since.isoformat() == "2021-04-01"
    assert space.availability == "lease"
    assert space.asking_rent_krw == 450000
    assert space.status == "reported"
    assert space.created_by == personas["city_editor"]
    assert SpaceOwner.objects.get(space=space).contact == "010-1111-2222"
    change = InventoryChange.objects.get(object_id=space.pk)
    assert change.action == ChangeAction.CREATE
    assert "010-1111-2222" not in str(change.changes)


def test_a_polygon_becomes_the_footprint_located_at_its_centroid(
    personas, city, tmp_path
):
    d = 0.0002
    ring = [
        [LON - d, LAT - d],
        [LON + d, LAT - d],
        [LON + d, LAT + d],
        [LON - d, LAT + d],
        [LON - d, LAT - d],
    ]
    source = _survey(
        tmp_path, [_feature("P-1", geometry={"type": "Polygon", "coordinates": [ring]})]
    )

    space_import = _import(
        _convert(source, "gpkg", 5186, tmp_path),
        actor=personas["city_editor"],
        municipality=city,
    )

    assert space_import.status == "succeeded", space_import.report
    space = VacantSpace.objects.get(external_id="P-1")
    assert space.footprint.geom_type == "MultiPolygon"
    assert _close_to(space.location, LON, LAT)


def test_columns_are_found_whatever_their_case_and_status_applies_to_new_rows(
    personas, city, tmp_path
):
    path = tmp_path / "survey.csv"
    path.write_text(
        "ID,Kind,Longitude,LAT,Status\n"
        f"C-1,house,{LON},{LAT},surveyed\n"
        f"C-2,land,{LON + 0.001},{LAT},\n",
        encoding="cp949",
    )

    space_import = _import(path, actor=personas["city_editor"], municipality=city)

    assert space_import.status == "succeeded", space_import.report
    statuses = dict(VacantSpace.objects.values_list("external_id", "status"))
    assert statuses == {"C-1": "surveyed", "C-2": "reported"}


def test_one_bad_row_changes_nothing_and_the_report_names_its_line(
    personas, city, tmp_path
):
    existing = VacantSpaceFactory(
        municipality=city, external_id="A-1", address="옛 주소"
    )
    changes_before = InventoryChange.objects.count()
    source = _survey(
        tmp_path,
        [
            _feature("A-1", address="새 주소"),
            _feature("A-2", grading_scheme="national-2023", grade=4),
            _feature("A-3", kind="castle"),
            _feature("A-4", lon=2.35, lat=48.85),
            _feature("A-2"),
        ],
    )

    space_import = _import(
        _convert(source, "geojson", 5179, tmp_path),
        actor=personas["city_editor"],
        municipality=city,
    )

    assert space_import.status == "failed"
    assert (space_import.created_count, space_import.updated_count) == (0, 0)
    assert space_import.row_count == 5
    assert space_import.rejected_count == 4
    by_line = {(e["line"], e["field"]) for e in space_import.report}
    assert by_line == {(2, "grade"), (3, "kind"), (4, "geometry"), (5, "external_id")}
    assert "castle" in next(e for e in space_import.report if e["line"] == 3)["message"]
    existing.refresh_from_db()
    assert existing.address == "옛 주소"
    assert list(VacantSpace.objects.values_list("external_id", flat=True)) == ["A-1"]
    assert InventoryChange.objects.count() == changes_before


def test_reimporting_the_same_file_creates_no_duplicates_and_records_nothing(
    personas, city, tmp_path
):
    source = _survey(
        tmp_path,
        [
            _feature("R-1", floor_area_m2=40, owner_name="이"),
            _feature("R-2", lon=LON + 0.001),
        ],
    )
    path = _convert(source, "shp", 5186, tmp_path)
    _import(path, actor=personas["city_editor"], municipality=city)
    changes = InventoryChange.objects.count()

    again = _import(path, actor=personas["city_editor"], municipality=city)

    assert again.status == "succeeded"
    assert (again.row_count, again.created_count, again.updated_count) == (2, 0, 0)
    assert VacantSpace.objects.count() == 2
    assert InventoryChange.objects.count() == changes


def test_a_changed_row_updates_its_space_and_records_the_change(
    personas, city, tmp_path
):
    space = VacantSpaceFactory(
        municipality=city, external_id="U-1", floor_area_m2=30, status="available"
    )
    path = tmp_path / "survey.csv"
    path.write_text(
        f"external_id,kind,lon,lat,floor_area_m2,status\nU-1,shop,{LON},{LAT},55,reported\n"
    )

    space_import = _import(path, actor=personas["city_editor"], municipality=city)

    assert (space_import.created_count, space_import.updated_count) == (0, 1)
    space.refresh_from_db()
    assert space.floor_area_m2 == Decimal("55.00")
    assert space.status == "available"  # the lifecycle changes only by transitions
    change = InventoryChange.objects.get(object_id=space.pk)
    assert change.action == ChangeAction.UPDATE
    assert change.changes["floor_area_m2"] == ["30.00", "55.00"]
    assert change.actor == personas["city_editor"]


def test_a_coordinate_system_outside_the_allow_list_is_refused(
    personas, city, tmp_path
):
    source = _survey(tmp_path, [_feature("S-1")])

    failed = _import(
        _convert(source, "geojson", 2097, tmp_path),
        actor=personas["city_editor"],
        municipality=city,
    )
    with pytest.raises(DomainError) as declared:
        _import(
            _convert(source, "csv", 4326, tmp_path),
            actor=personas["city_editor"],
            municipality=city,
            srid=2097,
        )

    assert failed.status == "failed"
    assert failed.report[0]["field"] == "srid"
    assert "EPSG:2097" in failed.report[0]["message"]
    assert "srid" in declared.value.fields
    assert not VacantSpace.objects.exists()


def test_an_unidentifiable_coordinate_system_asks_for_its_epsg_code(
    personas, city, tmp_path
):
    source = _survey(tmp_path, [_feature("S-1")])
    folder = tmp_path / "odd"
    folder.mkdir()
    # A transverse Mercator of nobody's: GDAL cannot name it by an EPSG code.
    _ogr2ogr(
        "-f",
        "ESRI Shapefile",
        folder / "spaces.shp",
        source,
        "-t_srs",
        "+proj=tmerc +lat_0=38 +lon_0=127.3 +k=0.9999 +x_0=210000 +y_0=510000 "
        "+ellps=GRS80 +units=m",
    )
    path = tmp_path / "odd.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)

    space_import = _import(path, actor=personas["city_editor"], municipality=city)

    assert space_import.status == "failed"
    assert space_import.report[0]["field"] == "srid"
    assert "EPSG" in space_import.report[0]["message"]
    assert not VacantSpace.objects.exists()


def test_a_declared_srid_that_contradicts_the_file_is_refused(personas, city, tmp_path):
    source = _survey(tmp_path, [_feature("S-1")])

    space_import = _import(
        _convert(source, "gpkg", 5179, tmp_path),
        actor=personas["city_editor"],
        municipality=city,
        srid=5186,
    )

    assert space_import.status == "failed"
    assert "EPSG:5179" in space_import.report[0]["message"]
    assert not VacantSpace.objects.exists()


@pytest.mark.parametrize("persona", ["city_viewer", "other_city_editor", "resident"])
def test_only_editors_of_the_city_may_import(personas, city, tmp_path, persona):
    path = _convert(_survey(tmp_path, [_feature("X-1")]), "csv", 4326, tmp_path)

    with pytest.raises(NotPermitted):
        _import(path, actor=personas[persona], municipality=city)

    assert not SpaceImport.objects.exists()
    assert not VacantSpace.objects.exists()


def test_a_revoked_editor_s_queued_import_fails_when_it_runs(personas, city, tmp_path):
    path = _convert(_survey(tmp_path, [_feature("X-1")]), "csv", 4326, tmp_path)
    with path.open("rb") as handle:
        space_import = space_import_create(
            actor=personas["city_editor"],
            municipality=city,
            uploaded_file=File(handle, name=path.name),
            run_in_background=False,
        )
    personas["city_editor"].city_memberships.all().delete()
    del personas["city_editor"]._city_roles

    space_import_run_task(space_import.pk)

    space_import.refresh_from_db()
    assert space_import.status == "failed"
    assert not VacantSpace.objects.exists()


def test_the_command_prints_counts_and_imports_as_the_operator(city, tmp_path, capsys):
    path = _convert(
        _survey(tmp_path, [_feature("M-1"), _feature("M-2", lon=LON + 0.001)]),
        "xlsx",
        5179,
        tmp_path,
    )

    call_command("import_spaces", str(path), "--city", city.code, "--srid", "5179")

    output = capsys.readouterr().out
    assert "succeeded" in output
    assert "created 2" in output
    space_import = SpaceImport.objects.get()
    assert space_import.by_operator
    assert space_import.created_by is None
    assert VacantSpace.objects.filter(municipality=city).count() == 2
    assert InventoryChange.objects.filter(actor__isnull=True).count() == 2


def test_the_command_fails_with_every_rejected_line(personas, city, tmp_path, capsys):
    path = tmp_path / "survey.csv"
    path.write_text(
        "external_id,kind,lon,lat,vacant_since\n"
        f"B-1,house,{LON},{LAT},2020-13-01\n"
        f"B-2,house,{LON},{LAT},2020-01-01\n"
        f"B-3,,{LON},{LAT},\n"
    )

    with pytest.raises(CommandError):
        call_command(
            "import_spaces", str(path), "--city", city.code, "--user", "city_editor"
        )

    captured = capsys.readouterr()
    assert "line 1: vacant_since" in captured.err
    assert "line 3: kind" in captured.err
    assert "line 2" not in captured.err
    assert "failed" in captured.out
    assert not VacantSpace.objects.exists()


def test_the_command_refuses_a_user_without_rights(personas, city, tmp_path):
    path = _convert(_survey(tmp_path, [_feature("X-1")]), "csv", 4326, tmp_path)

    with pytest.raises(CommandError):
        call_command(
            "import_spaces", str(path), "--city", city.code, "--user", "city_viewer"
        )

    assert not VacantSpace.objects.exists()


def test_upload_through_the_api_runs_the_task_and_reports_its_status(
    personas, city, tmp_path, django_capture_on_commit_callbacks
):
    path = _convert(_survey(tmp_path, [_feature("API-1")]), "geojson", 5186, tmp_path)

    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
        response = api_client(personas["city_editor"]).post(
            "/api/v1/spaces/imports/",
            {"file": handle, "municipality": city.code},
            format="multipart",
        )

    assert response.status_code == 202, response.content
    assert response["Location"] == response.json()["url"]
    status = api_client(personas["city_viewer"]).get(response.json()["url"])
    assert status.status_code == 200
    body = status.json()
    assert body["status"] == "succeeded"
    assert body["progress"] == 100
    assert (body["row_count"], body["created_count"], body["report"]) == (1, 1, [])
    assert _close_to(VacantSpace.objects.get().location, LON, LAT)


def test_the_status_of_an_import_is_hidden_from_other_cities(
    personas, city, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "survey.csv"
    path.write_text(f"external_id,kind,lon,lat\nH-1,house,{LON},{LAT}\nH-2,,1,1\n")
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
        url = (
            api_client(personas["city_editor"])
            .post(
                "/api/v1/spaces/imports/",
                {"file": handle, "municipality": city.code},
                format="multipart",
            )
            .json()["url"]
        )

    own = api_client(personas["city_editor"]).get(url).json()
    assert own["status"] == "failed"
    assert {(e["line"], e["field"]) for e in own["report"]} >= {(2, "kind")}
    for persona in ("other_city_editor", "resident", "org_member"):
        assert api_client(personas[persona]).get(url).status_code == 404
    assert APIClient().get(url).status_code in (401, 403)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("city_viewer", 403), ("other_city_editor", 403), ("anonymous", 401)],
)
def test_upload_is_refused_to_all_but_the_city_s_editors(
    personas, city, tmp_path, persona, expected
):
    path = tmp_path / "survey.csv"
    path.write_text(f"external_id,kind,lon,lat\nH-1,house,{LON},{LAT}\n")
    client = api_client(personas[persona])

    with path.open("rb") as handle:
        response = client.post(
            "/api/v1/spaces/imports/",
            {"file": handle, "municipality": city.code},
            format="multipart",
        )

    assert response.status_code == expected
    assert "error" in response.json()
    assert not SpaceImport.objects.exists()


def test_running_an_import_again_does_nothing(personas, city, tmp_path):
    path = _convert(_survey(tmp_path, [_feature("T-1")]), "csv", 4326, tmp_path)
    space_import = _import(path, actor=personas["city_editor"], municipality=city)
    finished = space_import.finished_at
    changes = InventoryChange.objects.count()

    space_import_run_task(space_import.pk)
    space_import_run(space_import=space_import)

    space_import.refresh_from_db()
    assert space_import.finished_at == finished
    assert InventoryChange.objects.count() == changes
    assert VacantSpace.objects.count() == 1


def _queued(path: Path, *, actor, municipality) -> SpaceImport:
    with path.open("rb") as handle:
        return space_import_create(
            actor=actor,
            municipality=municipality,
            uploaded_file=File(handle, name=path.name),
            run_in_background=False,
        )


def test_a_second_delivery_while_a_worker_runs_the_import_does_nothing(
    personas, city, tmp_path
):
    path = _convert(_survey(tmp_path, [_feature("L-1")]), "csv", 4326, tmp_path)
    space_import = _queued(path, actor=personas["city_editor"], municipality=city)
    primary = connections["default"]
    worker = primary.__class__(dict(primary.settings_dict), alias="worker")
    try:
        with worker.cursor() as cursor:  # a live worker holds the lease
            cursor.execute(
                "SELECT pg_advisory_lock(%s, %s)", [IMPORT_LEASE, space_import.pk]
            )
        space_import_run_task(space_import.pk)
    finally:
        worker.close()

    space_import.refresh_from_db()
    assert (space_import.status, space_import.attempts) == ("queued", 0)
    assert not VacantSpace.objects.exists()


def test_an_import_whose_worker_died_runs_again_from_the_start(
    personas, city, tmp_path
):
    path = _convert(_survey(tmp_path, [_feature("R-1")]), "csv", 4326, tmp_path)
    space_import = _queued(path, actor=personas["city_editor"], municipality=city)
    SpaceImport.objects.filter(pk=space_import.pk).update(
        status="running", progress=60, attempts=1
    )

    space_import_run_task(space_import.pk)

    space_import.refresh_from_db()
    assert (space_import.status, space_import.attempts) == ("succeeded", 2)
    assert VacantSpace.objects.get().external_id == "R-1"


def test_an_import_that_lost_its_worker_too_often_fails_and_says_why(
    personas, city, tmp_path
):
    path = _convert(_survey(tmp_path, [_feature("F-1")]), "csv", 4326, tmp_path)
    space_import = _queued(path, actor=personas["city_editor"], municipality=city)
    SpaceImport.objects.filter(pk=space_import.pk).update(
        status="running", progress=60, attempts=MAX_ATTEMPTS, language="en"
    )

    space_import_run_task(space_import.pk)

    body = (
        api_client(personas["city_editor"])
        .get(f"/api/v1/spaces/imports/{space_import.pk}/")
        .json()
    )
    assert body["status"] == "failed"
    assert "nothing was written" in body["report"][0]["message"]
    assert not VacantSpace.objects.exists()


@pytest.mark.parametrize(
    "crs",
    [
        {"type": "name", "properties": {"name": "/etc/passwd"}},
        {"type": "link", "properties": {"href": "http://127.0.0.1:9/x.prj"}},
    ],
)
def test_a_geojson_crs_that_is_not_an_epsg_name_never_reaches_gdal(
    personas, city, tmp_path, crs
):
    path = tmp_path / "survey.geojson"
    path.write_text(
        json.dumps(
            {"type": "FeatureCollection", "crs": crs, "features": [_feature("G-1")]}
        )
    )

    space_import = _import(path, actor=personas["city_editor"], municipality=city)

    assert space_import.status == "failed"
    assert space_import.report[0]["field"] == "srid"
    assert not VacantSpace.objects.exists()
