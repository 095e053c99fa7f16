"""Field surveys: the rules, the sync's refusals, idempotency, conflicts and their
resolution, through the services and the HTTP API."""

import datetime
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone

from core.errors import DomainError, NotPermitted
from renewal.models import (
    InventoryChange,
    Notification,
    NotificationKind,
    SurveyObservation,
    SurveyRound,
    VacancyEvidence,
    VacantSpace,
)
from renewal.services.spaces import vacant_space_transition, vacant_space_update
from renewal.services.surveys import (
    survey_conflict_resolve,
    survey_observations_sync,
    survey_round_close,
    survey_round_package,
    survey_round_spaces_assign,
    survey_round_start,
    survey_surveyor_assign,
)
from tests.factories import UserFactory, VacantSpaceFactory
from tests.helpers import api_client, page_client


def _square(point, half=0.01):
    x, y = point.x, point.y
    return MultiPolygon(
        Polygon(
            (
                (x - half, y - half),
                (x + half, y - half),
                (x + half, y + half),
                (x - half, y + half),
                (x - half, y - half),
            )
        ),
        srid=4326,
    )


@pytest.fixture
def surveyor(db):
    # A contracted surveyor: staff of no city.
    return UserFactory(username="surveyor_kim")


@pytest.fixture
def survey(city, personas, surveyor):
    """An open round of the city with two houses (grade 1, reported) and a shop,
    surveyed by `surveyor`."""
    city.boundary = _square(city.location, 0.05)
    city.save()
    editor = personas["city_editor"]
    survey_round = survey_round_start(
        actor=editor,
        municipality=city,
        data={
            "name": "2026 봄 빈집 실태조사",
            "grading_scheme": "national-2023",
            "starts_on": datetime.date(2026, 3, 1),
            "ends_on": datetime.date(2026, 12, 31),
            "area": _square(city.location, 0.01),
        },
    )
    houses = [
        VacantSpaceFactory(municipality=city, kind="house", status="reported")
        for _ in range(2)
    ]
    shop = VacantSpaceFactory(municipality=city, kind="shop", status="reported")
    survey_round_spaces_assign(
        actor=editor,
        survey_round=survey_round,
        space_ids=[space.pk for space in [*houses, shop]],
    )
    survey_surveyor_assign(
        actor=editor, survey_round=survey_round, username=surveyor.username
    )
    return survey_round, houses, shop


