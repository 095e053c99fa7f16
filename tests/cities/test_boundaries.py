"""Official boundaries (cities/services/boundaries.py, cities/boundaries.py): the
census 시군구 and 읍면동 linked to municipalities by province and name, map outlines
from PostgreSQL, and places refused outside their city, named by where they lie.

Only the few municipalities a test needs are loaded (boundaries_load with
municipality_codes): the whole country costs seconds."""

import datetime
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.contrib.gis.geos import MultiPolygon, Point
from django.core.files import File
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cities.demo.downtowns import demo_downtowns_derive
from cities.models import CensusDistrict, Municipality, SubMunicipality
from cities.services.boundaries import boundaries_load
from cities.services.downtown import (
    downtown_area_read,
    downtown_set,
    municipality_downtown_set,
)
from core.errors import DomainError, NotPermitted
from renewal.models import CityRole, VacantSpace
from renewal.services.imports import space_import_create, space_import_run
from renewal.services.projects import renewal_project_propose
from renewal.services.roles import city_role_grant
from renewal.services.spaces import (
    SpaceWrite,
    vacant_space_create,
    vacant_spaces_create,
)
from tests.factories import MunicipalityFactory, UserFactory

YEONGJU_HALL = (128.6241, 36.8057)
# Three surveyed points across the border, in 봉화군 (checked against the census
# boundary by hand).
IN_BONGHWA = [(128.7325, 36.8932), (128.74, 36.90), (128.72, 36.88)]
EAST_SEA = (130.0, 36.5)


@pytest.fixture
def cities(db):
    made = {
        "yeongju": MunicipalityFactory(
            code="47210", province="경북", name_ko="영주시", name_en="Yeongju"
        ),
        "bonghwa": MunicipalityFactory(
            code="47920",
            province="경북",
            name_ko="봉화군",
            name_en="Bonghwa",
            kind="county",
        ),
        "cheongju": MunicipalityFactory(
            code="43110", province="충북", name_ko="청주시", name_en="Cheongju"
        ),
    }
    boundaries_load(municipality_codes=["47210", "47920", "43110"])
    for municipality in made.values():
        municipality.refresh_from_db()
    made["editor"] = UserFactory()
    city_role_grant(
        user=made["editor"], municipality=made["yeongju"], role=CityRole.EDITOR
    )
    return made


def test_districts_link_by_province_and_name_and_a_city_of_districts_is_their_union(
    cities,
):
    yeongju, cheongju = cities["yeongju"], cities["cheongju"]

    assert yeongju.sgis_code == "37060"
    assert cities["bonghwa"].sgis_code == "37410"
    # 청주시 is four 구 in the census: no one SGIS code, a boundary that is all four.
    assert cheongju.sgis_code == ""
    districts = CensusDistrict.objects.filter(municipality=cheongju)
    assert sorted(d.name_ko for d in districts) == [
        "청주시상당구",
        "청주시서원구",
        "청주시청원구",
        "청주시흥덕구",
    ]
    for district in districts:
        assert cheongju.boundary.covers(district.boundary.point_on_surface)
    assert yeongju.boundary.covers(Point(*YEONGJU_HALL, srid=4326))
    assert not yeongju.boundary.covers(Point(*IN_BONGHWA[0], srid=4326))
    # The 19 읍면동 of 영주시 (2018), with their seven-digit codes.
    submunicipalities = SubMunicipality.objects.filter(municipality=yeongju)
    assert submunicipalities.count() == 19
    assert {s.sgis_code[:5] for s in submunicipalities} == {"37060"}
    assert submunicipalities.get(name_ko="풍기읍").name_en == "Punggi-eup"


def test_loading_again_reads_no_file_and_changes_nothing(cities):
    before = list(
        Municipality.objects.order_by("pk").values_list("pk", "sgis_code", "updated_at")
    )
    submunicipalities = SubMunicipality.objects.count()

    with CaptureQueriesContext(connection) as queries:
        result = boundaries_load(municipality_codes=["47210", "47920", "43110"])

    assert result.municipalities_matched == 3
    assert result.municipalities_unmatched == []
    assert not any("INSERT" in q["sql"] for q in queries.captured_queries)
    assert SubMunicipality.objects.count() == submunicipalities
    assert (
        list(
            Municipality.objects.order_by("pk").values_list(
                "pk", "sgis_code", "updated_at"
            )
        )
        == before
    )


