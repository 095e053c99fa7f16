"""A city's editors tune its matching weights through the API; its viewers read them;
everyone else finds nothing there."""

import pytest

from renewal.forms import MatchingSettingsForm
from renewal.models import AssignmentRun, InventoryChange, MatchingSettings
from tests.helpers import api_client, page_client


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


# The page.


def _page(city, language="en") -> str:
    return f"/{language}/cities/{city.code}/matching-settings/"


def test_editor_tunes_the_weights_on_the_page(
    personas, city, django_capture_on_commit_callbacks
):
    client = page_client(personas["city_editor"])
    form = client.get(_page(city))
    fields = {
        name: value
        for name, value in MatchingSettingsForm(
            instance=MatchingSettings(municipality=city)
        ).initial.items()
        if value is not False
    }

    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(_page(city), {**fields, "weight_cost": "2.5"})

    assert form.status_code == 200
    assert 'id="id_weight_kind"' in form.content.decode()
    assert saved.status_code == 302
    assert MatchingSettings.objects.get(municipality=city).weight_cost == 2.5


def test_page_shows_the_refusal_on_the_field(personas, city):
    client = page_client(personas["city_editor"])
    fields = MatchingSettingsForm(instance=MatchingSettings(municipality=city)).initial
    fields = {name: value for name, value in fields.items() if value is not False}

    response = client.post(_page(city), {**fields, "weight_kind": "50"})

    assert response.status_code == 400
    assert "Between 0 and 10." in response.content.decode()
    assert not MatchingSettings.objects.exists()


def test_page_is_read_only_for_viewers_and_absent_for_others(personas, city):
    viewer = page_client(personas["city_viewer"])

    shown = viewer.get(_page(city))
    posted = viewer.post(_page(city), {"weight_kind": "1"})
    outsider = page_client(personas["other_city_editor"]).get(_page(city))

    assert shown.status_code == 200
    assert "disabled" in shown.content.decode()
    assert posted.status_code == 403
    assert outsider.status_code == 404
    assert not MatchingSettings.objects.exists()