def _version(space) -> int:
    return (
        InventoryChange.objects.filter(
            content_type=ContentType.objects.get_for_model(VacantSpace),
            object_id=space.pk,
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )


def _record(space, **values):
    return {
        "client_id": str(uuid.uuid4()),
        "space": space.pk,
        "observed_at": (timezone.now() - datetime.timedelta(hours=2)).isoformat(),
        "location_source": "gps",
        "location": {"lon": space.location.x + 0.0001, "lat": space.location.y},
        "accuracy_m": 6.5,
        "signs": ["mailbox_full", "meter_stopped", "overgrown"],
        "checklist": {"structure": "poor", "roof": "worn"},
        "grade": 3,
        "note": "대문 잠김",
        "base_version": _version(space),
        **values,
    }


def test_a_synced_observation_applies_the_grade_in_the_surveyors_name(survey, surveyor):
    survey_round, [house, _other], _shop = survey
    record = _record(house)

    [result] = survey_observations_sync(
        actor=surveyor, survey_round=survey_round, records=[record]
    )

    assert result["result"] == "stored"
    house.refresh_from_db()
    assert (house.grade, house.grading_scheme, house.status) == (
        3,
        "national-2023",
        "surveyed",
    )
    entries = InventoryChange.objects.filter(
        object_id=house.pk, actor=surveyor
    ).order_by("id")
    assert [e.action for e in entries] == ["update", "status"]
    assert entries[0].changes["grade"] == [1, 3]
    assert record["client_id"] in entries[0].reason
    # The evidence says who, when and where.
    evidence = VacancyEvidence.objects.get(space=house)
    assert evidence.kind == "survey_visit"
    assert evidence.recorded_by == surveyor
    assert evidence.observed_at == datetime.datetime.fromisoformat(
        record["observed_at"]
    )
    assert evidence.location.x == pytest.approx(house.location.x + 0.0001)
    assert evidence.confidence == "high"
    observation = SurveyObservation.objects.get()
    assert observation.evidence == evidence
    assert observation.state == "applied"
    assert observation.signs == ["mailbox_full", "meter_stopped", "overgrown"]


def test_the_same_record_sent_twice_is_stored_once(survey, surveyor):
    survey_round, [house, _other], _shop = survey
    record = _record(house)

    first = survey_observations_sync(
        actor=surveyor, survey_round=survey_round, records=[record]
    )
    again = survey_observations_sync(
        actor=surveyor, survey_round=survey_round, records=[record, record]
    )

    assert first[0]["result"] == "stored"
    assert [r["result"] for r in again] == ["duplicate", "duplicate"]
    assert again[0]["observation"] == first[0]["observation"]
    assert SurveyObservation.objects.count() == 1
    assert VacancyEvidence.objects.count() == 1
    assert InventoryChange.objects.filter(actor=surveyor).count() == 2


def test_a_grade_the_scheme_does_not_have_is_refused_and_nothing_is_stored(
    survey, surveyor
):
    survey_round, [house, other], shop = survey

    results = survey_observations_sync(
        actor=surveyor,
        survey_round=survey_round,
        records=[
            _record(house, grade=4),  # the 2023 scheme grades 1–3
            _record(shop, grade=2),  # vacant-house grades apply to houses only
            _record(other, grade=2),
        ],
    )

    assert [r["result"] for r in results] == ["refused", "refused", "stored"]
    assert "1–3" in results[0]["message"]
    assert "grade" in results[1]["fields"]
    house.refresh_from_db()
    assert (house.grade, house.status) == (1, "reported")
    assert not VacancyEvidence.objects.filter(space__in=[house, shop]).exists()
    assert SurveyObservation.objects.get().space == other


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"signs": ["ghosts"]}, "signs"),
        ({"checklist": {"hygiene": "poor"}}, "checklist"),  # not in the 2023 list
        ({"location": {"lon": 126.9, "lat": 37.5}}, "location"),  # another city
        ({"location": {"lon": 2.35, "lat": 48.85}}, "location"),  # Paris
        ({"observed_at": "yesterday"}, "observed_at"),
        ({"client_id": "not-a-uuid"}, "client_id"),
    ],
)
def test_bad_records_are_refused_naming_the_field(survey, surveyor, change, field):
    survey_round, [house, _other], _shop = survey

    [result] = survey_observations_sync(
        actor=surveyor, survey_round=survey_round, records=[_record(house, **change)]
    )

    assert result["result"] == "refused"
    assert field in result["fields"]
    assert not SurveyObservation.objects.exists()
    assert not VacancyEvidence.objects.exists()


def test_a_space_outside_the_round_is_refused(survey, surveyor, city):
    survey_round, _houses, _shop = survey
    elsewhere = VacantSpaceFactory(municipality=city, kind="house")

    [result] = survey_observations_sync(
        actor=surveyor, survey_round=survey_round, records=[_record(elsewhere)]
    )

    assert result["result"] == "refused"
    assert "space" in result["fields"]


def test_only_the_rounds_surveyors_and_editors_sync_and_not_once_it_is_closed(
    survey, surveyor, personas
):
    survey_round, [house, other], _shop = survey
    for outsider in (personas["resident"], personas["city_viewer"]):
        with pytest.raises(NotPermitted):
            survey_observations_sync(
                actor=outsider, survey_round=survey_round, records=[_record(house)]
            )
    survey_round_close(actor=personas["city_editor"], survey_round=survey_round)

    with pytest.raises(NotPermitted):
        survey_observations_sync(
            actor=surveyor, survey_round=survey_round, records=[_record(other)]
        )
    assert not SurveyObservation.objects.exists()


