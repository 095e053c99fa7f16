"""The city typology of KRIHS policy brief 642 (2017) as a transparent classifier.

The report's numeric thresholds are not available to us, so every threshold is a
named parameter with a documented default (docs/typology.md says why each default
and which cities it disagrees with). The classifier returns its reasons: every rule
it tried, with the values it compared.

Only municipalities in the chosen group are classified (the study's 40 by default);
a city of `study_population_max` people or more is outside the study's scope, and a
missing deciding input makes a city "not classifiable" rather than giving it a
default type. Every input carries its source and whether it is illustrative; a type
that stands on an illustrative input is "provisional".

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

from dataclasses import asdict, dataclass, field, replace

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.models import (
    CitySubtype,
    CityType,
    Indicator,
    Municipality,
    MunicipalityKind,
    Observation,
    TypologyOverride,
)

# A municipality's population: the yearly series where it has one, else the census.
POPULATION = "population"
CENSUS_POPULATION = "population_census_total"
MANUFACTURING_SHARE = "manufacturing_employment_share"
# The KRIHS study's 40 cities: the group classified unless another is chosen.
STUDY_GROUP = "krihs2017-study"


class TypologyStatus(models.TextChoices):
    CLASSIFIED = "classified", gettext_lazy("Classified")
    # The type stands on at least one illustrative (demo) figure.
    PROVISIONAL = "provisional", gettext_lazy("Provisional")
    NOT_CLASSIFIABLE = "not_classifiable", gettext_lazy("Not classifiable")
    OUTSIDE_SCOPE = "outside_scope", gettext_lazy("Outside the study's scope")


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
    # The study covers cities under 500,000 people; larger ones are references.
    study_population_max: int = 500_000
    group: str = STUDY_GROUP


DEFAULT_PARAMETERS = TypologyParameters()


@dataclass(frozen=True)
class InputSource:
    """Where one input figure comes from."""

    indicator: str
    year: int
    source: str
    illustrative: bool
    # The indicator's name in the language of the request that computed it.
    name: str = ""


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
    in_group: bool = True
    # Keyed by input name: "population", "population_base", "manufacturing_share".
    sources: dict[str, InputSource] = field(default_factory=dict)

    @property
    def illustrative_inputs(self) -> list[str]:
        return sorted(name for name, s in self.sources.items() if s.illustrative)

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
    # The sources of the inputs this rule compared (InputSource as dicts).
    sources: list[dict] = field(default_factory=list)

    @property
    def illustrative(self) -> bool:
        return any(source["illustrative"] for source in self.sources)


@dataclass
class TypologyResult:
    city_type: str | None
    subtypes: list[str]
    reasons: list[Reason]
    inputs: TypologyInputs
    parameters: TypologyParameters
    status: str = TypologyStatus.NOT_CLASSIFIABLE

    @property
    def provisional(self) -> bool:
        return self.status == TypologyStatus.PROVISIONAL

    @property
    def status_label(self) -> str:
        return str(TypologyStatus(self.status).label)

    def as_dict(self) -> dict:
        return {
            "type": self.city_type,
            "status": self.status,
            "provisional": self.provisional,
            "subtypes": self.subtypes,
            "reasons": [
                {**asdict(reason), "illustrative": reason.illustrative}
                for reason in self.reasons
            ],
            "inputs": {
                **asdict(self.inputs),
                "population_change_pct": self.inputs.population_change_pct,
                "illustrative_inputs": self.inputs.illustrative_inputs,
            },
            "parameters": asdict(self.parameters),
        }


def _sources(inputs: TypologyInputs, *names: str) -> list[dict]:
    return [asdict(inputs.sources[name]) for name in names if name in inputs.sources]


def classify(
    inputs: TypologyInputs, parameters: TypologyParameters = DEFAULT_PARAMETERS
) -> TypologyResult:
    """Pure: the type, sub-types, status and reasons for one municipality's inputs."""
    p = parameters
    reasons: list[Reason] = []
    result = TypologyResult(
        None, [], reasons, inputs, parameters, TypologyStatus.OUTSIDE_SCOPE
    )
    if not inputs.is_city:
        reasons.append(
            Reason("not_a_city", True, _("Counties are not classified; only cities."))
        )
        return result
    if not inputs.in_group:
        reasons.append(
            Reason(
                "outside_group",
                True,
                _(
                    "Not in the chosen group of cities: only its members are classified."
                ),
                {"group": p.group},
            )
        )
        return result
    population = inputs.population
    change = inputs.population_change_pct
    share = inputs.manufacturing_share
    population_sources = _sources(inputs, "population", "population_base")
    if population is None:
        result.status = TypologyStatus.NOT_CLASSIFIABLE
        reasons.append(
            Reason("no_data", True, _("No population figure: cannot classify."))
        )
        return result
    if population >= p.study_population_max:
        reasons.append(
            Reason(
                "above_study_population",
                True,
                _(
                    "Population %(population)s: the study covers cities under "
                    "%(max)s, so this city is outside its scope."
                )
                % {
                    "population": f"{population:,.0f}",
                    "max": f"{p.study_population_max:,}",
                },
                {
                    "population": population,
                    "study_population_max": p.study_population_max,
                },
                _sources(inputs, "population"),
            )
        )
        return result
    missing = [
        label
        for value, label in (
            (share, _("manufacturing employment share")),
            (change, _("population change")),
        )
        if value is None
    ]
    if missing:
        result.status = TypologyStatus.NOT_CLASSIFIABLE
        reasons.append(
            Reason(
                "missing_input",
                True,
                _("Not classifiable: no figure for %(inputs)s.")
                % {"inputs": ", ".join(str(label) for label in missing)},
                {"manufacturing_share": share, "population_change_pct": change},
                population_sources + _sources(inputs, "manufacturing_share"),
            )
        )
        return result

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
            _sources(inputs, "manufacturing_share") + population_sources,
        )
    )
    if fired:
        result.city_type = CityType.INDUSTRIAL_CITY

    if result.city_type is None:
        growing = change >= p.growth_change_min
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
                    "change": change,
                    "growth": p.growth_change_min,
                },
                {
                    "population": population,
                    "small_population_max": p.small_population_max,
                    "population_change_pct": change,
                    "growth_change_min": p.growth_change_min,
                },
                population_sources,
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
                    population_sources,
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
                _sources(inputs, "manufacturing_share"),
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
                _sources(inputs, "population"),
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
    # Every deciding input: the population pair and the manufacturing share.
    result.status = (
        TypologyStatus.PROVISIONAL
        if inputs.illustrative_inputs
        else TypologyStatus.CLASSIFIED
    )
    return result


