import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

from tests.factories import PASSWORD


@pytest.mark.django_db
def test_sign_up_creates_an_account_and_signs_in(client):
    response = client.post(
        "/ko/accounts/signup/",
        {
            "username": "minji",
            "email": "Minji@Example.kr",
            "password1": "a long village passphrase",
            "password2": "a long village passphrase",
        },
        follow=True,
    )

    user = User.objects.get(username="minji")
    assert user.email == "minji@example.kr"
    assert response.wsgi_request.user == user


@pytest.mark.django_db
def test_sign_up_refuses_a_taken_email_and_creates_nothing(client, resident):
    response = client.post(
        "/en/accounts/signup/",
        {
            "username": "other",
            "email": resident.email.upper(),
            "password1": "a long village passphrase",
            "password2": "a long village passphrase",
        },
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not User.objects.filter(username="other").exists()


@pytest.mark.django_db
def test_sign_in_page_signs_in(client, resident):
    response = client.post(
        "/ko/accounts/login/",
        {"username": resident.username, "password": PASSWORD},
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(resident.pk)


@pytest.mark.django_db
def test_password_reset_sends_a_link_that_sets_a_new_password(client, resident):
    client.post("/ko/accounts/password_reset/", {"email": resident.email})

    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    resident.refresh_from_db()
    assert resident.check_password("a brand new passphrase")


@pytest.mark.django_db
def test_password_reset_for_unknown_email_sends_nothing(client):
    response = client.post(
        "/ko/accounts/password_reset/", {"email": "nobody@example.kr"}
    )

    assert response.status_code == 302
    assert mail.outbox == []


@pytest.mark.django_db
def test_sign_in_page_limits_attempts_per_username(client, resident, settings):
    settings.LOGIN_ATTEMPTS_PER_MINUTE = 3
    wrong = {"username": resident.username, "password": "wrong"}

    statuses = [client.post("/en/accounts/login/", wrong).status_code for _ in range(3)]
    blocked = client.post(
        "/en/accounts/login/",
        {"username": resident.username, "password": PASSWORD},
    )

    assert statuses == [200, 200, 200]
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_in_page_limits_attempts_per_address(client, settings):
    settings.LOGIN_ATTEMPTS_PER_MINUTE = 2
    for name in ("a", "b"):
        client.post("/en/accounts/login/", {"username": name, "password": "x"})

    response = client.post("/en/accounts/login/", {"username": "c", "password": "x"})

    assert response.status_code == 429
