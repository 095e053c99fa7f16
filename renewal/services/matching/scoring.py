"""The explained score of a (project, candidate) pair.

Every component is a number in [0, 1] with a weight; the total is their weighted mean,
so it is in [0, 1] too and a person can read from the breakdown why a pair scores
what it does. The facts about a candidate (distance in metres on the spheroid, whether
it lies downtown) come from PostGIS; the arithmetic on a few hundred candidates is
plain Python. The formulas are explained in docs/matching.md.
"""

import math
from dataclasses import dataclass
from datetime import date

from renewal.models import (
    HIGHEST_GRADE,
    Availability,
    MatchingSettings,
    ProjectCategory,
    RenewalProject,
    ResourceCategory,
    SpaceKind,
)
from renewal.models.projects import PROJECT_NEEDS_FIELDS

SPACE_COMPONENTS = (
    "kind",
    "size",
    "distance",
    "condition",
    "availability",
    "cost",
    "downtown",
)

# A project "rebuilds" when it will put up a building of its own: then a space's
# demolition grade does not matter. The project model has no explicit flag, so this
# is read from what the project asks for: an industrial complex, or vacant land.
REBUILD_CATEGORIES = frozenset({ProjectCategory.INDUSTRIAL_COMPLEX})
REBUILD_KINDS = frozenset({SpaceKind.LAND})

# What an unknown fact scores: neither a reason to prefer nor to reject a space.
UNKNOWN = 0.5

# How much an offer type helps a project that needs to use the space now.
OFFER_FIT = {
    Availability.LEASE: 1.0,
    Availability.FREE_USE: 1.0,
    Availability.SALE: 0.6,
    Availability.NOT_OFFERED: 0.3,
}

# Which neighbourhood resources a project of each category builds on.
RELEVANT_RESOURCES: dict[str, frozenset[str]] = {
    ProjectCategory.VILLAGE_RENEWAL: frozenset(
        {
            ResourceCategory.COMMUNITY_FACILITY,
            ResourceCategory.PARK,
            ResourceCategory.LOCAL_SKILL,
        }
    ),
    ProjectCategory.HERITAGE_CULTURE: frozenset(
        {
            ResourceCategory.HERITAGE,
            ResourceCategory.FESTIVAL,
            ResourceCategory.LOCAL_SKILL,
        }
    ),
    ProjectCategory.DOWNTOWN_COMMERCIAL: frozenset(
        {ResourceCategory.MARKET, ResourceCategory.FESTIVAL}
    ),
    ProjectCategory.INDUSTRIAL_COMPLEX: frozenset({ResourceCategory.LOCAL_SKILL}),
    ProjectCategory.SMART_CITY: frozenset(
        {ResourceCategory.COMMUNITY_FACILITY, ResourceCategory.MARKET}
    ),
    ProjectCategory.COMMUNITY_FACILITY: frozenset(
        {ResourceCategory.COMMUNITY_FACILITY, ResourceCategory.PARK}
    ),
    ProjectCategory.OTHER: frozenset(),
}
IRRELEVANT_RESOURCE = 0.2


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """What scoring reads about a project: its category and its needs
    (renewal.models.projects.PROJECT_NEEDS_FIELDS)."""

    id: int | None
    category: str
    needs_space_kinds: tuple[str, ...]
    needs_min_area_m2: int | None
    needs_max_area_m2: int | None
    budget_krw: int | None
    earliest_start: date | None
    partner_capabilities: tuple[str, ...]

    @classmethod
    def of(cls, project: RenewalProject) -> "ProjectFacts":
        return cls.from_values(
            {
                "id": project.pk,
                "category": project.category,
                **{name: getattr(project, name) for name in PROJECT_NEEDS_FIELDS},
            }
        )

    @classmethod
    def from_values(cls, row: dict) -> "ProjectFacts":
        """From a `.values("id", "category", *PROJECT_NEEDS_FIELDS)` row."""
        needs = {name: row[name] for name in PROJECT_NEEDS_FIELDS}
        for name in ("needs_space_kinds", "partner_capabilities"):
            needs[name] = tuple(needs[name] or ())
        return cls(id=row["id"], category=row["category"], **needs)

    @property
    def rebuild(self) -> bool:
        return is_rebuild(
            category=self.category, needs_space_kinds=self.needs_space_kinds
        )


