"""The typology says what it stands on: sources, illustrative labels, scope."""

import re

import pytest

from cities.demo.indicators import demo_indicators_load
from cities.models import (
    CityType,
    Indicator,
    MunicipalFlow,
    Municipality,
    MunicipalityGroup,
    Observation,
)
from cities.services import demo_municipalities_load
from cities.services.indicators import (
    ESTABLISHMENT_CENSUS_SOURCE,
    IndicatorImportRefused,
    manufacturing_share_import,
)
from cities.typology import (
    InputSource,
    TypologyInputs,
    TypologyStatus,
    classify,
    municipality_typology,
    municipality_typology_list,
)
from tests.helpers import api_client, page_client

REAL = "Statistics Korea census"


def sourced(population=200_000, base=190_000, share=30.0, *, illustrative=()):
    def source(name, indicator, year):
        return InputSource(indicator, year, REAL, name in illustrative)

    return TypologyInputs(
        population=population,
        population_year=2020,
        population_base=base,
        population_base_year=2000,
        manufacturing_share=share,
        manufacturing_share_year=2020,
        sources={
            "population": source("population", "population", 2020),
            "population_base": source("population_base", "population", 2000),
            "manufacturing_share": source(
                "manufacturing_share", "manufacturing_employment_share", 2020
            ),
        },
    )


def test_a_type_on_published_figures_is_classified_and_names_its_sources():
    result = classify(sourced())

    assert result.city_type == CityType.INDUSTRIAL_CITY
    assert result.status == TypologyStatus.CLASSIFIED
    industrial = next(r for r in result.reasons if r.rule == "industrial_city")
    assert {s["indicator"] for s in industrial.sources} == {
        "population",
        "manufacturing_employment_share",
    }
    assert all(s["source"] == REAL for s in industrial.sources)


def test_an_illustrative_deciding_input_makes_the_type_provisional():
    result = classify(sourced(illustrative=("manufacturing_share",)))

    assert result.city_type == CityType.INDUSTRIAL_CITY
    assert result.status == TypologyStatus.PROVISIONAL
    assert result.as_dict()["provisional"] is True
    industrial = next(r for r in result.reasons if r.rule == "industrial_city")
    assert industrial.illustrative


def test_a_missing_manufacturing_share_is_not_classifiable_not_a_default_type():
    inputs = sourced()
    missing = TypologyInputs(
        **{
            **{k: getattr(inputs, k) for k in ("population", "population_year")},
            "population_base": inputs.population_base,
            "population_base_year": inputs.population_base_year,
        }
    )

    result = classify(missing)

    assert result.city_type is None
    assert result.status == TypologyStatus.NOT_CLASSIFIABLE
    assert result.reasons[-1].rule == "missing_input"


def test_cities_of_500000_or_more_are_outside_the_study_scope():
    assert classify(sourced(population=499_999)).city_type is not None
    result = classify(sourced(population=500_000, base=480_000))

    assert result.city_type is None
    assert result.status == TypologyStatus.OUTSIDE_SCOPE
    assert result.reasons[0].rule == "above_study_population"


def test_only_members_of_the_chosen_group_are_classified():
    outside = TypologyInputs(**{**sourced().__dict__, "in_group": False})

    result = classify(outside)

    assert result.city_type is None
    assert result.status == TypologyStatus.OUTSIDE_SCOPE


@pytest.fixture(scope="module")
def demo_loaded_once(django_db_setup, django_db_blocker):
    # Loading the demo's cities and indicators costs seconds: once for the module,
    # each test still running in its own rolled-back transaction on top.
    with django_db_blocker.unblock():
        demo_municipalities_load()
        demo_indicators_load()
    yield
    with django_db_blocker.unblock():
        MunicipalFlow.objects.all().delete()
        Observation.objects.all().delete()
        Indicator.objects.all().delete()
        MunicipalityGroup.objects.all().delete()
        Municipality.objects.all().delete()


@pytest.fixture
def demo_indicators(demo_loaded_once, db):
    return None


def test_dashboard_classifies_the_forty_study_cities_and_no_large_one(demo_indicators):
    body = api_client().get("/api/v1/dashboard/city-types/").json()

    classified = [code for entry in body["types"] for code in entry["cities"]]
    study = set(
        Municipality.objects.filter(groups__slug="krihs2017-study").values_list(
            "code", flat=True
        )
    )
    large = set(
        Municipality.objects.filter(groups__slug="reference-large-cities").values_list(
            "code", flat=True
        )
    )
    assert body["group"] == "krihs2017-study"
    assert len(classified) == 40
    assert set(classified) == study
    assert not large & set(classified)
    assert body["unclassified"] == {}
    # Every demo manufacturing share is illustrative: every type is provisional.
    provisional = [c for entry in body["types"] for c in entry["provisional_cities"]]
    assert sorted(provisional) == sorted(classified)


