"""Notifications as people read them: each text in one language (the page's in the
app and the API, the stored one by e-mail), the unread badge in the header of every
page, the notifications page, and the language a user's e-mail follows."""

import re
import uuid

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from renewal.models import (
    AgreementKind,
    ImportStatus,
    MatchStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    ProjectCategory,
    ProjectStatus,
)
from renewal.services.notifications import notification_emails_send_immediate
from tests.factories import PASSWORD, UserFactory
from tests.helpers import api_client, page_client

HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Values typed by people (titles, reasons, file names) are neither language.
TYPED = "◆"


def _params_of_every_shape():
    """(kind, params) covering every kind with every status, category and action
    it can name: a label missing from a catalogue shows up as the other language."""
    base = {"title": TYPED, "reason": TYPED}
    city = {"city_ko": "영주시", "city_en": "Yeongju"}
    for status in ProjectStatus.values:
        yield NotificationKind.STATUS_CHANGED, {**base, "status": status}
    yield NotificationKind.PROGRESS_UPDATE, {**base, "percent": 40, "milestone": TYPED}
    yield NotificationKind.COMMENT_REPLY, {**base, "comment": 3}
    for category in ProjectCategory.values:
        yield NotificationKind.NEW_PROJECT_NEARBY, {**base, "category": category}
        yield NotificationKind.CITY_PROPOSAL, {**base, "category": category, **city}
    for content in ("project", "comment"):
        for action in ("hide", "unhide"):
            yield (
                NotificationKind.CONTENT_HIDDEN,
                {**base, "content": content, "action": action},
            )
        yield NotificationKind.CONTENT_REPORTED, {**base, "content": content}
    space = {"match": 5, "space": 9, "address": ""}
    for status in MatchStatus.values:
        yield NotificationKind.MATCH_STATUS, {**base, **space, "status": status}
    for kind in AgreementKind.values:
        yield (
            NotificationKind.AGREEMENT_ENDING,
            {**base, **space, "kind": kind, "end_date": "2027-03-31"},
        )
    yield NotificationKind.MATCH_OFFERED, {**base, **space}
    for status in MatchStatus.values:
        yield NotificationKind.OWNED_SPACE_MATCH, {**base, **space, "status": status}
    for claim in ({"space": 9, "address": ""}, {"space": None, "address": TYPED}):
        yield (
            NotificationKind.OWNERSHIP_CLAIM,
            {"claim": 2, "status": "pending", "city_code": "47210", **city, **claim},
        )
        for status in ("verified", "rejected"):
            yield (
                NotificationKind.CLAIM_DECIDED,
                {"claim": 2, "status": status, "reason": TYPED, **claim},
            )
        yield (
            NotificationKind.CLAIM_DECIDED,
            {**claim, "claim": 2, "status": "rejected", "superseded": True},
        )
    yield (
        NotificationKind.SURVEY_CONFLICT,
        {
            "observation": 4,
            "space": 9,
            "address": "",
            "surveyor": TYPED,
            "round": TYPED,
            "city_code": "47210",
        },
    )
    for status in ImportStatus.values:
        yield (
            NotificationKind.IMPORT_FINISHED,
            {
                "import": 1,
                "file": TYPED,
                "status": status,
                "created": 3,
                "updated": 1,
                "rejected": 2,
                "city_code": "47210",
            },
        )
    yield (
        NotificationKind.SURVEY_CONFLICT,
        {
            "observation": 1,
            "space": 9,
            "address": "",
            "surveyor": TYPED,
            "round": TYPED,
            "city_code": "47210",
        },
    )


SHAPES = list(_params_of_every_shape())


def test_every_kind_covers_a_shape():
    assert {kind for kind, _params in SHAPES} == set(NotificationKind.values)


@pytest.mark.parametrize(("kind", "params"), SHAPES)
def test_each_text_is_in_the_readers_language_only(kind, params):
    notification = Notification(kind=kind, params=params)

    with translation.override("ko"):
        korean = " ".join(
            [
                notification.message,
                notification.subject,
                notification.get_kind_display(),
            ]
        )
    with translation.override("en"):
        english = " ".join(
            [
                notification.message,
                notification.subject,
                notification.get_kind_display(),
            ]
        )

    # "BID" is the programme's own name in Korean too (원도심 상권 활성화 / BID).
    assert not LATIN_WORD.search(korean.replace("BID", "")), korean
    assert HANGUL.search(korean), korean
    assert not HANGUL.search(english), english
    assert LATIN_WORD.search(english), english


