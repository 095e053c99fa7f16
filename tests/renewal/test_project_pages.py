import datetime
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Polygon
from django.utils import timezone

from renewal.models import (
    Comment,
    Notification,
    ParticipationEvent,
    ProgressUpdate,
    ProjectFollow,
    ProjectSupport,
    ProjectTransition,
    RenewalProject,
)
from tests.factories import (
    ParticipationEventFactory,
    ProgressUpdateFactory,
    RenewalProjectFactory,
    UserFactory,
)
from tests.helpers import count_queries, page_client

PERSONAS = [
    "anonymous",
    "resident",
    "org_member",
    "city_viewer",
    "city_editor",
    "other_city_editor",
]


def map_url(city, lang="ko") -> str:
    return f"/{lang}/cities/{city.code}/projects/"


def create_url(city) -> str:
    return f"/ko/cities/{city.code}/projects/new/"


def detail_url(project, lang="ko") -> str:
    return f"/{lang}/projects/{project.pk}/"


def action_url(project, action: str) -> str:
    return f"/ko/projects/{project.pk}/{action}/"


def listed_ids(response) -> set[int]:
    return {
        int(i) for i in re.findall(r'<tr data-id="(\d+)"', response.content.decode())
    }


def map_features(response) -> list[dict]:
    config = re.search(
        r'<script id="project-map-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(config.group(1))["features"]["features"]


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


@pytest.fixture
def project(city, organization):
    return RenewalProjectFactory(
        municipality=city,
        title="빈 점포 공유부엌",
        needs_space_kinds=["shop"],
        needs_min_area_m2=40,
        needs_max_area_m2=120,
        budget_krw=30_000_000,
        lead_organization=organization,
    )


@pytest.fixture
def proposal_data(city) -> dict:
    return {
        "title": "골목 쉼터",
        "description": "어르신들이 쉬어 갈 수 있는 작은 쉼터",
        "category": "community_facility",
        "needs_space_kinds": ["shop", "house"],
        "needs_min_area_m2": "30",
        "needs_max_area_m2": "90",
        "budget_krw": "20000000",
        "earliest_start": "2027-03-01",
        "partner_capabilities": ["housing_repair"],
        "longitude": str(city.location.x + 0.001),
        "latitude": str(city.location.y + 0.001),
        "area": "",
    }


# The map and list


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_project_map_and_detail_render_for_every_persona(
    personas, city, project, persona, lang
):
    client = page_client(personas[persona])

    listing = client.get(map_url(city, lang))
    detail = client.get(detail_url(project, lang))

    assert listing.status_code == 200
    assert listed_ids(listing) == {project.pk}
    assert [feature["properties"]["id"] for feature in map_features(listing)] == [
        project.pk
    ]
    assert detail.status_code == 200
    assert "빈 점포 공유부엌" in detail.content.decode()


def test_pages_are_in_english_under_en(personas, city, project):
    response = page_client(personas["resident"]).get(detail_url(project, "en"))

    assert response.headers["Content-Language"] == "en"
    assert "Support this project" in response.content.decode()


def test_map_carries_points_and_polygons_as_geojson(personas, city):
    point = RenewalProjectFactory(municipality=city)
    x, y = city.location.x, city.location.y
    area = RenewalProjectFactory(
        municipality=city,
        place=Polygon.from_bbox((x, y, x + 0.002, y + 0.002)),
    )

    features = {
        feature["properties"]["id"]: feature
        for feature in map_features(
            page_client(personas["anonymous"]).get(map_url(city))
        )
    }

    assert features[point.pk]["geometry"]["type"] == "Point"
    assert features[area.pk]["geometry"]["type"] == "Polygon"
    assert features[area.pk]["properties"]["supports"] == 0


def test_map_and_list_filter_by_category_and_status(personas, city, other_city):
    wanted = RenewalProjectFactory(municipality=city, category="heritage_culture")
    RenewalProjectFactory(municipality=city, category="village_renewal")
    RenewalProjectFactory(
        municipality=city, category="heritage_culture", status="approved"
    )
    RenewalProjectFactory(municipality=other_city, category="heritage_culture")

    response = page_client(personas["resident"]).get(
        map_url(city), {"category": "heritage_culture", "status": "proposed"}
    )

    assert listed_ids(response) == {wanted.pk}
    assert [f["properties"]["id"] for f in map_features(response)] == [wanted.pk]


def test_hidden_project_leaves_the_map_but_not_its_proposer_or_staff(personas, city):
    hidden = RenewalProjectFactory(
        municipality=city, is_hidden=True, proposer=personas["resident"]
    )

    assert listed_ids(page_client(personas["org_member"]).get(map_url(city))) == set()
    assert (
        page_client(personas["org_member"]).get(detail_url(hidden)).status_code == 404
    )
    assert listed_ids(page_client(personas["resident"]).get(map_url(city))) == {
        hidden.pk
    }
    assert listed_ids(page_client(personas["city_viewer"]).get(map_url(city))) == {
        hidden.pk
    }


@pytest.mark.parametrize("persona", ["anonymous", "resident", "city_editor"])
def test_project_map_query_count_does_not_grow_with_rows(
    personas, city, persona, django_assert_max_num_queries
):
    client = page_client(personas[persona])
    RenewalProjectFactory(municipality=city)
    _, one_row = count_queries(client, map_url(city))
    for project in RenewalProjectFactory.create_batch(19, municipality=city):
        ProjectSupport.objects.create(project=project, user=UserFactory())

    with django_assert_max_num_queries(one_row):
        response = client.get(map_url(city))

    assert len(listed_ids(response)) == 20
    assert len(map_features(response)) == 20


def test_unknown_city_is_not_found(personas):
    assert (
        page_client(personas["resident"]).get("/ko/cities/00000/projects/").status_code
        == 404
    )


def test_home_page_links_each_city_to_its_projects(client, city):
    response = client.get("/ko/")

    assert f'href="/ko/cities/{city.code}/projects/"' in response.content.decode()


# The proposal form


def test_anonymous_is_sent_to_sign_in_from_the_proposal_form(client, city):
    response = client.get(create_url(city))

    assert response.status_code == 302
    assert response.url.startswith("/ko/accounts/login/")


def test_resident_proposes_a_point_project(personas, city, proposal_data):
    client = page_client(personas["resident"])
    assert client.get(create_url(city)).status_code == 200

    response = client.post(create_url(city), proposal_data)

    project = RenewalProject.objects.get(title="골목 쉼터")
    assert response.status_code == 302
    assert response.url == f"{detail_url(project)}?at=top#message"
    assert project.proposer == personas["resident"]
    assert project.municipality == city
    assert project.status == "proposed"
    assert project.place.geom_type == "Point"
    assert project.place.x == pytest.approx(city.location.x + 0.001)
    assert project.needs_space_kinds == ["shop", "house"]
    assert (project.needs_min_area_m2, project.needs_max_area_m2) == (30, 90)
    assert project.budget_krw == 20_000_000
    assert project.earliest_start == datetime.date(2027, 3, 1)
    assert project.partner_capabilities == ["housing_repair"]


def test_resident_proposes_a_drawn_area(personas, city, proposal_data):
    x, y = city.location.x, city.location.y
    ring = [[x, y], [x + 0.001, y], [x + 0.001, y + 0.001], [x, y]]
    proposal_data.update(
        longitude="",
        latitude="",
        area=json.dumps({"type": "Polygon", "coordinates": [ring]}),
    )

    page_client(personas["resident"]).post(create_url(city), proposal_data)

    project = RenewalProject.objects.get(title="골목 쉼터")
    assert project.place.geom_type == "Polygon"
    assert project.place.num_coords == 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"longitude": "", "latitude": ""}, "Place the project"),
        ({"longitude": "955000", "latitude": "1950000"}, "less than or equal"),
        ({"area": "not geojson"}, "could not be read"),
        ({"needs_min_area_m2": "200"}, "minimum floor area is larger"),
        (
            {
                "area": json.dumps(
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [128, 36],
                                [128.01, 36.01],
                                [128.01, 36],
                                [128, 36.01],
                                [128, 36],
                            ]
                        ],
                    }
                )
            },
            "not a valid polygon",
        ),
        ({"title": ""}, "required"),
    ],
)
def test_proposal_form_refuses_bad_input(
    personas, city, proposal_data, change, message
):
    proposal_data.update(change)

    response = page_client(personas["resident"]).post(
        "/en" + create_url(city)[3:], proposal_data
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RenewalProject.objects.exists()


# The project page


def test_project_page_shows_needs_timeline_and_progress(personas, project):
    ProjectTransition.objects.create(
        project=project,
        from_status="proposed",
        to_status="under_review",
        actor=personas["city_editor"],
        reason="검토 시작",
    )
    RenewalProject.objects.filter(pk=project.pk).update(status="in_progress")
    ProgressUpdateFactory(project=project, percent_complete=20, text="설계")
    ProgressUpdateFactory(
        project=project, percent_complete=45, text="공사 착수", milestone="착공"
    )

    page = page_client(personas["anonymous"]).get(detail_url(project)).content.decode()

    assert "검토 시작" in page
    assert 'id="project-progress-bar" max="100" value="45"' in page
    assert page.index("공사 착수") < page.index("설계")
    assert "30,000,000" in page or "30.000.000" in page
    assert "40 – 120" in page


def test_support_counts_once_and_can_be_withdrawn(personas, project):
    client = page_client(personas["resident"])

    first = client.post(action_url(project, "support"), {"action": "add"})
    client.post(action_url(project, "support"), {"action": "add"})

    assert first.status_code == 302
    assert ProjectSupport.objects.filter(project=project).count() == 1
    page = client.get(detail_url(project, "en")).content.decode()
    assert "1 person supports this project." in page
    assert "Withdraw my support" in page

    client.post(action_url(project, "support"), {"action": "withdraw"})
    assert not ProjectSupport.objects.filter(project=project).exists()


def test_closed_project_refuses_supports_with_a_message(personas, project):
    RenewalProject.objects.filter(pk=project.pk).update(status="rejected")

    response = page_client(personas["resident"]).post(
        "/en" + action_url(project, "support")[3:], {"action": "add"}, follow=True
    )

    assert "no longer takes supports" in messages_of(response)
    assert not ProjectSupport.objects.exists()


@pytest.mark.parametrize(
    "action", ["support", "follow", "comments", "transitions", "report"]
)
def test_anonymous_posts_go_to_sign_in(client, project, action):
    response = client.post(action_url(project, action), {"body": "x"})

    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_follow_and_unfollow(personas, project):
    client = page_client(personas["resident"])

    client.post(action_url(project, "follow"), {"action": "follow"})
    assert ProjectFollow.objects.filter(project=project).count() == 1
    assert "Stop following" in client.get(detail_url(project, "en")).content.decode()

    client.post(action_url(project, "follow"), {"action": "unfollow"})
    assert not ProjectFollow.objects.exists()


def test_threaded_comments_and_replies(personas, project):
    client = page_client(personas["resident"])
    client.post(action_url(project, "comments"), {"body": "좋은 생각입니다"})
    parent = Comment.objects.get()

    response = page_client(personas["org_member"]).post(
        action_url(project, "comments"), {"body": "함께해요", "parent": parent.pk}
    )

    reply = Comment.objects.get(parent=parent)
    assert response.url == f"{detail_url(project)}?at=comments#message"
    page = client.get(detail_url(project)).content.decode()
    # The reply sits inside its parent's list item.
    parent_item = page[page.index(f'id="comment-{parent.pk}"') :]
    assert parent_item.index("좋은 생각입니다") < parent_item.index("함께해요")
    assert f'id="comment-{reply.pk}"' in parent_item


def test_empty_comment_is_refused_with_a_message(personas, project):
    response = page_client(personas["resident"]).post(
        "/en" + action_url(project, "comments")[3:], {"body": "  "}, follow=True
    )

    assert "Write something before posting." in messages_of(response)
    assert not Comment.objects.exists()


def test_hidden_comment_shows_as_a_placeholder_to_others(personas, project):
    author = personas["resident"]
    hidden = Comment.objects.create(
        project=project, author=author, body="비밀 글", is_hidden=True
    )
    Comment.objects.create(
        project=project, author=personas["org_member"], body="답글", parent=hidden
    )

    other = page_client(personas["org_member"]).get(detail_url(project, "en"))
    own = page_client(author).get(detail_url(project, "en"))

    assert "비밀 글" not in other.content.decode()
    assert "This comment was hidden by a moderator." in other.content.decode()
    assert "답글" in other.content.decode()
    assert "비밀 글" in own.content.decode()


def test_city_editor_moves_the_project_through_review(personas, project):
    client = page_client(personas["city_editor"])
    page = client.get(detail_url(project)).content.decode()
    assert 'value="under_review"' in page

    client.post(action_url(project, "transitions"), {"to": "under_review"})
    client.post(
        action_url(project, "transitions"), {"to": "approved", "reason": "예산 확보"}
    )

    project.refresh_from_db()
    assert project.status == "approved"
    assert list(project.transitions.values_list("to_status", "reason")) == [
        ("under_review", ""),
        ("approved", "예산 확보"),
    ]
    assert "예산 확보" in client.get(detail_url(project)).content.decode()


def test_rejection_without_a_reason_is_refused(personas, project):
    RenewalProject.objects.filter(pk=project.pk).update(status="under_review")

    response = page_client(personas["city_editor"]).post(
        "/en" + action_url(project, "transitions")[3:],
        {"to": "rejected", "reason": " "},
        follow=True,
    )

    assert "Say why the project is rejected" in messages_of(response)
    project.refresh_from_db()
    assert project.status == "under_review"


@pytest.mark.parametrize(
    "persona", ["resident", "org_member", "city_viewer", "other_city_editor"]
)
def test_only_city_editors_review(personas, project, persona):
    client = page_client(personas[persona])

    page = client.get(detail_url(project)).content.decode()
    response = client.post(action_url(project, "transitions"), {"to": "under_review"})

    assert 'value="under_review"' not in page
    assert response.status_code == 403
    assert not ProjectTransition.objects.exists()


def test_proposer_may_withdraw_from_the_page(personas, project):
    client = page_client(project.proposer)
    assert 'value="withdrawn"' in client.get(detail_url(project)).content.decode()

    client.post(action_url(project, "transitions"), {"to": "withdrawn"})

    project.refresh_from_db()
    assert project.status == "withdrawn"


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("city_editor", True), ("org_member", True), ("resident", False)],
)
def test_progress_updates_by_lead_organisation_or_city_staff(
    personas, project, persona, allowed
):
    RenewalProject.objects.filter(pk=project.pk).update(status="in_progress")
    client = page_client(personas[persona])

    page = client.get(detail_url(project)).content.decode()
    response = client.post(
        action_url(project, "progress"),
        {"text": "외벽 보수 완료", "percent_complete": "60", "milestone": ""},
    )

    assert ('id="progress-form"' in page) is allowed
    assert response.status_code == (302 if allowed else 403)
    assert ProgressUpdate.objects.filter(project=project).exists() is allowed


