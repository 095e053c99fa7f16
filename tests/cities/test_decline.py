"""The legal decline test per 읍면동 (cities/decline.py), against cases computed by
hand from the decree's rules (시행령 제17조), and its figures' provenance."""

from decimal import Decimal

import pytest
from django.utils import translation

from cities.decline import (
    BUSINESSES,
    OLD_BUILDINGS_SHARE,
    POPULATION,
    Figure,
    decline_assess,
)
from cities.models import SubMunicipality

SOURCE = "행정안전부 주민등록인구통계"


def _series(start_year: int, values: list[int], *, illustrative=False) -> list[Figure]:
    return [
        Figure(start_year + i, Decimal(v), SOURCE, illustrative)
        for i, v in enumerate(values)
    ]


def _area() -> SubMunicipality:
    return SubMunicipality(
        sgis_code="3706055", name_ko="영주1동", name_en="Yeongju 1-dong"
    )


def test_a_hand_checked_area_qualifies_on_population_and_buildings():
    # Population peaked at 10,000 in 1995; 2023 has 8,100: 19 % lower, below the
    # 20 % the rule asks, but of the last five years (each against the year
    # before) 2020, 2021 and 2022 fell, three running (9,000 → 8,300 → 8,200 →
    # 8,100; 2023 equal). Businesses: peak 500 in 2014, 480 in 2023 = 4 % lower
    # (< 5 %), falls in 2019, 2020 and 2022: three, not running. Old buildings
    # 50.0 %: exactly the threshold, which holds.
    population = _series(1994, [9_800, 10_000] + [9_000] * 24 + [8_300])
    population += _series(2021, [8_200, 8_100, 8_100])
    assert [f.year for f in population][-5:] == [2019, 2020, 2021, 2022, 2023]
    businesses = _series(2014, [500, 495, 490, 490, 490, 485, 480, 480, 478, 480])
    buildings = [Figure(2023, Decimal("50.0"), "국토교통부 건축물대장", False)]

    with translation.override("en"):
        result = decline_assess(
            _area(),
            {
                POPULATION: population,
                BUSINESSES: businesses,
                OLD_BUILDINGS_SHARE: buildings,
            },
        )

    population_test, business_test, building_test = result.criteria
    assert population_test.holds is True
    assert "19.0 % lower" in population_test.explanation
    assert "longest run of yearly falls in the last 5 years: 3" in (
        population_test.explanation
    )
    assert population_test.sources == [SOURCE]
    assert business_test.holds is False
    assert "4.0 % lower" in business_test.explanation
    assert building_test.holds is True
    assert result.holding == 2
    assert result.qualifies is True
    assert result.is_illustrative is False


def test_one_criterion_is_not_enough_and_missing_figures_are_not_assessable():
    # A 25 % drop from the 30-year peak: population holds; nothing else is known.
    population = _series(1994, [12_000] + [10_000] * 28 + [9_000])

    result = decline_assess(_area(), {POPULATION: population})

    assert [c.holds for c in result.criteria] == [True, None, None]
    assert result.qualifies is False


def test_a_peak_older_than_thirty_years_does_not_count_and_illustrative_is_said():
    # 1993's 20,000 lies outside 1994–2023; within the window the peak is 10,000,
    # 2023's 9,000 is 10 % lower, and the figures never fall three years running.
    population = _series(1993, [20_000] + [10_000] * 29 + [9_000], illustrative=True)

    with translation.override("en"):
        result = decline_assess(_area(), {POPULATION: population})

    assert result.criteria[0].holds is False
    assert "peak of 10,000 in 1994" in result.criteria[0].explanation
    assert result.is_illustrative is True


@pytest.mark.parametrize(
    ("values", "holds"),
    [
        # 2018..2023: three falls running (2019, 2020, 2021).
        ([100, 99, 98, 97, 98, 99], True),
        # Three falls, not running: 2019, 2021, 2023.
        ([100, 99, 100, 99, 100, 99], False),
    ],
)
def test_businesses_falling_three_years_running_within_five(values, holds):
    # Both end within 5 % of the peak, so only the run can decide.
    businesses = _series(2018, values)

    result = decline_assess(_area(), {BUSINESSES: businesses})

    assert result.criteria[1].holds is holds
