import datetime
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import Point, Polygon
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone, translation
from rest_framework.test import APIClient

from renewal.models import (
    AreaFollow,
    Comment,
    EmailMode,
    ModerationAction,
    ModerationLog,
    Notification,
    NotificationKind,
    NotificationPreference,
    ProgressUpdate,
    ProjectFollow,
    ProjectStatus,
    ProjectTransition,
)
from renewal.selectors.spaces import METRES_PER_DEGREE_LATITUDE
from renewal.services.notifications import (
    enqueue_transition_notifications,
    notification_digest_send,
    notification_emails_send_immediate,
    notifications_for_comment,
    notifications_for_moderation,
    notifications_for_new_project,
    notifications_for_progress_update,
    notifications_for_transition,
)
from renewal.services.projects import renewal_project_transition
from renewal.tasks import (
    notification_digests_send_task,
    notification_emails_send_task,
    notifications_for_transition_task,
)
from tests.email_backends import HeldOpenBackend
from tests.factories import RenewalProjectFactory, UserFactory
from tests.helpers import HANG_GUARD_SECONDS, api_client, count_queries


def recipients(event_key: str) -> set[str]:
    return set(
        Notification.objects.filter(event_key=event_key).values_list(
            "user__username", flat=True
        )
    )


def follow(project, *users) -> None:
    for user in users:
        ProjectFollow.objects.create(project=project, user=user)


def prefer(user, mode: str) -> None:
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_mode": mode}
    )


@pytest.fixture
def project(personas, city):
    return RenewalProjectFactory(
        municipality=city, proposer=UserFactory(username="proposer"), title="공유부엌"
    )


@pytest.fixture
def followers(project, personas):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    # The reviewer follows too: they still are not told of their own step.
    follow(project, alice, bob, personas["city_editor"])
    return alice, bob


def review(project, actor, to=ProjectStatus.UNDER_REVIEW, reason="") -> int:
    renewal_project_transition(actor=actor, project=project, to=to, reason=reason)
    return ProjectTransition.objects.filter(project=project).latest("id").pk


def test_status_change_notifies_followers_and_proposer_not_the_actor(
    personas, project, followers
):
    transition_id = review(project, personas["city_editor"])

    notifications_for_transition(transition_id=transition_id)

    assert recipients(f"status:{transition_id}") == {"proposer", "alice", "bob"}
    notification = Notification.objects.get(user__username="alice")
    assert notification.kind == NotificationKind.STATUS_CHANGED
    assert notification.project == project
    assert "공유부엌" in notification.message


def test_status_message_is_written_in_the_readers_language_with_the_reason(
    personas, project, followers
):
    review(project, personas["city_editor"])
    transition_id = review(
        project, personas["city_editor"], ProjectStatus.REJECTED, "예산 부족"
    )

    notifications_for_transition(transition_id=transition_id)

    notification = Notification.objects.get(
        event_key=f"status:{transition_id}", user__username="proposer"
    )
    with translation.override("ko"):
        korean = notification.message
    with translation.override("en"):
        english = notification.message
    assert "반려됨" in korean and "Rejected" not in korean
    assert "Rejected" in english and "반려됨" not in english
    assert "예산 부족" in korean and "예산 부족" in english


def test_running_a_producer_twice_creates_nothing_new(personas, project, followers):
    transition_id = review(project, personas["city_editor"])

    first = notifications_for_transition(transition_id=transition_id)
    second = notifications_for_transition(transition_id=transition_id)

    assert Notification.objects.count() == 3
    assert sorted(first) == sorted(second)


def test_progress_update_notifies_followers_and_proposer_not_its_author(
    personas, project, followers
):
    update = ProgressUpdate.objects.create(
        project=project,
        author=personas["city_editor"],
        text="설계 완료",
        percent_complete=40,
        milestone="설계",
    )

    notifications_for_progress_update(update_id=update.pk)
    notifications_for_progress_update(update_id=update.pk)

    assert recipients(f"progress:{update.pk}") == {"proposer", "alice", "bob"}
    assert Notification.objects.count() == 3
    assert "40%" in Notification.objects.first().message


def test_reply_notifies_the_parent_author_only(project, followers):
    alice, bob = followers
    parent = Comment.objects.create(project=project, author=alice, body="좋아요")
    reply = Comment.objects.create(
        project=project, author=bob, parent=parent, body="저도요"
    )

    notifications_for_comment(comment_id=reply.pk)
    notifications_for_comment(comment_id=reply.pk)

    assert recipients(f"reply:{reply.pk}") == {"alice"}
    assert Notification.objects.count() == 1
    assert Notification.objects.get().kind == NotificationKind.COMMENT_REPLY


