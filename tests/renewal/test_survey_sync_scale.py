"""A day's survey at scale, over real HTTP: 500 observations with 1,000 photos,
the connection lost halfway (one answer never arrives), then the phone sends its
whole queue again. Every record and photo is stored exactly once. And the
download of a 2,000-building round stays under 3 MB."""

import datetime
import io
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.contrib.gis.geos import Point
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token

from renewal.models import SpacePhoto, SurveyObservation, VacancyEvidence, VacantSpace
from renewal.services.surveys import (
    survey_assignment_create,
    survey_round_create,
    survey_round_spaces_add,
)
from tests.factories import UserFactory

OBSERVATIONS = 500
PHOTOS_EACH = 2
BATCH = 50
PACKAGE_LIMIT_BYTES = 3 * 1024 * 1024
# Photos go up a few at a time, as a phone's browser sends them.
PARALLEL_UPLOADS = 6


def _round(city, spaces: int):
    survey_round = survey_round_create(
        actor=None,
        municipality=city,
        data={
            "name": "2026 전수 조사",
            "grading_scheme": "urban-2021",
            "starts_on": datetime.date(2026, 1, 1),
            "ends_on": datetime.date(2026, 12, 31),
        },
    )
    created = VacantSpace.objects.bulk_create(
        VacantSpace(
            municipality=city,
            kind="house" if n % 2 else "shop",
            status="reported",
            # Addresses as long as real ones: "경상북도 …시 …동 123-45".
            address=f"경상북도 시험시 중앙동 {n // 100}번길 {n % 100}-{n % 7}",
            location=Point(
                city.location.x + 0.00001 * (n % 200),
                city.location.y + 0.00001 * (n // 200),
                srid=4326,
            ),
            grading_scheme="urban-2021" if n % 2 else "",
            grade=(n % 4) + 1 if n % 2 else None,
        )
        for n in range(spaces)
    )
    survey_round_spaces_add(
        survey_round=survey_round, space_ids=[space.pk for space in created]
    )
    surveyor = UserFactory(username="surveyor_choi")
    survey_assignment_create(actor=None, survey_round=survey_round, surveyor=surveyor)
    return survey_round, created, surveyor


def _jpeg(n: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (n % 256, (n * 7) % 256, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


class Phone:
    """The phone's side of the sync, over HTTP with the surveyor's token."""

    def __init__(self, base: str, survey_round, token: str):
        self.url = f"{base}/api/v1/survey-rounds/{survey_round.pk}/observations/"
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy between the phone and the test
        self.session.headers["Authorization"] = f"Token {token}"

    def send_photos(self, photos):
        with ThreadPoolExecutor(PARALLEL_UPLOADS) as pool:
            return list(pool.map(lambda photo: self.send_photo(*photo), photos))

    def send_records(self, records, *, timeout=30):
        response = self.session.post(
            self.url, json={"observations": records}, timeout=timeout
        )
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def send_photo(self, record_id: str, photo_id: str, data: bytes, *, timeout=30):
        response = self.session.post(
            f"{self.url}{record_id}/photos/",
            data={"client_id": photo_id},
            files={"photo": ("photo.jpg", data, "image/jpeg")},
            timeout=timeout,
        )
        assert response.status_code == 201, response.text
        return response.json()


@pytest.mark.django_db(transaction=True)
def test_500_observations_and_1000_photos_survive_a_dropped_connection(
    live_server, city
):
    started = time.monotonic()
    survey_round, spaces, surveyor = _round(city, OBSERVATIONS)
    phone = Phone(
        live_server.url, survey_round, Token.objects.create(user=surveyor).key
    )
    observed_at = (timezone.now() - datetime.timedelta(hours=3)).isoformat()
    records = [
        {
            "client_id": str(uuid.uuid4()),
            "space": space.pk,
            "observed_at": observed_at,
            "location_source": "building",
            "signs": ["mailbox_full"],
            "grade": None,
            "note": "",
            "base_version": 0,
        }
        for space in spaces
    ]
    photos = [
        (record["client_id"], str(uuid.uuid4()), _jpeg(n))
        for n, record in enumerate(records)
        for _copy in range(PHOTOS_EACH)
    ]
    batches = [records[i : i + BATCH] for i in range(0, len(records), BATCH)]

    # Half the batches arrive; the sixth is stored but its answer is lost.
    for batch in batches[:5]:
        assert {r["result"] for r in phone.send_records(batch)} == {"stored"}
    with pytest.raises(requests.exceptions.ReadTimeout):
        phone.send_records(batches[5], timeout=0.05)
    phone.send_photos(photos[:300])
    with pytest.raises(requests.exceptions.ReadTimeout):
        phone.send_photo(*photos[300], timeout=0.01)

    # The connection returns: the phone sends everything it has not heard back on,
    # and, to be safe, everything else again.
    results = [r for batch in batches for r in phone.send_records(batch)]
    stored = phone.send_photos(photos)

    assert len(results) == OBSERVATIONS
    outcome = [r["result"] for r in results]
    assert outcome[: 6 * BATCH] == ["duplicate"] * (6 * BATCH)
    assert set(outcome[6 * BATCH :]) == {"stored"}
    assert SurveyObservation.objects.count() == OBSERVATIONS
    assert VacancyEvidence.objects.count() == OBSERVATIONS
    assert len({answer["photo"] for answer in stored}) == len(photos)
    assert SpacePhoto.objects.count() == OBSERVATIONS * PHOTOS_EACH
    assert SpacePhoto.objects.filter(source="survey").count() == len(photos)
    assert VacantSpace.objects.filter(status="surveyed").count() == OBSERVATIONS
    assert time.monotonic() - started < 60


@pytest.mark.django_db(transaction=True)
def test_a_round_of_2000_buildings_downloads_in_under_3_mb(live_server, city):
    survey_round, _spaces, surveyor = _round(city, 2000)
    token = Token.objects.create(user=surveyor).key

    response = requests.get(
        f"{live_server.url}/api/v1/survey-rounds/{survey_round.pk}/package/",
        headers={"Authorization": f"Token {token}", "Accept-Encoding": "identity"},
        timeout=60,
    )

    assert response.status_code == 200
    assert len(response.json()["spaces"]) == 2000
    # The bytes as they travel: the server compresses nothing, so this is the size.
    assert "Content-Encoding" not in response.headers
    assert len(response.content) < PACKAGE_LIMIT_BYTES