def test_an_office_change_while_offline_is_a_conflict_and_applies_nothing(
    survey, surveyor, personas, django_capture_on_commit_callbacks
):
    survey_round, [house, _other], _shop = survey
    record = _record(house)  # the phone downloads: base_version now
    editor = personas["city_editor"]
    vacant_space_transition(actor=editor, space=house, to="retired", reason="철거됨")

    with django_capture_on_commit_callbacks(execute=True):
        [result] = survey_observations_sync(
            actor=surveyor, survey_round=survey_round, records=[record]
        )

    assert result["result"] == "conflict"
    house.refresh_from_db()
    assert (house.status, house.grade) == ("retired", 1)
    observation = SurveyObservation.objects.get()
    assert observation.state == "conflict"
    assert observation.office_changes == {"status": ["reported", "retired"]}
    # Kept as evidence all the same; the editors are told.
    assert observation.evidence.recorded_by == surveyor
    [notification] = Notification.objects.filter(kind=NotificationKind.SURVEY_CONFLICT)
    assert notification.user == editor
    assert "surveyor_kim" in notification.message
    assert notification.get_absolute_url().endswith(
        f"/cities/{survey_round.municipality.code}/survey-conflicts/"
    )


def test_the_editor_applies_the_survey_and_the_history_names_both(
    survey, surveyor, personas
):
    survey_round, [house, _other], _shop = survey
    record = _record(house, grade=2)
    editor = personas["city_editor"]
    vacant_space_update(actor=editor, space=house, data={"address": "새 주소 1"})
    survey_observations_sync(
        actor=surveyor, survey_round=survey_round, records=[record]
    )
    observation = SurveyObservation.objects.get()
    assert observation.state == "conflict"

    survey_conflict_resolve(
        actor=editor, observation=observation, keep="survey", reason="현장 확인"
    )

    house.refresh_from_db()
    assert (house.grade, house.status, house.address) == (2, "surveyed", "새 주소 1")
    entry = InventoryChange.objects.filter(object_id=house.pk).order_by("-id")[1]
    assert entry.actor == editor
    assert entry.changes["grade"] == [1, 2]
    assert "surveyor_kim" in entry.reason and "현장 확인" in entry.reason
    observation.refresh_from_db()
    assert (observation.state, observation.resolved_by) == ("kept_survey", editor)
    with pytest.raises(DomainError):
        survey_conflict_resolve(actor=editor, observation=observation, keep="office")


def test_keeping_the_offices_values_loses_nothing(survey, surveyor, personas):
    survey_round, [house, _other], _shop = survey
    record = _record(house, grade=3)
    editor = personas["city_editor"]
    vacant_space_update(actor=editor, space=house, data={"grade": 2})
    survey_observations_sync(
        actor=surveyor, survey_round=survey_round, records=[record]
    )
    observation = SurveyObservation.objects.get()
    with pytest.raises(NotPermitted):
        survey_conflict_resolve(
            actor=personas["city_viewer"], observation=observation, keep="office"
        )

    survey_conflict_resolve(actor=editor, observation=observation, keep="office")

    house.refresh_from_db()
    assert house.grade == 2
    observation.refresh_from_db()
    assert observation.state == "kept_office"
    assert observation.grade == 3  # the survey's value is still on record
    assert VacancyEvidence.objects.get(space=house).recorded_by == surveyor


def test_the_surveyors_own_earlier_record_is_no_conflict(survey, surveyor):
    survey_round, [house, _other], _shop = survey
    first, second = _record(house, grade=2), _record(house, grade=3)

    results = survey_observations_sync(
        actor=surveyor, survey_round=survey_round, records=[first, second]
    )

    assert [r["result"] for r in results] == ["stored", "stored"]
    house.refresh_from_db()
    assert house.grade == 3


def test_the_package_lists_the_rounds_spaces_with_their_versions(survey, personas):
    survey_round, [house, other], shop = survey
    vacant_space_update(
        actor=personas["city_editor"], space=house, data={"address": "새 주소 2"}
    )

    package = survey_round_package(survey_round=survey_round)

    fields = package["fields"]
    rows = {row[0]: dict(zip(fields, row, strict=True)) for row in package["spaces"]}
    assert set(rows) == {house.pk, other.pk, shop.pk}
    assert rows[house.pk]["version"] == _version(house) > 0
    assert rows[other.pk]["version"] == 0  # no history yet
    assert rows[house.pk]["lon"] == round(house.location.x, 6)
    assert package["grades"] == [1, 2, 3]
    assert package["graded_kinds"] == ["house"]
    assert "hygiene" not in {item["code"] for item in package["checklist"]}
    assert '"coordinates"' in package["area"]


