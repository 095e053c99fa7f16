"""The legal decline test for urban-regeneration areas, per 읍면동.

도시재생 활성화 및 지원에 관한 특별법 시행령 제17조: an area is in decline when at
least two of three hold —

- population: at least 20 % below its peak of the last 30 years, or falling for
  three years running within the last five;
- businesses: at least 5 % below their peak of the last 10 years, or falling for
  three years running within the last five;
- buildings: at least half of them 20 years old or more.

Each criterion is explained like the typology: whether it holds, the figures it
read and their sources, and whether any of them is illustrative. A criterion
without the figures it needs is "not assessable" (holds is None), never assumed.
The thresholds are parameters (DeclineRules) with the decree's values as defaults.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.boundaries import submunicipalities_geojson
from cities.models import Municipality, SubMunicipality, SubMunicipalityObservation

POPULATION = "submunicipality_population"
BUSINESSES = "submunicipality_businesses"
OLD_BUILDINGS_SHARE = "submunicipality_old_buildings_share"
DECLINE_INDICATORS = {
    POPULATION: {
        "name_ko": "읍면동 주민등록인구",
        "name_en": "Registered population of the 읍면동",
        "unit": "persons",
        "source": "행정안전부 주민등록인구통계",
    },
    BUSINESSES: {
        "name_ko": "읍면동 사업체 수",
        "name_en": "Businesses in the 읍면동",
        "unit": "businesses",
        "source": "통계청 전국사업체조사",
    },
    OLD_BUILDINGS_SHARE: {
        "name_ko": "20년 이상 노후 건축물 비율",
        "name_en": "Share of buildings 20 years old or more",
        "unit": "%",
        "source": "국토교통부 건축물대장",
    },
}


CRITERION_LABELS = {
    "population": gettext_lazy("Population"),
    "businesses": gettext_lazy("Businesses"),
    "buildings": gettext_lazy("Old buildings"),
}


@dataclass(frozen=True)
class DeclineRules:
    population_peak_years: int = 30
    population_drop_pct: Decimal = Decimal(20)
    businesses_peak_years: int = 10
    businesses_drop_pct: Decimal = Decimal(5)
    recent_years: int = 5
    falling_years_running: int = 3
    old_buildings_share_pct: Decimal = Decimal(50)
    criteria_needed: int = 2


@dataclass(frozen=True)
class Figure:
    year: int
    value: Decimal
    source: str
    is_illustrative: bool


@dataclass
class Criterion:
    code: str
    holds: bool | None
    explanation: str
    sources: list[str] = field(default_factory=list)
    is_illustrative: bool = False

    @property
    def label(self) -> str:
        return str(CRITERION_LABELS[self.code])


@dataclass
class DeclineAssessment:
    submunicipality: SubMunicipality
    criteria: list[Criterion]
    rules: DeclineRules

    @property
    def holding(self) -> int:
        return sum(1 for criterion in self.criteria if criterion.holds)

    @property
    def qualifies(self) -> bool:
        return self.holding >= self.rules.criteria_needed

    @property
    def is_illustrative(self) -> bool:
        return any(criterion.is_illustrative for criterion in self.criteria)


def _provenance(figures: list[Figure]) -> tuple[list[str], bool]:
    return sorted({f.source for f in figures}), any(f.is_illustrative for f in figures)


def _longest_fall(figures: list[Figure], latest: int, years: int) -> int | None:
    """The longest run of yearly falls within the last `years` years up to
    `latest`; None when a year of that window is missing."""
    by_year = {f.year: f.value for f in figures}
    window = range(latest - years, latest + 1)
    if any(year not in by_year for year in window):
        return None
    longest = run = 0
    for year in window[1:]:
        run = run + 1 if by_year[year] < by_year[year - 1] else 0
        longest = max(longest, run)
    return longest


def _trend_criterion(
    code: str,
    figures: list[Figure],
    *,
    peak_years: int,
    drop_pct: Decimal,
    rules: DeclineRules,
) -> Criterion:
    if not figures:
        return Criterion(code, None, _("No figures: not assessable."))
    latest = max(figures, key=lambda f: f.year)
    in_window = [f for f in figures if f.year > latest.year - peak_years]
    peak = max(in_window, key=lambda f: (f.value, -f.year))
    drop = (peak.value - latest.value) * 100 / peak.value if peak.value else Decimal(0)
    fall = _longest_fall(figures, latest.year, rules.recent_years)
    sources, illustrative = _provenance([*in_window])
    by_peak = drop >= drop_pct
    by_fall = fall is not None and fall >= rules.falling_years_running
    figures_text = _(
        "%(latest)s in %(year)s against a peak of %(peak)s in %(peak_year)s "
        "(%(drop)s %% lower; the rule asks %(limit)s %%); longest run of yearly "
        "falls in the last %(recent)s years: %(fall)s (the rule asks %(running)s)."
    ) % {
        "latest": f"{latest.value:,.0f}",
        "year": latest.year,
        "peak": f"{peak.value:,.0f}",
        "peak_year": peak.year,
        "drop": f"{drop:.1f}",
        "limit": drop_pct,
        "recent": rules.recent_years,
        "fall": "—" if fall is None else fall,
        "running": rules.falling_years_running,
    }
    holds = by_peak or by_fall
    if fall is None and len(in_window) < 2:
        return Criterion(
            code,
            None,
            _("Too few years of figures: not assessable.") + " " + figures_text,
            sources,
            illustrative,
        )
    verdict = _("Holds.") if holds else _("Does not hold.")
    return Criterion(code, holds, f"{verdict} {figures_text}", sources, illustrative)


def _buildings_criterion(figures: list[Figure], rules: DeclineRules) -> Criterion:
    if not figures:
        return Criterion("buildings", None, _("No figures: not assessable."))
    latest = max(figures, key=lambda f: f.year)
    holds = latest.value >= rules.old_buildings_share_pct
    sources, illustrative = _provenance([latest])
    text = _(
        "%(share)s %% of the buildings were 20 years old or more in %(year)s "
        "(the rule asks %(limit)s %%)."
    ) % {
        "share": f"{latest.value:.1f}",
        "year": latest.year,
        "limit": rules.old_buildings_share_pct,
    }
    verdict = _("Holds.") if holds else _("Does not hold.")
    return Criterion("buildings", holds, f"{verdict} {text}", sources, illustrative)


def decline_assess(
    submunicipality: SubMunicipality,
    figures: dict[str, list[Figure]],
    rules: DeclineRules | None = None,
) -> DeclineAssessment:
    """The test for one 읍면동 from its figures by indicator code."""
    rules = rules or DeclineRules()
    return DeclineAssessment(
        submunicipality=submunicipality,
        criteria=[
            _trend_criterion(
                "population",
                figures.get(POPULATION, []),
                peak_years=rules.population_peak_years,
                drop_pct=rules.population_drop_pct,
                rules=rules,
            ),
            _trend_criterion(
                "businesses",
                figures.get(BUSINESSES, []),
                peak_years=rules.businesses_peak_years,
                drop_pct=rules.businesses_drop_pct,
                rules=rules,
            ),
            _buildings_criterion(figures.get(OLD_BUILDINGS_SHARE, []), rules),
        ],
        rules=rules,
    )


def municipality_decline(
    municipality: Municipality, rules: DeclineRules | None = None
) -> list[DeclineAssessment]:
    """The test for every 읍면동 of the city, in two queries."""
    submunicipalities = list(
        SubMunicipality.objects.filter(municipality=municipality)
        .defer("boundary")
        .order_by("sgis_code")
    )
    figures: dict[int, dict[str, list[Figure]]] = defaultdict(lambda: defaultdict(list))
    observations = SubMunicipalityObservation.objects.filter(
        submunicipality__municipality=municipality,
        indicator__code__in=list(DECLINE_INDICATORS),
    ).values_list(
        "submunicipality_id",
        "indicator__code",
        "year",
        "value",
        "source",
        "is_illustrative",
    )
    for sub_id, code, year, value, source, illustrative in observations:
        figures[sub_id][code].append(Figure(year, value, source, illustrative))
    return [decline_assess(sub, figures[sub.pk], rules) for sub in submunicipalities]


def municipality_decline_geojson(
    municipality: Municipality, rules: DeclineRules | None = None
) -> dict:
    """Every 읍면동 of the city with its outline and its test, as a GeoJSON
    FeatureCollection (the outlines' attribution included)."""
    collection = json.loads(submunicipalities_geojson(municipality))
    assessments = {
        a.submunicipality.sgis_code: a
        for a in municipality_decline(municipality, rules)
    }
    for feature in collection["features"]:
        assessment = assessments[feature["properties"]["sgis_code"]]
        feature["properties"].update(
            {
                "qualifies": assessment.qualifies,
                "criteria_holding": assessment.holding,
                "is_illustrative": assessment.is_illustrative,
                "criteria": [
                    {
                        "code": c.code,
                        "name": c.label,
                        "holds": c.holds,
                        "explanation": c.explanation,
                        "sources": c.sources,
                        "is_illustrative": c.is_illustrative,
                    }
                    for c in assessment.criteria
                ],
            }
        )
    return collection