def test_top_level_comments_and_replies_to_oneself_notify_nobody(project, followers):
    alice, _bob = followers
    parent = Comment.objects.create(project=project, author=alice, body="좋아요")
    own_reply = Comment.objects.create(
        project=project, author=alice, parent=parent, body="덧붙여"
    )

    notifications_for_comment(comment_id=parent.pk)
    notifications_for_comment(comment_id=own_reply.pk)

    assert not Notification.objects.exists()


def metres_north(point: Point, metres: float) -> Point:
    return Point(point.x, point.y + metres / METRES_PER_DEGREE_LATITUDE, srid=4326)


def metres_east(point: Point, metres: float) -> Point:
    import math

    degrees = metres / (METRES_PER_DEGREE_LATITUDE * math.cos(math.radians(point.y)))
    return Point(point.x + degrees, point.y, srid=4326)


def test_new_project_notifies_area_followers_within_their_radius_in_metres(city):
    site = Point(128.5, 36.0, srid=4326)
    proposer = UserFactory(username="proposer")

    def follows(username, distance_m, radius_m, category="", east=False):
        user = UserFactory(username=username)
        move = metres_east if east else metres_north
        AreaFollow.objects.create(
            user=user,
            center=move(site, distance_m),
            radius_m=radius_m,
            category=category,
        )

    follows("inside", 900, 1000)
    follows("inside_east", 950, 1000, east=True)
    follows("outside", 1100, 1000)
    follows("outside_east", 1100, 1000, east=True)
    follows("far_big_circle", 19_000, 20_000)
    follows("same_category", 500, 1000, category="village_renewal")
    follows("other_category", 500, 1000, category="smart_city")
    AreaFollow.objects.create(user=proposer, center=site, radius_m=1000)
    project = RenewalProjectFactory(
        municipality=city, proposer=proposer, place=site, category="village_renewal"
    )

    notifications_for_new_project(project_id=project.pk)
    notifications_for_new_project(project_id=project.pk)

    assert recipients(f"new_project:{project.pk}") == {
        "inside",
        "inside_east",
        "far_big_circle",
        "same_category",
    }
    assert Notification.objects.count() == 4


def test_an_area_project_reaches_followers_near_its_edge(city):
    corner = Point(128.5, 36.0, srid=4326)
    edge = metres_east(metres_north(corner, 2000), 2000)
    area = Polygon.from_bbox((corner.x, corner.y, edge.x, edge.y))
    area.srid = 4326
    near_edge = UserFactory(username="near_edge")
    AreaFollow.objects.create(
        user=near_edge, center=metres_north(edge, 800), radius_m=1000
    )
    project = RenewalProjectFactory(municipality=city, place=area)

    notifications_for_new_project(project_id=project.pk)

    assert recipients(f"new_project:{project.pk}") == {"near_edge"}


def test_moderation_tells_the_author_the_reason(project, followers):
    alice, _bob = followers
    moderator = UserFactory(username="moderator")
    moderator.groups.add(Group.objects.get_or_create(name="moderators")[0])
    comment = Comment.objects.create(project=project, author=alice, body="광고")
    log = ModerationLog.objects.create(
        content_type=ContentType.objects.get_for_model(Comment),
        object_id=comment.pk,
        action=ModerationAction.HIDE,
        reason="상업 광고",
        moderator=moderator,
    )

    notifications_for_moderation(log_id=log.pk)
    notifications_for_moderation(log_id=log.pk)

    notification = Notification.objects.get()
    assert notification.user == alice
    assert notification.kind == NotificationKind.CONTENT_HIDDEN
    assert "상업 광고" in notification.message


def test_moderation_of_a_proposal_tells_its_proposer(project):
    log = ModerationLog.objects.create(
        content_type=ContentType.objects.get_for_model(project),
        object_id=project.pk,
        action=ModerationAction.UNHIDE,
        reason="검토 결과 문제 없음",
    )

    notifications_for_moderation(log_id=log.pk)

    assert recipients(f"moderation:{log.pk}") == {"proposer"}


# E-mail


