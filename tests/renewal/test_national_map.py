import json
import re

import pytest

from tests.factories import MunicipalityFactory, VacantSpaceFactory


def map_config(response) -> dict:
    match = re.search(
        r'<script id="national-map-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))


@pytest.mark.django_db
def test_national_map_loads_vendored_maplibre_and_the_tile_url(client):
    response = client.get("/ko/map/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "vendor/maplibre-gl-5.24.1/maplibre-gl.js" in page
    assert "js/national-map.js" in page
    assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', page)
    config = map_config(response)
    assert config["tileUrl"] == "/tiles/{layer}/{z}/{x}/{y}.mvt"
    assert config["gridMaxZoom"] == 10
    assert config["detailUrls"]["spaces"] == "/ko/spaces/{id}/"


@pytest.mark.django_db
def test_national_map_sends_no_features_only_tiles(client, city):
    VacantSpaceFactory.create_batch(3, municipality=city, address="중앙로 비밀 1")

    response = client.get("/en/map/")

    assert response.status_code == 200
    assert "중앙로 비밀" not in response.content.decode()
    assert "National map" in response.content.decode()


@pytest.mark.django_db
def test_national_map_opens_the_whole_country_without_a_city(client, city):
    config = map_config(client.get("/ko/map/?city=00000"))

    assert config["zoom"] == 6
    assert config["center"] == [127.8, 36.0]


@pytest.mark.django_db
def test_national_map_opens_at_the_chosen_city(client, city, other_city):
    response = client.get(f"/ko/map/?city={other_city.code}")

    config = map_config(response)
    assert config["zoom"] == 13
    assert config["center"] == [other_city.location.x, other_city.location.y]
    assert f'value="{other_city.code}"' in response.content.decode()
    assert f"/ko/cities/{other_city.code}/spaces/list/" in response.content.decode()


@pytest.mark.django_db
def test_every_page_links_to_the_national_map(client):
    response = client.get("/en/")

    assert 'href="/en/map/" id="national-map-link"' in response.content.decode()


@pytest.mark.django_db
def test_national_map_query_count_does_not_grow_with_cities_or_spaces(
    client, django_assert_num_queries
):
    MunicipalityFactory.create_batch(2)
    with django_assert_num_queries(1):
        client.get("/ko/map/")
    for municipality in MunicipalityFactory.create_batch(10):
        VacantSpaceFactory.create_batch(2, municipality=municipality)

    with django_assert_num_queries(1):
        response = client.get("/ko/map/")

    assert response.content.decode().count('data-lon="') == 12