def _series(
    municipality_ids, codes
) -> dict[tuple[int, str], list[tuple[int, float, InputSource]]]:
    series: dict[tuple[int, str], list[tuple[int, float, InputSource]]] = {}
    names = {i.code: i.name for i in Indicator.objects.filter(code__in=codes)}
    for municipality_id, code, year, value, source, illustrative in (
        Observation.objects.filter(
            municipality_id__in=municipality_ids, indicator__code__in=codes
        )
        .order_by("year")
        .values_list(
            "municipality_id",
            "indicator__code",
            "year",
            "value",
            "source",
            "is_illustrative",
        )
    ):
        series.setdefault((municipality_id, code), []).append(
            (
                year,
                float(value),
                InputSource(code, year, source, illustrative, names.get(code, code)),
            )
        )
    return series


def typology_inputs(
    municipalities: list[Municipality],
    *,
    year: int | None = None,
    parameters: TypologyParameters = DEFAULT_PARAMETERS,
) -> dict[int, TypologyInputs]:
    """Inputs for many municipalities in three queries. year=None: the latest year
    with a population figure for each municipality."""
    ids = [m.pk for m in municipalities]
    series = _series(ids, [POPULATION, CENSUS_POPULATION, MANUFACTURING_SHARE])
    memberships = set(
        Municipality.groups.through.objects.filter(
            municipality_id__in=ids,
            municipalitygroup__slug__in=[
                parameters.history_culture_group,
                parameters.group,
            ],
        ).values_list("municipality_id", "municipalitygroup__slug")
    )
    inputs = {}
    for m in municipalities:
        population = yearly_else_census(series, m.pk, [])
        if year is not None:
            population = [entry for entry in population if entry[0] <= year]
        values: dict = {
            "history_culture": (m.pk, parameters.history_culture_group) in memberships,
            "in_group": (m.pk, parameters.group) in memberships,
            "is_city": m.kind == MunicipalityKind.CITY,
        }
        sources: dict[str, InputSource] = {}
        if population:
            reference_year, value, sources["population"] = population[-1]
            base_year, base_value, sources["population_base"] = [
                entry
                for entry in population
                if entry[0] >= reference_year - parameters.change_window_years
            ][0]
            values.update(
                population=value,
                population_year=reference_year,
                population_base=base_value,
                population_base_year=base_year,
            )
            shares = [
                entry
                for entry in series.get((m.pk, MANUFACTURING_SHARE), [])
                if entry[0] <= reference_year
            ]
            if shares:
                share_year, share, sources["manufacturing_share"] = shares[-1]
                values.update(
                    manufacturing_share=share, manufacturing_share_year=share_year
                )
        inputs[m.pk] = TypologyInputs(**values, sources=sources)
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
    group: str = STUDY_GROUP,
    parameters: TypologyParameters = DEFAULT_PARAMETERS,
) -> list[MunicipalityTypology]:
    """Computed type, latest override and effective type for each municipality, in
    a constant number of queries; only members of `group` are classified."""
    if municipalities is None:
        municipalities = Municipality.objects.defer("boundary", "downtown")
    municipalities = list(municipalities)
    parameters = replace(parameters, group=group)
    inputs = typology_inputs(municipalities, year=year, parameters=parameters)
    overrides = typology_overrides([m.pk for m in municipalities])
    return [
        MunicipalityTypology(m, classify(inputs[m.pk], parameters), overrides.get(m.pk))
        for m in municipalities
    ]


def municipality_typology(
    municipality: Municipality, *, year: int | None = None, group: str = STUDY_GROUP
) -> MunicipalityTypology:
    return municipality_typology_list([municipality], year=year, group=group)[0]
