import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.gdal import DataSource
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cities.demo import illustrative_downtown
from renewal.models import SpaceOwner, VacantSpace
from renewal.selectors.exports import (
    export_columns,
    vacant_space_export_csv,
    vacant_space_export_geojson,
)
from renewal.selectors.spaces import vacant_space_list
from tests.factories import UserFactory, VacantSpaceFactory
from tests.helpers import api_client

URL = "/api/v1/spaces/export/"
FORMATS = ["csv", "geojson", "gpkg"]
HOME_OWNER = "박철수"
OTHER_OWNER = "김영희"


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def rows_of(body: bytes, file_format: str) -> list[dict]:
    """Every format read back the way another tool would, as dicts per row."""
    if file_format == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        for row in rows:
            row["id"], row["platform_id"] = int(row["id"]), int(row["platform_id"])
            row["lon"], row["lat"] = float(row["lon"]), float(row["lat"])
        return rows
    if file_format == "geojson":
        collection = json.loads(body)
        assert collection["type"] == "FeatureCollection"
        return [
            {
                **feature["properties"],
                "feature_id": feature["id"],
                "lon": feature["geometry"]["coordinates"][0],
                "lat": feature["geometry"]["coordinates"][1],
            }
            for feature in collection["features"]
        ]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "export.gpkg"
        path.write_bytes(body)
        layer = DataSource(str(path))[0]
        assert layer.srs.srid == 4326
        return [
            {
                **{name: feature.get(name) for name in layer.fields},
                "lon": feature.geom.x,
                "lat": feature.geom.y,
            }
            for feature in layer
        ]


def export(user, file_format: str, **filters) -> list[dict]:
    response = api_client(user).get(URL, {"format": file_format, **filters})
    assert response.status_code == 200, response
    return rows_of(body_of(response), file_format)


@pytest.fixture
def owned_spaces(city, other_city):
    home = VacantSpaceFactory(municipality=city, external_id="HOME-1")
    SpaceOwner.objects.create(space=home, name=HOME_OWNER, contact="010-1234-5678")
    other = VacantSpaceFactory(municipality=other_city)
    SpaceOwner.objects.create(space=other, name=OTHER_OWNER, note="장기 해외 체류")
    return {"home": home, "other": other}


@pytest.mark.parametrize("file_format", FORMATS)
def test_export_holds_the_filtered_rows_with_their_ids_and_coordinates(
    city, other_city, file_format
):
    shop = VacantSpaceFactory(
        municipality=city,
        kind="shop",
        external_id="S-001",
        address="중앙로 12, 1층",
        location=Point(128.1234567, 36.7654321, srid=4326),
    )
    VacantSpaceFactory(municipality=city, kind="house")
    VacantSpaceFactory(municipality=other_city, kind="shop")

    rows = export(None, file_format, city=city.code, kind="shop")

    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == shop.pk
    assert row["platform_id"] == shop.pk
    assert row["municipality"] == city.code
    assert row["external_id"] == "S-001"
    assert row["address"] == "중앙로 12, 1층"
    assert row["kind"] == "shop"
    assert row["lon"] == pytest.approx(128.1234567, abs=1e-9)
    assert row["lat"] == pytest.approx(36.7654321, abs=1e-9)


def test_geojson_features_carry_the_platform_id_as_feature_id(city):
    space = VacantSpaceFactory(municipality=city)

    (row,) = export(None, "geojson")

    assert row["feature_id"] == space.pk


