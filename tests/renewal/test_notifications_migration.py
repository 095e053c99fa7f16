"""Notifications from before kinds had parameters read in one language after the
migration; the ones whose event is gone keep their earlier text."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

BEFORE = ("renewal", "0011_downtown_health_counts_fill")
AFTER = ("renewal", "0012_notification_params")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def test_earlier_notifications_are_rebuilt_from_their_events(city):
    from renewal.models import Notification

    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    Project = old.get_model("renewal", "RenewalProject")
    Transition = old.get_model("renewal", "ProjectTransition")
    OldNotification = old.get_model("renewal", "Notification")
    user = User.objects.create(username="reader")
    project = Project.objects.create(
        title="공유부엌",
        description="",
        municipality_id=city.pk,
        place=city.location,
        category="village_renewal",
        proposer=user,
    )
    transition = Transition.objects.create(
        project=project, from_status="under_review", to_status="rejected", reason="예산"
    )
    glued = "“공유부엌”의 상태가 “반려됨”(으)로 바뀌었습니다. / “공유부엌” is now “Rejected”."
    OldNotification.objects.create(
        user=user,
        kind="status_changed",
        event_key=f"status:{transition.pk}",
        project=project,
        message=glued,
    )
    OldNotification.objects.create(
        user=user, kind="comment_reply", event_key="reply:999999", message="옛 / old"
    )

    # PostgreSQL alters a table only once its rows' deferred checks have run; the
    # test's transaction (rolled back at the end, schema included) defers them.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migrate(AFTER)

    rebuilt = Notification.objects.get(event_key=f"status:{transition.pk}")
    assert rebuilt.params == {
        "title": "공유부엌",
        "status": "rejected",
        "reason": "예산",
    }
    with translation.override("en"):
        assert rebuilt.message == "“공유부엌” is now “Rejected”. Reason: 예산"
    orphan = Notification.objects.get(event_key="reply:999999")
    assert (orphan.params, orphan.message) == ({}, "옛 / old")
