"""What a city's staff hear of: new proposals in their city, matches answered,
use agreements ending, reported content (with the site's moderators), and the end
of an import they started. Each once, never the one who acted, never another city's
staff; e-mail in each recipient's own language.

Events go through the services and their after-commit hooks, as in production
(tasks run in-process); the producer is then run again to show it adds nothing.
"""

import datetime
import re

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from renewal.models import (
    EmailMode,
    Match,
    Notification,
    NotificationKind,
    NotificationPreference,
    UseAgreement,
)
from renewal.services.engagement import content_report
from renewal.services.imports import space_import_create, space_import_run
from renewal.services.matching.matches import match_accept, match_decline
from renewal.services.notifications import (
    notifications_for_city_proposal,
    notifications_for_ending_agreements,
    notifications_for_import,
    notifications_for_match_status,
    notifications_for_report,
)
from renewal.services.projects import renewal_project_propose
from renewal.tasks import notifications_for_ending_agreements_task
from tests.factories import CommentFactory, MatchFactory, RenewalProjectFactory

HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def recipients(kind: str) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=kind).values_list("user__username", flat=True)
    )


def prefer(user, *, language: str, email_mode: str = EmailMode.IMMEDIATE) -> None:
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"language": language, "email_mode": email_mode}
    )


def propose(proposer, city):
    return renewal_project_propose(
        proposer=proposer,
        municipality=city,
        data={
            "title": "시장 빈 점포 공유부엌",
            "description": "주민 공유부엌",
            "category": "village_renewal",
            "place": Point(city.location.x, city.location.y, srid=4326),
        },
    )


