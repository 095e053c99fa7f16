"""Demo indicators and commuting flows for the study cities.

What is real and what is not, row by row (the `source` and `is_illustrative` fields
of each observation say the same):
- population in 2015 and 2020: the census figures already loaded
  (population_census_total), copied to the yearly `population` series;
- population 2016–2019: linear interpolation between the two censuses, illustrative;
- manufacturing employment share, share aged 65+, businesses, buildings, downtown
  population and businesses: illustrative values (data/illustrative_indicators.csv
  and the ratios below), chosen to look plausible and to let the typology reproduce
  the documented assignments; they are not statistics;
- county populations and the commuting flows (data/illustrative_flows.csv):
  illustrative.
"""

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from cities.demo import DemoGenerator
from cities.models import (
    FlowPurpose,
    Indicator,
    MunicipalFlow,
    Municipality,
    Observation,
)
from cities.services.municipalities import CENSUS_SOURCE, DATA_DIR

ILLUSTRATIVE = "illustrative: demo figure, not published statistics"
INTERPOLATED = "illustrative: linear interpolation between the 2015 and 2020 censuses"
FIRST_YEAR, LAST_YEAR = 2015, 2020

INDICATORS = {
    "population": {
        "name_ko": "인구(총인구, 연도별)",
        "name_en": "Population, all residents, by year",
        "unit": "persons",
        "higher_is_better": True,
        "source": "Statistics Korea (KOSIS): population census; resident registration",
        "description": "Census years as counted; other years as published or interpolated.",
    },
    "population_aged_65_plus_share": {
        "name_ko": "65세 이상 인구 비율",
        "name_en": "Share of population aged 65+",
        "unit": "%",
        "higher_is_better": False,
        "source": "Statistics Korea (KOSIS): population census",
        "description": "Residents aged 65 or over as a percentage of all residents.",
    },
    "manufacturing_employment_share": {
        "name_ko": "제조업 종사자 비율",
        "name_en": "Manufacturing employment share",
        "unit": "%",
        "higher_is_better": None,
        "source": "Statistics Korea (KOSIS): census on establishments",
        "description": "Workers in manufacturing as a percentage of all workers.",
    },
    "businesses": {
        "name_ko": "사업체 수",
        "name_en": "Number of businesses",
        "unit": "businesses",
        "higher_is_better": True,
        "source": "Statistics Korea (KOSIS): census on establishments",
        "description": "Establishments in the municipality (legal decline test: ≥5 % "
        "below the 10-year peak).",
    },
    "buildings": {
        "name_ko": "건축물 수",
        "name_en": "Number of buildings",
        "unit": "buildings",
        "higher_is_better": None,
        "source": "Building register (건축물대장)",
        "description": "Denominator of vacancy rates per 1,000 buildings.",
    },
    "buildings_downtown": {
        "name_ko": "원도심 건축물 수",
        "name_en": "Number of buildings downtown",
        "unit": "buildings",
        "higher_is_better": None,
        "source": "Building register (건축물대장), within the downtown polygon",
        "description": "Buildings inside the downtown (원도심) polygon.",
    },
    "population_downtown": {
        "name_ko": "원도심 인구",
        "name_en": "Downtown population",
        "unit": "persons",
        "higher_is_better": True,
        "source": "Resident registration by neighbourhood (행정동)",
        "description": "Residents of the neighbourhoods forming the downtown.",
    },
    "businesses_downtown": {
        "name_ko": "원도심 사업체 수",
        "name_en": "Businesses downtown",
        "unit": "businesses",
        "higher_is_better": True,
        "source": "Census on establishments by neighbourhood (행정동)",
        "description": "Establishments in the neighbourhoods forming the downtown.",
    },
}
# Illustrative populations of the counties in the demo urban zones (rounded on
# purpose: not census figures).
COUNTY_POPULATION_2020 = {"44825": 62_000, "47920": 31_000, "47900": 55_000}
BUILDINGS_PER_RESIDENT = 0.28
DOWNTOWN_BUILDING_SHARE = 0.09


@dataclass(frozen=True)
class DemoIndicatorResult:
    observations: int
    flows: int


def _interpolate(first: float, last: float, year: int) -> float:
    return first + (last - first) * (year - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR)


