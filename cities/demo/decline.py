"""Illustrative figures per 읍면동 for the legal decline test (cities.decline):
registered population (1994–2023: every five years, then each of the last six),
businesses (2014, 2016, then each of the last six) and the share of buildings 20
years old or more in 2023.

Deterministic per 읍면동 (seeded by its SGIS code) and labelled illustrative in
every row. The 읍면동 of a city's downtown are drawn older and shrinking more often
than the rest, as the research describes hollowed-out old centres; the figures
are not observations of any place.
"""

from decimal import Decimal

from cities.decline import (
    BUSINESSES,
    DECLINE_INDICATORS,
    OLD_BUILDINGS_SHARE,
    POPULATION,
)
from cities.demo import ILLUSTRATIVE_SOURCE, DemoGenerator
from cities.models import (
    Indicator,
    Municipality,
    SubMunicipality,
    SubMunicipalityObservation,
)

LATEST_YEAR = 2023
# Every five years back to 30 years before, and every year of the last six (the
# "three years running within the last five" test needs each of them): the peak
# and the trend both read, at a third of the rows of a full series.
RECENT_YEARS = list(range(LATEST_YEAR - 5, LATEST_YEAR + 1))
POPULATION_YEARS = [*range(LATEST_YEAR - 29, LATEST_YEAR - 5, 5), *RECENT_YEARS]
BUSINESS_YEARS = [LATEST_YEAR - 9, LATEST_YEAR - 7, *RECENT_YEARS]


def _series(generator: DemoGenerator, start: float, yearly: float, years: list[int]):
    """A value for each of `years`, changing by about `yearly` a year."""
    value, values, previous = start, [], years[0]
    for year in years:
        for _step in range(year - previous):
            value *= 1 + generator.random.gauss(yearly, 0.02)
        values.append(max(value, 1.0))
        previous = year
    return values


def demo_decline_figures_load() -> int:
    """Write the figures of the 읍면동 that have none; how many rows were added."""
    indicators = {
        code: Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name_ko": spec["name_ko"],
                "name_en": spec["name_en"],
                "unit": spec["unit"],
                "source": spec["source"],
            },
        )[0]
        for code, spec in DECLINE_INDICATORS.items()
    }
    # Only 읍면동 without figures: a second run reads and writes nothing more.
    submunicipalities = SubMunicipality.objects.filter(observations__isnull=True).defer(
        "boundary"
    )
    in_downtown = set(
        Municipality.downtown_submunicipalities.through.objects.values_list(
            "submunicipality_id", flat=True
        )
    )
    rows = []
    for sub in submunicipalities:
        generator = DemoGenerator(f"decline:{sub.sgis_code}")
        old_core = sub.pk in in_downtown
        shrinking = old_core or generator.random.random() < 0.35
        population = _series(
            generator,
            generator.lognormal(12_000 if old_core else 8_000, 0.4),
            -0.012 if shrinking else 0.006,
            POPULATION_YEARS,
        )
        businesses = _series(
            generator,
            generator.lognormal(900 if old_core else 500, 0.4),
            -0.01 if shrinking else 0.01,
            BUSINESS_YEARS,
        )
        old_share = min(
            95.0, max(10.0, generator.random.gauss(68 if old_core else 45, 12))
        )
        for code, years, values in (
            (POPULATION, POPULATION_YEARS, population),
            (BUSINESSES, BUSINESS_YEARS, businesses),
            (OLD_BUILDINGS_SHARE, [LATEST_YEAR], [old_share]),
        ):
            for year, value in zip(years, values, strict=True):
                rows.append(
                    SubMunicipalityObservation(
                        submunicipality=sub,
                        indicator=indicators[code],
                        year=year,
                        value=Decimal(f"{value:.1f}")
                        if code == OLD_BUILDINGS_SHARE
                        else Decimal(round(value)),
                        source=ILLUSTRATIVE_SOURCE,
                        is_illustrative=True,
                    )
                )
    before = SubMunicipalityObservation.objects.count()
    SubMunicipalityObservation.objects.bulk_create(
        rows, ignore_conflicts=True, batch_size=5000
    )
    return SubMunicipalityObservation.objects.count() - before
