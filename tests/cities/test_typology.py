import pytest

from cities.demo.indicators import demo_indicators_load
from cities.models import CityType, Municipality
from cities.typology import (
    DEFAULT_PARAMETERS,
    TypologyInputs,
    TypologyParameters,
    classify,
    municipality_typology_list,
)

P = DEFAULT_PARAMETERS


def inputs(population=200_000, change=0.0, share=10.0, history=False, is_city=True):
    return TypologyInputs(
        population=population,
        population_year=2020,
        population_base=population / (1 + change / 100),
        population_base_year=2015,
        manufacturing_share=share,
        manufacturing_share_year=2020,
        history_culture=history,
        is_city=is_city,
    )


def fired(result) -> set[str]:
    return {reason.rule for reason in result.reasons if reason.fired}


@pytest.mark.parametrize(
    ("share", "change", "expected"),
    [
        (P.industrial_share_min, 0.0, CityType.INDUSTRIAL_CITY),
        (P.industrial_share_min - 0.1, 0.0, CityType.REGIONAL_GROWTH_CENTRE),
        (30.0, P.industrial_change_min, CityType.INDUSTRIAL_CITY),
        (30.0, P.industrial_change_min - 0.1, CityType.REGIONAL_GROWTH_CENTRE),
    ],
)
def test_industrial_rule_boundaries(share, change, expected):
    result = classify(inputs(share=share, change=change))

    assert result.city_type == expected
    assert ("industrial_city" in fired(result)) is (
        expected == CityType.INDUSTRIAL_CITY
    )


@pytest.mark.parametrize(
    ("population", "change", "expected"),
    [
        (P.small_population_max - 1, 0.0, CityType.SMALL_CITY),
        (P.small_population_max, 0.0, CityType.REGIONAL_GROWTH_CENTRE),
        (100_000, P.growth_change_min - 0.1, CityType.SMALL_CITY),
        (100_000, P.growth_change_min, CityType.REGIONAL_GROWTH_CENTRE),
    ],
)
def test_small_city_rule_boundaries(population, change, expected):
    assert classify(inputs(population=population, change=change)).city_type == expected


def test_manufacturing_hub_boundary():
    at = classify(inputs(share=P.manufacturing_hub_share_min))
    below = classify(inputs(share=P.manufacturing_hub_share_min - 0.1))

    assert at.subtypes == ["manufacturing_hub"]
    assert below.city_type == CityType.INDUSTRIAL_CITY
    assert below.subtypes == []


def test_regional_base_boundary_and_history_culture_membership():
    at = classify(inputs(population=P.regional_base_population_min, history=True))
    below = classify(inputs(population=P.regional_base_population_min - 1))

    assert at.subtypes == ["regional_base_city", "history_culture_city"]
    assert below.subtypes == []


def test_reasons_carry_the_values_compared():
    result = classify(inputs(population=120_000, change=-4.0, share=12.0))

    small = next(r for r in result.reasons if r.rule == "small_city")
    assert small.fired
    assert small.values["population"] == 120_000
    assert small.values["population_change_pct"] == pytest.approx(-4.0)
    assert small.values["small_population_max"] == P.small_population_max
    industrial = next(r for r in result.reasons if r.rule == "industrial_city")
    assert not industrial.fired
    assert industrial.values["manufacturing_share"] == 12.0


def test_parameters_change_the_outcome():
    city = inputs(population=180_000, change=-1.0, share=12.0)

    assert classify(city).city_type == CityType.REGIONAL_GROWTH_CENTRE
    assert (
        classify(city, TypologyParameters(small_population_max=200_000)).city_type
        == CityType.SMALL_CITY
    )


def test_counties_and_cities_without_data_get_no_type():
    assert classify(inputs(is_city=False)).city_type is None
    assert classify(TypologyInputs()).city_type is None


DOCUMENTED_INDUSTRIAL = {"Gumi", "Asan", "Geoje", "Yangsan"}
DOCUMENTED_SMALL = {
    "Donghae", "Taebaek", "Sokcho", "Samcheok", "Jecheon", "Gongju", "Boryeong",
    "Nonsan", "Jeongeup", "Namwon", "Gimje", "Yeongju", "Sangju", "Mungyeong",
    "Miryang",
}  # fmt: skip
LIKELY_REGIONAL = {
    "Chuncheon", "Wonju", "Gangneung", "Chungju", "Iksan", "Mokpo", "Suncheon",
    "Gyeongju", "Andong", "Jinju",
}  # fmt: skip
# docs/typology.md explains why Yeosu is not industrial under the defaults.
LIKELY_INDUSTRIAL = {"Dangjin", "Seosan", "Gwangyang", "Gunsan"}


@pytest.fixture
def demo_typology(demo_data):
    demo_indicators_load()
    study = Municipality.objects.filter(groups__slug="krihs2017-study")
    return {
        entry.municipality.name_en: entry for entry in municipality_typology_list(study)
    }


def test_demo_classifies_all_forty_cities(demo_typology):
    assert len(demo_typology) == 40
    assert all(entry.computed.city_type for entry in demo_typology.values())


def test_demo_agrees_with_the_documented_and_likely_assignments(demo_typology):
    def of(names):
        return {demo_typology[name].computed.city_type for name in names}

    assert of(DOCUMENTED_INDUSTRIAL) == {CityType.INDUSTRIAL_CITY}
    assert all(
        "manufacturing_hub" in demo_typology[name].computed.subtypes
        for name in DOCUMENTED_INDUSTRIAL
    )
    assert of(DOCUMENTED_SMALL) == {CityType.SMALL_CITY}
    assert of(LIKELY_REGIONAL) == {CityType.REGIONAL_GROWTH_CENTRE}
    assert of(LIKELY_INDUSTRIAL) == {CityType.INDUSTRIAL_CITY}
    assert demo_typology["Yeosu"].computed.city_type == CityType.REGIONAL_GROWTH_CENTRE


def test_demo_history_culture_cities(demo_typology):
    history = {
        name
        for name, entry in demo_typology.items()
        if "history_culture_city" in entry.computed.subtypes
    }

    assert history == {"Gyeongju", "Andong", "Gongju", "Iksan"}


def test_demo_indicators_are_marked_illustrative_unless_census(demo_typology):
    from cities.models import Observation

    manufacturing = Observation.objects.filter(
        indicator__code="manufacturing_employment_share"
    )
    population = Observation.objects.filter(indicator__code="population")

    assert manufacturing.count() >= 80
    assert not manufacturing.filter(is_illustrative=False).exists()
    assert all(o.source.startswith("illustrative") for o in manufacturing)
    assert (
        not population.filter(year__in=[2015, 2020], is_illustrative=True)
        .exclude(municipality__kind="county")
        .exists()
    )
    assert not population.filter(year=2017, is_illustrative=False).exists()
    assert population.get(municipality__name_en="Taebaek", year=2020).value == 41494


def test_demo_indicators_load_is_idempotent(demo_typology):
    from cities.models import MunicipalFlow, Observation

    before = (Observation.objects.count(), MunicipalFlow.objects.count())
    demo_indicators_load()

    assert (Observation.objects.count(), MunicipalFlow.objects.count()) == before
