import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone

from cities.demo import METRIC_SRID, illustrative_downtown
from cities.models import Municipality
from renewal.demo.projects import (
    MARKER,
    RESIDENTS,
    TITLE_PREFIX,
    demo_projects_load,
)
from renewal.models import (
    AreaFollow,
    AssignmentRun,
    Comment,
    CommunityOrganization,
    Notification,
    OrganizationKind,
    ParticipationEvent,
    ProgressUpdate,
    ProjectStatus,
    ProjectSupport,
    ProjectTransition,
    RenewalProject,
)
from renewal.models.projects import PROJECT_TRANSITIONS
from tests.factories import MunicipalityFactory

LED = {ProjectStatus.APPROVED, ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED}


@pytest.fixture
def few_cities(db):
    """Three cities where the study has them, without loading all 57 (a second each):
    one with a downtown, one with a downtown and a boundary, one with neither."""
    andong = Point(128.7294, 36.5684, srid=4326)
    MunicipalityFactory(
        code="47170",
        name_ko="안동시",
        location=andong,
        downtown=illustrative_downtown(andong, 800),
    )
    chuncheon = Point(127.7298, 37.8813, srid=4326)
    MunicipalityFactory(
        code="51110",
        name_ko="춘천시",
        location=chuncheon,
        downtown=illustrative_downtown(chuncheon, 800),
        # Only the eastern part of the downtown lies inside: places must too.
        boundary=MultiPolygon(
            Polygon.from_bbox((127.727, 37.8, 127.9, 37.95)), srid=4326
        ),
    )
    MunicipalityFactory(
        code="51150", name_ko="강릉시", location=Point(128.8761, 37.7519, srid=4326)
    )
    return Municipality.objects.filter(code__in=("47170", "51110", "51150")).order_by(
        "code"
    )


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            RenewalProject,
            ProjectTransition,
            ProjectSupport,
            Comment,
            ProgressUpdate,
            ParticipationEvent,
            CommunityOrganization,
            get_user_model(),
        )
    }


def _snapshot() -> list[tuple]:
    return list(
        RenewalProject.objects.order_by("municipality__code", "title").values_list(
            "municipality__code", "title", "category", "status", "place"
        )
    )


def test_each_city_gets_two_to_four_projects_with_dependants_in_bounds(few_cities):
    created = demo_projects_load(municipalities=few_cities)

    assert created == RenewalProject.objects.count()
    for city in few_cities:
        projects = list(RenewalProject.objects.filter(municipality=city))
        assert 2 <= len(projects) <= 4
        assert len({project.category for project in projects}) == len(projects)
        centre = (city.downtown.centroid if city.downtown else city.location).transform(
            METRIC_SRID, clone=True
        )
        for project in projects:
            assert project.proposer.username in RESIDENTS
            assert not project.is_hidden
            place = project.place.transform(METRIC_SRID, clone=True)
            assert place.distance(centre) <= 600
            assert city.boundary is None or city.boundary.intersects(project.place)
            supports = project.supports.all()
            assert 0 <= supports.count() <= 5
            assert all(s.user.username in RESIDENTS for s in supports)
            updates = project.updates.count()
            events = project.events.count()
            if project.status in LED:
                assert project.lead_organization.municipality == city
                assert 1 <= updates <= 3
            else:
                assert project.lead_organization is None
                assert updates == 0
            if project.status == ProjectStatus.IN_PROGRESS:
                assert 1 <= events <= 3
            else:
                assert events == 0


def test_study_cities_cover_the_workflow_through_allowed_steps_and_rising_progress(
    demo_data,
):
    created = demo_projects_load()

    projects = RenewalProject.objects.prefetch_related("transitions", "updates")
    assert RenewalProject.objects.values("municipality").distinct().count() == 40
    assert 80 <= created <= 160
    assert set(projects.values_list("status", flat=True)) == set(ProjectStatus.values)
    for project in projects:
        path = [ProjectStatus.PROPOSED]
        for transition in project.transitions.all():
            assert transition.from_status == path[-1]
            assert transition.to_status in PROJECT_TRANSITIONS[path[-1]]
            path.append(transition.to_status)
        assert path[-1] == project.status
        percents = [
            update.percent_complete
            for update in sorted(project.updates.all(), key=lambda u: u.created_at)
        ]
        assert percents == sorted(percents)
        assert bool(percents) == (project.status in LED)
        assert (percents[-1:] == [100]) == (project.status == ProjectStatus.COMPLETED)


