"""The city typology of KRIHS policy brief 642 (2017) as a transparent classifier.

The report's numeric thresholds are not available to us, so every threshold is a
named parameter with a documented default (docs/typology.md says why each default
and which cities it disagrees with). The classifier returns its reasons: every rule
it tried, with the values it compared.

Rules, in order (the first that fires decides the type):
1. industrial_city: manufacturing employment share ≥ industrial_share_min and
   population change ≥ industrial_change_min (manufacturing towns in collapse fall
   through to the size rules);
2. small_city: population < small_population_max and population change <
   growth_change_min (small and not growing);
3. regional_growth_centre: everything else (large enough, or small but growing).
Sub-types, independent of one another:
- manufacturing_hub: an industrial city with share ≥ manufacturing_hub_share_min;
- regional_base_city: a regional growth centre with population ≥
  regional_base_population_min;
- history_culture_city: member of the municipality group history_culture_group
  (whose description carries its legal and UNESCO sources).
"""

from dataclasses import asdict, dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cities.models import (
    CitySubtype,
    CityType,
    Municipality,
    MunicipalityKind,
    Observation,
    TypologyOverride,
)

# A municipality's population: the yearly series where it has one, else the census.
POPULATION = "population"
CENSUS_POPULATION = "population_census_total"
MANUFACTURING_SHARE = "manufacturing_employment_share"


def yearly_else_census(values: dict, pk: int, default=None):
    """The population entry of municipality `pk` in `values` (keyed by (municipality
    id, indicator code)): the yearly one unless it is missing, zero or empty, else the
    census one, else `default`."""
    return values.get((pk, POPULATION)) or values.get((pk, CENSUS_POPULATION), default)


@dataclass(frozen=True)
class TypologyParameters:
    # "Small cities: mostly under 300,000" (KRIHS); the documented small declining
    # cities are all under 140,000 and the likely regional centres all over 155,000.
    small_population_max: int = 150_000
    # Percent change over the change window; a small city growing faster than this
    # (e.g. an innovation city) is a growth centre, not a declining small city.
    growth_change_min: float = 5.0
    # Percent of workers in manufacturing (national average about 17 %).
    industrial_share_min: float = 25.0
    # A manufacturing city losing more than a tenth of its people is no longer a
    # growth-driven industrial city.
    industrial_change_min: float = -10.0
    manufacturing_hub_share_min: float = 35.0
    regional_base_population_min: int = 250_000
    # Population change is measured from the earliest figure within this many years
    # before the reference year (the study looked at about two decades; the demo has
    # like-for-like census figures from 2015 only).
    change_window_years: int = 20
    history_culture_group: str = "history-culture-cities"


DEFAULT_PARAMETERS = TypologyParameters()


@dataclass(frozen=True)
class TypologyInputs:
    population: float | None = None
    population_year: int | None = None
    population_base: float | None = None
    population_base_year: int | None = None
    manufacturing_share: float | None = None
    manufacturing_share_year: int | None = None
    history_culture: bool = False
    is_city: bool = True

    @property
    def population_change_pct(self) -> float | None:
        if not self.population or not self.population_base:
            return None
        if self.population_year == self.population_base_year:
            return None
        return round(
            (self.population - self.population_base) * 100 / self.population_base, 2
        )


@dataclass
class Reason:
    rule: str
    fired: bool
    text: str
    values: dict = field(default_factory=dict)


@dataclass
class TypologyResult:
    city_type: str | None
    subtypes: list[str]
    reasons: list[Reason]
    inputs: TypologyInputs
    parameters: TypologyParameters

    def as_dict(self) -> dict:
        return {
            "type": self.city_type,
            "subtypes": self.subtypes,
            "reasons": [asdict(reason) for reason in self.reasons],
            "inputs": {
                **asdict(self.inputs),
                "population_change_pct": self.inputs.population_change_pct,
            },
            "parameters": asdict(self.parameters),
        }