def test_the_command_names_every_district_of_the_country_and_reports_counts(db):
    MunicipalityFactory(code="47210", province="경북", name_ko="영주시")
    MunicipalityFactory(code="99999", province="경북", name_ko="없는시")
    output = []

    class Out:
        def write(self, text):
            output.append(text)

    with translation.override("en"):
        call_command("load_boundaries", stdout=Out())

    text = "".join(output)
    assert "250 시군구, 1 municipalities with their boundary, 19 읍면동" in text
    assert "없는시" in text  # matched by nobody, and said so
    assert CensusDistrict.objects.count() == 250
    with translation.override("ko"):
        assert CensusDistrict.objects.get(sgis_code="11010").full_name == (
            "서울특별시 종로구"
        )


def test_submunicipality_outlines_are_geojson_in_the_request_language(cities, client):
    response = client.get(
        "/api/v1/municipalities/47210/submunicipalities/",
        HTTP_ACCEPT_LANGUAGE="en",
        HTTP_ACCEPT="application/geo+json",
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    assert collection["attribution"] == (
        "Administrative boundaries: Statistics Korea SGIS (2018), KOGL Type 1"
    )
    assert len(collection["features"]) == 19
    punggi = next(
        f for f in collection["features"] if f["properties"]["sgis_code"] == "3706011"
    )
    assert punggi["properties"]["name"] == "Punggi-eup"
    assert punggi["geometry"]["type"] in ("Polygon", "MultiPolygon")

    korean = client.get("/api/v1/municipalities/47210/submunicipalities/").json()
    assert korean["attribution"] == "행정구역경계: 통계청 SGIS (2018), 공공누리 제1유형"
    assert {f["properties"]["name"] for f in korean["features"]} >= {"풍기읍"}


def test_municipality_outline_and_unknown_code(cities, client):
    outline = client.get("/api/v1/municipalities/43110/boundary/").json()

    assert outline["properties"]["code"] == "43110"
    assert outline["geometry"]["type"] in ("Polygon", "MultiPolygon")
    missing = client.get(
        "/api/v1/municipalities/12345/boundary/",
        HTTP_ACCEPT="application/geo+json",
    )
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert "error" in json.loads(missing.content)


def test_a_space_in_the_neighbouring_county_is_refused_naming_it(cities):
    yeongju = cities["yeongju"]

    with translation.override("en"), pytest.raises(DomainError) as refused:
        vacant_space_create(
            actor=None,
            municipality=yeongju,
            data={"kind": "shop", "location": Point(*IN_BONGHWA[0], srid=4326)},
        )
    assert "Bonghwa-gun, Gyeongsangbuk-do" in str(refused.value.message)
    assert "location" in refused.value.fields

    with translation.override("ko"), pytest.raises(DomainError) as at_sea:
        vacant_space_create(
            actor=None,
            municipality=yeongju,
            data={"kind": "shop", "location": Point(*EAST_SEA, srid=4326)},
        )
    assert "바다(또는 국외)" in str(at_sea.value.message)
    assert not VacantSpace.objects.exists()


def test_many_spaces_are_checked_in_one_query_and_none_is_written_on_a_refusal(
    cities,
):
    yeongju = cities["yeongju"]
    inside = [
        SpaceWrite(
            data={
                "kind": "house",
                "location": Point(
                    YEONGJU_HALL[0] + 0.001 * i, YEONGJU_HALL[1], srid=4326
                ),
            }
        )
        for i in range(40)
    ]
    outside = SpaceWrite(
        data={"kind": "house", "location": Point(*IN_BONGHWA[1], srid=4326)}
    )

    with CaptureQueriesContext(connection) as queries:
        vacant_spaces_create(actor=None, municipality=yeongju, writes=inside)
    boundary_queries = [
        q for q in queries.captured_queries if "cities_censusdistrict" in q["sql"]
    ]
    assert len(boundary_queries) == 1
    assert VacantSpace.objects.count() == 40

    with pytest.raises(DomainError):
        vacant_spaces_create(
            actor=None, municipality=yeongju, writes=[*inside[:3], outside]
        )
    assert VacantSpace.objects.count() == 40


def test_a_project_place_in_the_neighbouring_county_is_refused(cities):
    with translation.override("ko"), pytest.raises(DomainError) as refused:
        renewal_project_propose(
            proposer=UserFactory(),
            municipality=cities["yeongju"],
            data={
                "title": "빈 점포 공유부엌",
                "description": "주민이 함께 쓰는 부엌",
                "category": "village_renewal",
                "place": Point(*IN_BONGHWA[2], srid=4326),
            },
        )

    assert "경상북도 봉화군" in str(refused.value.message)
    assert "place" in refused.value.fields


def _gpkg(directory: Path, points: list[tuple[float, float]]) -> Path:
    source = directory / "survey.geojson"
    source.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"external_id": f"S-{n}", "kind": "shop"},
                        "geometry": {"type": "Point", "coordinates": list(point)},
                    }
                    for n, point in enumerate(points, start=1)
                ],
            }
        )
    )
    path = directory / "survey.gpkg"
    # In UTM-K, as a surveyor's GIS writes it.
    subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "GPKG",
            "-t_srs",
            "EPSG:5179",
            path,
            source,
            "-nln",
            "spaces",
        ],
        check=True,
        capture_output=True,
    )
    return path


