"""Pages load no script or stylesheet from another host: the platform works offline."""

import re

import pytest

from cities.models import Municipality

EXTERNAL_ASSET = re.compile(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', re.I)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/ko/", "/en/", "/ko/accounts/login/", "/en/accounts/signup/", "/api/v1/docs/"],
)
def test_public_pages_use_only_local_assets(client, demo_data, path):
    response = client.get(path)

    assert response.status_code == 200
    assert not EXTERNAL_ASSET.search(response.content.decode())


@pytest.mark.django_db
def test_admin_map_widget_uses_vendored_openlayers(admin_client, demo_data):
    andong = Municipality.objects.get(name_en="Andong")

    response = admin_client.get(f"/ko/admin/cities/municipality/{andong.pk}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "vendor/ol-7.2.2/ol.js" in page
    assert not EXTERNAL_ASSET.search(page)


@pytest.mark.django_db
def test_pages_forbid_inline_and_foreign_scripts(client, demo_data):
    policy = client.get("/ko/").headers["Content-Security-Policy"]
    directives = dict((part.split(" ", 1) + [""])[:2] for part in policy.split("; "))

    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in policy
