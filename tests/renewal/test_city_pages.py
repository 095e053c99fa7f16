"""The city page, the override form on it, and the comparison of city types (page
and API)."""

import datetime
import json
from collections import Counter

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import translation

from cities.models import (
    CityType,
    Indicator,
    MunicipalFlow,
    MunicipalityGroup,
    Observation,
    TypologyOverride,
)
from cities.selectors import city_types
from cities.typology import STUDY_GROUP, municipality_typology
from renewal.selectors.dashboard import bid_kpi_attainment_by_city_type
from renewal.selectors.downtown import downtown_health
from renewal.selectors.progress import (
    participation_events_in_scope,
    participation_totals,
)
from tests.factories import (
    MunicipalityFactory,
    ParticipationEventFactory,
    RenewalProjectFactory,
    VacantSpaceFactory,
)
from tests.helpers import api_client, count_queries, page_client

THIS_YEAR = datetime.date.today().year


def observe(municipality, code, year, value):
    indicator, _created = Indicator.objects.get_or_create(
        code=code, defaults={"name_ko": code, "name_en": code, "unit": "n"}
    )
    Observation.objects.create(
        municipality=municipality,
        indicator=indicator,
        year=year,
        value=value,
        source="test",
    )


def classify_as(municipality, city_type: str, *, base: int = 0):
    """Indicators that make the classifier give `city_type` (docs/typology.md)."""
    population, share = {
        CityType.SMALL_CITY: (100_000 + base, 10),
        CityType.REGIONAL_GROWTH_CENTRE: (300_000 + base, 10),
        CityType.INDUSTRIAL_CITY: (200_000 + base, 40),
    }[city_type]
    observe(municipality, "population", 2015, population)
    observe(municipality, "population", 2020, population + 1_000)
    observe(municipality, "manufacturing_employment_share", 2020, share)
    # Only the chosen group's cities are classified: the study's by default.
    study, _created = MunicipalityGroup.objects.get_or_create(
        slug=STUDY_GROUP, defaults={"name_ko": "연구대상", "name_en": "Study"}
    )
    study.members.add(municipality)
    return municipality


def give_downtown(municipality):
    x, y = municipality.location.x, municipality.location.y
    municipality.downtown = MultiPolygon(
        Polygon.from_bbox((x - 0.0005, y - 0.005, x + 0.0005, y + 0.005)), srid=4326
    )
    municipality.save()
    return municipality


def downtown_space(municipality, **kwargs):
    return VacantSpaceFactory(
        municipality=municipality, location=municipality.location.clone(), **kwargs
    )


def outside_space(municipality, **kwargs):
    location = Point(municipality.location.x, municipality.location.y + 0.02, srid=4326)
    return VacantSpaceFactory(municipality=municipality, location=location, **kwargs)


@pytest.fixture
def home(city):
    classify_as(city, CityType.SMALL_CITY)
    give_downtown(city)
    return city


def page_url(municipality, language="ko"):
    return f"/{language}/cities/{municipality.code}/"


# --- City page -----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("persona", ["anonymous", "city_viewer", "city_editor"])
def test_city_page_shows_type_reasons_charts_and_maps(
    personas, home, persona, language
):
    downtown_space(home)

    response = page_client(personas[persona]).get(page_url(home, language))

    assert response.status_code == 200
    body = response.content.decode()
    with translation.override(language):
        assert str(CityType.SMALL_CITY.label) in body
    assert 'id="typology-reasons"' in body
    assert body.count("<svg") >= 2  # population and downtown vacancy at least
    assert 'id="downtown-map"' in body
    assert f'href="/{language}/cities/{home.code}/bids/"' in body


def test_city_page_numbers_are_in_the_html(client, home):
    response = client.get(page_url(home))

    body = response.content.decode()
    # The population series is in the chart as text and in the table.
    assert body.count("101,000") >= 2


@pytest.mark.parametrize(
    ("persona", "sees_form"),
    [
        ("anonymous", False),
        ("resident", False),
        ("org_member", False),
        ("city_viewer", False),
        ("other_city_editor", False),
        ("city_editor", True),
    ],
)
def test_override_form_only_for_editors_of_the_city(personas, home, persona, sees_form):
    body = page_client(personas[persona]).get(page_url(home)).content.decode()

    assert ('id="typology-override-form"' in body) is sees_form