def test_progress_form_refuses_a_percentage_above_100(personas, project):
    RenewalProject.objects.filter(pk=project.pk).update(status="in_progress")

    page_client(personas["city_editor"]).post(
        action_url(project, "progress"), {"text": "x", "percent_complete": "120"}
    )

    assert not ProgressUpdate.objects.exists()


def test_org_member_records_a_workshop_with_attendance(personas, project, organization):
    client = page_client(personas["org_member"])
    page = client.get(detail_url(project)).content.decode()
    assert f'<option value="{organization.pk}"' in page

    client.post(
        action_url(project, "events"),
        {
            "organization": organization.pk,
            "kind": "workshop",
            "date": timezone.localdate().isoformat(),
            "place": "마을회관",
            "attendees_under_20": "2",
            "attendees_20_39": "5",
            "attendees_40_64": "8",
            "attendees_65_plus": "11",
            "volunteer_hours": "12.5",
        },
    )

    event = ParticipationEvent.objects.get()
    assert (event.organization, event.kind, event.attendees) == (
        organization,
        "workshop",
        26,
    )
    assert event.recorded_by == personas["org_member"]


def test_event_in_the_future_is_refused(personas, project, organization):
    response = page_client(personas["org_member"]).post(
        "/en" + action_url(project, "events")[3:],
        {
            "organization": organization.pk,
            "kind": "workshop",
            "date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
            "attendees_under_20": "0",
            "attendees_20_39": "0",
            "attendees_40_64": "0",
            "attendees_65_plus": "0",
            "volunteer_hours": "0",
        },
        follow=True,
    )

    assert "lies in the future" in messages_of(response)
    assert not ParticipationEvent.objects.exists()


