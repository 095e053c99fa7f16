"""Rate limits at their real default rates, and the client address they count.

Nothing here overrides a rate: raising a default in config/settings.py makes these
tests fail, which a test that sets its own rate cannot notice.
"""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from renewal.models import Comment, RenewalProject
from tests.factories import (
    PASSWORD,
    MunicipalityFactory,
    RenewalProjectFactory,
    UserFactory,
)
from tests.helpers import api_client, page_client

TOKEN_URL = "/api/v1/auth/token/"


def _wrong_password(client, user, **headers):
    return client.post(
        TOKEN_URL, {"username": user.username, "password": "wrong"}, **headers
    ).status_code


@pytest.mark.django_db
def test_token_endpoint_allows_ten_attempts_a_minute_per_address(resident):
    client = Client()

    statuses = [_wrong_password(client, resident) for _ in range(11)]

    assert statuses == [400] * 10 + [429]


@pytest.mark.django_db
def test_rotating_x_forwarded_for_does_not_escape_the_token_throttle(resident):
    client = Client()

    statuses = [
        _wrong_password(client, resident, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(11)
    ]
    correct = client.post(
        TOKEN_URL,
        {"username": resident.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )

    assert statuses == [400] * 10 + [429]
    assert correct.status_code == 429


@pytest.mark.django_db
def test_behind_one_trusted_proxy_the_address_it_saw_is_counted(resident, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")

    # The left-hand entries are the client's own words; only the right-most counts.
    spoofed = [
        _wrong_password(
            proxy, resident, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7"
        )
        for n in range(11)
    ]
    neighbour = _wrong_password(
        proxy, resident, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.8"
    )

    assert spoofed == [400] * 10 + [429]
    assert neighbour == 400


@pytest.mark.django_db
def test_proposals_are_limited_to_ten_an_hour_per_user(resident):
    city = MunicipalityFactory()
    client = api_client(resident)
    proposal = {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [city.location.x, city.location.y],
        },
        "properties": {
            "title": "폐교를 마을 도서관으로",
            "description": "문 닫은 초등학교를 주민 도서관으로",
            "municipality": city.code,
            "category": "community_facility",
        },
    }

    def post(body):
        return client.post("/api/v1/projects/", body, format="json").status_code

    # An empty proposal is refused as invalid, and not counted: the corrections of a
    # resident who mistyped do not use up their limit.
    invalid = [post({"municipality": city.code}) for _ in range(5)]
    accepted = [post(proposal) for _ in range(11)]

    assert invalid == [400] * 5
    assert accepted == [201] * 10 + [429]


def _sign_up(client, n: int):
    return client.post(
        "/en/accounts/signup/",
        {
            "username": f"villager{n}",
            "email": f"villager{n}@example.kr",
            "password1": "a long village passphrase",
            "password2": "a long village passphrase",
        },
    )


@pytest.mark.django_db
def test_sign_up_allows_ten_accounts_an_hour_per_address():
    responses = [_sign_up(Client(), n) for n in range(11)]

    assert [r.status_code for r in responses] == [302] * 10 + [429]
    assert "Too many accounts have been created" in responses[10].content.decode()
    assert User.objects.count() == 10


@pytest.mark.django_db
def test_password_reset_sends_three_mails_an_hour_per_email(resident):
    statuses = [
        # A fresh address each time: the e-mail's own limit must hold.
        Client(REMOTE_ADDR=f"192.0.2.{n}")
        .post("/en/accounts/password_reset/", {"email": resident.email.upper()})
        .status_code
        for n in range(4)
    ]

    assert statuses == [302, 302, 302, 429]
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_password_reset_allows_ten_requests_an_hour_per_address():
    users = UserFactory.create_batch(11)
    client = Client()

    statuses = [
        client.post("/en/accounts/password_reset/", {"email": user.email}).status_code
        for user in users
    ]

    assert statuses == [302] * 10 + [429]
    assert len(mail.outbox) == 10
    assert (
        "Too many password reset requests"
        in client.post(
            "/en/accounts/password_reset/", {"email": users[0].email}
        ).content.decode()
    )


# Participation pages: a workshop on one Wi-Fi, and one resident over their own limit.


def _proposal(city, n: int) -> dict:
    return {
        "title": f"골목 쉼터 {n}",
        "description": "어르신들이 쉬어 갈 수 있는 작은 쉼터",
        "category": "community_facility",
        "longitude": str(city.location.x + 0.001),
        "latitude": str(city.location.y + 0.001),
        "area": "",
    }


@pytest.mark.django_db
def test_a_workshop_of_forty_on_one_wifi_proposes_and_comments_together():
    city = MunicipalityFactory()
    project = RenewalProjectFactory(municipality=city, status="approved")
    residents = UserFactory.create_batch(40)
    statuses = []

    for n, resident in enumerate(residents):
        # Every browser of the workshop reaches the server from the same address.
        client = page_client(resident)
        client.defaults["REMOTE_ADDR"] = "203.0.113.40"
        statuses.append(
            client.post(f"/ko/cities/{city.code}/projects/new/", _proposal(city, n))
        )
        statuses.append(
            client.post(f"/ko/projects/{project.pk}/comments/", {"body": f"찬성 {n}"})
        )

    assert [response.status_code for response in statuses] == [302] * 80
    assert RenewalProject.objects.filter(municipality=city).count() == 41
    assert Comment.objects.filter(project=project).count() == 40


@pytest.mark.django_db
def test_invalid_proposals_do_not_count_and_the_refused_one_keeps_its_text(resident):
    city = MunicipalityFactory()
    client = page_client(resident)
    url = f"/ko/cities/{city.code}/projects/new/"

    # Five mistakes (no title) cost nothing: ten proposals still go through.
    mistakes = [client.post(url, {**_proposal(city, 0), "title": ""}) for _ in range(5)]
    accepted = [client.post(url, _proposal(city, n)) for n in range(10)]
    refused = client.post(
        url, {**_proposal(city, 99), "description": "마을 공동 텃밭과 쉼터"}
    )

    assert [r.status_code for r in mistakes] == [200] * 5
    assert [r.status_code for r in accepted] == [302] * 10
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "60분 후에 다시 시도하세요." in page
    assert 'value="골목 쉼터 99"' in page
    assert "마을 공동 텃밭과 쉼터</textarea>" in page
    assert RenewalProject.objects.count() == 10
    # The limit is the resident's own: a neighbour on the same address goes on.
    neighbour = page_client(UserFactory()).post(url, _proposal(city, 100))
    assert neighbour.status_code == 302


@pytest.mark.django_db
def test_a_refused_comment_keeps_its_text_and_says_when_to_try_again(resident):
    project = RenewalProjectFactory(status="approved")
    client = page_client(resident)
    url = f"/ko/projects/{project.pk}/comments/"

    statuses = [client.post(url, {"body": f"의견 {n}"}).status_code for n in range(20)]
    refused = client.post(url, {"body": "주차 공간도 함께 생각해 주세요"})

    assert statuses == [302] * 20
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "1분 후에 다시 시도하세요." in page
    assert "주차 공간도 함께 생각해 주세요</textarea>" in page
    # The message stands next to the comment box, where the focus goes.
    assert page.index('id="comments"') < page.index('id="message"')
    assert Comment.objects.count() == 20