def classify(
    inputs: TypologyInputs, parameters: TypologyParameters = DEFAULT_PARAMETERS
) -> TypologyResult:
    """Pure: the type, sub-types and reasons for one municipality's inputs."""
    p = parameters
    reasons: list[Reason] = []
    result = TypologyResult(None, [], reasons, inputs, parameters)
    if not inputs.is_city:
        reasons.append(
            Reason("not_a_city", True, _("Counties are not classified; only cities."))
        )
        return result
    population = inputs.population
    change = inputs.population_change_pct
    share = inputs.manufacturing_share
    if population is None:
        reasons.append(
            Reason("no_data", True, _("No population figure: cannot classify."))
        )
        return result

    if share is None or change is None:
        reasons.append(
            Reason(
                "industrial_city",
                False,
                _("Not tested: manufacturing share or population change unknown."),
                {"manufacturing_share": share, "population_change_pct": change},
            )
        )
    else:
        fired = share >= p.industrial_share_min and change >= p.industrial_change_min
        reasons.append(
            Reason(
                "industrial_city",
                fired,
                _(
                    "Manufacturing share %(share)s %% (industrial from %(min)s %%), "
                    "population change %(change)s %% (at least %(change_min)s %%)."
                )
                % {
                    "share": share,
                    "min": p.industrial_share_min,
                    "change": change,
                    "change_min": p.industrial_change_min,
                },
                {
                    "manufacturing_share": share,
                    "industrial_share_min": p.industrial_share_min,
                    "population_change_pct": change,
                    "industrial_change_min": p.industrial_change_min,
                },
            )
        )
        if fired:
            result.city_type = CityType.INDUSTRIAL_CITY

    if result.city_type is None:
        # Unknown change counts as "not growing": only evidence of growth lifts a
        # small city into the growth centres.
        growing = change is not None and change >= p.growth_change_min
        fired = population < p.small_population_max and not growing
        reasons.append(
            Reason(
                "small_city",
                fired,
                _(
                    "Population %(population)s (small below %(max)s), change "
                    "%(change)s %% (growing from %(growth)s %%)."
                )
                % {
                    "population": f"{population:,.0f}",
                    "max": f"{p.small_population_max:,}",
                    "change": "?" if change is None else change,
                    "growth": p.growth_change_min,
                },
                {
                    "population": population,
                    "small_population_max": p.small_population_max,
                    "population_change_pct": change,
                    "growth_change_min": p.growth_change_min,
                },
            )
        )
        result.city_type = (
            CityType.SMALL_CITY if fired else CityType.REGIONAL_GROWTH_CENTRE
        )
        if not fired:
            reasons.append(
                Reason(
                    "regional_growth_centre",
                    True,
                    _("Neither industrial nor small: a regional growth centre."),
                    {"population": population, "population_change_pct": change},
                )
            )

    if result.city_type == CityType.INDUSTRIAL_CITY:
        fired = share >= p.manufacturing_hub_share_min
        reasons.append(
            Reason(
                "manufacturing_hub",
                fired,
                _("Manufacturing share %(share)s %% (hub from %(min)s %%).")
                % {"share": share, "min": p.manufacturing_hub_share_min},
                {
                    "manufacturing_share": share,
                    "manufacturing_hub_share_min": p.manufacturing_hub_share_min,
                },
            )
        )
        if fired:
            result.subtypes.append(CitySubtype.MANUFACTURING_HUB)
    if result.city_type == CityType.REGIONAL_GROWTH_CENTRE:
        fired = population >= p.regional_base_population_min
        reasons.append(
            Reason(
                "regional_base_city",
                fired,
                _("Population %(population)s (regional base from %(min)s).")
                % {
                    "population": f"{population:,.0f}",
                    "min": f"{p.regional_base_population_min:,}",
                },
                {
                    "population": population,
                    "regional_base_population_min": p.regional_base_population_min,
                },
            )
        )
        if fired:
            result.subtypes.append(CitySubtype.REGIONAL_BASE_CITY)
    reasons.append(
        Reason(
            "history_culture_city",
            inputs.history_culture,
            _("Member of the group “%(group)s”: %(answer)s.")
            % {
                "group": p.history_culture_group,
                "answer": _("yes") if inputs.history_culture else _("no"),
            },
            {"group": p.history_culture_group},
        )
    )
    if inputs.history_culture:
        result.subtypes.append(CitySubtype.HISTORY_CULTURE_CITY)
    return result