def test_immediate_emails_go_out_once_even_if_sent_twice(personas, project, followers):
    alice, bob = followers
    prefer(bob, EmailMode.DAILY_DIGEST)
    prefer(project.proposer, EmailMode.OFF)
    ids = notifications_for_transition(
        transition_id=review(project, personas["city_editor"])
    )

    sent = notification_emails_send_immediate(notification_ids=ids)
    again = notification_emails_send_immediate(notification_ids=ids)

    assert (sent, again) == (1, 0)
    assert [message.to for message in mail.outbox] == [[alice.email]]
    assert "공유부엌" in mail.outbox[0].body
    assert Notification.objects.get(user=alice).emailed_at is not None
    assert Notification.objects.get(user=bob).emailed_at is None


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_email_once(
    personas, project, followers, settings
):
    """The second sender runs while the first holds its notification, mid-send. A
    sender that reads the notification without locking it sends it again."""
    settings.EMAIL_BACKEND = "tests.email_backends.HeldOpenBackend"
    HeldOpenBackend.sending.clear()
    HeldOpenBackend.release.clear()
    prefer(project.proposer, EmailMode.OFF)
    prefer(followers[1], EmailMode.OFF)
    # Logged directly: the service would also send the e-mails on commit.
    transition_id = ProjectTransition.objects.create(
        project=project,
        from_status=ProjectStatus.PROPOSED,
        to_status=ProjectStatus.UNDER_REVIEW,
        actor=personas["city_editor"],
    ).pk
    ids = notifications_for_transition(transition_id=transition_id)
    second_pid = []

    def send(pids=None):
        try:
            if pids is not None:
                connection.ensure_connection()
                pids.append(connection.connection.info.backend_pid)
            notification_emails_send_immediate(notification_ids=ids)
        finally:
            connection.close()

    first = threading.Thread(target=send)
    second = threading.Thread(target=send, kwargs={"pids": second_pid})
    try:
        first.start()
        assert HeldOpenBackend.sending.wait(HANG_GUARD_SECONDS)
        second.start()
        # The second sender finishes (it skips the locked row), or waits for the
        # lock (a plain FOR UPDATE); either way it has decided.
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        while second.is_alive() and not waits_for_a_lock(second_pid):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        HeldOpenBackend.release.set()
        first.join(HANG_GUARD_SECONDS)
        second.join(HANG_GUARD_SECONDS)

    assert [message.to for message in mail.outbox] == [[followers[0].email]]
    assert Notification.objects.get(user=followers[0]).emailed_at is not None


def waits_for_a_lock(pids: list[int]) -> bool:
    if not pids:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
            [pids[0]],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def test_preference_off_sends_no_email_at_all(personas, project):
    prefer(project.proposer, EmailMode.OFF)
    ids = notifications_for_transition(
        transition_id=review(project, personas["city_editor"])
    )

    notification_emails_send_immediate(notification_ids=ids)
    listed = notification_digest_send(
        user_id=project.proposer.pk, day=timezone.localdate()
    )

    assert listed == 0
    assert mail.outbox == []
    assert Notification.objects.filter(user=project.proposer).exists()


def test_digest_collects_the_days_notifications_into_one_mail(personas, project):
    proposer = project.proposer
    prefer(proposer, EmailMode.DAILY_DIGEST)
    NotificationPreference.objects.filter(user=proposer).update(language="en")
    editor = personas["city_editor"]
    first = review(project, editor)
    second = review(project, editor, ProjectStatus.APPROVED)
    third = review(project, editor, ProjectStatus.IN_PROGRESS)
    for transition_id in (first, second, third):
        notifications_for_transition(transition_id=transition_id)
    # The first happened the day before: it belongs to that day's digest.
    Notification.objects.filter(event_key=f"status:{first}").update(
        created_at=timezone.now() - datetime.timedelta(days=1)
    )
    today = timezone.localdate()

    listed = notification_digest_send(user_id=proposer.pk, day=today)
    again = notification_digest_send(user_id=proposer.pk, day=today)

    assert (listed, again) == (2, 0)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Approved" in body and "In progress" in body
    assert "Under review" not in body
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 1


def test_the_digest_task_mails_every_digest_user_of_the_day(personas, project):
    prefer(project.proposer, EmailMode.DAILY_DIGEST)
    notifications_for_transition(transition_id=review(project, personas["city_editor"]))

    users = notification_digests_send_task.apply(
        kwargs={"day": timezone.localdate().isoformat()}
    ).get()

    assert users == 1
    assert [message.to for message in mail.outbox] == [[project.proposer.email]]


def test_a_committed_transition_notifies_and_mails_through_the_task(
    personas, project, followers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            enqueue_transition_notifications(review(project, personas["city_editor"]))
        # Nothing is queued before the commit.
        assert not Notification.objects.exists()

    assert Notification.objects.count() == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [project.proposer.email, followers[0].email, followers[1].email]
    )


# The retry with a real worker process over Redis.


@pytest.fixture
def email_dir(tmp_path):
    return tmp_path


@pytest.fixture
def notification_worker(celery_worker, email_dir):
    """A worker on a private queue whose mail server refuses each message once."""
    return celery_worker(
        EMAIL_BACKEND="tests.email_backends.FailFirstAttemptBackend",
        TEST_EMAIL_DIR=str(email_dir),
    )


def delivered(email_dir: Path) -> list[str]:
    log = email_dir / "delivered.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.worker
