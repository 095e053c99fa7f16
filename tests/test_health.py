import pytest


@pytest.mark.django_db
def test_healthz_reports_database_postgis_and_broker(client, settings):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["postgis"].startswith("3.")
    assert body["broker"]["ok"] is True
    assert body["broker"]["detail"] == "reachable"


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://user:secret@127.0.0.1:1/0"

    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "error"
    assert body["broker"]["ok"] is False
    assert body["broker"]["url"] == "redis://127.0.0.1:1"
    assert "secret" not in response.content.decode()
