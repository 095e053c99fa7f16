import pytest
from django.contrib.auth.models import Group, User

from core.errors import DomainError, NotPermitted
from renewal.models.engagement import (
    AreaFollow,
    Comment,
    ContentReport,
    ModerationAction,
    ModerationLog,
    ProjectFollow,
)
from renewal.models.projects import RenewalProject
from renewal.selectors.projects import renewal_project_list, visible_projects
from renewal.services.engagement import (
    area_follow_create,
    comment_post,
    content_hide,
    content_report,
    content_unhide,
)
from tests.factories import RenewalProjectFactory, UserFactory
from tests.helpers import api_client, count_queries, run_with_writes_held

PROJECTS = "/api/v1/projects/"
AREAS = "/api/v1/area-follows/"
REPORTS = "/api/v1/reports/"


def _make_moderator(username: str = "moderator") -> User:
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get_or_create(name="moderators")[0])
    return user


@pytest.fixture
def moderator(db):
    return _make_moderator()


@pytest.fixture
def project(city):
    return RenewalProjectFactory(municipality=city)


def _comments_url(project) -> str:
    return f"{PROJECTS}{project.pk}/comments/"


def _listed_ids(user, project) -> list[int]:
    response = api_client(user).get(_comments_url(project))
    assert response.status_code == 200, response.content
    return [comment["id"] for comment in response.json()["results"]]


# Comments


def test_replies_are_threaded_under_their_parent(personas, project):
    resident, org_member = personas["resident"], personas["org_member"]
    url = _comments_url(project)

    top = api_client(resident).post(url, {"body": "  주차는 어떻게?  "}, format="json")
    reply = api_client(org_member).post(
        url, {"body": "골목 공영주차장", "parent": top.json()["id"]}, format="json"
    )
    nested = api_client(resident).post(
        url, {"body": "감사합니다", "parent": reply.json()["id"]}, format="json"
    )
    listed = api_client().get(url).json()["results"]

    assert top.status_code == reply.status_code == nested.status_code == 201
    assert top.json()["body"] == "주차는 어떻게?"
    assert [(c["id"], c["parent"], c["author"]) for c in listed] == [
        (top.json()["id"], None, "resident"),
        (reply.json()["id"], top.json()["id"], "org_member"),
        (nested.json()["id"], reply.json()["id"], "resident"),
    ]


def test_reply_to_another_projects_comment_is_refused(personas, city, project):
    elsewhere = comment_post(
        author=personas["org_member"],
        project=RenewalProjectFactory(municipality=city),
        body="다른 사업",
    )

    response = api_client(personas["resident"]).post(
        _comments_url(project), {"body": "답글", "parent": elsewhere.pk}, format="json"
    )

    assert response.status_code == 400
    assert "parent" in response.json()["error"]["fields"]
    assert Comment.objects.count() == 1


def test_reply_to_an_unknown_comment_is_400(personas, project):
    response = api_client(personas["resident"]).post(
        _comments_url(project), {"body": "답글", "parent": 999999}, format="json"
    )

    assert response.status_code == 400
    assert "parent" in response.json()["error"]["fields"]


@pytest.mark.parametrize("body", ["", "   \n ", "가" * 5001])
def test_comment_body_must_hold_1_to_5000_characters(personas, project, body):
    with pytest.raises(DomainError) as refused:
        comment_post(author=personas["resident"], project=project, body=body)

    assert "body" in refused.value.fields
    assert not Comment.objects.exists()


def test_a_comment_of_5000_characters_is_accepted(personas, project):
    comment = comment_post(
        author=personas["resident"], project=project, body="가" * 5000
    )

    assert len(comment.body) == 5000


def test_anonymous_cannot_comment(project):
    response = api_client().post(_comments_url(project), {"body": "x"}, format="json")

    assert response.status_code == 401
    assert not Comment.objects.exists()


