import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from cities.models import Indicator, Observation
from cities.services.indicators import (
    IndicatorImportRefused,
    indicator_observations_import,
)
from tests.factories import MunicipalityFactory


@pytest.fixture(autouse=True)
def _messages_in_english():
    # The assertions read the report's English wording; Korean is the default.
    with translation.override("en"):
        yield


@pytest.fixture
def places(db):
    return {
        "chuncheon": MunicipalityFactory(
            code="51110", former_codes=["42110"], name_ko="춘천시", name_en="Chuncheon"
        ),
        "andong": MunicipalityFactory(code="47170", name_ko="안동시", name_en="Andong"),
    }


@pytest.fixture
def indicator(db):
    return Indicator.objects.create(
        code="businesses", name_ko="사업체 수", name_en="Businesses", unit="n"
    )


def values(indicator) -> dict:
    return {
        (o.municipality.code, o.year): float(o.value)
        for o in Observation.objects.filter(indicator=indicator).select_related(
            "municipality"
        )
    }


def test_long_layout_accepts_codes_former_codes_and_both_names(places, indicator):
    content = (
        "행정구역별,시점,데이터\n"
        '51110,2019,"21,500"\n'
        "42110,2020,21800\n"
        "안동시,2019,13000\n"
        "Andong,2020 년,12900.5\n"
    )

    result = indicator_observations_import(
        indicator=indicator, content=content, source="KOSIS 전국사업체조사"
    )

    assert result.created == 4
    assert values(indicator) == {
        ("51110", 2019): 21500,
        ("51110", 2020): 21800,
        ("47170", 2019): 13000,
        ("47170", 2020): 12900.5,
    }
    assert set(Observation.objects.values_list("source", flat=True)) == {
        "KOSIS 전국사업체조사"
    }


def test_wide_layout_reads_one_column_per_year_and_skips_dashes(places, indicator):
    content = (
        "region,2015,2016 년,2017년,단위\n춘천시,100,-,120,개\nAndong,80,81,82,개\n"
    )

    result = indicator_observations_import(
        indicator=indicator, content=content.encode("cp949"), layout="wide", source="s"
    )

    assert (result.created, result.missing) == (5, 1)
    assert values(indicator)[("51110", 2017)] == 120
    assert ("51110", 2016) not in values(indicator)


def test_one_bad_row_refuses_the_whole_file_naming_its_lines(places, indicator):
    content = (
        "region,period,value\n"
        "춘천시,2019,1\n"
        "부산시,2019,2\n"
        "안동시,twenty,3\n"
        "안동시,2020,lots\n"
        "춘천시,2019,4\n"
    )

    with pytest.raises(IndicatorImportRefused) as refused:
        indicator_observations_import(indicator=indicator, content=content, source="s")

    problems = [(p["line"], p["field"]) for p in refused.value.problems]
    assert problems == [(2, "region"), (3, "period"), (4, "value"), (5, "period")]
    assert "line 1" in refused.value.problems[-1]["message"]
    assert not Observation.objects.exists()


def test_importing_twice_changes_nothing_and_a_new_value_updates(places, indicator):
    content = "code,year,value\n51110,2020,10\n47170,2020,20\n"
    indicator_observations_import(indicator=indicator, content=content, source="s")

    again = indicator_observations_import(
        indicator=indicator, content=content, source="s"
    )
    changed = indicator_observations_import(
        indicator=indicator, content="code,year,value\n51110,2020,11\n", source="s"
    )

    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (changed.created, changed.updated) == (0, 1)
    assert Observation.objects.count() == 2
    assert values(indicator)[("51110", 2020)] == 11


def test_published_figure_replaces_an_illustrative_one(places, indicator):
    Observation.objects.create(
        municipality=places["andong"],
        indicator=indicator,
        year=2020,
        value=1,
        source="illustrative",
        is_illustrative=True,
    )

    indicator_observations_import(
        indicator=indicator, content="code,year,value\n47170,2020,1\n", source="KOSIS"
    )

    observation = Observation.objects.get()
    assert (observation.is_illustrative, observation.source) == (False, "KOSIS")


def test_ambiguous_name_asks_for_the_code(places, indicator):
    MunicipalityFactory(name_ko="고성군", name_en="Goseong", province="강원")
    MunicipalityFactory(name_ko="고성군", name_en="Goseong", province="경남")

    with pytest.raises(IndicatorImportRefused) as refused:
        indicator_observations_import(
            indicator=indicator,
            content="region,year,value\n고성군,2020,1\n",
            source="s",
        )

    assert "five-digit code" in refused.value.problems[0]["message"]


def test_command_imports_and_reports_refusals(places, indicator, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text("region,2019,2020\nChuncheon,5,6\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("region,2019\nAtlantis,5\n", encoding="utf-8")

    call_command(
        "import_indicators",
        str(good),
        "--indicator",
        "businesses",
        "--layout",
        "wide",
        "--source",
        "KOSIS",
    )
    assert "2 created" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command(
            "import_indicators",
            str(bad),
            "--indicator",
            "businesses",
            "--layout",
            "wide",
            "--source",
            "KOSIS",
        )
    assert "line 1" in capsys.readouterr().err
    assert Observation.objects.count() == 2


def test_a_source_is_required(places, indicator):
    from core.errors import DomainError

    with pytest.raises(DomainError):
        indicator_observations_import(
            indicator=indicator, content="code,year,value\n51110,2020,1\n"
        )
