"""The comparison of city types (dashboard): per effective type, the sums of its
cities' figures. Every figure is an aggregate PostgreSQL computes with the
municipality → type mapping inlined as a CASE expression (`city_type_key`), so each
section is one grouped query whatever the number of cities."""

from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery

from cities.models import CityType
from cities.selectors import (
    city_list,
    city_type_key,
    population_trend_by_city_type,
)
from cities.typology import STUDY_GROUP, municipality_typology_list
from renewal.models import Kpi, KpiObservation, RenewalProject
from renewal.selectors.downtown import downtown_health_by_city_type
from renewal.selectors.progress import (
    participation_events_in_scope,
    participation_totals_by,
)
from renewal.selectors.projects import visible_projects


def projects_by_stage_by_city_type(
    types: dict[int, str], *, user
) -> dict[str, dict[str, int]]:
    """Counts of the projects this user may see, per type and status (one query)."""
    if not types:
        return {}
    rows = (
        visible_projects(RenewalProject.objects.all(), user)
        .filter(municipality_id__in=list(types))
        .annotate(city_type=city_type_key(types, "municipality_id"))
        .order_by()
        .values("city_type", "status")
        .annotate(n=Count("id"))
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["city_type"], {})[row["status"]] = row["n"]
    return counts


def participation_by_city_type(types: dict[int, str], *, user) -> dict[str, dict]:
    """Events, attendees and volunteer hours per type, through the participation
    totals selector (one grouped query; an event counts for its project's city;
    events of projects this user may not see are left out)."""
    if not types:
        return {}
    totals = participation_totals_by(
        key=city_type_key(types, "project__municipality_id"),
        events=participation_events_in_scope(user=user),
    )
    return {
        city_type: {
            "events": figures.events,
            "attendees": figures.attendees,
            "volunteer_hours": float(figures.volunteer_hours),
        }
        for city_type, figures in totals.items()
    }


def bid_kpi_attainment_by_city_type(types: dict[int, str]) -> dict[str, dict]:
    """Per type: the BID KPIs (each has a target), how many have an observation,
    and how many of those the latest observation meets (at or above the target
    when higher is better, at or below otherwise); one grouped query. Empty when
    there are no KPIs."""
    if not types:
        return {}
    latest = Subquery(
        KpiObservation.objects.filter(kpi=OuterRef("pk"))
        .order_by("-period", "-id")
        .values("value")[:1],
        output_field=DecimalField(),
    )
    met = Q(higher_is_better=True, latest__gte=F("target")) | Q(
        higher_is_better=False, latest__lte=F("target")
    )
    rows = (
        Kpi.objects.filter(district__municipality_id__in=list(types))
        .annotate(
            latest=latest,
            city_type=city_type_key(types, "district__municipality_id"),
        )
        .order_by()
        .values("city_type")
        .annotate(
            kpis=Count("id"),
            observed=Count("id", filter=Q(latest__isnull=False)),
            met=Count("id", filter=met),
        )
    )
    result = {}
    for row in rows:
        observed = row["observed"]
        result[row["city_type"]] = {
            "kpis": row["kpis"],
            "observed": observed,
            "met": row["met"],
            "attainment_pct": round(row["met"] * 100 / observed, 1)
            if observed
            else None,
        }
    return result


def city_type_dashboard(
    *, user, year: int, group: str = STUDY_GROUP
) -> tuple[list[dict], dict[str, list[str]]]:
    """One entry per city type, in CityType order, over the cities of `group`: its
    cities (and which of them are typed on illustrative figures), population
    trend, downtown vacancy (for `year`), projects by stage, participation and BID
    KPIs; `city_names` pairs each city's code with its name for the pages (the API
    leaves them out). Also the group's cities left unclassified, by status. A
    constant number of queries whatever the number of cities or spaces; the cities
    are loaded and typed once."""
    municipalities = list(city_list(group=group))
    typologies = municipality_typology_list(municipalities, year=year, group=group)
    types = {
        entry.municipality.pk: entry.effective_type
        for entry in typologies
        if entry.effective_type
    }
    # An override is a staff decision, not an illustrative figure.
    provisional = {
        entry.municipality.pk
        for entry in typologies
        if entry.computed.provisional
        and not (entry.override and entry.override.city_type)
    }
    unclassified: dict[str, list[str]] = {}
    for entry in typologies:
        if not entry.effective_type:
            unclassified.setdefault(entry.computed.status, []).append(
                entry.municipality.code
            )
    downtown = downtown_health_by_city_type(
        year=year, municipalities=municipalities, types=types
    )
    population = population_trend_by_city_type(types)
    projects = projects_by_stage_by_city_type(types, user=user)
    participation = participation_by_city_type(types, user=user)
    bids = bid_kpi_attainment_by_city_type(types)
    entries = []
    for city_type, label in CityType.choices:
        cities = sorted(
            (m for m in municipalities if types.get(m.pk) == city_type),
            key=lambda m: m.code,
        )
        stages = projects.get(city_type, {})
        entries.append(
            {
                "type": city_type,
                "label": str(label),
                "cities": [m.code for m in cities],
                "provisional_cities": [m.code for m in cities if m.pk in provisional],
                "city_names": [(m.code, m.name, m.pk in provisional) for m in cities],
                "population_trend": [
                    {"year": y, "population": v}
                    for y, v in sorted(population.get(city_type, {}).items())
                ],
                "downtown_vacancy": downtown.get(city_type),
                "projects_by_stage": stages,
                "projects_total": sum(stages.values()),
                "participation": participation.get(
                    city_type, {"events": 0, "attendees": 0, "volunteer_hours": 0.0}
                ),
                "bid_kpi_attainment": bids.get(city_type),
            }
        )
    return entries, unclassified