@pytest.mark.parametrize("file_format", FORMATS)
def test_spatial_and_downtown_filters_apply_as_in_the_list(city, file_format):
    city.downtown = illustrative_downtown(city.location, 500)
    city.save()
    inside = VacantSpaceFactory(municipality=city)
    VacantSpaceFactory(
        municipality=city,
        location=Point(city.location.x + 0.05, city.location.y, srid=4326),
    )
    near = f"{city.location.x},{city.location.y}"

    downtown = export(None, file_format, in_downtown="true")
    close = export(None, file_format, near=near, radius_m=500)

    assert [row["id"] for row in downtown] == [inside.pk]
    assert [row["id"] for row in close] == [inside.pk]
    assert downtown[0]["in_downtown"] in (True, "true")


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("anonymous", set()),
        ("resident", set()),
        ("org_member", set()),
        ("other_city_editor", {OTHER_OWNER}),
        ("city_viewer", {HOME_OWNER}),
        ("city_editor", {HOME_OWNER}),
    ],
)
@pytest.mark.parametrize("file_format", FORMATS)
def test_owner_details_only_on_rows_of_the_users_own_city(
    personas, owned_spaces, persona, visible, file_format
):
    response = api_client(personas[persona]).get(URL, {"format": file_format})
    body = body_of(response)
    rows = {row["id"]: row for row in rows_of(body, file_format)}

    # Not merely hidden in some column: the bytes are not in the file at all.
    for name in (HOME_OWNER, OTHER_OWNER):
        assert (name.encode() in body) is (name in visible)
    assert (b"010-1234-5678" in body) is (HOME_OWNER in visible)
    assert ("장기 해외 체류".encode() in body) is (OTHER_OWNER in visible)
    for key, name in (
        (owned_spaces["home"].pk, HOME_OWNER),
        (owned_spaces["other"].pk, OTHER_OWNER),
    ):
        row = rows[key]
        if name in visible:
            assert row["owner_name"] == name
        elif visible:
            assert not row["owner_name"]
        else:
            assert not any(column.startswith("owner_") for column in row)


def test_superuser_export_holds_every_owner(owned_spaces):
    operator = UserFactory(is_superuser=True)

    rows = {row["id"]: row for row in export(operator, "csv")}

    assert rows[owned_spaces["home"].pk]["owner_name"] == HOME_OWNER
    assert rows[owned_spaces["other"].pk]["owner_name"] == OTHER_OWNER


def test_export_with_personal_data_is_not_cached(personas, owned_spaces):
    staff = api_client(personas["city_viewer"]).get(URL, {"format": "csv"})
    public = api_client().get(URL, {"format": "csv"})

    assert "no-store" in staff["Cache-Control"]
    assert "no-store" not in public["Cache-Control"]
    assert "private" in public["Cache-Control"]


@pytest.mark.parametrize("file_format", FORMATS)
def test_export_streams_as_a_dated_attachment(city, file_format):
    VacantSpaceFactory(municipality=city)

    response = api_client().get(URL, {"format": file_format})

    assert response.status_code == 200
    assert response.streaming
    today = timezone.localdate().strftime("%Y%m%d")
    assert response["Content-Disposition"] == (
        f'attachment; filename="vacant-spaces-{today}.{file_format}"'
    )


def test_csv_starts_with_a_bom_so_that_excel_reads_korean(city):
    VacantSpaceFactory(municipality=city, address="읍내리 빈집")

    body = body_of(api_client().get(URL, {"format": "csv"}))

    assert body.startswith(b"\xef\xbb\xbf")
    assert "읍내리 빈집" in body.decode("utf-8-sig")


def test_csv_quotes_commas_quotes_and_line_breaks(personas, city):
    space = VacantSpaceFactory(municipality=city, address='중앙로 3, "옛 약국"')
    SpaceOwner.objects.create(space=space, name="이순자", note="첫 줄\n둘째 줄, 끝")

    (row,) = export(personas["city_editor"], "csv")

    assert row["address"] == '중앙로 3, "옛 약국"'
    assert row["owner_note"] == "첫 줄\n둘째 줄, 끝"


def test_geopackage_schema_is_fixed_even_when_a_column_is_empty(city, tmp_path):
    VacantSpaceFactory(
        municipality=city, external_id="007", year_built=None, vacant_since=None
    )

    body = body_of(api_client().get(URL, {"format": "gpkg"}))
    path = tmp_path / "export.gpkg"
    path.write_bytes(body)
    layer = DataSource(str(path))[0]
    types = dict(
        zip(layer.fields, (kind.__name__ for kind in layer.field_types), strict=True)
    )

    assert types["id"] == "OFTInteger64"
    assert types["municipality"] == "OFTString"
    assert types["external_id"] == "OFTString"
    assert types["year_built"] == "OFTInteger"
    assert types["vacant_since"] == "OFTDate"
    assert types["floor_area_m2"] == "OFTReal"
    # The geometry holds the coordinates; no stale copies in attributes.
    assert "lon" not in types and "lat" not in types
    assert [feature.get("external_id") for feature in layer] == ["007"]


