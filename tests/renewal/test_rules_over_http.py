"""Pages and API ask the same rules as tests/renewal/test_rules_matrix.py, and answer
404 for what the caller may not see and 403 for what they see but may not do.

Each test states every persona's status code by hand. The personas are the shared
fixtures (tests/conftest.py); `resident` proposes unless a test says otherwise.
"""

import pytest

from renewal.models import Match, ProgressUpdate
from renewal.services.roles import organization_role_grant
from tests.factories import (
    BusinessImprovementDistrictFactory,
    CommunityOrganizationFactory,
    MatchFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)
from tests.helpers import api_client, page_client


def _hidden_proposal(city, lead_organization):
    return RenewalProjectFactory(
        municipality=city,
        proposer=UserFactory(),
        lead_organization=lead_organization,
        is_hidden=True,
    )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("resident", 404),
        ("org_member", 404),
        # Leading a project does not show it once moderation hid it.
        ("lead_org_member", 404),
        ("city_viewer", 403),
        ("city_editor", 200),
        ("other_city_editor", 404),
        # Moderators see hidden content; reviewing is still the city's.
        ("moderator", 403),
    ],
)
def test_review_of_a_hidden_proposal_through_the_api(
    personas, city, lead_organization, persona, expected
):
    project = _hidden_proposal(city, lead_organization)

    response = api_client(personas[persona]).post(
        f"/api/v1/projects/{project.pk}/transitions/",
        {"to": "under_review"},
        format="json",
    )

    project.refresh_from_db()
    assert response.status_code == expected, response.content
    assert (project.status == "under_review") is (expected == 200)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("resident", 404),
        ("org_member", 404),
        ("lead_org_member", 404),
        ("city_viewer", 403),
        ("city_editor", 302),  # back to the project, reviewed
        ("other_city_editor", 404),
        ("moderator", 403),
    ],
)
def test_review_of_a_hidden_proposal_through_the_page(
    personas, city, lead_organization, persona, expected
):
    project = _hidden_proposal(city, lead_organization)

    response = page_client(personas[persona]).post(
        f"/ko/projects/{project.pk}/transitions/", {"to": "under_review"}
    )

    project.refresh_from_db()
    assert response.status_code == expected
    assert (project.status == "under_review") is (expected == 302)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        # The proposer and the lead organisation see the suggestion but only the
        # city drops it; they answer offers.
        ("resident", 403),
        ("lead_org_member", 403),
        ("org_member", 404),
        ("city_viewer", 403),
        ("city_editor", 200),
        ("other_city_editor", 404),
        ("moderator", 404),
    ],
)
def test_declining_a_suggested_match(
    personas, city, lead_organization, persona, expected
):
    match = MatchFactory(
        project=RenewalProjectFactory(
            municipality=city,
            status="approved",
            proposer=personas["resident"],
            lead_organization=lead_organization,
        ),
        status="suggested",
    )

    response = api_client(personas[persona]).post(
        f"/api/v1/matches/{match.pk}/decline/"
    )

    assert response.status_code == expected, response.content
    assert Match.objects.get(pk=match.pk).status == (
        "declined" if expected == 200 else "suggested"
    )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("resident", 403),
        # A member of some organisation is not the project's lead organisation.
        ("org_member", 403),
        ("lead_org_member", 201),
        ("city_viewer", 403),
        ("city_editor", 201),
        ("other_city_editor", 403),
        ("moderator", 403),
    ],
)
def test_progress_updates_come_from_the_lead_organisation_or_the_city(
    personas, city, lead_organization, persona, expected
):
    project = RenewalProjectFactory(
        municipality=city,
        status="approved",
        proposer=UserFactory(),
        lead_organization=lead_organization,
    )

    response = api_client(personas[persona]).post(
        f"/api/v1/projects/{project.pk}/updates/",
        {"text": "설계 착수", "percent_complete": 10},
        format="json",
    )

    assert response.status_code == expected, response.content
    assert ProgressUpdate.objects.filter(project=project).exists() is (expected == 201)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("resident", 403),
        ("org_member", 403),
        ("lead_org_member", 403),
        ("city_viewer", 403),
        ("city_editor", 403),
        ("other_city_editor", 403),
        ("moderator", 200),
    ],
)
def test_only_moderators_read_the_report_queue(personas, persona, expected):
    response = api_client(personas[persona]).get("/api/v1/reports/")

    assert response.status_code == expected, response.content


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 403),
        ("resident", 403),
        ("org_member", 200),  # a member of the district's management body
        ("lead_org_member", 403),
        ("city_viewer", 403),
        ("city_editor", 200),
        ("other_city_editor", 403),
        ("moderator", 403),
    ],
)
def test_district_members_are_for_its_managers(
    personas, city, organization, persona, expected
):
    body = CommunityOrganizationFactory(municipality=city, kind="bid_body")
    organization_role_grant(user=personas["org_member"], organization=body)
    district = BusinessImprovementDistrictFactory(
        municipality=city, management_organization=body
    )

    response = api_client(personas[persona]).get(f"/api/v1/bids/{district.pk}/members/")

    assert response.status_code == expected, response.content


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("resident", 403),
        ("org_member", 403),
        ("lead_org_member", 403),
        ("city_viewer", 403),
        ("city_editor", 200),
        ("other_city_editor", 403),
        ("moderator", 403),
    ],
)
def test_space_edit_page_asks_the_change_rule(personas, city, persona, expected):
    space = VacantSpaceFactory(municipality=city)

    response = page_client(personas[persona]).get(f"/ko/spaces/{space.pk}/edit/")

    assert response.status_code == expected


def test_a_deactivated_editor_loses_every_right_even_without_a_session(personas, city):
    city_editor = personas["city_editor"]
    # Work queued by an editor re-checks the permission when it runs, with no
    # session in between: deactivation must take the rights away there too.
    assert city_editor.has_perm("renewal.add_vacantspace", city)

    city_editor.is_active = False
    city_editor.save(update_fields=["is_active"])

    assert not city_editor.has_perm("renewal.add_vacantspace", city)