@pytest.mark.parametrize("persona", ["resident", "city_editor"])
def test_people_outside_organisations_get_no_event_form(personas, project, persona):
    client = page_client(personas[persona])

    page = client.get(detail_url(project)).content.decode()
    response = client.post(action_url(project, "events"), {"kind": "workshop"})

    assert 'id="event-form"' not in page
    assert response.status_code == 403


def test_reporting_a_project_and_a_comment(personas, project, settings):
    settings.RENEWAL_AUTO_HIDE_REPORTS = 5
    comment = Comment.objects.create(
        project=project, author=personas["org_member"], body="광고"
    )
    client = page_client(personas["resident"])

    first = client.post(
        "/en" + action_url(project, "report")[3:],
        {"kind": "project", "reason": "중복 제안"},
        follow=True,
    )
    again = client.post(
        "/en" + action_url(project, "report")[3:],
        {"kind": "project", "reason": "중복 제안"},
        follow=True,
    )
    client.post(
        action_url(project, "report"),
        {"kind": "comment", "object_id": comment.pk, "reason": "광고"},
    )

    assert "the moderators will look at it" in messages_of(first)
    assert "already reported" in messages_of(again)
    assert project.__class__.objects.get(pk=project.pk).is_hidden is False
    from renewal.models import ContentReport

    assert ContentReport.objects.count() == 2


