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
