"""Rate limits at their real default rates, and the client address they count.

Nothing here overrides a rate: raising a default in config/settings.py makes these
tests fail, which a test that sets its own rate cannot notice.
"""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from tests.factories import PASSWORD, MunicipalityFactory, UserFactory
from tests.helpers import api_client

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

    # An empty proposal is refused, but it is counted: the limit comes first.
    statuses = [
        client.post(
            "/api/v1/projects/", {"municipality": city.code}, format="json"
        ).status_code
        for _ in range(11)
    ]

    assert statuses == [400] * 10 + [429]


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