def test_moderators_hidden_project_is_shown_to_moderators(personas, city):
    moderator = UserFactory()
    moderator.groups.add(Group.objects.get_or_create(name="moderators")[0])
    hidden = RenewalProjectFactory(municipality=city, is_hidden=True)

    assert page_client(moderator).get(detail_url(hidden)).status_code == 200


# My page


def test_my_page_needs_sign_in(client):
    response = client.get("/ko/me/")

    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_my_page_lists_proposals_supports_follows_and_notifications(personas, city):
    me = personas["resident"]
    mine = RenewalProjectFactory(municipality=city, proposer=me, title="내 제안")
    supported = RenewalProjectFactory(municipality=city, title="응원하는 사업")
    followed = RenewalProjectFactory(municipality=city, title="팔로우하는 사업")
    RenewalProjectFactory(municipality=city, title="남의 사업")
    hidden = RenewalProjectFactory(municipality=city, is_hidden=True, title="숨김")
    ProjectSupport.objects.create(project=supported, user=me)
    ProjectSupport.objects.create(project=hidden, user=me)
    ProjectFollow.objects.create(project=followed, user=me)
    Notification.objects.create(
        user=me,
        kind="status_changed",
        event_key="status:1",
        project=mine,
        params={"title": "내 제안", "status": "approved", "reason": ""},
    )
    Notification.objects.create(
        user=personas["org_member"],
        kind="status_changed",
        event_key="status:1",
        legacy_message="someone else's",
    )

    page = page_client(me).get("/en/me/").content.decode()

    def section(key: str) -> str:
        start = page.index(f'id="{key}-list"')
        return page[start : page.index("</table>", start)]

    assert "내 제안" in section("proposals") and "남의 사업" not in section("proposals")
    assert "응원하는 사업" in section("supports") and "숨김" not in section("supports")
    assert "팔로우하는 사업" in section("followed")
    assert "is now “Approved”" in page
    assert "someone else's" not in page
    assert "(1 unread)" in page


