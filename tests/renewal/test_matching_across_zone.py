"""Matching across the municipalities of one urban zone, where both cities opt in."""

import datetime

import pytest
from django.contrib.gis.geos import Point

from cities.models import FlowPurpose, Indicator, MunicipalFlow, Observation
from renewal.selectors.matching import (
    assignment_candidate_graph,
    match_candidates,
    matching_municipality_ids,
)
from renewal.services.matching.settings import matching_settings_update
from tests.factories import (
    MunicipalityFactory,
    RenewalProjectFactory,
    VacantSpaceFactory,
)

TODAY = datetime.date(2026, 6, 1)


@pytest.fixture
def zone(db):
    """가시 (centre), 나시 sending 30 % of its commuters to it; 다시 outside."""
    population = Indicator.objects.create(
        code="population", name_ko="인구", name_en="Population", unit="persons"
    )
    places = {}
    for index, (name, people) in enumerate(
        (("가시", 300_000), ("나시", 50_000), ("다시", 60_000))
    ):
        places[name] = MunicipalityFactory(
            name_ko=name, location=Point(128.5 + 0.05 * index, 36.5, srid=4326)
        )
        Observation.objects.create(
            municipality=places[name],
            indicator=population,
            year=2020,
            value=people,
            source="test",
        )
    for origin, destination, count in (
        ("나시", "나시", 7_000),
        ("나시", "가시", 3_000),
        ("가시", "가시", 90_000),
        ("다시", "다시", 10_000),
    ):
        MunicipalFlow.objects.create(
            origin=places[origin],
            destination=places[destination],
            year=2020,
            purpose=FlowPurpose.COMMUTE,
            count=count,
            source="test",
        )
    return places


@pytest.fixture
def editors(zone, django_user_model):
    from renewal.models import CityMembership, CityRole

    found = {}
    for name, municipality in zone.items():
        found[name] = django_user_model.objects.create_user(
            f"editor-{municipality.code}"
        )
        CityMembership.objects.create(
            user=found[name], municipality=municipality, role=CityRole.EDITOR
        )
    return found


def opt_in(editors, zone, *names):
    for name in names:
        matching_settings_update(
            actor=editors[name],
            municipality=zone[name],
            data={"across_urban_zone": True},
        )


def test_spaces_of_the_zone_become_candidates_only_when_both_cities_opt_in(
    zone, editors
):
    project = RenewalProjectFactory(
        municipality=zone["가시"],
        status="approved",
        place=Point(128.54, 36.5, srid=4326),
        needs_space_kinds=["shop"],
    )
    near_in_zone = VacantSpaceFactory(
        municipality=zone["나시"],
        status="available",
        availability="lease",
        location=Point(128.545, 36.5, srid=4326),
    )
    VacantSpaceFactory(  # 다시 is not in the zone, however near
        municipality=zone["다시"],
        status="available",
        availability="lease",
        location=Point(128.541, 36.5, srid=4326),
    )
    own = VacantSpaceFactory(
        municipality=zone["가시"],
        status="available",
        availability="lease",
        location=Point(128.5, 36.5, srid=4326),
    )

    def candidates():
        return {c["id"] for c in match_candidates(project=project, today=TODAY)}

    assert candidates() == {own.pk}
    opt_in(editors, zone, "가시")
    assert candidates() == {own.pk}  # 나시 has not chosen to share its inventory
    opt_in(editors, zone, "나시", "다시")

    assert matching_municipality_ids(zone["가시"].pk) == [
        zone["가시"].pk,
        zone["나시"].pk,
    ]
    assert matching_municipality_ids(zone["다시"].pk) == [zone["다시"].pk]
    assert candidates() == {own.pk, near_in_zone.pk}
    _projects, edges = assignment_candidate_graph(municipality_id=zone["가시"].pk, k=5)
    assert {edge["id"] for edge in edges} == {own.pk, near_in_zone.pk}
