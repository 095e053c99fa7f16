import factory
from django.contrib.auth.models import User
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from cities.models import Municipality, MunicipalityKind, Province

# Every factory user's password, for tests that sign in through a form.
PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.kr")
    password = factory.django.Password(PASSWORD)


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    code = factory.Sequence(lambda n: f"{90000 + n:05d}")
    kind = MunicipalityKind.CITY
    province = Province.GYEONGBUK
    name_ko = factory.Sequence(lambda n: f"시험시{n}")
    name_en = factory.Sequence(lambda n: f"Testcity {n}")
    # Spread along a line in Gyeongbuk so that every factory city is a valid,
    # distinct point inside Korea.
    location = factory.Sequence(
        lambda n: Point(128.0 + 0.001 * (n % 1000), 36.0, srid=4326)
    )


class VacantSpaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "renewal.VacantSpace"

    municipality = factory.SubFactory(MunicipalityFactory)
    kind = "shop"
    address = factory.Sequence(lambda n: f"중앙로 {n}")
    location = factory.LazyAttribute(lambda space: space.municipality.location.clone())
    floor_area_m2 = 85
    # The condition grades are vacant-house grades: only houses carry one.
    grading_scheme = factory.LazyAttribute(
        lambda space: "national-2023" if space.kind == "house" else ""
    )
    grade = factory.LazyAttribute(lambda space: 1 if space.kind == "house" else None)


class CommunityOrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "renewal.CommunityOrganization"

    name = factory.Sequence(lambda n: f"마을협동조합 {n}")
    kind = "cooperative"
    municipality = factory.SubFactory(MunicipalityFactory)


class RenewalProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "renewal.RenewalProject"

    title = factory.Sequence(lambda n: f"빈 점포 공유부엌 {n}")
    description = "주민이 함께 쓰는 부엌과 식당"
    municipality = factory.SubFactory(MunicipalityFactory)
    place = factory.LazyAttribute(lambda project: project.municipality.location.clone())
    category = "village_renewal"
    proposer = factory.SubFactory(UserFactory)


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "renewal.ProgressUpdate"

    project = factory.SubFactory(RenewalProjectFactory, status="in_progress")
    author = factory.SubFactory(UserFactory)
    text = "설계 완료, 공사 착수"
    percent_complete = 30


class ParticipationEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "renewal.ParticipationEvent"

    project = factory.SubFactory(RenewalProjectFactory, status="in_progress")
    organization = factory.SubFactory(
        "tests.factories.CommunityOrganizationFactory",
        municipality=factory.SelfAttribute("..project.municipality"),
    )
    kind = "workshop"
    date = factory.Faker("date_between", start_date="-1y", end_date="today")
    place = "마을회관"
    attendees_20_39 = 5
    attendees_40_64 = 10


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "renewal.Match"

    project = factory.SubFactory(RenewalProjectFactory, status="approved")
    municipality = factory.SelfAttribute("project.municipality")
    space = factory.SubFactory(
        VacantSpaceFactory,
        municipality=factory.SelfAttribute("..project.municipality"),
        status="available",
    )
    score = 0.8
    breakdown = factory.LazyFunction(dict)


def _square_around(point, half_side_degrees: float = 0.002):
    x, y = point.x, point.y
    d = half_side_degrees
    ring = (
        (x - d, y - d),
        (x + d, y - d),
        (x + d, y + d),
        (x - d, y + d),
        (x - d, y - d),
    )
    return MultiPolygon(Polygon(ring), srid=4326)


class BusinessImprovementDistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "renewal.BusinessImprovementDistrict"

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"중앙상점가 {n}")
    polygon = factory.LazyAttribute(
        lambda district: _square_around(district.municipality.location)
    )
    management_organization = factory.SubFactory(
        CommunityOrganizationFactory,
        municipality=factory.SelfAttribute("..municipality"),
        kind="bid_body",
    )


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "renewal.Comment"

    project = factory.SubFactory(RenewalProjectFactory)
    author = factory.SubFactory(UserFactory)
    body = "좋은 제안입니다"


class NeighborhoodResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "renewal.NeighborhoodResource"

    municipality = factory.SubFactory(MunicipalityFactory)
    category = "community_facility"
    name = factory.Sequence(lambda n: f"마을회관 {n}")
    location = factory.LazyAttribute(
        lambda resource: resource.municipality.location.clone()
    )
