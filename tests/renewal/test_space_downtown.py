"""`VacantSpace.in_downtown` is the database's answer to ST_Contains(downtown,
location): triggers keep it whichever side changes, and nobody can set it."""

import random

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from cities.demo import illustrative_downtown
from renewal.models import VacantSpace
from tests.factories import VacantSpaceFactory

METRES = 1 / 111_320  # degrees of latitude per metre


def near(city, north_m: float) -> Point:
    return Point(city.location.x, city.location.y + north_m * METRES, srid=4326)


def stored(space) -> bool:
    return VacantSpace.objects.values_list("in_downtown", flat=True).get(pk=space.pk)


def live_answers() -> dict[int, bool]:
    """The spatial query itself, for every space."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.id, COALESCE(ST_Contains(m.downtown, s.location), false)
            FROM renewal_vacantspace s
            JOIN cities_municipality m ON m.id = s.municipality_id
            """
        )
        return dict(cursor.fetchall())


@pytest.fixture
def downtown_city(city):
    city.downtown = illustrative_downtown(city.location, 500)
    city.save()
    return city


def test_a_new_space_is_answered_by_the_polygon(downtown_city):
    inside = VacantSpaceFactory(
        municipality=downtown_city, location=near(downtown_city, 100)
    )
    outside = VacantSpaceFactory(
        municipality=downtown_city, location=near(downtown_city, 900)
    )

    assert (stored(inside), stored(outside)) == (True, False)


def test_a_city_without_a_downtown_has_no_downtown_spaces(city):
    city.downtown = None
    city.save()
    space = VacantSpaceFactory(municipality=city, location=near(city, 0))

    assert stored(space) is False


@pytest.mark.parametrize("through", ["save", "update"])
def test_moving_a_space_recomputes_the_answer(downtown_city, through):
    space = VacantSpaceFactory(
        municipality=downtown_city, location=near(downtown_city, 900)
    )

    if through == "save":
        space.location = near(downtown_city, 50)
        space.save()
    else:
        VacantSpace.objects.filter(pk=space.pk).update(location=near(downtown_city, 50))

    assert stored(space) is True


def test_giving_a_space_to_another_city_asks_that_citys_downtown(
    downtown_city, other_city
):
    space = VacantSpaceFactory(
        municipality=downtown_city, location=near(downtown_city, 0)
    )

    VacantSpace.objects.filter(pk=space.pk).update(municipality=other_city)

    assert other_city.downtown is None
    assert stored(space) is False


def test_a_written_value_is_recomputed(downtown_city):
    outside = VacantSpaceFactory(
        municipality=downtown_city, location=near(downtown_city, 900)
    )
    inside = VacantSpaceFactory(
        municipality=downtown_city, location=near(downtown_city, 0)
    )

    VacantSpace.objects.filter(pk=outside.pk).update(in_downtown=True)
    VacantSpace.objects.filter(pk=inside.pk).update(in_downtown=False)

    assert (stored(outside), stored(inside)) == (False, True)


def test_redrawing_and_clearing_a_downtown_updates_its_spaces_only(
    downtown_city, other_city
):
    other_city.downtown = illustrative_downtown(other_city.location, 500)
    other_city.save()
    at_300 = VacantSpaceFactory(
        municipality=downtown_city, location=near(downtown_city, 300)
    )
    at_700 = VacantSpaceFactory(
        municipality=downtown_city, location=near(downtown_city, 700)
    )
    elsewhere = VacantSpaceFactory(
        municipality=other_city, location=near(other_city, 0)
    )

    downtown_city.downtown = illustrative_downtown(downtown_city.location, 1000)
    downtown_city.save()
    widened = (stored(at_300), stored(at_700), stored(elsewhere))
    downtown_city.downtown = illustrative_downtown(downtown_city.location, 200)
    downtown_city.save()
    narrowed = (stored(at_300), stored(at_700), stored(elsewhere))
    downtown_city.downtown = None
    downtown_city.save()
    cleared = (stored(at_300), stored(at_700), stored(elsewhere))

    assert widened == (True, True, True)
    assert narrowed == (False, False, True)
    assert cleared == (False, False, True)


def test_the_stored_answers_equal_the_spatial_query_after_mixed_changes(
    downtown_city, other_city
):
    rng = random.Random(11)
    other_city.downtown = illustrative_downtown(other_city.location, 300)
    other_city.save()
    spaces = [
        VacantSpaceFactory(
            municipality=municipality,
            location=Point(
                municipality.location.x + rng.uniform(-0.012, 0.012),
                municipality.location.y + rng.uniform(-0.01, 0.01),
                srid=4326,
            ),
        )
        for municipality in (downtown_city, other_city)
        for _ in range(40)
    ]
    for space in rng.sample(spaces, 15):
        space.location = Point(
            space.location.x + rng.uniform(-0.005, 0.005),
            space.location.y + rng.uniform(-0.005, 0.005),
            srid=4326,
        )
        space.save()
    downtown_city.downtown = illustrative_downtown(downtown_city.location, 650)
    downtown_city.save()

    answers = live_answers()
    stored_answers = dict(VacantSpace.objects.values_list("id", "in_downtown"))

    assert stored_answers == answers
    # Both answers occur, so the comparison is not between two constant columns.
    assert set(answers.values()) == {True, False}