def test_dashboard_takes_a_group_and_refuses_an_unknown_one(demo_indicators):
    large = api_client().get(
        "/api/v1/dashboard/city-types/?group=reference-large-cities"
    )
    unknown = api_client().get("/api/v1/dashboard/city-types/?group=atlantis")

    assert large.status_code == 200
    assert [c for entry in large.json()["types"] for c in entry["cities"]] == []
    assert len(large.json()["unclassified"]["outside_scope"]) == 6
    assert unknown.status_code == 400
    assert "atlantis" in unknown.json()["error"]["fields"]["group"][0]
    page = page_client().get("/en/dashboard/?group=reference-large-cities")
    assert page.status_code == 200
    assert "Outside the study&#x27;s scope: 6" in page.content.decode()


def test_large_comparison_city_page_says_it_is_outside_the_scope(demo_indicators):
    changwon = Municipality.objects.get(name_en="Changwon")

    body = page_client().get(f"/en/cities/{changwon.code}/").content.decode()
    api = api_client().get(f"/api/v1/municipalities/{changwon.code}/typology/").json()

    assert "Outside the study&#x27;s scope" in body
    assert api["computed"]["type"] is None
    assert api["computed"]["status"] == "outside_scope"


def typology_section(html: str) -> str:
    start = html.index('id="typology"')
    return html[start : html.index("</section>", start)]


def test_no_illustrative_input_is_shown_without_its_label(demo_indicators):
    """A city page of each type labels every illustrative source of every reason,
    and the type itself as provisional; for all forty, each reason that compared an
    illustrative input says so."""
    study = Municipality.objects.filter(groups__slug="krihs2017-study")
    entries = municipality_typology_list(study)
    for entry in entries:
        for reason in entry.computed.reasons:
            assert reason.illustrative == any(s["illustrative"] for s in reason.sources)
    one_of_each_type = {entry.computed.city_type: entry for entry in entries}
    assert len(one_of_each_type) == 3
    client = page_client()
    for entry in one_of_each_type.values():
        reasons = entry.computed.reasons
        illustrative = [s for r in reasons for s in r.sources if s["illustrative"]]
        assert illustrative, entry.municipality.name_en
        section = typology_section(
            client.get(f"/ko/cities/{entry.municipality.code}/").content.decode()
        )
        items = re.findall(r"<li>(.*?)</li>", section, flags=re.S)
        source_items = [item for item in items if "badge" in item or "(20" in item]
        labelled = [item for item in source_items if "badge illustrative" in item]
        assert len(labelled) == len(illustrative), entry.municipality.name_en
        for source in illustrative:
            assert any(source["source"] in item for item in labelled)
        assert 'id="typology-status"' in section
    api = api_client().get(f"/api/v1/municipalities/{study[0].code}/typology/").json()
    assert api["computed"]["provisional"] is True
    assert all(
        reason["illustrative"] == any(s["illustrative"] for s in reason["sources"])
        for reason in api["computed"]["reasons"]
    )


ESTABLISHMENTS = (
    "행정구역별(시군구),산업별(10차),2020 년,2020 년\n"
    "행정구역별(시군구),산업별(10차),사업체수 (개),종사자수 (명)\n"
    '전국,전체 산업,"6,036,470","24,759,339"\n'
    '경상북도,전체 산업,"268,100","1,146,000"\n'
    '영주시,전체 산업,"9,210","36,512"\n'
    "영주시,농업 임업 및 어업(01~03),12,95\n"
    '영주시,제조업(10~34),531,"5,113"\n'
    '고양시,전체 산업,"80,000","330,000"\n'
    '고양시,제조업(10~34),"5,000","30,000"\n'
)


def test_establishment_census_table_gives_the_real_manufacturing_share(demo_indicators):
    result = manufacturing_share_import(content=ESTABLISHMENTS.encode("cp949"))

    yeongju = Municipality.objects.get(name_en="Yeongju")
    share = Observation.objects.get(
        municipality=yeongju,
        indicator__code="manufacturing_employment_share",
        year=2020,
    )
    # 5,113 of 36,512 workers, by hand: 14.0036 %.
    assert float(share.value) == pytest.approx(14.0036, abs=1e-4)
    assert share.source == ESTABLISHMENT_CENSUS_SOURCE
    assert share.is_illustrative is False
    assert result.updated == 1
    assert {"전국", "경상북도", "고양시"} <= result.skipped_regions
    # Population 2015/2020 are census counts, the share now published: not provisional.
    typology = municipality_typology(yeongju)
    assert typology.computed.status == TypologyStatus.CLASSIFIED
    assert typology.computed.city_type == CityType.SMALL_CITY


def test_establishment_census_table_with_impossible_figures_changes_nothing(
    demo_indicators,
):
    before = list(Observation.objects.order_by("pk").values_list("pk", "value"))
    broken = ESTABLISHMENTS.replace('531,"5,113"', '531,"50,113"')

    with pytest.raises(IndicatorImportRefused) as refused:
        manufacturing_share_import(content=broken)

    assert "영주시" in refused.value.problems[0]["message"]
    assert list(Observation.objects.order_by("pk").values_list("pk", "value")) == before
    assert MunicipalityGroup.objects.filter(slug="krihs2017-study").exists()
