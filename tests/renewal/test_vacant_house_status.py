"""The legal vacant-house (빈집) status, house grades on houses only, and the grades
at which demolition can be ordered."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import translation

from core.errors import DomainError
from renewal.models import VacantSpace
from renewal.services.spaces import (
    legal_vacancy_status,
    vacant_space_register,
    vacant_space_update,
)
from tests.factories import VacantSpaceFactory
from tests.helpers import api_client

TODAY = datetime.date(2026, 6, 1)


@pytest.mark.parametrize("kind", ["shop", "land"])
def test_a_house_grade_on_a_shop_or_land_is_refused(personas, city, kind):
    with translation.override("en"), pytest.raises(DomainError) as refused:
        vacant_space_register(
            actor=personas["city_editor"],
            municipality=city,
            data={
                "kind": kind,
                "location": city.location.clone(),
                "grading_scheme": "national-2023",
                "grade": 2,
            },
        )

    assert "grades vacant houses only" in refused.value.message
    assert "grade" in refused.value.fields
    assert not VacantSpace.objects.exists()


def space(**fields) -> VacantSpace:
    return VacantSpace(**({"kind": "house"} | fields))


@pytest.mark.parametrize(
    ("fields", "code", "reason"),
    [
        (
            {"kind": "shop", "vacant_since": datetime.date(2020, 1, 1)},
            "not_a_house",
            "",
        ),
        ({}, "unknown", ""),
        ({"vacant_since": datetime.date(2025, 6, 2)}, "under_one_year", ""),
        (
            {"vacant_since": datetime.date(2025, 6, 1)},
            "awaiting_confirmation",
            "",
        ),
        (
            {
                "vacant_since": datetime.date(2020, 1, 1),
                "vacancy_confirmed_on": datetime.date(2024, 3, 1),
            },
            "vacant_house",
            "",
        ),
        (
            {
                "vacant_since": datetime.date(2020, 1, 1),
                "vacancy_exclusion": "holiday_home",
            },
            "excluded",
            "Holiday or seasonal home",
        ),
    ],
)
def test_legal_status_needs_a_year_unused_no_exclusion_and_confirmation(
    fields, code, reason
):
    with translation.override("en"):
        status = legal_vacancy_status(space(**fields), today=TODAY)

    assert (status.code, status.reason) == (code, reason)


@pytest.mark.parametrize(
    ("scheme", "grade", "orderable"),
    [
        ("urban-2021", 2, False),
        ("urban-2021", 3, True),
        ("urban-2021", 4, True),
        ("national-2023", 2, False),
        ("national-2023", 3, True),
    ],
)
def test_grades_at_which_demolition_can_be_ordered(scheme, grade, orderable):
    status = legal_vacancy_status(space(grading_scheme=scheme, grade=grade))

    assert status.demolition_can_be_ordered is orderable


def test_an_excluded_house_cannot_also_be_confirmed(personas, city):
    house = VacantSpaceFactory(municipality=city, kind="house")

    with pytest.raises(DomainError) as refused:
        vacant_space_update(
            actor=personas["city_editor"],
            space=house,
            data={
                "vacancy_exclusion": "for_sale_or_lease",
                "vacancy_confirmed_on": datetime.date(2024, 1, 1),
            },
        )

    house.refresh_from_db()
    assert "vacancy_exclusion" in refused.value.fields
    assert (house.vacancy_exclusion, house.vacancy_confirmed_on) == ("", None)


def test_confirmation_shows_in_the_api_and_on_the_page(client, personas, city):
    house = VacantSpaceFactory(
        municipality=city,
        kind="house",
        vacant_since=datetime.date(2019, 5, 1),
        grading_scheme="urban-2021",
        grade=3,
    )
    editor = api_client(personas["city_editor"])
    url = f"/api/v1/spaces/{house.pk}/"
    before = editor.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["properties"]

    vacant_space_update(
        actor=personas["city_editor"],
        space=house,
        data={"vacancy_confirmed_on": datetime.date(2024, 3, 1)},
    )
    # The computed field is read-only: a client cannot write a status.
    editor.patch(
        url,
        {"properties": {"legal_vacancy": {"code": "not_a_house"}}},
        format="json",
    )
    after = editor.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["properties"]
    page = client.get(f"/ko/spaces/{house.pk}/").content.decode()

    assert before["legal_vacancy"]["code"] == "awaiting_confirmation"
    assert after["legal_vacancy"] == {
        "code": "vacant_house",
        "label": "Vacant house in law",
        "reason": "",
        "demolition_can_be_ordered": True,
    }
    assert "법정 빈집" in page
    assert "철거 명령 가능" in page


def test_the_data_migration_clears_house_grades_on_other_kinds(city):
    shop = VacantSpaceFactory(
        municipality=city, kind="shop", grading_scheme="national-2023", grade=2
    )
    house = VacantSpaceFactory(municipality=city, kind="house", grade=2)
    migration = importlib.import_module(
        "renewal.migrations.0012_bid_presets_vacant_house_status"
    )

    migration.house_grades_on_houses_only(apps, None)

    shop.refresh_from_db()
    house.refresh_from_db()
    assert (shop.grading_scheme, shop.grade) == ("", None)
    assert (house.grading_scheme, house.grade) == ("national-2023", 2)