@dataclass(frozen=True, slots=True)
class SpaceFacts:
    """What scoring reads about a candidate space; the distance (metres on the
    spheroid) and the downtown test come from PostGIS."""

    kind: str
    floor_area_m2: float | None
    grading_scheme: str
    grade: int | None
    availability: str
    asking_rent_krw: int | None
    distance_m: float | None
    in_downtown: bool

    @classmethod
    def from_row(cls, row: dict) -> "SpaceFacts":
        """From a row of the candidate SQL, which casts the area to float8 and the
        downtown test to a boolean. Built once per graph edge: no conversions."""
        return cls(
            kind=row["kind"],
            floor_area_m2=row["floor_area_m2"],
            grading_scheme=row["grading_scheme"],
            grade=row["grade"],
            availability=row["availability"],
            asking_rent_krw=row["asking_rent_krw"],
            distance_m=row["distance_m"],
            in_downtown=row["in_downtown"],
        )


ORGANIZATION_WEIGHTS = {"capability": 3.0, "service_area": 2.0, "distance": 1.0}
RESOURCE_WEIGHTS = {"relevance": 2.0, "distance": 2.0}


@dataclass(frozen=True)
class ScoringParams:
    weights: dict[str, float]
    distance_scale_m: float
    size_margin: float
    availability_scale_days: float
    cost_share: float
    compact_centre: bool
    minimum_score: float
    candidates_per_project: int


_DEFAULTS = MatchingSettings()


def params_from(settings: MatchingSettings | None) -> ScoringParams:
    settings = settings or _DEFAULTS
    return ScoringParams(
        weights={
            name: getattr(settings, f"weight_{name}") for name in SPACE_COMPONENTS
        },
        distance_scale_m=float(settings.distance_scale_m),
        size_margin=settings.size_margin,
        availability_scale_days=float(settings.availability_scale_days),
        cost_share=settings.cost_share,
        compact_centre=settings.compact_centre,
        minimum_score=settings.minimum_score,
        candidates_per_project=settings.candidates_per_project,
    )


def scoring_params(*, municipality_id: int) -> ScoringParams:
    return params_from(
        MatchingSettings.objects.filter(municipality_id=municipality_id).first()
    )


def is_rebuild(*, category: str, needs_space_kinds) -> bool:
    return category in REBUILD_CATEGORIES or bool(
        REBUILD_KINDS & set(needs_space_kinds or ())
    )


# The components. Each returns a number in [0, 1].


def kind_fit(*, wanted, kind: str) -> float:
    if not wanted:
        return 1.0
    return 1.0 if kind in wanted else 0.0


def size_fit(
    *,
    min_area: float | None,
    max_area: float | None,
    area: float | None,
    margin: float,
) -> float:
    """1 inside the wanted range, falling linearly to 0 at `margin` × the bound
    outside it: a shop of 95 m² is nearly as good for a 100 m² minimum."""
    if min_area is None and max_area is None:
        return 1.0
    if area is None:
        return UNKNOWN
    if min_area is not None and area < min_area:
        shortfall = (min_area - area) / (min_area * margin) if margin else math.inf
        return max(0.0, 1.0 - shortfall)
    if max_area is not None and area > max_area:
        excess = (area - max_area) / (max_area * margin) if margin else math.inf
        return max(0.0, 1.0 - excess)
    return 1.0


def distance_fit(*, distance_m: float | None, scale_m: float) -> float:
    """Exponential decay: 1 on the spot, 0.37 at the scale, 0.05 at three scales."""
    if distance_m is None:
        return UNKNOWN
    return math.exp(-max(distance_m, 0.0) / scale_m)


def condition_fit(*, grading_scheme: str, grade: int | None, rebuild: bool) -> float:
    """1 for the best grade down to 0 for the demolition grade. A rebuild does not
    care about the old building. (A demolition grade is excluded before scoring
    unless the project rebuilds: a hard constraint of the candidate SQL.)"""
    if rebuild:
        return 1.0
    highest = HIGHEST_GRADE.get(grading_scheme)
    if grade is None or highest is None:
        return UNKNOWN
    return max(0.0, 1.0 - (grade - 1) / (highest - 1))


def availability_fit(
    *,
    availability: str,
    earliest_start: date | None,
    today: date,
    scale_days: float,
) -> float:
    """How readily the space can be had (the owner's offer) times how well "now"
    suits the project's start: a space that is free today but would wait a year for
    its project is likely to be gone, or idle, by then."""
    offer = OFFER_FIT.get(availability, UNKNOWN)
    if earliest_start is None:
        return offer
    wait_days = max((earliest_start - today).days, 0)
    return offer * math.exp(-wait_days / scale_days)