def test_editor_override_shows_beside_the_computed_type(personas, home):
    client = page_client(personas["city_editor"])

    response = client.post(
        f"/ko/cities/{home.code}/typology/",
        {"city_type": CityType.REGIONAL_GROWTH_CENTRE, "reason": "도청 소재지"},
    )

    assert response.status_code == 302
    override = TypologyOverride.objects.get(municipality=home)
    assert override.created_by == personas["city_editor"]
    body = client.get(page_url(home, "en")).content.decode()
    assert 'id="typology-override"' in body
    assert "도청 소재지" in body
    with translation.override("en"):
        assert f"<strong>{CityType.REGIONAL_GROWTH_CENTRE.label}</strong>" in body
        assert f"<strong>{CityType.SMALL_CITY.label}</strong>" in body
    assert municipality_typology(home).effective_type == CityType.REGIONAL_GROWTH_CENTRE


@pytest.mark.parametrize(
    "persona", ["anonymous", "resident", "city_viewer", "other_city_editor"]
)
def test_others_cannot_override(personas, home, persona):
    response = page_client(personas[persona]).post(
        f"/ko/cities/{home.code}/typology/",
        {"city_type": CityType.INDUSTRIAL_CITY, "reason": "x"},
    )

    assert response.status_code == 403
    assert not TypologyOverride.objects.exists()


def test_override_needs_a_reason(personas, home):
    client = page_client(personas["city_editor"])

    response = client.post(
        f"/ko/cities/{home.code}/typology/",
        {"city_type": CityType.INDUSTRIAL_CITY, "reason": " "},
        follow=True,
    )

    assert response.status_code == 200
    assert not TypologyOverride.objects.exists()
    assert list(response.context["messages"])


