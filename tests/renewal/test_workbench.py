"""The city workbench: its sections, who sees it, review decisions from the queue,
bulk changes of the spaces list and the list's export links."""

import csv
import io
import re
import subprocess
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.utils import timezone

from renewal.models import (
    CityRole,
    ContentReport,
    InventoryChange,
    MatchingSettings,
    Notification,
    OwnershipClaim,
    ProjectStatus,
    ProjectTransition,
    RenewalProject,
    SpaceImport,
    SpaceOwner,
    UseAgreement,
    VacantSpace,
)
from renewal.models.matching import MATCHING_SETTINGS_FIELDS
from renewal.services.projects import renewal_project_transition
from renewal.services.roles import city_role_grant
from tests.factories import (
    CommentFactory,
    MatchFactory,
    RenewalProjectFactory,
    UserFactory,
    VacantSpaceFactory,
)
from tests.helpers import count_queries, page_client


def _url(city) -> str:
    return f"/en/cities/{city.code}/work/"


def _decide_url(city, project) -> str:
    return f"/en/cities/{city.code}/work/projects/{project.pk}/decision/"


def _one_of_each(city, *, rows: int = 1, age_days: int = 0) -> None:
    """`rows` items of every section in `city`."""
    long_ago = timezone.now() - timedelta(days=400)
    today = timezone.localdate()
    for _ in range(rows):
        project = RenewalProjectFactory(municipality=city, status="proposed")
        if age_days:
            RenewalProject.objects.filter(pk=project.pk).update(
                created_at=timezone.now() - timedelta(days=age_days)
            )
        MatchFactory(project__municipality=city, status="offered")
        active = MatchFactory(project__municipality=city, status="active")
        UseAgreement.objects.create(
            match=active,
            kind="lease",
            start_date=today - timedelta(days=300),
            end_date=today + timedelta(days=30),
        )
        stale = VacantSpaceFactory(municipality=city, status="surveyed")
        VacantSpace.objects.filter(pk=stale.pk).update(status_changed_at=long_ago)
        SpaceImport.objects.create(
            municipality=city, original_filename="survey.csv", status="failed"
        )
        ContentReport.objects.create(
            reporter=UserFactory(),
            content_type=ContentType.objects.get_for_model(RenewalProject),
            object_id=project.pk,
            reason="광고글",
        )
        comment = CommentFactory(project=project)
        ContentReport.objects.create(
            reporter=UserFactory(),
            content_type=ContentType.objects.get_for_model(comment),
            object_id=comment.pk,
            reason="욕설",
        )
        OwnershipClaim.objects.create(
            claimant=UserFactory(),
            municipality=city,
            space=VacantSpaceFactory(municipality=city),
            evidence="on_site",
        )


def _counts(response) -> dict[str, int]:
    return {s.key: s.count for s in response.context["workbench"].sections}


def test_each_section_counts_what_waits_in_this_city_only(personas, city, other_city):
    _one_of_each(city)
    _one_of_each(other_city, rows=2)
    # Not waiting: decided proposals, answered offers, agreements ending later or
    # already past, spaces moved recently or settled, imports that went through,
    # resolved reports.
    today = timezone.localdate()
    RenewalProjectFactory(municipality=city, status="approved")
    MatchFactory(project__municipality=city, status="accepted")
    later = MatchFactory(project__municipality=city, status="active")
    UseAgreement.objects.create(
        match=later,
        kind="lease",
        start_date=today,
        end_date=today + timedelta(days=61),
    )
    VacantSpaceFactory(municipality=city, status="surveyed")
    settled = VacantSpaceFactory(municipality=city, status="retired")
    VacantSpace.objects.filter(pk=settled.pk).update(
        status_changed_at=timezone.now() - timedelta(days=900)
    )
    SpaceImport.objects.create(
        municipality=city, original_filename="ok.csv", status="succeeded"
    )
    old_failure = SpaceImport.objects.create(
        municipality=city, original_filename="old.csv", status="failed"
    )
    SpaceImport.objects.filter(pk=old_failure.pk).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    ContentReport.objects.filter(reason="욕설").update(resolved=True)
    OwnershipClaim.objects.create(
        claimant=UserFactory(),
        municipality=city,
        space=VacantSpaceFactory(municipality=city),
        evidence="on_site",
        status="verified",
    )

    response = page_client(personas["city_editor"]).get(_url(city))

    assert response.status_code == 200
    assert _counts(response) == {
        "proposals": 1,
        "offered_matches": 1,
        "agreements_ending": 1,
        "spaces_unchanged": 1,
        "failed_imports": 1,
        # The other city's two reports stay there; this city's resolved one left.
        "reports": 1,
        # Pending ownership claims; the verified one has left the desk.
        "claims": 1,
        # None here: tests/renewal/test_surveys.py makes one.
        "survey_conflicts": 0,
    }
    html = response.content.decode()
    assert "survey.csv" in html
    assert "old.csv" not in html


