"""API plumbing: where raw-SQL reads run, visibility of a hidden project's updates,
the shared bbox parameter and per-action write throttles."""

import json

import pytest
from django.db import connections
from rest_framework.test import APIClient, APIRequestFactory

import renewal.selectors.ogc
import renewal.selectors.spaces
from config.db_router import read_alias
from renewal.api.projects import RenewalProjectViewSet
from renewal.models import CityRole, VacantSpace
from renewal.services.roles import city_role_grant
from tests.factories import (
    ProgressUpdateFactory,
    UserFactory,
    VacantSpaceFactory,
)


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# Reads on the replica ----------------------------------------------------------


class SpacesReadFromReplica:
    """Reads of spaces to "replica", everything else left to Django's default."""

    def db_for_read(self, model, **hints):
        return "replica" if model is VacantSpace else None


class RecordingConnections:
    """Stands for django.db.connections in a selector: records the aliases asked
    for and answers with the test database's connection (tests have no replica)."""

    def __init__(self):
        self.aliases = []

    def __getitem__(self, alias):
        self.aliases.append(alias)
        return connections["default"]


def test_read_alias_is_the_routers_answer(settings):
    assert read_alias(VacantSpace) == "default"

    settings.DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]

    assert read_alias(VacantSpace) == "replica"


@pytest.mark.django_db
def test_spaces_list_statement_runs_where_spaces_are_read(settings, monkeypatch):
    space = VacantSpaceFactory()
    recorded = RecordingConnections()
    monkeypatch.setattr(renewal.selectors.spaces, "connections", recorded)
    settings.DATABASE_ROUTERS = [SpacesReadFromReplica()]

    response = client_for().get("/api/v1/spaces/")

    assert response.status_code == 200
    assert [f["id"] for f in json.loads(response.content)["features"]] == [space.pk]
    assert recorded.aliases == ["replica"]


@pytest.mark.django_db
def test_ogc_items_run_where_their_collection_is_read(settings, monkeypatch):
    space = VacantSpaceFactory()
    recorded = RecordingConnections()
    monkeypatch.setattr(renewal.selectors.ogc, "connections", recorded)
    settings.DATABASE_ROUTERS = [SpacesReadFromReplica()]

    items = client_for().get("/ogc/collections/spaces/items").json()
    item = client_for().get(f"/ogc/collections/spaces/items/{space.pk}")

    assert [feature["id"] for feature in items["features"]] == [space.pk]
    assert item.status_code == 200
    assert recorded.aliases == ["replica", "replica"]


# A hidden project's progress updates -------------------------------------------


@pytest.fixture
def hidden_project(db):
    update = ProgressUpdateFactory(project__is_hidden=True)
    return update.project


def test_hidden_projects_updates_are_404_to_everyone_else(hidden_project):
    url = f"/api/v1/projects/{hidden_project.pk}/updates/"
    resident = client_for(UserFactory())

    assert client_for().get(url).status_code == 404
    assert resident.get(url).status_code == 404
    posted = resident.post(url, {"text": "진행", "percent_complete": 50}, format="json")
    assert posted.status_code == 404


def test_hidden_projects_updates_stay_readable_to_proposer_and_city_staff(
    hidden_project,
):
    staff = UserFactory()
    city_role_grant(
        user=staff, municipality=hidden_project.municipality, role=CityRole.VIEWER
    )
    url = f"/api/v1/projects/{hidden_project.pk}/updates/"

    for user in (hidden_project.proposer, staff):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert len(response.json()["results"]) == 1


# One bbox parameter ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bbox", ["129,36,128,35", "128,35,129", "a,b,c,d"])
def test_bbox_is_checked_alike_for_spaces_and_projects(bbox):
    spaces = client_for().get("/api/v1/spaces/", {"bbox": bbox})
    projects = client_for().get("/api/v1/projects/", {"bbox": bbox})

    assert spaces.status_code == projects.status_code == 400
    assert spaces.json() == projects.json()
    assert list(spaces.json()["error"]["fields"]) == ["bbox"]


# Write throttles per action ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "action", "scope"),
    [
        ("post", "create", "propose"),
        ("post", "support", "support"),
        ("delete", "support", "support"),
        ("post", "transitions", None),
        ("get", "list", None),
    ],
)
def test_project_writes_are_throttled_by_their_actions_scope(method, action, scope):
    view = RenewalProjectViewSet()
    view.request = getattr(APIRequestFactory(), method)("/api/v1/projects/")
    view.action = action

    throttles = view.get_throttles()

    if scope is None:
        assert throttles == []
    else:
        assert len(throttles) == 2
        assert view.throttle_scope == scope