def test_downtown_map_embeds_only_vacant_downtown_spaces(client, home):
    inside = downtown_space(home, status="available")
    downtown_space(home, status="in_use")
    outside_space(home, status="available")

    response = client.get(page_url(home))

    config = json.loads(
        response.content.decode()
        .split('id="city-page-config" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert [feature["id"] for feature in config["spaces"]["features"]] == [inside.pk]
    assert config["spaces"]["total"] == 1
    assert config["spaces"]["features"][0]["geometry"]["type"] == "Point"
    assert "owner" not in config["spaces"]["features"][0]["properties"]


def test_zone_map_lists_the_flows_between_members(client, home, other_city):
    centre = classify_as(other_city, CityType.REGIONAL_GROWTH_CENTRE)
    for origin, destination, count in [
        (home, centre, 3_000),
        (home, home, 7_000),
        (centre, home, 500),
        (centre, centre, 50_000),
    ]:
        commute(origin, destination, count)

    response = client.get(page_url(home, "en"))

    zone = response.context["zone"]["zone"]
    assert zone["centre"] == centre.code
    flows = {(f["origin"], f["destination"]): f for f in zone["flows"]}
    assert flows[(home.code, centre.code)]["count"] == 3_000
    assert flows[(home.code, centre.code)]["weight"] == 12
    assert flows[(centre.code, home.code)]["weight"] < 12
    body = response.content.decode()
    assert 'id="zone-map"' in body
    assert "3000" in body.split('id="zone-flows"')[1]


def test_city_page_lists_visible_projects_and_counts_stages(client, home):
    RenewalProjectFactory(municipality=home, status="approved", title="공유부엌")
    RenewalProjectFactory(municipality=home, status="approved", is_hidden=True)

    response = client.get(page_url(home, "en"))

    assert "공유부엌" in response.content.decode()
    assert response.context["projects_total"] == 1


def test_unknown_city_is_404(client, db):
    assert client.get("/ko/cities/99999/").status_code == 404


def test_home_links_each_city_to_its_page_and_nav_to_the_dashboard(client, home):
    body = client.get("/ko/").content.decode()

    assert f'href="/ko/cities/{home.code}/"' in body
    assert 'href="/ko/dashboard/" id="dashboard-link"' in body


# --- Dashboard -----------------------------------------------------------------------


@pytest.fixture
def typed_cities(db):
    """Two cities of each type, each with projects, events and spaces."""
    cities = []
    for number, city_type in enumerate(
        [CityType.SMALL_CITY, CityType.REGIONAL_GROWTH_CENTRE, CityType.INDUSTRIAL_CITY]
        * 2
    ):
        town = give_downtown(MunicipalityFactory())
        classify_as(town, city_type, base=number * 1_000)
        for _ in range(number % 3 + 1):
            downtown_space(town)
        outside_space(town)
        RenewalProjectFactory(municipality=town, status="proposed")
        RenewalProjectFactory(
            municipality=town, status=["approved", "in_progress"][number % 2]
        )
        ParticipationEventFactory(
            project__municipality=town, attendees_65_plus=number, volunteer_hours=2
        )
        cities.append(town)
    return cities


def dashboard(user=None) -> dict:
    response = api_client(user).get("/api/v1/dashboard/city-types/")
    assert response.status_code == 200
    return response.json()


def test_dashboard_aggregates_equal_the_sum_of_their_parts(typed_cities):
    body = dashboard()

    assert body["period"] == THIS_YEAR
    by_type = {entry["type"]: entry for entry in body["types"]}
    assert set(by_type) == set(CityType.values)
    types = city_types()
    for city_type, entry in by_type.items():
        members = [m for m in typed_cities if types[m.pk] == city_type]
        assert sorted(entry["cities"]) == sorted(m.code for m in members)
        assert len(members) == 2

        population = Counter()
        for municipality in members:
            for observation in Observation.objects.filter(
                municipality=municipality, indicator__code="population"
            ):
                population[observation.year] += int(observation.value)
        assert {p["year"]: p["population"] for p in entry["population_trend"]} == dict(
            population
        )

        stages = Counter()
        for municipality in members:
            for project in municipality.projects.all():
                stages[project.status] += 1
        assert entry["projects_by_stage"] == dict(stages)
        assert entry["projects_total"] == sum(stages.values())

        events = attendees = hours = 0
        for municipality in members:
            totals = participation_totals(
                events=participation_events_in_scope(
                    user=AnonymousUser(), municipality=municipality
                )
            )
            events += totals.events
            attendees += totals.attendees
            hours += float(totals.volunteer_hours)
        assert entry["participation"] == {
            "events": events,
            "attendees": attendees,
            "volunteer_hours": hours,
        }

        health = [downtown_health(m, year=THIS_YEAR) for m in members]
        vacancy = entry["downtown_vacancy"]
        assert vacancy["downtown_vacant"] == sum(h.downtown.vacant for h in health)
        assert vacancy["outside_vacant"] == sum(h.outside.vacant for h in health)
        assert vacancy["new_vacancies"] == sum(
            h.downtown.new_vacancies + h.outside.new_vacancies for h in health
        )
        assert entry["bid_kpi_attainment"] is None


def test_dashboard_follows_an_override(personas, typed_cities):
    small = next(m for m in typed_cities if city_types()[m.pk] == CityType.SMALL_CITY)
    TypologyOverride.objects.create(
        municipality=small, city_type=CityType.INDUSTRIAL_CITY, reason="test"
    )

    by_type = {entry["type"]: entry for entry in dashboard()["types"]}

    assert small.code in by_type[CityType.INDUSTRIAL_CITY]["cities"]
    assert small.code not in by_type[CityType.SMALL_CITY]["cities"]
    assert len(by_type[CityType.INDUSTRIAL_CITY]["cities"]) == 3


def test_dashboard_counts_hidden_projects_only_for_staff_of_their_city(personas, city):
    classify_as(city, CityType.SMALL_CITY)
    RenewalProjectFactory(municipality=city, status="proposed", is_hidden=True)

    def proposed(user=None):
        by_type = {entry["type"]: entry for entry in dashboard(user)["types"]}
        return by_type[CityType.SMALL_CITY]["projects_by_stage"].get("proposed", 0)

    assert proposed() == 0
    assert proposed(personas["city_viewer"]) == 1


def test_bid_kpi_attainment_is_empty_without_bids(typed_cities):
    assert bid_kpi_attainment_by_city_type(city_types()) == {}


def bid_with_kpis(municipality, kpis):
    """kpis: [(target, higher_is_better, [observed values, oldest first]), …]."""
    from renewal.models import BusinessImprovementDistrict, Kpi, KpiObservation
    from tests.factories import CommunityOrganizationFactory

    x, y = municipality.location.x, municipality.location.y
    district = BusinessImprovementDistrict.objects.create(
        municipality=municipality,
        name=f"BID {municipality.code}",
        polygon=MultiPolygon(
            Polygon.from_bbox((x - 0.001, y - 0.001, x + 0.001, y + 0.001)), srid=4326
        ),
        management_organization=CommunityOrganizationFactory(municipality=municipality),
    )
    codes = ["footfall", "vacancy_rate", "sales_index", "events_held"]
    for code, (target, higher, values) in zip(codes, kpis, strict=False):
        kpi = Kpi.objects.create(
            district=district,
            code=code,
            unit="n",
            target=target,
            higher_is_better=higher,
        )
        for month, value in enumerate(values, start=1):
            KpiObservation.objects.create(
                kpi=kpi,
                period=datetime.date(2025, month, 1),
                value=value,
                source="test",
            )


def test_bid_kpi_attainment_sums_the_districts_of_each_type(typed_cities):
    types = city_types()
    small = [m for m in typed_cities if types[m.pk] == CityType.SMALL_CITY]
    industrial = next(
        m for m in typed_cities if types[m.pk] == CityType.INDUSTRIAL_CITY
    )
    # Met on its latest value (the earlier miss no longer counts); a lower-is-better
    # vacancy rate above target is missed; no observation yet.
    bid_with_kpis(small[0], [(100, True, [90, 120]), (10, False, [12]), (5, True, [])])
    bid_with_kpis(small[1], [(100, True, [100]), (10, False, [8])])
    bid_with_kpis(industrial, [(50, True, [10])])

    by_type = {entry["type"]: entry for entry in dashboard()["types"]}

    assert by_type[CityType.SMALL_CITY]["bid_kpi_attainment"] == {
        "kpis": 5,
        "observed": 4,
        "met": 3,
        "attainment_pct": 75.0,
    }
    assert by_type[CityType.INDUSTRIAL_CITY]["bid_kpi_attainment"]["met"] == 0
    assert by_type[CityType.REGIONAL_GROWTH_CENTRE]["bid_kpi_attainment"] is None


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("persona", ["anonymous", "city_editor"])
def test_dashboard_page_shows_charts_and_tables(
    personas, typed_cities, persona, language
):
    response = page_client(personas[persona]).get(f"/{language}/dashboard/")

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<svg") == 4
    for table in ["cities", "population", "vacancy", "projects", "participation"]:
        assert f'id="dashboard-{table}"' in body
    assert f'href="/{language}/cities/{typed_cities[0].code}/"' in body
    with translation.override(language):
        assert str(CityType.INDUSTRIAL_CITY.label) in body


# --- Query counts --------------------------------------------------------------------


def add_typed_cities(count: int):
    for number in range(count):
        town = give_downtown(MunicipalityFactory())
        classify_as(town, list(CityType)[number % 3], base=number)
        downtown_space(town)
        RenewalProjectFactory(municipality=town)
        ParticipationEventFactory(project__municipality=town)


@pytest.mark.parametrize("url", ["/api/v1/dashboard/city-types/", "/ko/dashboard/"])
def test_dashboard_queries_do_not_grow_with_cities(client, db, url):
    add_typed_cities(3)
    client.get(url)  # content types and sessions cached alike for both runs
    response, few = count_queries(client, url)
    assert response.status_code == 200

    add_typed_cities(15)
    response, many = count_queries(client, url)
    assert response.status_code == 200

    assert many == few


def commute(origin, destination, count=100):
    MunicipalFlow.objects.create(
        origin=origin,
        destination=destination,
        year=2020,
        purpose="commute",
        count=count,
        source="test",
    )


def test_city_page_queries_do_not_grow_with_spaces_projects_or_zone(
    client, home, other_city
):
    downtown_space(home)
    RenewalProjectFactory(municipality=home)
    classify_as(other_city, CityType.SMALL_CITY, base=-50_000)
    commute(other_city, home)
    client.get(page_url(home))
    response, few = count_queries(client, page_url(home))
    assert response.status_code == 200
    assert client.get(page_url(home)).context["zone"]["zone"]["members"]

    for _ in range(20):
        downtown_space(home)
        outside_space(home)
        RenewalProjectFactory(municipality=home)
    for _ in range(5):
        town = classify_as(MunicipalityFactory(), CityType.SMALL_CITY, base=-50_000)
        commute(town, home)
    response, many = count_queries(client, page_url(home))
    assert response.status_code == 200

    assert len(client.get(page_url(home)).context["zone"]["zone"]["members"]) == 7
    assert many == few