def test_worker_retries_a_refused_email_and_never_sends_twice(
    notification_worker, email_dir, personas, project
):
    alice = UserFactory(username="alice")
    follow(project, alice)
    # Logged directly: the service would also queue the task on commit, to the
    # "notifications" queue that no worker of this test reads.
    transition_id = ProjectTransition.objects.create(
        project=project,
        from_status=ProjectStatus.PROPOSED,
        to_status=ProjectStatus.UNDER_REVIEW,
        actor=personas["city_editor"],
    ).pk

    notifications_for_transition_task.apply_async(
        (transition_id,), queue=notification_worker
    ).get(timeout=HANG_GUARD_SECONDS)
    deadline = time.monotonic() + 60
    while len(delivered(email_dir)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)

    # Each message was refused once (so the task retried) and then delivered once.
    assert sorted(line.split("\t")[0] for line in delivered(email_dir)) == sorted(
        [project.proposer.email, alice.email]
    )
    assert len(list(email_dir.glob("refused-*"))) == 2
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()

    # A redelivered producer and a repeated send change nothing.
    notifications_for_transition_task.apply_async(
        (transition_id,), queue=notification_worker
    ).get(timeout=HANG_GUARD_SECONDS)
    ids = list(Notification.objects.values_list("pk", flat=True))
    again = notification_emails_send_task.apply_async(
        (ids,), queue=notification_worker
    ).get(timeout=HANG_GUARD_SECONDS)

    assert again == 0
    assert len(delivered(email_dir)) == 2
    assert Notification.objects.count() == 2


# In-app API


def notify(user, n: int = 1, **fields) -> list[Notification]:
    return [
        Notification.objects.create(
            user=user,
            kind=NotificationKind.STATUS_CHANGED,
            event_key=f"test:{uuid.uuid4().hex}",
            params={"title": f"Notice {i}", "status": "approved", "reason": ""},
            **fields,
        )
        for i in range(n)
    ]


LIST = "/api/v1/notifications/"


def test_list_shows_only_ones_own_notifications_newest_first(resident):
    older, newer = notify(resident, 2)
    notify(UserFactory())

    body = api_client(resident).get(LIST, HTTP_ACCEPT_LANGUAGE="en").json()

    assert [item["id"] for item in body["results"]] == [newer.pk, older.pk]
    assert body["results"][0]["message"] == "“Notice 1” is now “Approved”."
    assert body["results"][0]["is_read"] is False


def test_unread_filter_and_marking_one_read(resident):
    first, second = notify(resident, 2)
    client = api_client(resident)

    response = client.post(f"{LIST}{first.pk}/read/")
    again = client.post(f"{LIST}{first.pk}/read/")
    unread = client.get(LIST, {"unread": "true"}).json()

    assert response.status_code == 200 and response.json()["is_read"] is True
    assert again.json()["read_at"] == response.json()["read_at"]
    assert [item["id"] for item in unread["results"]] == [second.pk]


def test_another_users_notification_is_404_and_stays_unread(resident):
    (theirs,) = notify(UserFactory())

    response = api_client(resident).post(f"{LIST}{theirs.pk}/read/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_marks_only_ones_own(resident):
    notify(resident, 3)
    (theirs,) = notify(UserFactory())

    response = api_client(resident).post(f"{LIST}read-all/")

    assert response.json() == {"marked": 3}
    assert not Notification.objects.filter(user=resident, read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_email_preference_defaults_to_immediate_and_can_be_changed(resident):
    client = api_client(resident)

    default = client.get(f"{LIST}preferences/").json()
    changed = client.put(
        f"{LIST}preferences/", {"email_mode": "daily_digest"}, format="json"
    )

    assert default == {"email_mode": "immediate", "language": "ko"}
    assert changed.json() == {"email_mode": "daily_digest", "language": "ko"}
    assert resident.notification_preference.email_mode == EmailMode.DAILY_DIGEST


def test_unknown_email_mode_is_400_naming_the_field(resident):
    response = api_client(resident).put(
        f"{LIST}preferences/", {"email_mode": "hourly"}, format="json"
    )

    assert response.status_code == 400
    assert "email_mode" in response.json()["error"]["fields"]
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", LIST),
        ("post", f"{LIST}read-all/"),
        ("get", f"{LIST}preferences/"),
        ("post", f"{LIST}1/read/"),
    ],
)
def test_anonymous_visitors_have_no_notifications(db, method, path):
    response = getattr(APIClient(), method)(path)

    assert response.status_code == 401


def test_list_query_count_does_not_grow_with_rows(resident):
    def queries_for(rows: int) -> int:
        Notification.objects.all().delete()
        notify(resident, rows)
        response, queries = count_queries(api_client(resident), LIST)
        assert len(response.json()["results"]) == rows
        return queries

    assert queries_for(1) == queries_for(20)
