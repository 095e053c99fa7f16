"""Query budgets for the lists no other test file covers: the number of SQL queries
for a page does not grow with the rows it shows (1 row against 12)."""

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.utils import timezone

from cities.models import Municipality
from renewal.models import (
    AreaFollow,
    CommunityOrganization,
    NeighborhoodResource,
    SpacePhoto,
    VacantSpace,
)
from tests.factories import (
    CommunityOrganizationFactory,
    MunicipalityFactory,
    UserFactory,
    VacantSpaceFactory,
)
from tests.helpers import count_queries, page_client


def _resources(city, rows, user):
    NeighborhoodResource.objects.bulk_create(
        NeighborhoodResource(
            municipality=city,
            category="market",
            name=f"시장 {n}",
            location=city.location.clone(),
        )
        for n in range(rows)
    )


def _organizations(city, rows, user):
    CommunityOrganizationFactory.create_batch(rows, municipality=city)


def _area_follows(city, rows, user):
    AreaFollow.objects.bulk_create(
        AreaFollow(user=user, center=Point(128.5, 36.0, srid=4326), radius_m=1000)
        for _ in range(rows)
    )


def _municipalities(city, rows, user):
    MunicipalityFactory.create_batch(rows - 1)


def _listed_spaces(city, rows, user):
    """Offered spaces, each with two published, processed photos (rows written
    directly: the listing reads them, the files are never opened)."""
    spaces = VacantSpaceFactory.create_batch(
        rows, municipality=city, availability="free_use"
    )
    SpacePhoto.objects.bulk_create(
        SpacePhoto(
            space=space,
            source="owner",
            original=f"photos/{space.pk}-{n}.jpg",
            width=640,
            height=480,
            content_sha256="0" * 64,
            is_published=True,
            processed_at=timezone.now(),
        )
        for space in spaces
        for n in range(2)
    )


CASES = {
    "/api/v1/resources/": (_resources, NeighborhoodResource),
    "/api/v1/organizations/": (_organizations, CommunityOrganization),
    "/api/v1/area-follows/": (_area_follows, AreaFollow),
    "/ko/": (_municipalities, None),
    "/api/v1/listings/": (_listed_spaces, VacantSpace),
    "/ko/listings/": (_listed_spaces, VacantSpace),
}


@pytest.mark.parametrize("url", sorted(CASES))
def test_query_count_does_not_grow_with_rows(db, url):
    make_rows, model = CASES[url]
    user = UserFactory()

    def queries_for(rows: int) -> int:
        for cleared in (model, Municipality):
            if cleared is not None:
                cleared.objects.all().delete()
        city = MunicipalityFactory()
        make_rows(city, rows, user)
        client = page_client(User.objects.get(pk=user.pk))
        response, queries = count_queries(client, url)
        assert response.status_code == 200
        return queries

    assert queries_for(1) == queries_for(12)
