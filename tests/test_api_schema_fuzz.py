"""Every API operation fuzzed from the OpenAPI schema with Schemathesis, anonymously
and as a city editor: no input may cause a server error, and every response must
match the schema (status code, content type, body).

Requests go through the WSGI application in the test's own transaction, so the run
needs no server and leaves nothing behind. Hypothesis is derandomized and the
number of examples per operation bounded, so a run is the same every time."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.core.failures import Failure, FailureGroup

from config.wsgi import application
from renewal.models import CityRole
from renewal.services.photos import space_photo_create
from renewal.services.roles import city_role_grant
from tests.factories import (
    CommunityOrganizationFactory,
    MatchFactory,
    MunicipalityFactory,
    ParticipationEventFactory,
    ProgressUpdateFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)
from tests.photos import jpeg_bytes
from tests.photos import upload as photo_upload

# Per operation and generation mode (valid and invalid input), plus the schema's
# examples: about a minute for the whole schema on two cores.
EXAMPLES_PER_OPERATION = 10


def _load_schema():
    """The schema that /api/v1/schema/ serves (validated by tests/test_api.py)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    config = schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
            },
            "phases": {"coverage": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_dict(
        json.loads(OpenApiJsonRenderer().render(generated)), config=config
    )
    schema.app = application
    return schema


@pytest.fixture
def in_test_transaction(db, settings):
    """Requests through the WSGI application keep the test's connection, as Django's
    test client does, so its transaction and rollback cover them."""
    settings.ALLOWED_HOSTS = ["localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def city(in_test_transaction):
    return MunicipalityFactory()


@pytest.fixture
def records(city) -> dict:
    """Ids of records in the editor's city, by the first segment of the API path."""
    project = RenewalProjectFactory(municipality=city, status="in_progress")
    # Optional values left empty: an author whose account was deleted, an
    # organisation without a location.
    ProgressUpdateFactory(project=project, author=None)
    ParticipationEventFactory(project=project)
    space = VacantSpaceFactory(municipality=city)
    photo = space_photo_create(
        actor=None,
        space=space,
        upload=photo_upload(jpeg_bytes()),
        source="staff",
        publish=True,
    )
    return {
        "spaces": space.pk,
        "photos": photo.pk,
        "projects": project.pk,
        "organizations": CommunityOrganizationFactory(
            municipality=city, location=None
        ).pk,
        "matches": MatchFactory(project__municipality=city).pk,
        "municipalities": city.code,
    }


def _aim_at_records(case, records: dict) -> None:
    """Sends every other generated id or code to an existing record, so that the
    operations on a record run past their 404."""
    parameters = case.path_parameters or {}
    known = records.get(case.path.split("/")[3])
    for name in ("id", "code"):
        value = parameters.get(name)
        if known is None or value is None:
            continue
        if str(value).isdigit() and int(value) % 2 == 0:
            parameters[name] = known


@pytest.fixture
def editor_token(city) -> str:
    editor = UserFactory()
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    return Token.objects.create(user=editor).key


schema = _load_schema()

fuzzed = hypothesis_settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def _check(case, response, headers) -> list[Failure]:
    """Every check's failures that show a server error or an answer that disagrees
    with the schema (status code, content type, headers, body): Schemathesis' ST1xx.
    The input checks (ST2xx: a filter ignoring an unknown value, a documented value
    refused) judge the API's design and are not asserted."""
    try:
        case.validate_response(response, headers=headers)
    except (Failure, FailureGroup) as raised:
        failures = raised.exceptions if isinstance(raised, FailureGroup) else [raised]
        return [failure for failure in failures if failure.code.startswith("ST1")]
    return []


@schema.parametrize()
@fuzzed
def test_api_operation_anonymously_and_as_city_editor(case, records, editor_token):
    _aim_at_records(case, records)
    # Each generated request is sent by both personas: drawing requests costs more
    # than sending them.
    for persona, headers in (
        ("anonymous", {}),
        ("city editor", {"Authorization": f"Token {editor_token}"}),
    ):
        response = case.call(headers=headers)
        failures = _check(case, response, headers)
        if failures:
            raise FailureGroup(failures, f"As {persona}:") from None