def test_a_new_proposal_tells_the_staff_of_its_city_once(
    personas, city, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        project = propose(personas["resident"], city)

    assert recipients(NotificationKind.CITY_PROPOSAL) == ["city_editor", "city_viewer"]
    # Both were e-mailed already: a second run has nothing new to send.
    assert notifications_for_city_proposal(project_id=project.pk) == []
    assert Notification.objects.filter(kind=NotificationKind.CITY_PROPOSAL).count() == 2
    notification = Notification.objects.get(user=personas["city_editor"])
    assert notification.project == project
    assert notification.get_absolute_url() == f"/ko/projects/{project.pk}/"


def test_staff_who_propose_are_not_told_of_their_own_proposal(
    personas, city, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        propose(personas["city_editor"], city)

    assert recipients(NotificationKind.CITY_PROPOSAL) == ["city_viewer"]


@pytest.fixture
def offered(personas, city):
    project = RenewalProjectFactory(
        municipality=city, proposer=personas["resident"], status="approved"
    )
    return MatchFactory(project=project, status="offered")


AGREEMENT = {"kind": "lease", "start_date": datetime.date(2027, 1, 1)}


def test_an_accepted_match_tells_the_city_staff_not_the_proposer(
    personas, offered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        match_accept(actor=personas["resident"], match=offered, agreement=AGREEMENT)

    assert recipients(NotificationKind.MATCH_STATUS) == ["city_editor", "city_viewer"]
    notification = Notification.objects.get(user=personas["city_viewer"])
    assert notification.event_key == f"match:{offered.pk}:accepted"
    assert notification.params["status"] == "accepted"
    assert notification.get_absolute_url().endswith(f"/matches/{offered.pk}/")
    notifications_for_match_status(
        match_id=offered.pk, status="accepted", actor_id=personas["resident"].pk
    )
    assert Notification.objects.filter(kind=NotificationKind.MATCH_STATUS).count() == 2


def test_a_match_declined_by_an_editor_tells_the_other_staff_only(
    personas, offered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        match_decline(actor=personas["city_editor"], match=offered)

    assert recipients(NotificationKind.MATCH_STATUS) == ["city_viewer"]
    with translation.override("en"):
        message = Notification.objects.get().message
    assert "“Declined”" in message


def agreement_ending_in(days: int, *, city, status: str = "active") -> Match:
    project = RenewalProjectFactory(municipality=city, status="in_progress")
    match = MatchFactory(project=project, status=status)
    today = timezone.localdate()
    UseAgreement.objects.create(
        match=match,
        kind="meanwhile",
        start_date=today - datetime.timedelta(days=300),
        end_date=today + datetime.timedelta(days=days),
    )
    return match


def test_agreements_ending_within_60_days_tell_their_city_staff_once_a_day(
    personas, city, other_city
):
    soon = agreement_ending_in(59, city=city)
    agreement_ending_in(61, city=city)
    agreement_ending_in(10, status="ended", city=city)
    elsewhere = agreement_ending_in(20, city=other_city)

    notifications_for_ending_agreements_task.apply()
    notifications_for_ending_agreements()

    by_match = {
        (n.params["match"], n.user.username)
        for n in Notification.objects.filter(kind=NotificationKind.AGREEMENT_ENDING)
    }
    assert by_match == {
        (soon.pk, "city_editor"),
        (soon.pk, "city_viewer"),
        (elsewhere.pk, "other_city_editor"),
    }
    # A new end date is news again.
    UseAgreement.objects.filter(match=soon).update(
        end_date=timezone.localdate() + datetime.timedelta(days=45)
    )
    notifications_for_ending_agreements()
    assert (
        Notification.objects.filter(
            kind=NotificationKind.AGREEMENT_ENDING, params__match=soon.pk
        ).count()
        == 4
    )


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_finished_import_tells_whoever_started_it(
    personas, city, _media, django_capture_on_commit_callbacks
):
    survey = SimpleUploadedFile(
        "조사.csv",
        b"external_id,kind,longitude,latitude\nX-1,castle,128.59,35.87\n",
    )
    with django_capture_on_commit_callbacks(execute=True):
        space_import = space_import_create(
            actor=personas["city_editor"],
            municipality=city,
            uploaded_file=survey,
            run_in_background=False,
        )
        space_import_run(space_import=space_import)

    assert space_import.status == "failed"
    assert recipients(NotificationKind.IMPORT_FINISHED) == ["city_editor"]
    notifications_for_import(import_id=space_import.pk)
    notification = Notification.objects.get()
    assert notification.params["rejected"] == 1
    with translation.override("en"):
        assert "“조사.csv” failed" in notification.message
        assert notification.get_absolute_url() == f"/en/cities/{city.code}/spaces/list/"


def test_a_report_tells_moderators_and_the_city_staff_once_per_open_case(
    personas, city, django_capture_on_commit_callbacks
):
    project = RenewalProjectFactory(municipality=city, title="공유부엌")
    comment = CommentFactory(project=project)

    with django_capture_on_commit_callbacks(execute=True):
        first, _created = content_report(
            reporter=personas["resident"], content=comment, reason="광고입니다"
        )
        content_report(reporter=personas["org_member"], content=comment, reason="광고")
    notifications_for_report(report_id=first.pk)

    assert recipients(NotificationKind.CONTENT_REPORTED) == [
        "city_editor",
        "city_viewer",
        "site_moderator",
    ]
    notification = Notification.objects.get(user__username="site_moderator")
    assert notification.get_absolute_url().endswith(
        f"/projects/{project.pk}/#comment-{comment.pk}"
    )
    with translation.override("ko"):
        assert notification.message == "“공유부엌”의 댓글이 신고되었습니다: 광고입니다"


def test_a_moderator_who_reports_is_not_told_of_their_own_report(
    personas, city, django_capture_on_commit_callbacks
):
    project = RenewalProjectFactory(municipality=city)

    with django_capture_on_commit_callbacks(execute=True):
        content_report(
            reporter=personas["moderator"], content=project, reason="중복 제안"
        )

    assert recipients(NotificationKind.CONTENT_REPORTED) == [
        "city_editor",
        "city_viewer",
    ]


def test_staff_email_is_written_in_each_recipients_language(
    personas, city, django_capture_on_commit_callbacks
):
    personas["city_editor"].email = "editor@example.kr"
    personas["city_viewer"].email = "viewer@example.kr"
    for user in (personas["city_editor"], personas["city_viewer"]):
        user.save()
    prefer(personas["city_editor"], language="en")
    prefer(personas["city_viewer"], language="ko")

    with django_capture_on_commit_callbacks(execute=True):
        propose(personas["resident"], city)

    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["editor@example.kr", "viewer@example.kr"]
    english, korean = by_address["editor@example.kr"], by_address["viewer@example.kr"]
    assert english.subject == "A new proposal in your city"
    assert "Village renewal" in english.body
    # The title is the proposer's own words; everything else is English.
    assert not HANGUL.search(english.body.replace("시장 빈 점포 공유부엌", ""))
    assert korean.subject == "담당 지역에 새 제안이 접수되었습니다"
    assert "마을재생" in korean.body
    assert not LATIN_WORD.search(korean.subject + korean.body)


def test_the_end_reminder_reaches_each_recipient_in_their_language(
    personas, city, lead_organization
):
    """The reminder before an agreement ends (renewal/services/matching) goes to
    the proposer and the lead organisation, each in their own language."""
    from renewal.services.matching.matches import use_agreement_reminders_send

    proposer, member = personas["resident"], personas["lead_org_member"]
    prefer(member, language="en")
    project = RenewalProjectFactory(
        municipality=city,
        proposer=proposer,
        status="in_progress",
        lead_organization=lead_organization,
    )
    match = MatchFactory(project=project, status="active")
    today = timezone.localdate()
    UseAgreement.objects.create(
        match=match,
        kind="lease",
        start_date=today - datetime.timedelta(days=300),
        end_date=today + datetime.timedelta(days=5),
    )

    assert use_agreement_reminders_send(today=today) == 1

    by_address = {message.to[0]: message for message in mail.outbox}
    korean, english = by_address[proposer.email], by_address[member.email]
    assert korean.subject.startswith("사용 협약이")
    assert not LATIN_WORD.search(korean.subject + korean.body)
    assert english.subject.startswith("Your use agreement ends")
    assert not HANGUL.search(english.subject + english.body.replace(project.title, ""))