def _series(municipality_ids, codes) -> dict[tuple[int, str], list[tuple[int, float]]]:
    series: dict[tuple[int, str], list[tuple[int, float]]] = {}
    for municipality_id, code, year, value in (
        Observation.objects.filter(
            municipality_id__in=municipality_ids, indicator__code__in=codes
        )
        .order_by("year")
        .values_list("municipality_id", "indicator__code", "year", "value")
    ):
        series.setdefault((municipality_id, code), []).append((year, float(value)))
    return series


def typology_inputs(
    municipalities: list[Municipality],
    *,
    year: int | None = None,
    parameters: TypologyParameters = DEFAULT_PARAMETERS,
) -> dict[int, TypologyInputs]:
    """Inputs for many municipalities in two queries. year=None: the latest year
    with a population figure for each municipality."""
    ids = [m.pk for m in municipalities]
    series = _series(ids, [POPULATION, CENSUS_POPULATION, MANUFACTURING_SHARE])
    history = set(
        Municipality.objects.filter(
            pk__in=ids, groups__slug=parameters.history_culture_group
        ).values_list("pk", flat=True)
    )
    inputs = {}
    for m in municipalities:
        population = yearly_else_census(series, m.pk, [])
        if year is not None:
            population = [(y, v) for y, v in population if y <= year]
        values: dict = {
            "history_culture": m.pk in history,
            "is_city": m.kind == MunicipalityKind.CITY,
        }
        if population:
            reference_year, value = population[-1]
            base = [
                (y, v)
                for y, v in population
                if y >= reference_year - parameters.change_window_years
            ][0]
            values.update(
                population=value,
                population_year=reference_year,
                population_base=base[1],
                population_base_year=base[0],
            )
            shares = [
                (y, v)
                for y, v in series.get((m.pk, MANUFACTURING_SHARE), [])
                if y <= reference_year
            ]
            if shares:
                values.update(
                    manufacturing_share=shares[-1][1],
                    manufacturing_share_year=shares[-1][0],
                )
        inputs[m.pk] = TypologyInputs(**values)
    return inputs


def typology_overrides(municipality_ids) -> dict[int, TypologyOverride]:
    """The latest override per municipality (a withdrawn one has an empty type)."""
    latest = {}
    for override in (
        TypologyOverride.objects.filter(municipality_id__in=municipality_ids)
        .select_related("created_by")
        .order_by("municipality_id", "-created_at", "-id")
        .distinct("municipality_id")
    ):
        latest[override.municipality_id] = override
    return latest


@dataclass
class MunicipalityTypology:
    municipality: Municipality
    computed: TypologyResult
    override: TypologyOverride | None

    @property
    def effective_type(self) -> str | None:
        if self.override is not None and self.override.city_type:
            return self.override.city_type
        return self.computed.city_type


def municipality_typology_list(
    municipalities: QuerySet[Municipality] | list[Municipality] | None = None,
    *,
    year: int | None = None,
    parameters: TypologyParameters = DEFAULT_PARAMETERS,
) -> list[MunicipalityTypology]:
    """Computed type, latest override and effective type for each municipality, in
    a constant number of queries."""
    if municipalities is None:
        municipalities = Municipality.objects.defer("boundary", "downtown")
    municipalities = list(municipalities)
    inputs = typology_inputs(municipalities, year=year, parameters=parameters)
    overrides = typology_overrides([m.pk for m in municipalities])
    return [
        MunicipalityTypology(m, classify(inputs[m.pk], parameters), overrides.get(m.pk))
        for m in municipalities
    ]


def municipality_typology(
    municipality: Municipality, *, year: int | None = None
) -> MunicipalityTypology:
    return municipality_typology_list([municipality], year=year)[0]