def test_the_api_serves_my_rounds_the_package_and_the_sync(survey, surveyor, personas):
    survey_round, [house, _other], _shop = survey
    client = api_client(surveyor)

    rounds = client.get("/api/v1/survey-rounds/").json()
    package = client.get(f"/api/v1/survey-rounds/{survey_round.pk}/package/")
    record = _record(house)
    sync = client.post(
        f"/api/v1/survey-rounds/{survey_round.pk}/observations/",
        {"observations": [record]},
        format="json",
    )

    assert [r["id"] for r in rounds] == [survey_round.pk]
    assert rounds[0]["space_count"] == 3
    assert package.status_code == 200
    assert sync.status_code == 200
    assert sync.json()["results"][0]["result"] == "stored"
    # Someone else's round is not found; a batch too large is refused whole.
    assert (
        api_client(personas["resident"])
        .get(f"/api/v1/survey-rounds/{survey_round.pk}/package/")
        .status_code
        == 404
    )
    too_many = client.post(
        f"/api/v1/survey-rounds/{survey_round.pk}/observations/",
        {"observations": [_record(house) for _ in range(51)]},
        format="json",
    )
    assert too_many.status_code == 400
    assert "50" in too_many.json()["error"]["message"]
    assert SurveyObservation.objects.count() == 1
    malformed = client.post(
        f"/api/v1/survey-rounds/{survey_round.pk}/observations/",
        {"observations": "everything"},
        format="json",
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["fields"]["observations"]


def test_a_conflict_waits_on_the_citys_workbench(survey, surveyor, personas, city):
    survey_round, [house, _other], _shop = survey
    record = _record(house)
    vacant_space_update(
        actor=personas["city_editor"], space=house, data={"address": "새 주소 3"}
    )
    survey_observations_sync(
        actor=surveyor, survey_round=survey_round, records=[record]
    )

    response = page_client(personas["city_viewer"]).get(f"/ko/cities/{city.code}/work/")

    section = response.context["workbench"].survey_conflicts
    assert section.count == 1
    assert section.rows[0].space == house
    assert "surveyor_kim" in response.content.decode()
    # Viewers see the conflict; only editors may open the page that decides it.
    conflicts = f"/ko/cities/{city.code}/survey-conflicts/"
    assert page_client(personas["city_viewer"]).get(conflicts).status_code == 403
    assert page_client(personas["city_editor"]).get(conflicts).status_code == 200


def test_editors_start_a_round_assign_a_surveyor_and_spaces_then_close_it(
    personas, city, surveyor
):
    VacantSpaceFactory(municipality=city, status="reported")
    VacantSpaceFactory(municipality=city, status="available")
    editor = page_client(personas["city_editor"])
    url = f"/en/cities/{city.code}/survey-rounds/"
    assert page_client(personas["city_viewer"]).get(url).status_code == 403

    refused = editor.post(
        url,
        {
            "name": "Autumn",
            "grading_scheme": "urban-2021",
            "starts_on": "2026-10-01",
            "ends_on": "2026-09-01",
        },
    )
    created = editor.post(
        url,
        {
            "name": "Autumn",
            "grading_scheme": "urban-2021",
            "starts_on": "2026-09-01",
            "ends_on": "2026-10-01",
        },
    )

    assert refused.status_code == 200
    assert "ends on or after" in refused.content.decode()
    survey_round = SurveyRound.objects.get()
    manage = f"/en/survey-rounds/{survey_round.pk}/"
    assert created.url == manage
    editor.post(manage, {"action": "assign", "username": surveyor.username})
    missing = editor.post(
        manage, {"action": "assign", "username": "nobody"}, follow=True
    )
    assert "No active account is named" in missing.content.decode()
    editor.post(manage, {"action": "spaces", "status": ["reported"]})
    assert survey_round.round_spaces.count() == 1
    assert list(survey_round.assignments.values_list("surveyor", flat=True)) == [
        surveyor.pk
    ]
    editor.post(manage, {"action": "close"})
    survey_round.refresh_from_db()
    assert survey_round.status == "closed"
    assert not surveyor.has_perm("renewal.survey_round", survey_round)


def test_a_photo_before_its_record_is_refused_and_a_resent_one_is_stored_once(
    survey, surveyor
):
    from tests.photos import jpeg_bytes

    survey_round, [house, _other], _shop = survey
    record = _record(house)
    client = api_client(surveyor)
    url = (
        f"/api/v1/survey-rounds/{survey_round.pk}/observations/"
        f"{record['client_id']}/photos/"
    )
    photo_id = str(uuid.uuid4())

    def send():
        return client.post(
            url,
            {"client_id": photo_id, "photo": _upload(jpeg_bytes())},
            format="multipart",
        )

    early = send()
    survey_observations_sync(
        actor=surveyor, survey_round=survey_round, records=[record]
    )
    first, again = send(), send()

    assert early.status_code == 400
    assert "observation" in early.json()["error"]["fields"]
    assert first.status_code == again.status_code == 201
    assert first.json()["photo"] == again.json()["photo"]
    assert house.photos.get().source == "survey"


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg")


def test_the_demo_round_holds_reported_spaces_and_loads_once(db):
    from cities.models import Municipality
    from cities.services import demo_municipalities_load
    from renewal.demo.bids import CITY_CODE
    from renewal.demo.spaces import demo_spaces_generate
    from renewal.demo.surveys import ROUND_SPACES, USERNAME, demo_survey_load
    from renewal.models import SurveyRound

    demo_municipalities_load()
    demo_spaces_generate(municipalities=[Municipality.objects.get(code=CITY_CODE)])

    added = demo_survey_load()

    assert 0 < added <= ROUND_SPACES
    assert demo_survey_load() == 0
    survey_round = SurveyRound.objects.get()
    assert survey_round.status == "open"
    assert survey_round.assignments.get().surveyor.username == USERNAME
    spaces = [entry.space for entry in survey_round.round_spaces.all()]
    assert len(spaces) == added
    assert {space.status for space in spaces} == {"reported"}
    assert {space.municipality.code for space in spaces} == {CITY_CODE}


def test_my_page_leads_a_surveyor_to_the_survey_and_no_one_else(survey, surveyor):
    surveyors_page = page_client(surveyor).get("/ko/me/")
    residents_page = page_client(UserFactory()).get("/ko/me/")

    assert 'id="my-surveys-link"' in surveyors_page.content.decode()
    assert 'href="/ko/survey/"' in surveyors_page.content.decode()
    assert 'id="my-surveys-link"' not in residents_page.content.decode()


def test_spaces_chosen_by_town_area_join_the_round_with_its_outline(personas, city):
    from cities.models import SubMunicipality
    from renewal.services.surveys import survey_round_start

    x, y = city.location.x, city.location.y
    east = SubMunicipality.objects.create(
        sgis_code="9990101",
        name_ko="동쪽동",
        name_en="Dongjjok-dong",
        municipality=city,
        boundary=_square(Point(x + 0.02, y, srid=4326), 0.005),
    )
    SubMunicipality.objects.create(
        sgis_code="9990102",
        name_ko="서쪽동",
        name_en="Seojjok-dong",
        municipality=city,
        boundary=_square(Point(x - 0.02, y, srid=4326), 0.005),
    )
    inside = VacantSpaceFactory(
        municipality=city, status="reported", location=Point(x + 0.02, y, srid=4326)
    )
    VacantSpaceFactory(
        municipality=city, status="reported", location=Point(x - 0.02, y, srid=4326)
    )
    editor = personas["city_editor"]
    survey_round = survey_round_start(
        actor=editor,
        municipality=city,
        data={
            "name": "동쪽 조사",
            "grading_scheme": "national-2023",
            "starts_on": datetime.date(2026, 3, 1),
            "ends_on": datetime.date(2026, 5, 31),
        },
    )
    manage = f"/ko/survey-rounds/{survey_round.pk}/"

    page = page_client(editor).get(manage).content.decode()
    page_client(editor).post(
        manage, {"action": "spaces", "status": ["reported"], "area": ["9990101"]}
    )

    assert "동쪽동" in page and "서쪽동" in page
    assert list(survey_round.round_spaces.values_list("space_id", flat=True)) == [
        inside.pk
    ]
    survey_round.refresh_from_db()
    assert survey_round.area.covers(inside.location)
    assert survey_round.area.area == pytest.approx(east.boundary.area)
