"""Translations evaluated at the wrong time: pages read after the API schema."""

import pytest
from django.utils import translation

from renewal.api.spaces import VacantSpaceFilter


@pytest.fixture
def filters_built_by_the_schema(client):
    """The schema generator builds the form field of every API filter. Those
    filters are class-level objects shared with the pages' filter, so this is the
    state a server is in once anybody has loaded /api/v1/schema/."""
    assert client.get("/api/v1/schema/").status_code == 200
    yield
    for api_filter in VacantSpaceFilter.base_filters.values():
        api_filter.__dict__.pop("_field", None)


@pytest.mark.django_db
def test_korean_space_filters_stay_korean_after_the_schema_is_loaded(
    client, city, filters_built_by_the_schema
):
    assert "_field" in VacantSpaceFilter.base_filters["kind"].__dict__

    page = client.get(f"/ko/cities/{city.code}/spaces/list/").content.decode()

    assert '<label for="id_kind">종류' in page
    for raw in ("Kind", ">true<", ">false<", "---------"):
        assert raw not in page, raw


@pytest.mark.django_db
def test_english_page_after_korean_page_shows_english_filters(
    client, city, filters_built_by_the_schema
):
    client.get(f"/ko/cities/{city.code}/spaces/list/")

    with translation.override("en"):
        page = client.get(f"/en/cities/{city.code}/spaces/list/").content.decode()

    assert "Floor area from (m²)" in page
    assert "종류" not in page