def _import(path: Path, municipality):
    with path.open("rb") as handle:
        space_import = space_import_create(
            actor=None,
            municipality=municipality,
            uploaded_file=File(handle, name=path.name),
            srid=None,
            run_in_background=False,
        )
    return space_import_run(space_import=space_import)


def test_a_geopackage_of_the_neighbouring_county_is_refused_row_by_row(
    cities, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = _gpkg(tmp_path, IN_BONGHWA)

    with translation.override("en"):
        refused = _import(path, cities["yeongju"])

    assert refused.status == "failed"
    assert refused.rejected_count == 3
    assert [entry["line"] for entry in refused.report] == [1, 2, 3]
    for entry in refused.report:
        assert entry["field"] == "geometry"
        assert "Bonghwa-gun" in entry["message"]
    assert not VacantSpace.objects.exists()

    accepted = _import(path, cities["bonghwa"])

    assert accepted.status == "succeeded", accepted.report
    assert VacantSpace.objects.filter(municipality=cities["bonghwa"]).count() == 3


# The downtown (원도심) as a set of 읍면동 or an area (cities/services/downtown.py).


def _sub(name_ko: str) -> SubMunicipality:
    return SubMunicipality.objects.get(name_ko=name_ko, municipality__code="47210")


def test_a_downtown_of_submunicipalities_is_their_union_and_moves_the_flags(cities):
    yeongju = cities["yeongju"]
    one, two = _sub("영주1동"), _sub("영주2동")
    in_one = one.boundary.point_on_surface
    far = _sub("부석면").boundary.point_on_surface
    near, away = (
        vacant_space_create(
            actor=None, municipality=yeongju, data={"kind": "shop", "location": p}
        )
        for p in (in_one, far)
    )

    stored = downtown_set(
        actor=cities["editor"],
        municipality=yeongju,
        source="영주시 도시재생전략계획 (2016)",
        designated_on=datetime.date(2016, 12, 30),
        submunicipality_ids=[one.pk, two.pk],
    )

    assert stored.downtown.covers(in_one)
    assert stored.downtown.area == pytest.approx(
        one.boundary.union(two.boundary).area, rel=1e-6
    )
    assert set(stored.downtown_submunicipalities.all()) == {one, two}
    assert stored.downtown_date == datetime.date(2016, 12, 30)
    near.refresh_from_db()
    away.refresh_from_db()
    assert (near.in_downtown, away.in_downtown) == (True, False)

    # An uploaded area replaces the 읍면동, and the flags follow it.
    area = far.buffer(0.002)
    municipality_downtown_set(
        municipality=yeongju,
        source="도시재생활성화지역 고시 (2019)",
        area=MultiPolygon(area, srid=4326),
    )
    near.refresh_from_db()
    away.refresh_from_db()
    assert (near.in_downtown, away.in_downtown) == (False, True)
    assert not yeongju.downtown_submunicipalities.exists()


def test_a_downtown_is_refused_outside_its_city_and_for_others(cities):
    yeongju = cities["yeongju"]
    bonghwa_sub = SubMunicipality.objects.filter(municipality=cities["bonghwa"])[0]

    with pytest.raises(DomainError) as foreign:
        municipality_downtown_set(
            municipality=yeongju, source="계획", submunicipality_ids=[bonghwa_sub.pk]
        )
    assert "submunicipalities" in foreign.value.fields

    with translation.override("en"), pytest.raises(DomainError) as elsewhere:
        municipality_downtown_set(
            municipality=yeongju,
            source="계획",
            area=MultiPolygon(
                Point(*IN_BONGHWA[1], srid=4326).buffer(0.001), srid=4326
            ),
        )
    assert "Bonghwa-gun" in str(elsewhere.value.message)

    with pytest.raises(DomainError) as unsourced:
        municipality_downtown_set(
            municipality=yeongju, source=" ", submunicipality_ids=[_sub("영주1동").pk]
        )
    assert "source" in unsourced.value.fields

    with pytest.raises(NotPermitted):
        downtown_set(
            actor=UserFactory(),
            municipality=yeongju,
            source="계획",
            submunicipality_ids=[_sub("영주1동").pk],
        )
    yeongju.refresh_from_db()
    assert yeongju.downtown is None


def test_an_uploaded_zipped_shapefile_in_utm_k_is_read_as_its_area(cities, tmp_path):
    polygon = _sub("하망동").boundary.point_on_surface.buffer(0.003)
    source = tmp_path / "area.geojson"
    source.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": json.loads(polygon.geojson),
                    }
                ],
            }
        )
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "ESRI Shapefile",
            "-t_srs",
            "EPSG:5179",
            folder / "area.shp",
            source,
        ],
        check=True,
        capture_output=True,
    )
    archive = tmp_path / "도시재생활성화지역.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for part in folder.iterdir():
            handle.write(part, part.name)

    with archive.open("rb") as handle:
        area = downtown_area_read(File(handle, name=archive.name))

    assert area.srid == 4326
    assert area.area == pytest.approx(polygon.area, rel=1e-3)
    assert area.covers(polygon.centroid)

    with pytest.raises(DomainError) as wrong_type:
        downtown_area_read(File(source.open("rb"), name="area.txt"))
    assert "file" in wrong_type.value.fields


