import itertools

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import IntegrityError

from core.errors import DomainError, IllegalTransition, NotPermitted
from renewal.models import (
    SPACE_TRANSITIONS,
    ChangeAction,
    InventoryChange,
    SpaceOwner,
    SpaceStatus,
    VacantSpace,
)
from renewal.services.spaces import (
    allowed_space_transitions,
    vacant_space_register,
    vacant_space_transition,
    vacant_space_update,
)
from tests.factories import VacantSpaceFactory

ALL_PAIRS = list(itertools.product(SpaceStatus.values, SpaceStatus.values))


def _register(personas, city, **data):
    return vacant_space_register(
        actor=personas["city_editor"],
        municipality=city,
        data={"kind": "house", "location": city.location.clone(), **data},
        owner={"name": "김영희", "contact": "010-0000-0000"},
    )


def test_editor_registers_a_space_with_history_that_hides_the_owner(personas, city):
    space = _register(personas, city, grading_scheme="urban-2021", grade=4)

    change = InventoryChange.objects.get(object_id=space.pk)
    assert change.action == ChangeAction.CREATE
    assert change.actor == personas["city_editor"]
    assert change.changes["grade"] == [None, 4]
    assert change.changes["owner"] == "changed"
    assert "김영희" not in str(change.changes)
    assert SpaceOwner.objects.get(space=space).name == "김영희"
    assert space.is_demolition_grade


def test_editor_of_another_city_cannot_register_here(personas, city):
    with pytest.raises(NotPermitted):
        vacant_space_register(
            actor=personas["other_city_editor"],
            municipality=city,
            data={"kind": "house", "location": city.location.clone()},
        )

    assert not VacantSpace.objects.exists()


@pytest.mark.parametrize(
    ("scheme", "grade"), [("national-2023", 4), ("urban-2021", 5), ("urban-2021", 0)]
)
def test_grade_outside_its_scheme_is_refused_with_a_reason(
    personas, city, scheme, grade
):
    with pytest.raises(DomainError) as refused:
        _register(personas, city, grading_scheme=scheme, grade=grade)

    assert "grade" in refused.value.fields
    assert not VacantSpace.objects.exists()


def test_grade_without_scheme_is_refused(personas, city):
    with pytest.raises(DomainError) as refused:
        _register(personas, city, grade=2)

    assert "grading_scheme" in refused.value.fields


def test_database_refuses_a_grade_outside_its_scheme_even_past_the_service(city):
    with pytest.raises(IntegrityError):
        VacantSpaceFactory(municipality=city, grading_scheme="national-2023", grade=4)


def test_location_outside_the_city_boundary_is_refused(personas, city):
    city.boundary = MultiPolygon(
        Polygon.from_bbox((127.9, 35.9, 128.5, 36.1)), srid=4326
    )
    city.save()

    with pytest.raises(DomainError) as refused:
        _register(personas, city, location=Point(129.5, 37.5, srid=4326))

    assert "location" in refused.value.fields


def test_update_records_only_what_changed(personas, city):
    space = _register(personas, city)

    vacant_space_update(
        actor=personas["city_editor"], space=space, data={"floor_area_m2": 120}
    )

    change = InventoryChange.objects.filter(action=ChangeAction.UPDATE).get()
    assert change.changes == {"floor_area_m2": [None, "120.00"]}


def test_viewer_cannot_update(personas, city):
    space = _register(personas, city)

    with pytest.raises(NotPermitted):
        vacant_space_update(
            actor=personas["city_viewer"], space=space, data={"address": "x"}
        )


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_every_transition_is_allowed_exactly_when_the_table_says(
    personas, city, current, target
):
    space = VacantSpaceFactory(municipality=city, status=current)

    if target in SPACE_TRANSITIONS[current]:
        vacant_space_transition(actor=personas["city_editor"], space=space, to=target)
        space.refresh_from_db()
        assert space.status == target
        assert InventoryChange.objects.get(action=ChangeAction.STATUS).changes == {
            "status": [current, target]
        }
    else:
        with pytest.raises(IllegalTransition):
            vacant_space_transition(
                actor=personas["city_editor"], space=space, to=target
            )
        space.refresh_from_db()
        assert space.status == current
        assert not InventoryChange.objects.exists()


def test_unknown_status_is_refused(personas, city):
    space = VacantSpaceFactory(municipality=city)

    with pytest.raises(IllegalTransition) as refused:
        vacant_space_transition(
            actor=personas["city_editor"], space=space, to="demolished"
        )

    assert "demolished" in str(refused.value.message)
    assert "to" in refused.value.fields


