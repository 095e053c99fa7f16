"""Pages that start and run a Business Improvement District, through the services."""

import json
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cities.demo import illustrative_downtown
from renewal.models import BidStatus, BusinessImprovementDistrict
from tests.factories import CommunityOrganizationFactory
from tests.renewal.test_bids import district_area, near


@pytest.fixture
def downtown_city(city):
    city.downtown = illustrative_downtown(city.location, 800)
    city.save()
    return city


@pytest.fixture
def bid_body(downtown_city):
    return CommunityOrganizationFactory(
        municipality=downtown_city, kind="bid_body", name="Market body"
    )


def start_form(city, body, **values):
    return {
        "name": "Market street",
        "management_organization": body.pk,
        "preset": "korea_acz",
        "polygon": "",
        **values,
    }


def test_editor_starts_a_district_by_drawing_it(
    client, personas, downtown_city, bid_body
):
    client.force_login(personas["city_editor"])
    list_page = client.get(f"/ko/cities/{downtown_city.code}/bids/").content.decode()
    drawn = json.dumps(json.loads(district_area(downtown_city, 150).geojson))

    response = client.post(
        f"/ko/cities/{downtown_city.code}/bids/new/",
        start_form(downtown_city, bid_body, polygon=drawn),
    )

    district = BusinessImprovementDistrict.objects.get()
    assert f"/ko/cities/{downtown_city.code}/bids/new/" in list_page
    assert response.status_code == 302
    assert response["Location"] == f"/ko/bids/{district.pk}/manage/"
    assert (district.preset, district.funding_model) == ("korea_acz", "voluntary_dues")


def test_editor_uploads_a_geopackage_boundary_and_a_points_file_is_refused(
    client, personas, downtown_city, bid_body, tmp_path
):
    client.force_login(personas["city_editor"])
    source = tmp_path / "area.geojson"
    area = district_area(downtown_city, 150).transform(5186, clone=True)
    source.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:5186"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": json.loads(area.json),
                    }
                ],
            }
        )
    )
    target = tmp_path / "area.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", target, source], check=True)
    points = SimpleUploadedFile(
        "points.geojson",
        json.dumps(
            {"type": "Point", "coordinates": list(downtown_city.location.coords)}
        ).encode(),
    )
    url = f"/en/cities/{downtown_city.code}/bids/new/"

    refused = client.post(
        url, start_form(downtown_city, bid_body, polygon_file=points, name="Points")
    )
    with target.open("rb") as upload:
        created = client.post(
            url, start_form(downtown_city, bid_body, polygon_file=upload)
        )

    assert refused.status_code == 200
    assert "a district is a polygon" in refused.content.decode()
    assert created.status_code == 302
    district = BusinessImprovementDistrict.objects.get()
    assert district.name == "Market street"
    # Read in EPSG:5186 and transformed: the district covers the city's centre.
    assert district.polygon.covers(downtown_city.location)


def test_residents_cannot_start_or_manage(client, personas, downtown_city, bid_body):
    district = BusinessImprovementDistrict.objects.create(
        municipality=downtown_city,
        name="Old",
        polygon=district_area(downtown_city),
        management_organization=bid_body,
    )
    client.force_login(personas["resident"])

    listing = client.get(f"/en/cities/{downtown_city.code}/bids/").content.decode()

    assert "Start a district" not in listing
    assert client.get(f"/en/cities/{downtown_city.code}/bids/new/").status_code == 403
    assert client.get(f"/en/bids/{district.pk}/manage/").status_code == 403


def test_member_list_is_all_or_nothing_then_a_ballot_opens_and_closes(
    client, personas, downtown_city, bid_body
):
    client.force_login(personas["city_editor"])
    client.post(
        f"/en/cities/{downtown_city.code}/bids/new/",
        start_form(
            downtown_city,
            bid_body,
            preset="england",
            polygon=district_area(downtown_city, 150).geojson,
        ),
    )
    district = BusinessImprovementDistrict.objects.get()
    url = f"/en/bids/{district.pk}/manage/"
    inside, outside = near(downtown_city), near(downtown_city, east_m=2000)
    rows = [
        "name,role,rateable_value_krw,lon,lat",
        f"Bakery,occupier,30000000,{inside.x},{inside.y}",
        f"Far away,landlord,10,{outside.x},{outside.y}",
        f"Tea house,castle,-5,{inside.x},{inside.y}",
    ]

    def upload(lines):
        return client.post(
            url,
            {
                "action": "members",
                "file": SimpleUploadedFile("m.csv", "\n".join(lines).encode()),
            },
        )

    wrong = upload(rows).content.decode()
    assert district.members.count() == 0
    assert "Line 3, location:" in wrong
    assert "Line 4, role:" in wrong and "Line 4, rateable_value_krw:" in wrong
    assert upload(rows[:2]).status_code == 302
    assert district.members.count() == 1

    client.post(
        url, {"action": "levy", "levy_rate_percent": "2", "levy_threshold_krw": "0"}
    )
    client.post(
        url,
        {"action": "ballot_open", "opens_on": "2024-03-01", "closes_on": "2024-03-02"},
    )
    member = district.members.get()
    client.post(url, {"action": "vote", "member": member.pk, "in_favour": "yes"})
    again = client.post(url, {"action": "vote", "member": member.pk, "in_favour": "no"})
    closed = client.post(url, {"action": "ballot_close"}, follow=True).content.decode()

    district.refresh_from_db()
    assert district.levy_rate_percent == 2
    assert again.status_code == 200  # already voted: no longer offered
    assert district.ballots.get().votes.count() == 1
    assert district.status == BidStatus.ACTIVE
    assert "The ballot passed." in closed