def test_proposals_are_listed_oldest_first_with_their_age(personas, city):
    newer = RenewalProjectFactory(municipality=city, title="새 제안")
    older = RenewalProjectFactory(
        municipality=city, title="오래된 제안", status="under_review"
    )
    RenewalProject.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=12)
    )

    response = page_client(personas["city_editor"]).get(_url(city))

    rows = response.context["workbench"].proposals.rows
    assert [p.pk for p in rows] == [older.pk, newer.pk]
    assert "waiting 1\xa0week, 5\xa0days" in response.content.decode()


def test_the_page_asks_as_many_queries_for_many_rows_as_for_one(
    personas, city, django_assert_max_num_queries
):
    _one_of_each(city)
    client = page_client(personas["city_editor"])
    response, with_one = count_queries(client, _url(city))
    assert response.status_code == 200
    _one_of_each(city, rows=25)

    with django_assert_max_num_queries(with_one):
        response = client.get(_url(city))

    assert _counts(response)["proposals"] == 26
    # Each list stops at its first rows; the count tells the rest.
    assert len(response.context["workbench"].proposals.rows) == 10


def test_who_may_open_the_workbench(personas, city):
    url = _url(city)
    assert page_client(personas["city_viewer"]).get(url).status_code == 200
    assert page_client(personas["resident"]).get(url).status_code == 403
    assert page_client(personas["other_city_editor"]).get(url).status_code == 403
    anonymous = page_client().get(url)
    assert anonymous.status_code == 302
    assert (
        "/accounts/login/" in anonymous["Location"] or "login" in anonymous["Location"]
    )
    assert (
        page_client(personas["city_editor"])
        .get("/en/cities/0000000000/work/")
        .status_code
        == 404
    )


def test_viewers_see_the_queue_without_decision_buttons_and_cannot_post(personas, city):
    project = RenewalProjectFactory(municipality=city)
    viewer = page_client(personas["city_viewer"])

    html = viewer.get(_url(city)).content.decode()
    assert project.title in html
    assert "workbench-decision" not in html
    assert "read-only" in html

    response = viewer.post(
        _decide_url(city, project), {"to": "approved", "seen_status": "proposed"}
    )
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.status == ProjectStatus.PROPOSED


def test_header_link_and_city_picker(personas, city, other_city):
    editor = personas["city_editor"]
    html = page_client(editor).get("/en/").content.decode()
    assert 'id="workbench-link"' in html
    assert 'id="workbench-link"' not in (
        page_client(personas["resident"]).get("/en/").content.decode()
    )
    # One city: straight to it.
    response = page_client(editor).get("/en/cities/work/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/cities/{city.code}/work/")

    city_role_grant(user=editor, municipality=other_city, role=CityRole.VIEWER)
    response = page_client(editor).get("/ko/cities/work/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/cities/{city.code}/work/" in html
    assert f"/cities/{other_city.code}/work/" in html
    assert page_client(personas["resident"]).get("/en/cities/work/").status_code == 403


def test_approving_a_new_proposal_takes_one_post_and_tells_the_proposer_once(
    personas, city, django_capture_on_commit_callbacks
):
    project = RenewalProjectFactory(municipality=city, proposer=personas["resident"])
    editor = page_client(personas["city_editor"])

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            _decide_url(city, project),
            {"to": "approved", "seen_status": "proposed", "reason": ""},
            follow=True,
        )

    project.refresh_from_db()
    assert project.status == ProjectStatus.APPROVED
    assert list(
        ProjectTransition.objects.filter(project=project).values_list(
            "from_status", "to_status"
        )
    ) == [("proposed", "under_review"), ("under_review", "approved")]
    # The review's start and its decision are one act: one notification.
    assert Notification.objects.filter(user=personas["resident"]).count() == 1
    assert "is approved" in response.content.decode()