def notify(user, n: int = 1, *, title: str = "공유부엌") -> list[Notification]:
    return [
        Notification.objects.create(
            user=user,
            kind=NotificationKind.STATUS_CHANGED,
            event_key=f"test:{uuid.uuid4().hex}",
            params={"title": f"{title} {i}", "status": "approved", "reason": ""},
        )
        for i in range(n)
    ]


def test_the_api_writes_each_message_in_the_request_language(resident):
    (notification,) = notify(resident)
    client = api_client(resident)

    korean = client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="ko").json()
    english = client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert (
        korean["results"][0]["message"]
        == "“공유부엌 0”의 상태가 “승인됨”(으)로 바뀌었습니다."
    )
    assert english["results"][0]["message"] == "“공유부엌 0” is now “Approved”."
    assert english["results"][0]["params"]["status"] == "approved"
    assert english["results"][0]["link"] == notification.get_absolute_url().replace(
        "/ko/", "/en/"
    )


def test_email_is_written_in_the_recipients_stored_language(resident):
    english_reader = UserFactory()
    NotificationPreference.objects.create(user=english_reader, language="en")
    ids = [n.pk for n in notify(resident) + notify(english_reader)]

    with translation.override("en"):  # the worker's language decides nothing
        notification_emails_send_immediate(notification_ids=ids)

    by_address = {message.to[0]: message for message in mail.outbox}
    korean, english = by_address[resident.email], by_address[english_reader.email]
    assert "승인됨" in korean.body and not LATIN_WORD.search(
        korean.subject + korean.body
    )
    assert "Approved" in english.body
    assert not HANGUL.search(english.subject + english.body.replace("공유부엌", ""))


# The badge


def badge(html: str) -> str:
    found = re.search(r'<a [^>]*id="notification-badge".*?</a>', html, re.S)
    return found.group(0) if found else ""


def test_the_badge_shows_the_unread_count_on_an_ordinary_page(resident):
    notify(resident, 3)
    Notification.objects.filter(pk=notify(resident)[0].pk).update(
        read_at=timezone.now()
    )
    notify(UserFactory(), 5)

    korean = page_client(resident).get("/ko/map/").content.decode()
    english = page_client(resident).get("/en/map/").content.decode()

    assert 'href="/ko/notifications/"' in badge(korean)
    assert '<span class="notification-count" aria-hidden="true">3</span>' in badge(
        korean
    )
    # What a screen reader says: the link's words without the hidden number.
    spoken = re.sub(r"<span[^>]*aria-hidden[^>]*>.*?</span>", "", badge(korean))
    assert re.sub(r"<[^>]+>", "", spoken).split() == ["알림", "3건", "읽지", "않음"]
    assert "3 unread" in badge(english)


def test_the_badge_costs_one_indexed_query_whatever_the_count(resident):
    def notification_queries(unread: int) -> list[str]:
        Notification.objects.filter(user=resident).delete()
        notify(resident, unread)
        with CaptureQueriesContext(connection) as queries:
            page_client(resident).get("/ko/map/")
        return [q["sql"] for q in queries if '"renewal_notification"' in q["sql"]]

    one, many = notification_queries(1), notification_queries(40)

    assert len(one) == len(many) == 1
    assert many[0].startswith("SELECT COUNT(*)")
    with connection.cursor() as cursor:
        # A table this small is read whole; what matters is that the index answers
        # once the table is large.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + many[0])
        plan = " ".join(row[0] for row in cursor.fetchall())
    # (user, read_at) or user alone: either index finds one user's rows.
    assert "Index" in plan and "Seq Scan" not in plan


def test_visitors_see_no_badge_and_cost_no_notification_query(db):
    with CaptureQueriesContext(connection) as queries:
        html = page_client().get("/ko/map/").content.decode()

    assert badge(html) == ""
    assert not any('"renewal_notification"' in q["sql"] for q in queries)


# The notifications page


