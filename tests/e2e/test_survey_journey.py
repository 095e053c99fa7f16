"""A surveyor's day on a phone, in Korean: download the round, lose the connection,
record three buildings with photos and grades, reload the page offline (the queue
survives), reconnect and sync; the city's pages then show the evidence, the grades
and the surveyor's name. And the editor's side of a conflict."""

import datetime
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import Point
from PIL import Image

from renewal.models import (
    CityRole,
    InventoryChange,
    SurveyObservation,
    VacancyEvidence,
    VacantSpace,
)
from renewal.services.roles import city_role_grant
from renewal.services.spaces import vacant_space_transition
from renewal.services.surveys import (
    survey_round_spaces_add,
    survey_round_start,
    survey_surveyor_assign,
)
from tests.e2e.helpers import sign_in
from tests.factories import UserFactory, VacantSpaceFactory
from tests.helpers import api_client

PHONE = {"width": 390, "height": 844}
NO_HORIZONTAL_SCROLL = (
    "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


def _jpeg(path, colour) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def field_round(city):
    editor = UserFactory(username="office_park")
    city_role_grant(user=editor, municipality=city, role=CityRole.EDITOR)
    surveyor = UserFactory(username="surveyor_lee")
    survey_round = survey_round_start(
        actor=editor,
        municipality=city,
        data={
            "name": "2026 하반기 빈집 조사",
            "grading_scheme": "national-2023",
            "starts_on": datetime.date(2026, 7, 1),
            "ends_on": datetime.date(2026, 12, 31),
        },
    )
    houses = [
        VacantSpaceFactory(
            municipality=city,
            kind="house",
            status="reported",
            address=f"행복로 {n + 1}",
            location=Point(city.location.x + 0.0004 * n, city.location.y, srid=4326),
        )
        for n in range(4)
    ]
    survey_round_spaces_add(
        survey_round=survey_round, space_ids=[house.pk for house in houses]
    )
    survey_surveyor_assign(
        actor=editor, survey_round=survey_round, username=surveyor.username
    )
    return survey_round, houses, surveyor, editor


def _open_survey(context, live_server, survey_round):
    page = sign_in(
        context, live_server, "surveyor_lee", f"/ko/survey/{survey_round.pk}/"
    )
    page.wait_for_selector("body[data-survey-ready='true']")
    # The service worker holds the page before the phone goes out.
    page.wait_for_selector("body[data-offline-ready='true']")
    page.click("#survey-download")
    page.wait_for_selector("#survey-buildings li >> nth=3")
    return page


def _record(page, house, photos):
    page.click(f"#survey-buildings button[data-space='{house.pk}']")
    page.check("#sign-mailbox_full")
    page.check("#sign-meter_stopped")
    page.select_option("#check-structure", "poor")
    page.select_option("#record-grade", "3")
    page.set_input_files("#record-photos", photos)
    page.fill("#record-note", "현관 잠김, 우편함 가득")
    page.click("#record-save")
    page.wait_for_selector("#survey-record", state="hidden")


@pytest.mark.browser
def test_a_surveyor_records_offline_and_syncs_when_back_online(
    browser, live_server, field_round, tmp_path
):
    survey_round, houses, surveyor, editor = field_round
    photos = [
        _jpeg(tmp_path / "front.jpg", (200, 30, 30)),
        _jpeg(tmp_path / "side.jpg", (30, 30, 200)),
    ]
    context = browser.browser.new_context(viewport=PHONE, locale="ko-KR")
    try:
        page = _open_survey(context, live_server, survey_round)
        assert page.evaluate(NO_HORIZONTAL_SCROLL)

        context.set_offline(True)
        page.wait_for_selector("#survey-connection:text('오프라인입니다')")
        for house in houses[:3]:
            _record(page, house, photos)
        assert page.inner_text("#survey-queue-count") == "3"

        # Offline, the page comes back from the service worker with its queue.
        page.reload()
        page.wait_for_selector("body[data-survey-ready='true']")
        assert page.inner_text("#survey-queue-count") == "3"
        assert page.locator("#survey-queue li").count() == 3
        assert not SurveyObservation.objects.exists()

        context.set_offline(False)
        page.wait_for_selector("#survey-queue-count:text('0')")
        assert page.locator("#survey-queue .state-sent").count() == 3
    finally:
        context.close()

    observations = SurveyObservation.objects.filter(surveyor=surveyor)
    assert observations.count() == 3
    assert set(observations.values_list("state", flat=True)) == {"applied"}
    for house in houses[:3]:
        house.refresh_from_db()
        assert (house.grade, house.status) == (3, "surveyed")
        evidence = VacancyEvidence.objects.get(space=house)
        assert evidence.recorded_by == surveyor
        assert evidence.observed_at is not None and evidence.location is not None
        assert house.photos.count() == 2
    assert InventoryChange.objects.filter(
        content_type=ContentType.objects.get_for_model(VacantSpace),
        object_id=houses[0].pk,
        actor=surveyor,
    ).exists()
    # The city's map data says the new grade; the space page names the surveyor.
    feature = api_client().get(f"/api/v1/spaces/{houses[0].pk}/").json()
    assert feature["properties"]["grade"] == 3
    office = browser.browser.new_context(viewport=PHONE, locale="ko-KR")
    try:
        page = sign_in(
            office, live_server, "office_park", f"/ko/spaces/{houses[0].pk}/"
        )
        assert "surveyor_lee" in page.inner_text("#space-history")
        assert "surveyor_lee" in page.inner_text("#space-evidence")
        # The city's map, as its table: the new grade and status in the house's row.
        code = survey_round.municipality.code
        page.goto(f"{live_server.url}/ko/cities/{code}/spaces/list/")
        row = page.locator(f"tr[data-id='{houses[0].pk}']")
        assert row.locator("td.number").last.inner_text() == "3"
        assert "조사됨" in row.inner_text()
    finally:
        office.close()


@pytest.mark.browser
def test_an_office_change_while_the_surveyor_is_offline_is_decided_by_the_editor(
    browser, live_server, field_round
):
    survey_round, houses, surveyor, editor = field_round
    house = houses[1]
    context = browser.browser.new_context(viewport=PHONE, locale="ko-KR")
    try:
        page = _open_survey(context, live_server, survey_round)
        context.set_offline(True)
        # Meanwhile the office retires the building.
        vacant_space_transition(actor=editor, space=house, to="retired", reason="멸실")
        _record(page, house, [])
        context.set_offline(False)
        page.wait_for_selector("#survey-queue .state-conflict")
    finally:
        context.close()
    observation = SurveyObservation.objects.get(space=house)
    assert observation.state == "conflict"
    house.refresh_from_db()
    assert (house.status, house.grade) == ("retired", 1)

    office = browser.browser.new_context(viewport=PHONE, locale="ko-KR")
    try:
        page = sign_in(
            office,
            live_server,
            "office_park",
            f"/ko/cities/{survey_round.municipality.code}/survey-conflicts/",
        )
        section = page.locator(f"#conflict-{observation.pk}")
        assert "surveyor_lee" in section.inner_text()
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        section.locator("input[name='reason']").fill("현장 사진으로 확인")
        section.locator("button[value='survey']").click()
        page.wait_for_selector("#no-conflicts")
    finally:
        office.close()
    observation.refresh_from_db()
    assert (observation.state, observation.resolved_by) == ("kept_survey", editor)
    house.refresh_from_db()
    # Retired stays retired (the lifecycle allows no "surveyed" from there in one
    # step through a survey); the survey's grade is applied in the editor's name.
    assert (house.status, house.grade) == ("retired", 3)
    entry = InventoryChange.objects.filter(object_id=house.pk, actor=editor).latest(
        "id"
    )
    assert entry.changes["grade"] == [1, 3]
    assert "surveyor_lee" in entry.reason
    assert VacancyEvidence.objects.get(space=house).recorded_by == surveyor
