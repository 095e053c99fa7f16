"""One illustrative Business Improvement District for the demo: Gyeongju's downtown
(a history-and-culture city) under Korea's autonomous-commercial-zone rule set,
active after a consent ballot that reached two thirds of merchants, of landlords and
of land owners, with members, suggested voluntary dues, a budget and KPIs with
observations.

Every figure is invented and marked "illustrative". Idempotent: a second run finds
the district by name and changes nothing.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from cities.demo import METRIC_SRID, DemoGenerator
from cities.models import Municipality
from renewal.models import (
    BidPresetCode,
    BusinessImprovementDistrict,
    CommunityOrganization,
    KpiCode,
    MemberRole,
    OrganizationKind,
    ServiceLine,
)
from renewal.services.bids import (
    bid_ballot_close,
    bid_ballot_open,
    bid_budget_line_set,
    bid_create,
    bid_kpi_set,
    bid_members_add,
    kpi_observation_record,
    vote_cast,
)

CITY_CODE = "47130"  # Gyeongju
NAME = "경주 원도심 상점가 BID (예시)"
SOURCE = "illustrative"
DISTRICT_RADIUS_M = 350
# 100 merchants (the rule set asks for at least 100 stores), 9 landlords and 3
# land owners.
MERCHANTS = 100
LANDLORDS = 9
LAND_OWNERS = 3
FORMATION_OPENS = datetime.date(2023, 3, 6)
FORMATION_CLOSES = datetime.date(2023, 4, 3)
BUDGET = {  # year → service line → (planned, spent) in KRW
    2023: {"cleaning": (18, 17), "safety": (12, 11), "marketing": (15, 16),
           "events": (20, 19), "management": (12, 12), "other": (3, 2)},
    2024: {"cleaning": (20, 20), "safety": (14, 13), "marketing": (16, 15),
           "events": (24, 25), "management": (13, 13), "other": (3, 3)},
    2025: {"cleaning": (21, 20), "safety": (14, 14), "marketing": (18, 17),
           "events": (26, 26), "management": (14, 14), "other": (4, 3)},
}  # fmt: skip
KPIS = {  # code → unit, target, higher is better, yearly observations 2022–2025
    KpiCode.FOOTFALL: ("people/day", 9000, True, [6200, 6900, 7800, 8600]),
    KpiCode.VACANCY_RATE: ("%", 10, False, [19.5, 17.0, 14.2, 12.1]),
    KpiCode.SALES_INDEX: ("2022=100", 115, True, [100, 104, 109, 116]),
    KpiCode.EVENTS_HELD: ("events/year", 12, True, [2, 8, 11, 13]),
}


class _DemoLoader:
    """The demo loader acts with the authority of a management command: it is not a
    person, so it passes the permission checks and is recorded as nobody."""

    is_authenticated = False

    def has_perm(self, perm: str, obj=None) -> bool:
        return True


@transaction.atomic
def demo_bid_load() -> int:
    """Load the demo district; returns 1 when it was created, 0 when it existed."""
    city = Municipality.objects.filter(code=CITY_CODE).first()
    if city is None or city.downtown is None:
        return 0
    if BusinessImprovementDistrict.objects.filter(
        municipality=city, name=NAME
    ).exists():
        return 0
    actor = _DemoLoader()
    body, _created = CommunityOrganization.objects.get_or_create(
        municipality=city,
        name="경주 원도심 상권관리단 (예시)",
        defaults={
            "kind": OrganizationKind.BID_BODY,
            "description": "Illustrative BID management body for the demo.",
        },
    )
    centre = city.downtown.centroid
    area = centre.transform(METRIC_SRID, clone=True).buffer(DISTRICT_RADIUS_M, 16)
    area.transform(4326)
    district = bid_create(
        actor=actor,
        municipality=city,
        name=NAME,
        polygon=area,
        management_organization=body,
        preset=BidPresetCode.KOREA,
        # Illustrative declared decline: businesses and population falling.
        declining_businesses=True,
        declining_population=True,
        levy_rate_percent=Decimal("1.5"),
        levy_threshold_krw=30_000_000,
        levy_cap_krw=3_000_000,
        source=SOURCE,
    )
    generator = DemoGenerator(f"bid:{CITY_CODE}")
    roles = (
        [MemberRole.OCCUPIER] * MERCHANTS
        + [MemberRole.LANDLORD] * LANDLORDS
        + [MemberRole.LAND_OWNER] * LAND_OWNERS
    )
    points = generator.scatter(
        centre,
        len(roles),
        core_radius_m=DISTRICT_RADIUS_M - 30,
        outer_radius_m=DISTRICT_RADIUS_M - 30,
        core_share=1.0,
    )
    names = {
        MemberRole.OCCUPIER: "원도심 상점",
        MemberRole.LANDLORD: "건물주",
        MemberRole.LAND_OWNER: "토지소유자",
    }
    bid_members_add(
        actor=actor,
        district=district,
        rows=[
            {
                "name": f"{names[role]} {index}",
                "address": f"경주시 중앙로 {index} (예시)",
                "location": point,
                "rateable_value_krw": int(generator.lognormal(60_000_000, 0.7))
                // 100_000
                * 100_000,
                "role": role,
            }
            for index, (point, role) in enumerate(zip(points, roles, strict=True), 1)
        ],
    )
    members = list(district.members.order_by("id"))
    ballot = bid_ballot_open(
        actor=actor,
        district=district,
        opens_on=FORMATION_OPENS,
        closes_on=FORMATION_CLOSES,
    )
    # In each group three in four consent, one in eight refuses and the rest do not
    # return a paper: two thirds of every group consent.
    for role in names:
        group = [member for member in members if member.role == role]
        for position, member in enumerate(group):
            if position % 8 == 7:
                continue
            vote_cast(
                actor=actor,
                ballot=ballot,
                member=member,
                in_favour=position % 8 not in (3,),
            )
    bid_ballot_close(actor=actor, ballot=ballot, today=FORMATION_CLOSES)
    for year, lines in BUDGET.items():
        for line, (planned, spent) in lines.items():
            bid_budget_line_set(
                actor=actor,
                district=district,
                year=year,
                service_line=ServiceLine(line),
                planned_krw=planned * 1_000_000,
                spent_krw=spent * 1_000_000,
                source=SOURCE,
            )
    for code, (unit, target, higher, values) in KPIS.items():
        kpi = bid_kpi_set(
            actor=actor,
            district=district,
            code=code,
            unit=unit,
            target=Decimal(str(target)),
            higher_is_better=higher,
        )
        for year, value in zip(range(2022, 2026), values, strict=True):
            kpi_observation_record(
                actor=actor,
                kpi=kpi,
                period=datetime.date(year, 12, 31),
                value=Decimal(str(value)),
                source=SOURCE,
            )
    return 1
