"""A city's editors tune its matching weights through the API; its viewers read them;
everyone else finds nothing there."""

import pytest

from renewal.models import AssignmentRun, InventoryChange, MatchingSettings
from tests.helpers import api_client


def _url(city) -> str:
    return f"/api/v1/municipalities/{city.code}/matching-settings/"


@pytest.mark.parametrize(
    ("persona", "read", "write"),
    [
        ("anonymous", 404, 401),  # writes ask for sign-in first, as everywhere
        ("resident", 404, 404),
        ("org_member", 404, 404),
        ("other_city_editor", 404, 404),
        ("city_viewer", 200, 403),
        ("city_editor", 200, 200),
    ],
)
def test_who_reads_and_who_tunes_a_citys_matching(
    personas, city, persona, read, write, django_capture_on_commit_callbacks
):
    client = api_client(personas[persona])

    got = client.get(_url(city))
    with django_capture_on_commit_callbacks(execute=True):
        patched = client.patch(_url(city), {"weight_distance": 4.0}, format="json")

    assert got.status_code == read
    assert patched.status_code == write, patched.content
    if write != 200:
        assert "error" in patched.json()
        assert not MatchingSettings.objects.exists()


def test_defaults_are_shown_before_a_city_tunes_anything(personas, city):
    body = api_client(personas["city_viewer"]).get(_url(city)).json()

    assert body["municipality"] == city.code
    assert body["weight_kind"] == 3.0
    assert body["compact_centre"] is False


def test_a_change_is_recorded_and_re_runs_the_city(
    personas, city, django_capture_on_commit_callbacks
):
    client = api_client(personas["city_editor"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            _url(city), {"weight_distance": 4.5, "compact_centre": True}, format="json"
        )
    history = client.get(_url(city) + "history/").json()

    assert response.status_code == 200, response.content
    settings = MatchingSettings.objects.get(municipality=city)
    assert (settings.weight_distance, settings.compact_centre) == (4.5, True)
    assert history[0]["actor"] == "city_editor"
    assert history[0]["changes"] == {
        "weight_distance": [2.0, 4.5],
        "compact_centre": [False, True],
    }
    assert AssignmentRun.objects.filter(municipality=city, trigger="automatic").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"weight_kind": -1},
        {"weight_kind": 11},
        {"minimum_score": 1.5},
        {"distance_scale_m": 5},
        {
            "weight_kind": 0,
            "weight_size": 0,
            "weight_distance": 0,
            "weight_condition": 0,
            "weight_availability": 0,
            "weight_cost": 0,
            "weight_downtown": 0,
        },
    ],
)
def test_out_of_range_settings_are_refused_and_change_nothing(personas, city, data):
    MatchingSettings.objects.create(municipality=city)

    response = api_client(personas["city_editor"]).patch(
        _url(city), data, format="json"
    )

    assert response.status_code == 400, response.content
    assert set(data) & set(response.json()["error"]["fields"])
    assert MatchingSettings.objects.get(municipality=city).weight_kind == 3.0
    assert not InventoryChange.objects.exists()
    assert not AssignmentRun.objects.exists()
