import subprocess
from pathlib import Path

import pytest

LOCALE_DIR = Path(__file__).resolve().parent.parent / "config" / "locale"


@pytest.mark.django_db
def test_root_redirects_to_korean_by_default(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/ko/"


@pytest.mark.django_db
def test_root_redirects_to_english_for_an_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")

    assert response["Location"] == "/en/"


@pytest.mark.django_db
def test_home_page_in_korean(client, demo_data):
    response = client.get("/ko/")

    page = response.content.decode()
    assert '<html lang="ko">' in page
    assert "지방 중소도시" in page
    assert "춘천시" in page


@pytest.mark.django_db
def test_switching_to_english_redirects_to_the_english_page(client, demo_data):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/ko/"}, follow=True
    )

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/en/"
    assert '<html lang="en">' in page
    assert "Small and medium-sized provincial cities" in page
    assert "Chuncheon" in page


@pytest.mark.django_db
def test_switching_back_to_korean_from_an_english_page(client, demo_data):
    client.post("/i18n/setlang/", {"language": "en", "next": "/ko/"})

    response = client.post(
        "/i18n/setlang/", {"language": "ko", "next": "/en/"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/ko/"
    assert "지방 중소도시" in response.content.decode()


@pytest.mark.parametrize("language", ["ko", "en"])
def test_translation_catalogue_is_complete(language):
    po_file = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"

    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po_file)],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr


@pytest.mark.django_db
def test_language_switch_works_whatever_the_browser_language(client, demo_data):
    home = client.get("/ko/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    next_path = home.context["language_neutral_path"]

    response = client.post(
        "/i18n/setlang/",
        {"language": "en", "next": next_path},
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
        follow=True,
    )

    assert next_path == "/"
    assert response.redirect_chain[-1][0] == "/en/"
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.django_db
def test_language_switch_keeps_the_page(client):
    page = client.get("/en/accounts/login/?next=/en/")

    response = client.post(
        "/i18n/setlang/",
        {"language": "ko", "next": page.context["language_neutral_path"]},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/ko/accounts/login/?next=%2Fen%2F"