def test_the_demo_rule_picks_the_smallest_dong_and_its_small_neighbours(cities):
    yeongju = cities["yeongju"]

    assert demo_downtowns_derive() >= 1
    yeongju.refresh_from_db()

    # By hand from the census areas: 영주2동 (0.53 km²) is the smallest 동; 영주1동
    # (0.98), 하망동 (1.33) and 휴천2동 (1.35) touch it within three times its area.
    assert sorted(s.name_ko for s in yeongju.downtown_submunicipalities.all()) == [
        "영주1동",
        "영주2동",
        "하망동",
        "휴천2동",
    ]
    assert yeongju.downtown_source.startswith("illustrative")
    # Not from the city hall: the rule reads the 읍면동 only.
    assert demo_downtowns_derive() == 0

    municipality_downtown_set(
        municipality=yeongju,
        source="영주시 도시재생전략계획",
        submunicipality_ids=[_sub("영주1동").pk],
    )
    demo_downtowns_derive()
    yeongju.refresh_from_db()
    assert yeongju.downtown_source == "영주시 도시재생전략계획"


def test_the_decline_api_explains_each_area_and_labels_illustrative_figures(
    cities, client
):
    from cities.demo.decline import demo_decline_figures_load

    demo_decline_figures_load()

    collection = client.get(
        "/api/v1/municipalities/47210/decline/", HTTP_ACCEPT_LANGUAGE="en"
    ).json()

    assert len(collection["features"]) == 19
    for feature in collection["features"]:
        properties = feature["properties"]
        holding = [c for c in properties["criteria"] if c["holds"]]
        assert properties["qualifies"] == (len(holding) >= 2)
        assert properties["is_illustrative"] is True
        for criterion in properties["criteria"]:
            # No illustrative figure without its label.
            assert criterion["is_illustrative"] is True
            assert criterion["explanation"].startswith(("Holds.", "Does not hold."))
    assert [c["name"] for c in collection["features"][0]["properties"]["criteria"]] == [
        "Population",
        "Businesses",
        "Old buildings",
    ]