def test_loading_twice_creates_nothing_the_second_time(few_cities):
    demo_projects_load(municipalities=few_cities)
    before = _counts()

    assert demo_projects_load(municipalities=few_cities) == 0
    assert _counts() == before


def test_the_same_city_always_gets_the_same_projects(few_cities):
    demo_projects_load(municipalities=few_cities)
    first = _snapshot()
    RenewalProject.objects.all().delete()

    demo_projects_load(municipalities=few_cities)

    assert _snapshot() == first


def test_everything_loaded_says_it_is_illustrative(few_cities):
    demo_projects_load(municipalities=few_cities)

    projects = RenewalProject.objects.all()
    assert all(project.title.startswith(TITLE_PREFIX) for project in projects)
    for texts in (
        projects.values_list("description", flat=True),
        ProjectTransition.objects.values_list("reason", flat=True),
        ProgressUpdate.objects.values_list("text", flat=True),
        ParticipationEvent.objects.values_list("place", flat=True),
        CommunityOrganization.objects.values_list("description", flat=True),
        Comment.objects.values_list("body", flat=True),
    ):
        assert texts and all(MARKER in text for text in texts)
    assert "illustrative" in projects.first().description.lower()


def test_each_city_has_one_unverified_illustrative_organisation(few_cities):
    demo_projects_load(municipalities=few_cities)

    for city in few_cities:
        organizations = CommunityOrganization.objects.filter(municipality=city)
        assert organizations.count() == 1
        organization = organizations.get()
        assert organization.kind in {
            OrganizationKind.VILLAGE_ENTERPRISE,
            OrganizationKind.COOPERATIVE,
        }
        assert not organization.verified


def test_events_fall_in_2025_or_2026_and_nothing_is_dated_in_the_future(few_cities):
    demo_projects_load(municipalities=few_cities)
    today, now = timezone.localdate(), timezone.now()

    dates = list(ParticipationEvent.objects.values_list("date", flat=True))
    assert dates
    assert all(datetime.date(2025, 1, 1) <= day <= today for day in dates)
    assert all(day.year in (2025, 2026) for day in dates)
    for stamps in (
        RenewalProject.objects.values_list("created_at", flat=True),
        ProjectTransition.objects.values_list("at", flat=True),
        ProgressUpdate.objects.values_list("created_at", flat=True),
        Comment.objects.values_list("created_at", flat=True),
    ):
        assert all(stamp <= now for stamp in stamps)
    # The workflow took time: proposals are back-dated, not stamped "now".
    assert RenewalProject.objects.filter(created_at__year=2024).count() == len(
        RenewalProject.objects.all()
    )


def test_attendees_are_counted_by_age_band_with_volunteer_hours(few_cities):
    demo_projects_load(municipalities=few_cities)

    for event in ParticipationEvent.objects.all():
        assert event.attendees > 0
        assert event.attendees_65_plus >= 0 and event.volunteer_hours > 0
        assert event.organization == event.project.lead_organization


def test_loading_notifies_nobody_and_queues_no_assignment_run(
    few_cities, resident, mailoutbox, django_capture_on_commit_callbacks
):
    # A follower of Andong's downtown would be told of any new project there if the
    # loader went through the notifying services.
    andong = few_cities.get(code="47170")
    centre = andong.downtown.centroid if andong.downtown else andong.location
    AreaFollow.objects.create(
        user=resident, center=Point(centre.x, centre.y, srid=4326), radius_m=5000
    )

    with django_capture_on_commit_callbacks(execute=True):
        demo_projects_load(municipalities=few_cities)

    assert RenewalProject.objects.filter(municipality=andong).exists()
    assert Notification.objects.count() == 0
    assert AssignmentRun.objects.count() == 0
    assert mailoutbox == []


def test_demo_residents_cannot_sign_in(few_cities, client):
    demo_projects_load(municipalities=few_cities)

    residents = get_user_model().objects.filter(username__in=RESIDENTS)
    assert residents.count() == 5
    assert not any(user.has_usable_password() for user in residents)
    assert not client.login(username=RESIDENTS[0], password="")