def test_hidden_comment_takes_no_reply_and_hidden_project_no_comment(
    personas, moderator, project
):
    comment = comment_post(author=personas["org_member"], project=project, body="광고")
    content_hide(moderator=moderator, content=comment, reason="광고")

    with pytest.raises(DomainError) as refused:
        comment_post(
            author=personas["resident"], project=project, body="답", parent=comment
        )
    assert "parent" in refused.value.fields

    content_hide(moderator=moderator, content=project, reason="중복 제안")
    with pytest.raises(DomainError):
        comment_post(author=personas["resident"], project=project, body="의견")
    assert Comment.objects.count() == 1


# Moderation visibility


def test_hidden_comment_leaves_the_public_list_but_stays_in_the_database(
    personas, moderator, project
):
    author = personas["org_member"]
    kept = comment_post(author=personas["resident"], project=project, body="좋아요")
    hidden = comment_post(author=author, project=project, body="욕설")

    content_hide(moderator=moderator, content=hidden, reason="욕설")

    assert _listed_ids(None, project) == [kept.pk]
    assert _listed_ids(personas["city_editor"], project) == [kept.pk]
    assert Comment.objects.get(pk=hidden.pk).body == "욕설"
    # Its author and moderators still see it, marked hidden.
    for viewer in (author, moderator):
        listed = api_client(viewer).get(_comments_url(project)).json()["results"]
        assert [(c["id"], c["body"], c["is_hidden"]) for c in listed] == [
            (kept.pk, "좋아요", False),
            (hidden.pk, "욕설", True),
        ]


def test_hidden_comment_with_replies_stays_as_a_placeholder(
    personas, moderator, project
):
    hidden = comment_post(author=personas["org_member"], project=project, body="욕설")
    reply = comment_post(
        author=personas["resident"],
        project=project,
        body="그러지 마세요",
        parent=hidden,
    )
    content_hide(moderator=moderator, content=hidden, reason="욕설")

    listed = api_client().get(_comments_url(project)).json()["results"]

    assert listed[0] == {
        "id": hidden.pk,
        "parent": None,
        "author": None,
        "body": None,
        "is_hidden": True,
        "created_at": listed[0]["created_at"],
    }
    assert (listed[1]["id"], listed[1]["parent"], listed[1]["body"]) == (
        reply.pk,
        hidden.pk,
        "그러지 마세요",
    )


@pytest.mark.parametrize(
    ("viewer", "sees_it"),
    [
        ("anonymous", False),
        ("resident", False),
        ("org_member", False),
        ("other_city_editor", False),
        ("proposer", True),
        ("city_viewer", True),
        ("city_editor", True),
        ("moderator", True),
    ],
)
def test_hidden_project_is_seen_only_by_proposer_city_staff_and_moderators(
    personas, moderator, city, viewer, sees_it
):
    proposer = UserFactory(username="proposer")
    shown = RenewalProjectFactory(municipality=city)
    hidden = RenewalProjectFactory(municipality=city, proposer=proposer)
    content_hide(moderator=moderator, content=hidden, reason="허위 내용")
    user = {"proposer": proposer, "moderator": moderator}.get(viewer) or personas[
        viewer
    ]

    listed = set(
        visible_projects(renewal_project_list(), user).values_list("pk", flat=True)
    )
    comments = api_client(user).get(_comments_url(hidden))

    assert listed == ({shown.pk, hidden.pk} if sees_it else {shown.pk})
    assert comments.status_code == (200 if sees_it else 404)
    assert RenewalProject.objects.filter(pk=hidden.pk, is_hidden=True).exists()


# Reports and automatic hiding


