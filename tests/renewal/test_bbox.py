"""One reader for every `bbox` parameter: the API filters and OGC API – Features
accept and refuse the same boxes."""

import pytest

from tests.factories import VacantSpaceFactory
from tests.helpers import api_client

BBOX_URLS = (
    "/api/v1/spaces/",
    "/api/v1/projects/",
    "/ogc/collections/spaces/items",
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bbox",
    [
        "129,36,128,35",  # upside down
        "128,35,129",  # three numbers
        "a,b,c,d",
        "nan,35,129,36",  # would pass every comparison
        "128,35,inf,36",
    ],
)
def test_every_bbox_parameter_refuses_the_same_boxes(bbox):
    for url in BBOX_URLS:
        response = api_client().get(url, {"bbox": bbox})
        assert response.status_code == 400, (url, response.content)


def test_every_bbox_parameter_reads_a_3d_box_by_its_corners(city):
    space = VacantSpaceFactory(municipality=city)
    x, y = space.location.x, space.location.y
    box = f"{x - 0.001},{y - 0.001},0,{x + 0.001},{y + 0.001},50"

    spaces = api_client().get("/api/v1/spaces/", {"bbox": box}).json()
    features = api_client().get("/ogc/collections/spaces/items", {"bbox": box}).json()

    assert [feature["id"] for feature in spaces["features"]] == [space.pk]
    assert [str(feature["id"]) for feature in features["features"]] == [str(space.pk)]