def test_geopackage_leaves_no_temporary_files(city):
    VacantSpaceFactory(municipality=city)
    temporary = Path(tempfile.gettempdir())
    before = set(temporary.glob("renewal-export-*"))

    response = api_client().get(URL, {"format": "gpkg"})
    body_of(response)

    assert response.status_code == 200
    assert set(temporary.glob("renewal-export-*")) == before


@pytest.mark.parametrize("parameters", [{"format": "xlsx"}, {}])
def test_unknown_or_missing_format_is_400_naming_format(db, parameters):
    response = api_client().get(URL, parameters)

    assert response.status_code == 400
    assert "format" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("parameters", "named"),
    [({"bbox": "1,2,3"}, "bbox"), ({"kind": "castle"}, "kind")],
)
def test_invalid_filter_is_400_as_in_the_list(db, parameters, named):
    response = api_client().get(URL, {"format": "csv", **parameters})

    assert response.status_code == 400
    assert named in response.json()["error"]["fields"]


@pytest.mark.parametrize("file_format", FORMATS)
def test_query_count_does_not_grow_with_rows(personas, city, file_format):
    def queries_for(rows: int) -> int:
        VacantSpace.objects.all().delete()
        for space in VacantSpaceFactory.create_batch(rows, municipality=city):
            SpaceOwner.objects.create(space=space, name="소유자")
        # A fresh user object per request, as in production.
        client = api_client(User.objects.get(username="city_editor"))
        with CaptureQueriesContext(connection) as context:
            response = client.get(URL, {"format": file_format})
            assert len(rows_of(body_of(response), file_format)) == rows
        return len(context.captured_queries)

    assert queries_for(1) == queries_for(20)


@pytest.mark.parametrize(
    "export_chunks", [vacant_space_export_csv, vacant_space_export_geojson]
)
def test_abandoned_download_leaves_the_connection_usable(personas, city, export_chunks):
    # Enough long rows for several chunks, so that the download stops mid-query.
    VacantSpace.objects.bulk_create(
        VacantSpace(
            municipality=city, kind="house", address="가" * 250, location=city.location
        )
        for _ in range(2_500)
    )
    chunks = export_chunks(
        spaces=vacant_space_list(user=personas["anonymous"]),
        columns=export_columns(user=personas["anonymous"]),
    )
    next(chunks)
    next(chunks)

    # What the server does when the client goes away.
    chunks.close()

    assert VacantSpace.objects.filter(municipality=city).count() == 2_500


def test_csv_escapes_text_a_spreadsheet_would_run_as_a_formula(personas, city):
    formula = '=HYPERLINK("http://example.com/x","클릭")'
    space = VacantSpaceFactory(
        municipality=city,
        address=formula,
        external_id="@SUM(1+1)",
        source="-2+3",
        land_area_m2=-5,
    )
    SpaceOwner.objects.create(space=space, name="+82 10", contact="\t=1", note="\r=1")

    (row,) = export(personas["city_editor"], "csv")
    (feature,) = export(personas["city_editor"], "geojson")
    (layer_row,) = export(personas["city_editor"], "gpkg")

    # OWASP: a leading single quote makes each cell text in Excel and LibreOffice.
    assert row["address"] == "'" + formula
    assert row["external_id"] == "'@SUM(1+1)"
    assert row["source"] == "'-2+3"
    assert (row["owner_name"], row["owner_contact"]) == ("'+82 10", "'\t=1")
    assert row["owner_note"] == "'\r=1"
    # Numbers stay numbers, a negative one too; harmless text is left alone.
    assert row["land_area_m2"] == "-5.00"
    assert row["kind"] == "shop"
    # Other formats are not read by spreadsheets: the values travel as stored.
    assert feature["address"] == layer_row["address"] == formula