def test_repeating_a_transition_changes_nothing_the_second_time(personas, city):
    space = VacantSpaceFactory(municipality=city, status=SpaceStatus.REPORTED)
    vacant_space_transition(actor=personas["city_editor"], space=space, to="surveyed")

    with pytest.raises(IllegalTransition):
        vacant_space_transition(
            actor=personas["city_editor"], space=space, to="surveyed"
        )

    assert InventoryChange.objects.filter(action=ChangeAction.STATUS).count() == 1


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("city_editor", ["retired", "surveyed"]),
        ("city_viewer", []),
        ("other_city_editor", []),
        ("resident", []),
        ("anonymous", []),
    ],
)
def test_allowed_transitions_depend_on_the_user(personas, city, persona, expected):
    space = VacantSpaceFactory(municipality=city, status=SpaceStatus.REPORTED)

    assert allowed_space_transitions(user=personas[persona], space=space) == expected


def test_status_cannot_be_set_by_an_update(personas, city):
    space = _register(personas, city)

    with pytest.raises(DomainError):
        vacant_space_update(
            actor=personas["city_editor"], space=space, data={"status": "in_use"}
        )

    space.refresh_from_db()
    assert space.status == SpaceStatus.REPORTED


def test_demo_spaces_are_illustrative_concentrated_downtown_and_idempotent(demo_data):
    from cities.demo import ILLUSTRATIVE_SOURCE
    from cities.models import Municipality
    from renewal.demo.spaces import demo_spaces_generate
    from renewal.selectors.spaces import vacant_space_list

    andong = Municipality.objects.filter(name_en="Andong")
    created = demo_spaces_generate(municipalities=andong)
    again = demo_spaces_generate(municipalities=andong)

    spaces = VacantSpace.objects.filter(municipality__name_en="Andong")
    assert created == spaces.count() >= 100
    assert again == 0
    # Written through the space services: each space's creation is in its history.
    assert (
        InventoryChange.objects.filter(
            action=ChangeAction.CREATE, object_id__in=spaces.values("pk")
        ).count()
        == created
    )
    assert all(
        source == ILLUSTRATIVE_SOURCE
        for source in spaces.values_list("source", flat=True)
    )
    from django.contrib.auth.models import AnonymousUser

    downtown = vacant_space_list(user=AnonymousUser()).filter(
        municipality__name_en="Andong", in_downtown=True
    )
    # 45 % are drawn inside 800 m; the 800 m demo downtown polygon holds them.
    assert 0.35 * created < downtown.count() < 0.55 * created


def test_inventory_change_queues_one_assignment_rerun_for_the_city(personas, city):
    from renewal.models import AssignmentRun

    space = _register(personas, city)
    for area in (120, 130):
        vacant_space_update(
            actor=personas["city_editor"], space=space, data={"floor_area_m2": area}
        )

    # Debounced: a burst of changes waits in one queued run.
    assert AssignmentRun.objects.filter(municipality=city, status="queued").count() == 1


@pytest.mark.parametrize("place", [Point(139.69, 35.69), Point(127.0, 45.0)])
def test_a_space_outside_korea_is_refused_by_the_service_itself(personas, city, place):
    # The API's serializer checks the bounds too; the admin, imports and the demo
    # loader have only the service.
    with pytest.raises(DomainError) as refused:
        _register(personas, city, location=Point(place.x, place.y, srid=4326))

    assert f"{place.x:.6f}, {place.y:.6f}" in str(refused.value.message)
    assert "location" in refused.value.fields
    assert not VacantSpace.objects.exists()
    assert not InventoryChange.objects.exists()


def test_moving_an_existing_space_outside_korea_is_refused(personas, city):
    space = VacantSpaceFactory(municipality=city)

    with pytest.raises(DomainError):
        vacant_space_update(
            actor=personas["city_editor"],
            space=space,
            data={"location": Point(139.69, 35.69, srid=4326)},
        )

    space.refresh_from_db()
    assert space.location.equals_exact(city.location)
    assert not InventoryChange.objects.exists()


def test_a_change_that_restates_the_stored_values_writes_nothing(personas, city):
    space = VacantSpaceFactory(municipality=city, address="중앙로 1")
    stamp = space.updated_at

    vacant_space_update(
        actor=personas["city_editor"],
        space=space,
        data={"address": "중앙로 1", "kind": space.kind},
    )

    space.refresh_from_db()
    assert space.updated_at == stamp
    assert not InventoryChange.objects.exists()