@transaction.atomic
def demo_indicators_load(*, data_dir: Path = DATA_DIR) -> DemoIndicatorResult:
    """Yearly demo indicators for the study cities and illustrative flows.

    Idempotent (update_or_create on municipality, indicator and year). Needs the
    municipalities and census figures of demo_municipalities_load. A figure already
    imported from a published source (is_illustrative False, other source) is never
    overwritten by an illustrative one.
    """
    indicators = {
        code: Indicator.objects.update_or_create(code=code, defaults=spec)[0]
        for code, spec in INDICATORS.items()
    }
    municipalities = {m.code: m for m in Municipality.objects.exclude(code=None)}
    census = {
        (o.municipality.code, o.year): float(o.value)
        for o in Observation.objects.filter(
            indicator__code="population_census_total"
        ).select_related("municipality")
    }
    keep_real = {
        (o["municipality_id"], o["indicator_id"], o["year"])
        for o in Observation.objects.filter(
            indicator__in=indicators.values(), is_illustrative=False
        )
        .exclude(source=CENSUS_SOURCE)
        .values("municipality_id", "indicator_id", "year")
    }
    written = 0

    def put(municipality, code, year, value, *, source=ILLUSTRATIVE, illustrative=True):
        nonlocal written
        indicator = indicators[code]
        if (municipality.pk, indicator.pk, year) in keep_real:
            return
        Observation.objects.update_or_create(
            municipality=municipality,
            indicator=indicator,
            year=year,
            defaults={
                "value": Decimal(str(round(value, 2))),
                "source": source,
                "is_illustrative": illustrative,
            },
        )
        written += 1

    with open(data_dir / "illustrative_indicators.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        municipality = municipalities.get(row["code"])
        first = census.get((row["code"], FIRST_YEAR))
        last = census.get((row["code"], LAST_YEAR))
        if municipality is None or first is None or last is None:
            continue
        generator = DemoGenerator(f"indicators:{row['code']}")
        downtown_share = {
            FIRST_YEAR: generator.random.uniform(0.06, 0.09),
        }
        # Downtowns hollow out: the share falls by a tenth to a quarter in 5 years.
        downtown_share[LAST_YEAR] = downtown_share[
            FIRST_YEAR
        ] * generator.random.uniform(0.75, 0.9)
        downtown_business_share = {FIRST_YEAR: generator.random.uniform(0.18, 0.26)}
        downtown_business_share[LAST_YEAR] = downtown_business_share[
            FIRST_YEAR
        ] * generator.random.uniform(0.85, 0.97)
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            population = round(_interpolate(first, last, year))
            census_year = year in (FIRST_YEAR, LAST_YEAR)
            put(
                municipality,
                "population",
                year,
                population,
                source=CENSUS_SOURCE if census_year else INTERPOLATED,
                illustrative=not census_year,
            )
            per_1000 = _interpolate(
                float(row["businesses_per_1000_2015"]),
                float(row["businesses_per_1000_2020"]),
                year,
            )
            put(municipality, "businesses", year, round(population * per_1000 / 1000))
        for year in (FIRST_YEAR, LAST_YEAR):
            population = census[(row["code"], year)]
            put(
                municipality,
                "manufacturing_employment_share",
                year,
                float(row[f"manufacturing_share_{year}"]),
            )
            put(
                municipality,
                "population_aged_65_plus_share",
                year,
                float(row[f"aged_65_share_{year}"]),
            )
            put(
                municipality,
                "population_downtown",
                year,
                round(population * downtown_share[year]),
            )
            businesses = population * float(row[f"businesses_per_1000_{year}"]) / 1000
            put(
                municipality,
                "businesses_downtown",
                year,
                round(businesses * downtown_business_share[year]),
            )
        buildings = round(last * BUILDINGS_PER_RESIDENT)
        put(municipality, "buildings", LAST_YEAR, buildings)
        put(
            municipality,
            "buildings_downtown",
            LAST_YEAR,
            round(buildings * DOWNTOWN_BUILDING_SHARE),
        )
    for code, population in COUNTY_POPULATION_2020.items():
        if code in municipalities:
            put(municipalities[code], "population", LAST_YEAR, population)

    flows = 0
    with open(data_dir / "illustrative_flows.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            origin = municipalities.get(row["origin"])
            destination = municipalities.get(row["destination"])
            if origin is None or destination is None:
                continue
            MunicipalFlow.objects.update_or_create(
                origin=origin,
                destination=destination,
                year=int(row["year"]),
                purpose=FlowPurpose(row["purpose"]),
                defaults={
                    "count": int(row["count"]),
                    "source": ILLUSTRATIVE,
                    "is_illustrative": True,
                },
            )
            flows += 1
    return DemoIndicatorResult(written, flows)
