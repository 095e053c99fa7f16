"""`manage.py load_demo` (renewal/management/commands/load_demo.py): the whole demo
is loaded once here, so this one test checks everything the command promises."""

import re
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.utils import translation

from cities.models import Municipality, Observation
from renewal.models import BusinessImprovementDistrict, RenewalProject, VacantSpace


def load_demo() -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("load_demo", stdout=out)
    return out.getvalue()


def created(text: str, label: str) -> int:
    return int(re.search(rf"{label}: (\d+) created", text).group(1))


def counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM renewal_space_tile_cell")
        cells = cursor.fetchone()[0]
    return {
        "municipalities": Municipality.objects.count(),
        "observations": Observation.objects.count(),
        "spaces": VacantSpace.objects.count(),
        "districts": BusinessImprovementDistrict.objects.count(),
        "projects": RenewalProject.objects.count(),
        "grid cells": cells,
    }


def test_load_demo_reports_what_it_created_and_a_second_run_creates_nothing(db):
    first = load_demo()
    loaded = counts()

    # Each count it prints is what it wrote.
    assert created(first, "Municipalities") == loaded["municipalities"] == 57
    assert created(first, "Illustrative vacant spaces") == loaded["spaces"] > 0
    assert (
        created(first, "Illustrative Business Improvement Districts")
        == loaded["districts"]
        == 1
    )
    assert created(first, "Illustrative renewal projects") == loaded["projects"] > 0
    assert loaded["observations"] > 0
    # The zoomed-out map reads the grid, built at once rather than at the next
    # scheduled refresh.
    assert loaded["grid cells"] > 0
    assert (
        VacantSpace.objects.filter(external_id__startswith="demo-").count()
        == (loaded["spaces"])
    )

    second = load_demo()

    assert re.search(r"Municipalities: 0 created, 57 updated", second)
    for label in (
        "Illustrative vacant spaces",
        "Illustrative Business Improvement Districts",
        "Illustrative renewal projects",
    ):
        assert created(second, label) == 0, label
    assert counts() == loaded