def test_reporting_twice_is_not_an_error_and_counts_once(personas, project):
    client = api_client(personas["resident"])
    body = {"content_type": "project", "id": project.pk, "reason": "허위 정보"}

    first = client.post(REPORTS, body, format="json")
    second = client.post(REPORTS, {**body, "reason": "다시"}, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["reason"] == "허위 정보"
    assert ContentReport.objects.count() == 1


def test_a_report_needs_a_reason(personas, project):
    response = api_client(personas["resident"]).post(
        REPORTS, {"content_type": "project", "id": project.pk, "reason": " "}
    )

    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    assert not ContentReport.objects.exists()


def test_anonymous_cannot_report(project):
    response = api_client().post(
        REPORTS, {"content_type": "project", "id": project.pk, "reason": "x"}
    )

    assert response.status_code == 401
    assert not ContentReport.objects.exists()


def test_content_is_hidden_when_enough_distinct_users_report_it(
    settings, personas, project
):
    settings.RENEWAL_AUTO_HIDE_REPORTS = 3
    comment = comment_post(author=personas["org_member"], project=project, body="광고")
    first, second, third = UserFactory.create_batch(3)

    content_report(reporter=first, content=comment, reason="광고")
    content_report(reporter=first, content=comment, reason="광고 또")
    content_report(reporter=second, content=comment, reason="스팸")
    comment.refresh_from_db()
    assert not comment.is_hidden
    assert not ModerationLog.objects.exists()

    content_report(reporter=third, content=comment, reason="도배")

    comment.refresh_from_db()
    assert comment.is_hidden
    log = ModerationLog.objects.get()
    assert (log.action, log.moderator, log.object_id) == (
        ModerationAction.HIDE,
        None,
        comment.pk,
    )
    assert "3" in log.reason
    assert _listed_ids(None, project) == []


def test_reports_reach_the_threshold_through_the_api(settings, personas, project):
    settings.RENEWAL_AUTO_HIDE_REPORTS = 2
    body = {"content_type": "project", "id": project.pk, "reason": "허위"}

    for name in ("resident", "org_member"):
        assert api_client(personas[name]).post(REPORTS, body).status_code == 201

    project.refresh_from_db()
    assert project.is_hidden
    # The public no longer finds it, not even to report it once more.
    assert api_client(UserFactory()).post(REPORTS, body).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_parallel_reports_hide_the_content_exactly_once(settings):
    settings.RENEWAL_AUTO_HIDE_REPORTS = 3
    project = RenewalProjectFactory()
    for user in UserFactory.create_batch(2):
        content_report(reporter=user, content=project, reason="도배")
    reporters = UserFactory.create_batch(6)

    # Each new report reaches the threshold with the two before it. All six read the
    # project before any report is written: only the project's row lock keeps the
    # five after the first from hiding it again.
    results = run_with_writes_held(
        ContentReport,
        [
            lambda user=user: content_report(
                reporter=user, content=project, reason="도배"
            )
            for user in reporters
        ],
    )

    assert [created for _report, created in results] == [True] * 6
    assert ContentReport.objects.count() == 8
    assert RenewalProject.objects.get(pk=project.pk).is_hidden
    assert ModerationLog.objects.count() == 1


# Moderators


def test_moderator_hides_and_unhides_with_a_logged_reason(
    settings, personas, moderator, project
):
    settings.RENEWAL_AUTO_HIDE_REPORTS = 5
    comment = comment_post(author=personas["org_member"], project=project, body="광고")
    content_report(reporter=personas["resident"], content=comment, reason="광고")
    client = api_client(moderator)
    body = {"content_type": "comment", "id": comment.pk}

    hidden = client.post(
        "/api/v1/moderation/hide/", {**body, "reason": "상업 광고"}, format="json"
    )
    comment.refresh_from_db()
    assert hidden.status_code == 200, hidden.content
    assert hidden.json()["action"] == "hide"
    assert hidden.json()["is_hidden"] is True
    assert comment.is_hidden
    assert not ContentReport.objects.filter(resolved=False).exists()

    shown = client.post(
        "/api/v1/moderation/unhide/", {**body, "reason": "오해였음"}, format="json"
    )
    comment.refresh_from_db()
    assert shown.status_code == 200, shown.content
    assert not comment.is_hidden
    log = list(
        ModerationLog.objects.order_by("id").values_list(
            "action", "reason", "moderator"
        )
    )
    assert log == [
        ("hide", "상업 광고", moderator.pk),
        ("unhide", "오해였음", moderator.pk),
    ]


def test_moderation_needs_a_reason(moderator, project):
    with pytest.raises(DomainError) as refused:
        content_hide(moderator=moderator, content=project, reason="  ")

    project.refresh_from_db()
    assert "reason" in refused.value.fields
    assert not project.is_hidden
    assert not ModerationLog.objects.exists()


def test_unhiding_visible_content_is_refused(moderator, project):
    with pytest.raises(DomainError):
        content_unhide(moderator=moderator, content=project, reason="확인")

    assert not ModerationLog.objects.exists()


def test_moderator_confirms_an_automatic_hide_and_clears_the_queue(
    settings, moderator, project
):
    settings.RENEWAL_AUTO_HIDE_REPORTS = 1
    content_report(reporter=UserFactory(), content=project, reason="허위")

    content_hide(moderator=moderator, content=project, reason="허위 사실 확인")

    assert not ContentReport.objects.filter(resolved=False).exists()
    with pytest.raises(DomainError):
        content_hide(moderator=moderator, content=project, reason="또")
    assert ModerationLog.objects.count() == 2


def test_reporters_cannot_rehide_what_a_moderator_showed_again(
    settings, moderator, project
):
    settings.RENEWAL_AUTO_HIDE_REPORTS = 2
    reporters = UserFactory.create_batch(2)
    for user in reporters:
        content_report(reporter=user, content=project, reason="싫어요")
    content_unhide(moderator=moderator, content=project, reason="규칙 위반 아님")

    for user in reporters:
        content_report(reporter=user, content=project, reason="싫어요")
    project.refresh_from_db()
    assert not project.is_hidden

    content_report(reporter=UserFactory(), content=project, reason="새 신고")
    content_report(reporter=UserFactory(), content=project, reason="새 신고")
    project.refresh_from_db()
    assert project.is_hidden


@pytest.mark.parametrize(
    "persona", ["resident", "org_member", "city_editor", "city_viewer"]
)
@pytest.mark.parametrize("path", ["hide", "unhide"])
def test_non_moderators_cannot_hide_or_unhide(personas, city, persona, path):
    hidden = path == "unhide"
    project = RenewalProjectFactory(municipality=city, is_hidden=hidden)
    # A hidden project is out of sight for people outside its city: 404, not 403.
    expected = 404 if hidden and not persona.startswith("city_") else 403

    response = api_client(personas[persona]).post(
        f"/api/v1/moderation/{path}/",
        {"content_type": "project", "id": project.pk, "reason": "이유"},
        format="json",
    )

    project.refresh_from_db()
    assert response.status_code == expected
    if expected == 403:
        assert response.json()["error"]["code"] == "permission_denied"
    assert project.is_hidden == hidden
    assert not ModerationLog.objects.exists()


def test_service_refuses_non_moderators(personas, project):
    with pytest.raises(NotPermitted):
        content_hide(moderator=personas["city_editor"], content=project, reason="x")


def test_moderation_of_hidden_content_by_the_public_is_404(personas, project):
    project.is_hidden = True
    project.save()

    response = api_client(personas["resident"]).post(
        "/api/v1/moderation/unhide/",
        {"content_type": "project", "id": project.pk, "reason": "이유"},
        format="json",
    )

    assert response.status_code == 404


def test_report_queue_is_grouped_by_content_for_moderators_only(
    settings, personas, moderator, project
):
    settings.RENEWAL_AUTO_HIDE_REPORTS = 10
    comment = comment_post(author=personas["org_member"], project=project, body="광고")
    for name in ("resident", "city_viewer"):
        content_report(reporter=personas[name], content=comment, reason=f"{name} 신고")
    content_report(reporter=personas["resident"], content=project, reason="중복")

    refused = api_client(personas["resident"]).get(REPORTS)
    anonymous = api_client().get(REPORTS)
    queue = api_client(moderator).get(REPORTS)

    assert refused.status_code == 403
    assert anonymous.status_code == 401
    rows = queue.json()["results"]
    assert [(r["content_type"], r["id"], r["report_count"]) for r in rows] == [
        ("comment", comment.pk, 2),
        ("project", project.pk, 1),
    ]
    assert rows[0]["reasons"] == ["resident 신고", "city_viewer 신고"]
    assert (rows[0]["project"], rows[0]["excerpt"], rows[0]["is_hidden"]) == (
        project.pk,
        "광고",
        False,
    )
    assert rows[1]["excerpt"] == project.title


# Follows


def test_following_twice_is_idempotent_and_unfollow_stops(personas, project):
    client = api_client(personas["resident"])
    url = f"{PROJECTS}{project.pk}/follow/"

    first, second = client.post(url), client.post(url)
    assert (first.json(), second.json()) == ({"following": True}, {"following": True})
    assert ProjectFollow.objects.filter(project=project).count() == 1

    assert client.delete(url).json() == {"following": False}
    assert client.delete(url).status_code == 200
    assert not ProjectFollow.objects.exists()


def test_anonymous_cannot_follow(project):
    assert api_client().post(f"{PROJECTS}{project.pk}/follow/").status_code == 401
    assert not ProjectFollow.objects.exists()


def _area(city, **fields):
    return {
        "center": {"type": "Point", "coordinates": [city.location.x, city.location.y]},
        "radius_m": 1000,
        **fields,
    }


@pytest.mark.parametrize(
    ("radius_m", "expected"), [(99, 400), (100, 201), (20_000, 201), (20_001, 400)]
)
def test_area_follow_radius_is_100_m_to_20_km(personas, city, radius_m, expected):
    response = api_client(personas["resident"]).post(
        AREAS, _area(city, radius_m=radius_m), format="json"
    )

    assert response.status_code == expected, response.content
    assert AreaFollow.objects.count() == (1 if expected == 201 else 0)
    if expected == 400:
        assert "radius_m" in response.json()["error"]["fields"]
        assert "20 km" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"center": {"type": "Point", "coordinates": [955000, 1950000]}}, "center"),
        (
            {"center": {"type": "LineString", "coordinates": [[128, 36], [128.1, 36]]}},
            "center",
        ),
        ({"category": "casino"}, "category"),
    ],
)
def test_area_follow_refuses_bad_centres_and_categories(personas, city, fields, field):
    response = api_client(personas["resident"]).post(
        AREAS, _area(city, **fields), format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not AreaFollow.objects.exists()


def test_area_follow_by_category_is_stored_in_4326(personas, city):
    response = api_client(personas["resident"]).post(
        AREAS, _area(city, category="smart_city"), format="json"
    )

    assert response.status_code == 201, response.content
    area = AreaFollow.objects.get()
    assert (area.category, area.center.srid, area.user) == (
        "smart_city",
        4326,
        personas["resident"],
    )
    assert response.json()["center"]["coordinates"] == [
        pytest.approx(city.location.x),
        pytest.approx(city.location.y),
    ]


def test_area_follows_are_listed_and_deleted_by_their_owner_only(personas, city):
    mine = area_follow_create(
        user=personas["resident"], center=city.location, radius_m=500
    )
    theirs = area_follow_create(
        user=personas["org_member"], center=city.location, radius_m=500
    )
    client = api_client(personas["resident"])

    listed = [row["id"] for row in client.get(AREAS).json()["results"]]
    other = client.delete(f"{AREAS}{theirs.pk}/")
    own = client.delete(f"{AREAS}{mine.pk}/")

    assert listed == [mine.pk]
    assert other.status_code == 404
    assert own.status_code == 204
    assert list(AreaFollow.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert api_client().get(AREAS).status_code == 401


# Query counts and schema


def test_comment_list_query_count_does_not_grow_with_rows(personas, moderator, project):
    authors = [personas["resident"], personas["org_member"], personas["city_editor"]]

    def queries_for(rows: int) -> int:
        Comment.objects.all().delete()
        parent = None
        for index in range(rows):
            parent = comment_post(
                author=authors[index % 3],
                project=project,
                body=f"의견 {index}",
                parent=parent if index % 2 else None,
            )
        Comment.objects.filter(pk=parent.pk).update(is_hidden=True)
        # A fresh user object per request, as in production.
        client = api_client(User.objects.get(username="resident"))
        response, queries = count_queries(client, _comments_url(project))
        assert response.status_code == 200
        assert response.json()["count"] >= rows - 1
        return queries

    assert queries_for(1) == queries_for(20)


def test_openapi_schema_with_these_endpoints_builds_without_warnings(openapi_schema):
    for endpoint in (
        "/api/v1/projects/{id}/comments/",
        "/api/v1/projects/{id}/follow/",
        "/api/v1/area-follows/{id}/",
        "/api/v1/reports/",
        "/api/v1/moderation/unhide/",
    ):
        assert endpoint in openapi_schema["paths"]