def test_notifications_are_marked_read_one_by_one_or_all(personas):
    me = personas["resident"]
    first, second = (
        Notification.objects.create(
            user=me,
            kind="status_changed",
            event_key=f"status:{n}",
            legacy_message=f"m{n}",
        )
        for n in (1, 2)
    )
    others = Notification.objects.create(
        user=personas["org_member"],
        kind="status_changed",
        event_key="status:1",
        legacy_message="x",
    )
    client = page_client(me)

    client.post(f"/ko/me/notifications/{first.pk}/read/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert client.post(f"/ko/me/notifications/{others.pk}/read/").status_code == 404

    client.post("/ko/me/notifications/read/")
    second.refresh_from_db()
    others.refresh_from_db()
    assert second.read_at is not None
    assert others.read_at is None


def test_navigation_links_to_my_page_when_signed_in(personas, client):
    assert 'href="/ko/me/"' not in client.get("/ko/").content.decode()
    assert (
        'href="/ko/me/"'
        in page_client(personas["resident"]).get("/ko/").content.decode()
    )


# Organisation participation


def test_organisation_participation_totals_chart_and_table(
    personas, project, organization
):
    ParticipationEventFactory(
        project=project,
        organization=organization,
        date=datetime.date(2026, 3, 10),
        attendees_20_39=5,
        attendees_40_64=10,
        volunteer_hours=4,
    )
    ParticipationEventFactory(
        project=project,
        organization=organization,
        date=datetime.date(2026, 5, 2),
        attendees_20_39=0,
        attendees_40_64=0,
        attendees_65_plus=30,
        volunteer_hours="12.5",
    )
    ParticipationEventFactory(project=project, date=datetime.date(2026, 5, 3))

    response = page_client(personas["anonymous"]).get(
        f"/en/organizations/{organization.pk}/participation/"
    )
    page = response.content.decode()

    assert response.status_code == 200
    assert re.search(r'id="total-events">2<', page)
    assert re.search(r'id="total-attendees">45<', page)
    assert re.search(r'id="total-hours">16.5<', page)
    # March, an empty April and May: three bars in each chart, with their numbers.
    attendees_chart = page[page.index('id="chart-attendees"') : page.index("</svg>")]
    assert attendees_chart.count("<rect") == 3
    assert "<title>2026.03: 15</title>" in attendees_chart
    assert "<title>2026.04: 0</title>" in attendees_chart
    assert "<title>2026.05: 30</title>" in attendees_chart
    assert page.count("<tr>") == 4  # header and three months
    assert "빈 점포 공유부엌" in page


def test_organisation_without_events_says_so(personas, organization):
    response = page_client(personas["resident"]).get(
        f"/en/organizations/{organization.pk}/participation/"
    )

    assert "No participation has been recorded yet." in response.content.decode()
    assert "<svg" not in response.content.decode()


def test_unknown_organisation_is_not_found(personas):
    assert (
        page_client(personas["resident"])
        .get("/ko/organizations/999999/participation/")
        .status_code
        == 404
    )


def test_commenting_page_shares_the_api_limit(personas, project, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "comment", "2/min")
    client = page_client(personas["resident"])

    statuses = [
        client.post(action_url(project, "comments"), {"body": f"댓글 {n}"}).status_code
        for n in range(3)
    ]

    assert statuses == [302, 302, 429]
    assert Comment.objects.filter(project=project).count() == 2


def test_many_accounts_from_one_address_share_the_page_support_limit(
    personas, project, monkeypatch
):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "support_ip", "2/min")
    residents = [personas["resident"], personas["org_member"], personas["city_viewer"]]

    statuses = [
        page_client(user)
        .post(action_url(project, "support"), {"action": "add"})
        .status_code
        for user in residents
    ]

    assert statuses == [302, 302, 429]
    assert ProjectSupport.objects.filter(project=project).count() == 2


def test_project_map_legend_names_every_colour_the_map_uses(city, client):
    """The map colours projects by status (static/js/project-map.js): each of those
    colours has a legend entry on the page and a swatch in the stylesheet."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = (root / "static/js/project-map.js").read_text()
    table = script[script.index("STATUS_COLOURS = {") : script.index("};")]
    coloured = dict(re.findall(r'(\w+): "(#[0-9a-f]{6})"', table))
    stylesheet = (root / "static/css/site.css").read_text()

    page = client.get(f"/ko/cities/{city.code}/projects/").content.decode()

    assert coloured
    for status, colour in coloured.items():
        assert f'class="legend-status-{status}"' in page, status
        rule = re.search(
            rf"\.legend-status-{status}::before[^{{]*\{{ background: (#[0-9a-f]{{6}}); \}}",
            stylesheet,
        )
        assert rule and rule.group(1) == colour, status
