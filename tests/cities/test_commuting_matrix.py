"""Urban zones built from the census commuting matrix (origin–destination CSV)."""

import pytest
from django.core.management import call_command

from cities.models import Indicator, MunicipalFlow, Observation
from cities.services.flows import commuting_matrix_import
from cities.services.indicators import IndicatorImportRefused
from cities.zones import CENTRE_PERIPHERY, urban_zones
from tests.factories import MunicipalityFactory

# Hand-computed (threshold 10 % of the commuters living in a place):
# - 나시 sends 6,000 of its 20,000 commuters (계) to 가시: 30 % → in 가시's zone;
# - 다시 sends 900 of 10,000 to 가시 (9 %) and 1,100 to 나시 (11 %), but 나시 is
#   itself dependent, so 다시 is in no zone;
# - 라시 sends 950 to 가시: 11.9 % of the 7,950 listed, but only 9.5 % of the
#   10,000 the 계 row counts — the rest went to places off the platform — so 라시
#   is in no zone;
# - 가시 → 나시 is 2 % of 가시's commuters: no network, a centre–periphery zone.
CENSUS_TABLE = """행정구역별(현거주지),통근·통학지별,통근·통학별,2020 년
가시,계,통근,"100,000"
가시,현거주 시군구 내,통근,"95,000"
가시,나시,통근,"2,000"
가시,고양시,통근,"3,000"
나시,계,계,"25,000"
나시,계,통근,"20,000"
나시,현거주 시군구 내,통근,"12,000"
나시,가시,통근,"6,000"
나시,다시,통근,"1,000"
나시,고양시,통근,500
나시,가시,통학,"5,000"
다시,계,통근,"10,000"
다시,현거주 시군구 내,통근,"8,000"
다시,가시,통근,900
다시,나시,통근,"1,100"
라시,계,통근,"10,000"
라시,현거주 시군구 내,통근,"7,000"
라시,가시,통근,950
고양시,계,통근,"500,000"
고양시,가시,통근,"60,000"
"""


@pytest.fixture
def places(db):
    indicator = Indicator.objects.create(
        code="population", name_ko="인구", name_en="Population", unit="persons"
    )
    found = {}
    for name, population in (
        ("가시", 300_000),
        ("나시", 50_000),
        ("다시", 40_000),
        ("라시", 30_000),
    ):
        found[name] = MunicipalityFactory(name_ko=name)
        Observation.objects.create(
            municipality=found[name],
            indicator=indicator,
            year=2020,
            value=population,
            source="test",
        )
    return found


def test_census_matrix_builds_the_hand_computed_zones(places):
    result = commuting_matrix_import(content=CENSUS_TABLE.encode("cp949"))

    zones, _population = urban_zones(year=2020)
    assert len(zones) == 1
    zone = zones[0]
    assert zone.centre == places["가시"].pk
    assert zone.members == {places["나시"].pk: 0.3}
    assert zone.kind == CENTRE_PERIPHERY
    assert result.periods == [2020]
    assert result.origins == 4
    assert "고양시" in result.skipped_regions
    # 나시's 20,000: 12,000 at home, 6,000 and 1,000 listed, 1,000 elsewhere.
    elsewhere = MunicipalFlow.objects.get(
        origin=places["나시"], destination=None, purpose="commute"
    )
    assert elsewhere.count == 1_000
    school = MunicipalFlow.objects.get(origin=places["나시"], purpose="school")
    assert school.count == 5_000


def test_second_run_of_the_same_table_changes_nothing(places, tmp_path, capsys):
    path = tmp_path / "flows.csv"
    path.write_text(CENSUS_TABLE, encoding="utf-8")
    call_command("import_commuting_matrix", str(path))
    before = set(
        MunicipalFlow.objects.values_list("origin", "destination", "purpose", "count")
    )

    call_command("import_commuting_matrix", str(path))

    assert "flows of 4 origins for 2020" in capsys.readouterr().out
    assert (
        set(
            MunicipalFlow.objects.values_list(
                "origin", "destination", "purpose", "count"
            )
        )
        == before
    )


def test_a_total_below_its_listed_destinations_refuses_the_whole_table(places):
    broken = CENSUS_TABLE.replace('다시,계,통근,"10,000"', '다시,계,통근,"1,000"')

    with pytest.raises(IndicatorImportRefused) as refused:
        commuting_matrix_import(content=broken)

    assert "1000" in refused.value.problems[0]["message"]
    assert refused.value.problems[0]["line"] == 12
    assert not MunicipalFlow.objects.exists()