def cost_fit(
    *,
    budget_krw: int | None,
    monthly_rent_krw: int | None,
    availability: str,
    share: float,
) -> float:
    """A year's rent against the budget: 1 up to `share` of it, falling linearly to
    0 where a year's rent would take the whole budget."""
    if availability == Availability.FREE_USE or monthly_rent_krw == 0:
        return 1.0
    if monthly_rent_krw is None or not budget_krw:
        return UNKNOWN
    ratio = 12 * monthly_rent_krw / budget_krw
    if ratio <= share:
        return 1.0
    return max(0.0, 1.0 - (ratio - share) / (1.0 - share)) if share < 1 else 0.0


def _total(
    components: dict[str, float], weights: dict[str, float], explain: bool = True
) -> tuple:
    weight_sum = sum(weights[name] for name in components)
    total = (
        sum(components[name] * weights[name] for name in components) / weight_sum
        if weight_sum
        else 0.0
    )
    total = round(min(max(total, 0.0), 1.0), 4)
    if not explain:
        return total, None
    breakdown = {
        name: {"score": round(value, 4), "weight": weights[name]}
        for name, value in components.items()
    }
    return total, breakdown


def score_space(
    *,
    project: ProjectFacts,
    space: SpaceFacts,
    params: ScoringParams,
    today: date,
    explain: bool = True,
) -> tuple[float, dict | None]:
    """Returns (total, breakdown); the breakdown is None with `explain=False`, which
    a city-wide run uses for the millions of pairs it does not propose (building
    the breakdown is more than half the cost of a score)."""
    components = {
        "kind": kind_fit(wanted=project.needs_space_kinds, kind=space.kind),
        "size": size_fit(
            min_area=project.needs_min_area_m2,
            max_area=project.needs_max_area_m2,
            area=space.floor_area_m2,
            margin=params.size_margin,
        ),
        "distance": distance_fit(
            distance_m=space.distance_m, scale_m=params.distance_scale_m
        ),
        "condition": condition_fit(
            grading_scheme=space.grading_scheme,
            grade=space.grade,
            rebuild=project.rebuild,
        ),
        "availability": availability_fit(
            availability=space.availability,
            earliest_start=project.earliest_start,
            today=today,
            scale_days=params.availability_scale_days,
        ),
        "cost": cost_fit(
            budget_krw=project.budget_krw,
            monthly_rent_krw=space.asking_rent_krw,
            availability=space.availability,
            share=params.cost_share,
        ),
    }
    # The bonus exists only where the city chose the compact-centre strategy;
    # elsewhere it is left out rather than scored 0, so totals stay comparable.
    if params.compact_centre:
        components["downtown"] = 1.0 if space.in_downtown else 0.0
    return _total(components, params.weights, explain)


def capability_fit(*, wanted, offered) -> float:
    """The share of the wanted capabilities the organisation brings."""
    if not wanted:
        return 1.0
    return len(set(wanted) & set(offered or ())) / len(set(wanted))


def score_organization(
    *, project: ProjectFacts, organization: dict, params: ScoringParams
) -> tuple[float, dict]:
    """`organization`: capabilities, in_service_area (None without one),
    service_area_distance_m, distance_m (None without a location)."""
    if organization["in_service_area"] is None:
        service = UNKNOWN
    elif organization["in_service_area"]:
        service = 1.0
    else:
        service = distance_fit(
            distance_m=organization["service_area_distance_m"],
            scale_m=params.distance_scale_m,
        )
    components = {
        "capability": capability_fit(
            wanted=project.partner_capabilities,
            offered=organization["capabilities"],
        ),
        "service_area": service,
        "distance": distance_fit(
            distance_m=organization["distance_m"], scale_m=params.distance_scale_m
        ),
    }
    return _total(components, ORGANIZATION_WEIGHTS)


def score_resource(
    *, project: ProjectFacts, resource: dict, params: ScoringParams
) -> tuple[float, dict]:
    relevant = RELEVANT_RESOURCES.get(project.category, frozenset())
    components = {
        "relevance": 1.0 if resource["category"] in relevant else IRRELEVANT_RESOURCE,
        "distance": distance_fit(
            distance_m=resource["distance_m"], scale_m=params.distance_scale_m
        ),
    }
    return _total(components, RESOURCE_WEIGHTS)