def test_rejecting_needs_a_reason_which_the_proposer_reads(
    personas, city, django_capture_on_commit_callbacks
):
    project = RenewalProjectFactory(
        municipality=city, proposer=personas["resident"], status="under_review"
    )
    editor = page_client(personas["city_editor"])

    response = editor.post(
        _decide_url(city, project),
        {"to": "rejected", "seen_status": "under_review", "reason": "  "},
        follow=True,
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.UNDER_REVIEW
    assert "Say why the project is rejected" in response.content.decode()
    assert not ProjectTransition.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        editor.post(
            _decide_url(city, project),
            {
                "to": "rejected",
                "seen_status": "under_review",
                "reason": "부지가 하천구역",
            },
        )
    project.refresh_from_db()
    assert project.status == ProjectStatus.REJECTED
    message = Notification.objects.get(user=personas["resident"]).message
    assert "부지가 하천구역" in message


def test_asking_for_changes_then_the_proposer_resubmits(
    personas, city, django_capture_on_commit_callbacks
):
    proposer = personas["resident"]
    project = RenewalProjectFactory(municipality=city, proposer=proposer)
    editor = page_client(personas["city_editor"])

    editor.post(
        _decide_url(city, project),
        {"to": "changes_requested", "seen_status": "proposed", "reason": ""},
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.PROPOSED  # a reason is required
    assert not ProjectTransition.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        editor.post(
            _decide_url(city, project),
            {
                "to": "changes_requested",
                "seen_status": "proposed",
                "reason": "면적을 적어 주세요",
            },
        )
    project.refresh_from_db()
    assert project.status == ProjectStatus.CHANGES_REQUESTED
    assert "면적을 적어 주세요" in Notification.objects.get(user=proposer).message
    # Off the queue until resubmitted; then back on it.
    assert _counts(editor.get(_url(city)))["proposals"] == 0
    renewal_project_transition(actor=proposer, project=project, to="proposed")
    assert _counts(editor.get(_url(city)))["proposals"] == 1


def test_a_second_click_or_a_stale_form_changes_nothing_and_says_so(personas, city):
    project = RenewalProjectFactory(municipality=city, status="under_review")
    editor = page_client(personas["city_editor"])
    form = {"to": "approved", "seen_status": "under_review"}

    editor.post(_decide_url(city, project), form)
    response = editor.post(_decide_url(city, project), form, follow=True)
    stale = editor.post(
        _decide_url(city, project),
        {"to": "rejected", "seen_status": "under_review", "reason": "늦은 판단"},
        follow=True,
    )

    project.refresh_from_db()
    assert project.status == ProjectStatus.APPROVED
    assert ProjectTransition.objects.filter(to_status="approved").count() == 1
    assert not ProjectTransition.objects.filter(to_status="rejected").exists()
    for page in (response, stale):
        assert "already “Approved”" in unescape(page.content.decode())
        assert "Nothing was changed" in page.content.decode()


def test_a_forged_decision_is_refused_with_a_sentence(personas, city, other_city):
    project = RenewalProjectFactory(municipality=city)
    elsewhere = RenewalProjectFactory(municipality=other_city)
    editor = page_client(personas["city_editor"])

    response = editor.post(
        _decide_url(city, project),
        {"to": "in_progress", "seen_status": "proposed"},
        follow=True,
    )
    assert "is not a review decision" in unescape(response.content.decode())
    # Another city's project through this city's address: not found.
    assert (
        editor.post(
            _decide_url(city, elsewhere), {"to": "approved", "seen_status": "proposed"}
        ).status_code
        == 404
    )
    project.refresh_from_db()
    elsewhere.refresh_from_db()
    assert project.status == elsewhere.status == ProjectStatus.PROPOSED


def _bulk(client, city, **data):
    return client.post(f"/en/cities/{city.code}/spaces/bulk/", data)


def test_bulk_status_change_reports_each_row(personas, city, other_city):
    surveyed = VacantSpaceFactory.create_batch(2, municipality=city, status="surveyed")
    reported = VacantSpaceFactory(municipality=city, status="reported")
    foreign = VacantSpaceFactory(municipality=other_city, status="surveyed")
    ids = [s.pk for s in (*surveyed, reported, foreign)]

    response = _bulk(
        page_client(personas["city_editor"]),
        city,
        action="status",
        to="available",
        reason="2026 현장조사",
        space=ids,
    )

    assert response.status_code == 200
    html = unescape(response.content.decode())
    rows = dict(re.findall(r'data-id="(\d+)" data-ok="(true|false)"', html))
    assert rows == {
        str(surveyed[0].pk): "true",
        str(surveyed[1].pk): "true",
        str(reported.pk): "false",
        str(foreign.pk): "false",
    }
    assert "cannot become “Available”" in html
    assert "No such space in this city." in html
    for space in surveyed:
        space.refresh_from_db()
        assert space.status == "available"
        assert space.status_changed_at > timezone.now() - timedelta(minutes=5)
    reported.refresh_from_db()
    foreign.refresh_from_db()
    assert (reported.status, foreign.status) == ("reported", "surveyed")
    assert (
        InventoryChange.objects.filter(action="status", reason="2026 현장조사").count()
        == 2
    )


def test_bulk_grade_goes_through_the_grade_rules(personas, city):
    # Vacant-house grades apply to houses only (a shop would be refused for that).
    spaces = VacantSpaceFactory.create_batch(2, municipality=city, kind="house")

    response = _bulk(
        page_client(personas["city_editor"]),
        city,
        action="grade",
        grading_scheme="national-2023",
        grade="4",
        space=[s.pk for s in spaces],
    )
    assert response.content.decode().count('data-ok="false"') == 2
    response = _bulk(
        page_client(personas["city_editor"]),
        city,
        action="grade",
        grading_scheme="urban-2021",
        grade="4",
        space=[s.pk for s in spaces],
    )
    assert response.content.decode().count('data-ok="true"') == 2
    assert set(
        VacantSpace.objects.filter(pk__in=[s.pk for s in spaces]).values_list(
            "grading_scheme", "grade"
        )
    ) == {("urban-2021", 4)}


def test_bulk_changes_are_for_the_citys_editors(personas, city):
    space = VacantSpaceFactory(municipality=city, status="surveyed")
    for persona in ("city_viewer", "other_city_editor", "resident"):
        response = _bulk(
            page_client(personas[persona]),
            city,
            action="status",
            to="available",
            space=[space.pk],
        )
        assert response.status_code == 403
    viewer_list = page_client(personas["city_viewer"]).get(
        f"/en/cities/{city.code}/spaces/list/"
    )
    assert "space-bulk-form" not in viewer_list.content.decode()
    space.refresh_from_db()
    assert space.status == "surveyed"


def _export_link(html: str, file_format: str) -> str:
    href = re.search(rf'href="([^"]+)" data-format="{file_format}"', html)[1]
    return unescape(href)


def test_list_page_exports_exactly_its_filters_as_a_geopackage(
    personas, city, other_city, tmp_path
):
    available = VacantSpaceFactory.create_batch(
        3, municipality=city, status="available", kind="house"
    )
    VacantSpaceFactory(municipality=city, status="available", kind="shop")
    VacantSpaceFactory(municipality=city, status="surveyed", kind="house")
    VacantSpaceFactory(municipality=other_city, status="available", kind="house")
    SpaceOwner.objects.create(space=available[0], name="김소유")
    editor = page_client(personas["city_editor"])

    page = editor.get(
        f"/en/cities/{city.code}/spaces/list/", {"status": "available", "kind": "house"}
    )
    response = editor.get(_export_link(page.content.decode(), "gpkg"))

    assert response.status_code == 200
    path = tmp_path / "spaces.gpkg"
    path.write_bytes(b"".join(response.streaming_content))
    info = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Feature Count: 3" in info
    assert "owner_name" in info
    features = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-q", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "김소유" in features


def test_export_link_gives_owner_details_only_for_the_callers_own_city(personas, city):
    space = VacantSpaceFactory(municipality=city, status="available")
    SpaceOwner.objects.create(space=space, name="김소유")
    for persona, expected in (("city_editor", "김소유"), ("other_city_editor", "")):
        client = page_client(personas[persona])
        page = client.get(f"/en/cities/{city.code}/spaces/", {"status": "available"})
        response = client.get(_export_link(page.content.decode(), "csv"))
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        [row] = list(csv.DictReader(io.StringIO(text)))
        assert row["platform_id"] == str(space.pk)
        assert row["owner_name"] == expected


WORKBENCH_ROW = re.compile(
    r"^\s*(?P<page_med>[\d.]+)\s+(?P<page_p95>[\d.]+)\s+(?P<raw_med>[\d.]+)\s+"
    r"(?P<raw_p95>[\d.]+)\s+(?P<ratio>[\d.]+)\s+(?P<cpu>[\d.]+)\s+(?P<queries>[\d/]+)"
    r"\s+p95<150ms",
    re.MULTILINE,
)


@pytest.mark.django_db(transaction=True)
def test_bench_workbench_times_the_page_against_its_statements():
    out = io.StringIO()

    call_command(
        "bench_workbench",
        "--spaces=300",
        "--projects=40",
        "--repeat=2",
        "--allow-test-database",
        stdout=out,
    )

    text = out.getvalue()
    row = WORKBENCH_ROW.search(text)
    assert row, text
    # One count of statements for every repetition: nothing grows per row.
    assert "/" not in row["queries"]
    assert float(row["ratio"]) == pytest.approx(
        float(row["page_p95"]) / float(row["raw_p95"]), rel=0.05, abs=0.02
    )
    sections = dict(re.findall(r"(\w+) ([\d,]*\d)", text.split("Sections: ")[1]))
    # Two of every twelve projects wait for review; a tenth are offered a space.
    assert sections["proposals"] == "7"
    assert sections["offered_matches"] == "4"


def test_matching_settings_preview_shows_the_effect_without_saving(personas, city):
    project = RenewalProjectFactory(
        municipality=city, status="approved", needs_space_kinds=["shop"]
    )
    x, y = city.location.x, city.location.y
    near_house = VacantSpaceFactory(
        municipality=city, kind="house", status="available", location=Point(x, y)
    )
    far_shop = VacantSpaceFactory(
        municipality=city,
        kind="shop",
        status="available",
        location=Point(x + 0.02, y, srid=4326),
    )
    defaults = MatchingSettings()
    form = {name: getattr(defaults, name) for name in MATCHING_SETTINGS_FIELDS}
    form.pop("compact_centre")  # an unticked checkbox is not sent
    # Only distance counts: the near house goes first.
    form.update(
        weight_kind=0,
        weight_size=0,
        weight_condition=0,
        weight_availability=0,
        weight_cost=0,
        weight_downtown=0,
        weight_distance=10,
    )
    url = f"/en/cities/{city.code}/matching-settings/"
    editor = page_client(personas["city_editor"])

    response = editor.post(url, {**form, "preview": "1", "preview_project": project.pk})

    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview["current"][0]["id"] == far_shop.pk  # kind fit weighs most now
    assert preview["proposed"][0]["id"] == near_house.pk
    assert not MatchingSettings.objects.exists()
    assert not InventoryChange.objects.exists()
    # A viewer cannot preview (the form is read-only for them).
    assert (
        page_client(personas["city_viewer"])
        .post(url, {**form, "preview": "1", "preview_project": project.pk})
        .status_code
        == 403
    )

    editor.post(url, form)
    assert MatchingSettings.objects.get(municipality=city).weight_distance == 10
    # The saved change is recorded in the city's history.
    assert InventoryChange.objects.filter(municipality=city).exists()
