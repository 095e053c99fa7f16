import csv

import pytest
from django.contrib.gis.geos import Point

from cities.demo import ILLUSTRATIVE_SOURCE, DemoGenerator, illustrative_downtown
from cities.models import Municipality, MunicipalityGroup, Observation
from cities.services import DATA_DIR, demo_municipalities_load


def test_study_group_holds_forty_cities_without_gyeryong(demo_data):
    study = MunicipalityGroup.objects.get(slug="krihs2017-study")
    candidates = MunicipalityGroup.objects.get(slug="krihs2017-candidates")

    assert study.members.count() == 40
    assert candidates.members.count() == 41
    assert set(candidates.members.values_list("name_en", flat=True)) - set(
        study.members.values_list("name_en", flat=True)
    ) == {"Gyeryong"}
    assert not study.members.filter(kind="county").exists()


def test_census_figures_match_the_source_file(demo_data):
    with open(DATA_DIR / "municipalities.csv", encoding="utf-8") as handle:
        rows = {row["name_en"]: row for row in csv.DictReader(handle)}

    for name in ("Taebaek", "Yangsan", "Changwon"):
        values = dict(
            Observation.objects.filter(
                municipality__name_en=name, indicator__code="population_census_total"
            ).values_list("year", "value")
        )
        assert values == {
            2015: int(rows[name]["census2015_total"]),
            2020: int(rows[name]["census2020_total"]),
        }


def test_every_code_is_five_digits_and_unique(demo_data):
    codes = list(Municipality.objects.values_list("code", flat=True))

    assert all(len(code) == 5 and code.isdigit() for code in codes)
    assert len(codes) == len(set(codes)) == 57


def test_loading_twice_changes_nothing(demo_data):
    before = (Municipality.objects.count(), Observation.objects.count())

    result = demo_municipalities_load()

    assert result.municipalities_created == 0
    assert (Municipality.objects.count(), Observation.objects.count()) == before


def test_generated_downtowns_are_labelled_illustrative(demo_data):
    cities = Municipality.objects.filter(kind="city")

    assert all(city.downtown_source.startswith(ILLUSTRATIVE_SOURCE) for city in cities)
    assert not Municipality.objects.filter(
        kind="county", downtown__isnull=False
    ).exists()


@pytest.mark.django_db
def test_loading_keeps_a_real_downtown(demo_data):
    andong = Municipality.objects.get(name_en="Andong")
    surveyed = illustrative_downtown(andong.location, 300)
    andong.downtown = surveyed
    andong.downtown_source = "Andong city urban regeneration strategy plan"
    andong.save()

    demo_municipalities_load()

    andong.refresh_from_db()
    assert andong.downtown_source == "Andong city urban regeneration strategy plan"
    assert andong.downtown.equals_exact(surveyed, tolerance=1e-9)


def test_generator_is_deterministic_and_respects_radii():
    center = Point(128.7294, 36.5684, srid=4326)

    first = DemoGenerator("andong").scatter(
        center, 200, core_radius_m=500, outer_radius_m=3000, core_share=0.6
    )
    second = DemoGenerator("andong").scatter(
        center, 200, core_radius_m=500, outer_radius_m=3000, core_share=0.6
    )
    other = DemoGenerator("gumi").scatter(
        center, 200, core_radius_m=500, outer_radius_m=3000, core_share=0.6
    )

    assert [p.coords for p in first] == [p.coords for p in second]
    assert [p.coords for p in first] != [p.coords for p in other]
    metric_center = center.transform(5179, clone=True)
    distances = [p.transform(5179, clone=True).distance(metric_center) for p in first]
    assert max(distances) <= 3000.01
    within_core = sum(distance <= 500 for distance in distances)
    assert 90 <= within_core <= 150  # about 60 % of 200