def test_the_page_lists_newest_first_in_pages_of_twenty(resident):
    notify(resident, 21, title="빈집")
    client = page_client(resident)

    first = client.get("/ko/notifications/").content.decode()
    second = client.get("/ko/notifications/", {"page": 2}).content.decode()

    assert first.count('class="notification-item unread"') == 20
    assert first.index("빈집 20") < first.index("빈집 19")
    assert "빈집 0" in second and "빈집 0" not in first
    assert "“빈집 20”의 상태가 “승인됨”(으)로 바뀌었습니다." in first
    english = client.get("/en/notifications/").content.decode()
    assert "“빈집 20” is now “Approved”." in english


def test_the_page_costs_the_same_queries_for_one_row_as_for_twenty(resident):
    def queries_for(rows: int) -> int:
        Notification.objects.filter(user=resident).delete()
        notify(resident, rows)
        with CaptureQueriesContext(connection) as queries:
            response = page_client(resident).get("/ko/notifications/")
        assert response.content.decode().count('class="notification-item') == rows
        return len(queries)

    assert queries_for(1) == queries_for(20)


def test_marking_one_read_keeps_the_page_and_changes_only_that_one(resident):
    notifications = notify(resident, 21)
    target = notifications[0]  # the oldest: on page 2
    client = page_client(resident)

    response = client.post(f"/ko/notifications/{target.pk}/read/", {"page": "2"})

    assert response.status_code == 302
    assert response["Location"] == "/ko/notifications/?page=2"
    assert list(
        Notification.objects.filter(read_at__isnull=False).values_list("pk", flat=True)
    ) == [target.pk]
    page = client.get("/ko/notifications/?page=2").content.decode()
    assert f'action="/ko/notifications/{target.pk}/read/"' not in page
    assert '<span class="notification-count" aria-hidden="true">20</span>' in page


def test_marking_all_read_empties_the_badge_and_leaves_others_alone(resident):
    notify(resident, 3)
    (theirs,) = notify(UserFactory())
    client = page_client(resident)

    response = client.post("/ko/notifications/read/", {"page": "javascript:x"})

    assert response["Location"] == "/ko/notifications/"
    assert not Notification.objects.filter(user=resident, read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    page = client.get("/ko/notifications/").content.decode()
    assert "notification-count" not in badge(page)
    assert "모든 알림을 읽음으로 표시했습니다." in page


def test_another_users_notification_cannot_be_marked_and_get_changes_nothing(
    resident,
):
    (theirs,) = notify(UserFactory())
    (mine,) = notify(resident)
    client = page_client(resident)

    assert client.post(f"/ko/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/ko/notifications/{mine.pk}/read/").status_code == 405
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_the_page_asks_visitors_to_sign_in(db):
    response = page_client().get("/ko/notifications/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# The language e-mail follows


def stored_language(user) -> str | None:
    return (
        NotificationPreference.objects.filter(user=user)
        .values_list("language", flat=True)
        .first()
    )


def test_signing_up_in_english_stores_english(db):
    response = page_client().post(
        "/en/accounts/signup/",
        {
            "username": "newcomer",
            "email": "newcomer@example.kr",
            "password1": "Maeul-jaesaeng-2026!",
            "password2": "Maeul-jaesaeng-2026!",
        },
    )

    assert response.status_code == 302
    from django.contrib.auth.models import User

    assert stored_language(User.objects.get(username="newcomer")) == "en"


def test_signing_in_and_switching_language_store_the_choice(resident):
    NotificationPreference.objects.create(user=resident, email_mode="off")
    client = page_client()

    signed_in = client.post(
        "/en/accounts/login/",
        {"username": resident.username, "password": PASSWORD},
    )
    assert signed_in.status_code == 302
    assert stored_language(resident) == "en"

    switched = client.post("/i18n/setlang/", {"language": "ko", "next": "/map/"})
    assert switched.status_code == 302
    assert stored_language(resident) == "ko"
    # The rest of the preference is untouched.
    assert resident.notification_preference.email_mode == "off"

    client.post("/i18n/setlang/", {"language": "fr", "next": "/map/"})
    assert stored_language(resident) == "ko"


def test_visitors_switch_language_as_before(db):
    response = page_client().post("/i18n/setlang/", {"language": "en", "next": "/map/"})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    assert not NotificationPreference.objects.exists()
