"""Illustrative renewal projects for the 40 study cities of the demo.

Two to four projects per city near its downtown, spread over the categories and the
whole review workflow (with the transitions that led there), proposed by five demo
residents who support and discuss them; decided projects are led by one illustrative
organisation per city, report progress and, once under way, record participation
events. Every text says it is illustrative, in Korean and English.

Deterministic per city (seeded by its code) and idempotent: a city that already has
projects proposed by the demo residents under the "[예시]" title prefix is skipped.

Rows are written in bulk rather than one by one through renewal_project_create, on
purpose: the do-functions notify followers, e-mail, invalidate per row and re-run the
city-wide assignment, none of which a demo load may do, and the demo's history is
backdated. Each project still passes the same validation (renewal_project_validate)
before anything is written.
"""

import datetime
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from cities.demo import METRIC_SRID, DemoGenerator
from cities.models import Municipality
from renewal.models import (
    Capability,
    Comment,
    CommunityOrganization,
    EmailMode,
    EventKind,
    NotificationPreference,
    OrganizationKind,
    ParticipationEvent,
    ProgressUpdate,
    ProjectCategory,
    ProjectStatus,
    ProjectSupport,
    ProjectTransition,
    RenewalProject,
    SpaceKind,
)
from renewal.services.projects import renewal_project_validate
from renewal.services.tiles import tiles_invalidate

STUDY_GROUP = "krihs2017-study"
MARKER = "[예시 / illustrative]"
TITLE_PREFIX = "[예시] "
DISCLAIMER = (
    f"{MARKER} 데모용 예시 자료이며 실제 사업이 아닙니다. "
    "Illustrative demo content, not a real project."
)
RESIDENTS = tuple(f"demo-resident-{number}" for number in range(1, 6))
PROJECTS_PER_CITY = (2, 4)
PROJECT_RADIUS_M = 600
AREA_RADIUS_M = 150
ORGANIZATION_KINDS = (OrganizationKind.VILLAGE_ENTERPRISE, OrganizationKind.COOPERATIVE)
# Proposals start in 2024 so that projects under way have events in 2025–2026.
FIRST_PROPOSAL = datetime.date(2024, 1, 15)
FIRST_EVENT = datetime.date(2025, 1, 1)
LAST_EVENT = datetime.date(2026, 12, 31)

S = ProjectStatus
# How a project reached each status: the steps after "proposed", each allowed by
# PROJECT_TRANSITIONS. A withdrawal happens before or during review.
PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    S.PROPOSED: ((),),
    S.UNDER_REVIEW: ((S.UNDER_REVIEW,),),
    S.APPROVED: ((S.UNDER_REVIEW, S.APPROVED),),
    S.REJECTED: ((S.UNDER_REVIEW, S.REJECTED),),
    S.CHANGES_REQUESTED: ((S.UNDER_REVIEW, S.CHANGES_REQUESTED),),
    S.IN_PROGRESS: ((S.UNDER_REVIEW, S.APPROVED, S.IN_PROGRESS),),
    S.COMPLETED: ((S.UNDER_REVIEW, S.APPROVED, S.IN_PROGRESS, S.COMPLETED),),
    S.WITHDRAWN: ((S.WITHDRAWN,), (S.UNDER_REVIEW, S.WITHDRAWN)),
}
STATUS_WEIGHTS = {
    S.PROPOSED: 18,
    S.UNDER_REVIEW: 15,
    S.APPROVED: 14,
    S.IN_PROGRESS: 22,
    S.COMPLETED: 12,
    S.REJECTED: 10,
    S.CHANGES_REQUESTED: 6,
    S.WITHDRAWN: 9,
}
# Each city's first project has been decided, so that most demo cities show work
# under way on the maps and participation pages.
FIRST_STATUS_WEIGHTS = {S.IN_PROGRESS: 60, S.APPROVED: 20, S.COMPLETED: 20}
LED = frozenset({S.APPROVED, S.IN_PROGRESS, S.COMPLETED})
REASONS = {
    S.UNDER_REVIEW: f"{MARKER} 검토 착수. Review started.",
    S.APPROVED: f"{MARKER} 심의 통과. Approved by the review panel.",
    S.REJECTED: f"{MARKER} 부지 확보 계획 미흡. The plan secures no site.",
    S.CHANGES_REQUESTED: f"{MARKER} 필요 면적 보완 요청. Say what floor area is needed.",
    S.IN_PROGRESS: f"{MARKER} 사업 착수. Work has started.",
    S.COMPLETED: f"{MARKER} 준공 및 운영 개시. Finished and open.",
    S.WITHDRAWN: f"{MARKER} 제안자 철회. Withdrawn by the proposer.",
}


@dataclass(frozen=True)
class Template:
    title_ko: str
    summary_ko: str
    summary_en: str
    space_kinds: tuple[str, ...]
    area_m2: tuple[int, int]
    capabilities: tuple[str, ...]


C, K, P = ProjectCategory, SpaceKind, Capability
TEMPLATES: dict[str, tuple[Template, ...]] = {
    C.VILLAGE_RENEWAL: (
        Template(
            "골목길 빈집 정비와 집수리 지원",
            "원도심 골목의 빈집을 정비하고 고령 가구의 집수리를 돕습니다.",
            "Tidy up vacant houses in downtown alleys and help older households "
            "repair their homes.",
            (K.HOUSE, K.LAND),
            (40, 150),
            (P.HOUSING_REPAIR, P.SPACE_MANAGEMENT),
        ),
        Template(
            "마을 공유부엌과 주민 쉼터",
            "빈집을 고쳐 주민이 함께 쓰는 부엌과 쉼터를 만듭니다.",
            "Turn a vacant house into a shared kitchen and resting place for "
            "residents.",
            (K.HOUSE,),
            (50, 120),
            (P.CAFE_AND_FOOD, P.CARE),
        ),
    ),
    C.HERITAGE_CULTURE: (
        Template(
            "근대 건축물 문화공간 조성",
            "오래된 근대 건축물을 전시·공연이 열리는 문화공간으로 되살립니다.",
            "Bring an old modern-era building back to life as a venue for "
            "exhibitions and performances.",
            (K.PUBLIC_BUILDING, K.SHOP, K.HOUSE),
            (100, 400),
            (P.CULTURE, P.TOURISM),
        ),
        Template(
            "원도심 골목 역사 탐방로",
            "골목의 옛 이야기를 모아 안내판과 해설 프로그램을 운영합니다.",
            "Collect the alleys' stories into signs and guided heritage walks.",
            (K.SHOP, K.HOUSE),
            (30, 90),
            (P.TOURISM, P.EDUCATION),
        ),
    ),
    C.DOWNTOWN_COMMERCIAL: (
        Template(
            "빈 점포 청년 창업 공간",
            "비어 있는 점포를 청년 창업자에게 저렴하게 빌려줍니다.",
            "Let vacant shops to young founders at a low rent.",
            (K.SHOP, K.OFFICE),
            (30, 120),
            (P.MARKET_RETAIL, P.SPACE_MANAGEMENT),
        ),
        Template(
            "전통시장 옆 공동 판매장",
            "지역 농산물과 수공예품을 함께 파는 공동 판매장을 엽니다.",
            "Open a shared shop for local produce and crafts next to the market.",
            (K.SHOP,),
            (60, 200),
            (P.MARKET_RETAIL, P.CAFE_AND_FOOD),
        ),
    ),
    C.INDUSTRIAL_COMPLEX: (
        Template(
            "소규모 메이커 공방",
            "빈 창고를 목공·금속 공방과 공구 도서관으로 바꿉니다.",
            "Convert an empty warehouse into wood and metal workshops and a tool "
            "library.",
            (K.FACTORY, K.SHOP),
            (150, 600),
            (P.MAKER_SPACE, P.EDUCATION),
        ),
    ),
    C.SMART_CITY: (
        Template(
            "스마트 골목 안전 서비스",
            "골목에 스마트 가로등과 안심 귀갓길 안내를 설치합니다.",
            "Install smart street lights and a safe-way-home service in the alleys.",
            (),
            (0, 0),
            (P.SPACE_MANAGEMENT,),
        ),
        Template(
            "공유 주차 안내 시스템",
            "빈 땅을 공유 주차장으로 쓰고 빈자리를 실시간으로 알립니다.",
            "Use vacant plots as shared parking and show free places in real time.",
            (K.LAND,),
            (200, 1200),
            (P.SPACE_MANAGEMENT,),
        ),
    ),
    C.COMMUNITY_FACILITY: (
        Template(
            "어르신 돌봄 사랑방",
            "빈 상가에 어르신 돌봄과 식사 나눔을 하는 사랑방을 엽니다.",
            "Open a drop-in room for elder care and shared meals in a vacant shop.",
            (K.SHOP, K.HOUSE, K.PUBLIC_BUILDING),
            (60, 200),
            (P.CARE, P.CAFE_AND_FOOD),
        ),
        Template(
            "폐교 활용 주민 배움터",
            "문 닫은 학교를 주민 강좌와 아이 돌봄 공간으로 씁니다.",
            "Use a closed school for residents' classes and childcare.",
            (K.SCHOOL, K.PUBLIC_BUILDING),
            (400, 3000),
            (P.EDUCATION, P.CARE),
        ),
    ),
    C.OTHER: (
        Template(
            "빈 땅 도시농업 텃밭",
            "방치된 빈 땅을 주민 텃밭과 꽃밭으로 가꿉니다.",
            "Grow residents' vegetable and flower gardens on neglected plots.",
            (K.LAND,),
            (100, 800),
            (P.URBAN_FARMING,),
        ),
    ),
}
COMMENTS = (
    f"{MARKER} 좋은 생각입니다. 주말에 참여하고 싶어요. "
    "Great idea, I would like to help at weekends.",
    f"{MARKER} 주차 문제는 어떻게 해결하나요? How will parking be handled?",
    f"{MARKER} 어르신들도 쉽게 오실 수 있으면 좋겠습니다. "
    "Please make it easy for older neighbours to come.",
    f"{MARKER} 예산 사용 내역을 공개해 주세요. Please publish how the budget is spent.",
)
REPLY = (
    f"{MARKER} 의견 감사합니다. 다음 모임에서 함께 논의하겠습니다. "
    "Thank you, we will discuss it at the next meeting."
)
UPDATES = (
    (
        "준비",
        "설계와 주민 설명회를 마쳤습니다.",
        "Design and residents' briefing done.",
    ),
    ("공사", "공간 보수 공사를 진행하고 있습니다.", "Repair works under way."),
    ("시범 운영", "시범 운영을 시작했습니다.", "Trial operation started."),
    ("개소", "정식으로 문을 열었습니다.", "Officially opened."),
)
EVENT_PLACES = ("주민 사랑방", "마을 회관", "사업 현장", "원도심 광장")


@dataclass
class _Draft:
    """One project and its dependants, before any of it is saved."""

    project: RenewalProject
    proposed_at: datetime.datetime
    transitions: list[ProjectTransition] = field(default_factory=list)
    supports: list[ProjectSupport] = field(default_factory=list)
    comments: list[tuple[Comment, Comment | None]] = field(default_factory=list)
    updates: list[ProgressUpdate] = field(default_factory=list)
    events: list[ParticipationEvent] = field(default_factory=list)


def _study_cities() -> list[Municipality]:
    return list(Municipality.objects.filter(groups__slug=STUDY_GROUP).order_by("code"))


def _residents() -> list:
    """The demo residents, created on the first run. They cannot sign in (unusable
    passwords) and receive no e-mail, whatever happens on their projects later."""
    User = get_user_model()
    existing = {
        user.username: user for user in User.objects.filter(username__in=RESIDENTS)
    }
    missing = []
    for number, username in enumerate(RESIDENTS, start=1):
        if username not in existing:
            user = User(username=username, first_name=f"예시 주민 {number}")
            user.set_unusable_password()
            missing.append(user)
    User.objects.bulk_create(missing)
    created = iter(missing)  # in the order of RESIDENTS, like the loop above
    residents = [existing.get(name) or next(created) for name in RESIDENTS]
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user=user, email_mode=EmailMode.OFF)
            for user in residents
        ],
        ignore_conflicts=True,
    )
    return residents


def _organization_name(city: Municipality) -> str:
    return f"{city.name_ko} 원도심 마을협동조합 (예시)"


def _organizations(cities: list[Municipality]) -> dict[int, CommunityOrganization]:
    """One illustrative organisation per city, found by its name or created."""
    names = {city.pk: _organization_name(city) for city in cities}
    found = {
        organization.municipality_id: organization
        for organization in CommunityOrganization.objects.filter(
            municipality__in=cities, name__in=names.values()
        )
        if organization.name == names[organization.municipality_id]
    }
    missing = []
    for city in cities:
        if city.pk in found:
            continue
        generator = DemoGenerator(f"organization:{city.code}")
        missing.append(
            CommunityOrganization(
                name=names[city.pk],
                kind=generator.choice(ORGANIZATION_KINDS),
                municipality=city,
                location=_centre(city),
                capabilities=sorted(
                    generator.random.sample(list(Capability.values), 4)
                ),
                description=DISCLAIMER,
                member_count=generator.random.randint(8, 60),
                verified=False,
            )
        )
    CommunityOrganization.objects.bulk_create(missing)
    found.update(
        {organization.municipality_id: organization for organization in missing}
    )
    return found


def _centre(city: Municipality) -> Point:
    return city.downtown.centroid if city.downtown else city.location


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_default_timezone()
    )


def _place(generator: DemoGenerator, city: Municipality, centre: Point, area: bool):
    """A point (or a small round area) within walking distance of the downtown and
    inside the city's boundary; the downtown's centre when no draw lands inside."""
    boundary = city.boundary.prepared if city.boundary else None
    for _attempt in range(5):
        (point,) = generator.scatter(
            centre,
            1,
            core_radius_m=PROJECT_RADIUS_M,
            outer_radius_m=PROJECT_RADIUS_M,
            core_share=1.0,
        )
        if boundary is None or boundary.contains(point):
            break
    else:
        point = centre.clone()
    if not area:
        return point
    polygon = point.transform(METRIC_SRID, clone=True).buffer(AREA_RADIUS_M, 8)
    polygon.transform(4326)
    return polygon


def _days(rng: random.Random, low: int, high: int) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(low, high))


def _spread(
    rng: random.Random, start: datetime.date, end: datetime.date, count: int
) -> list[datetime.date]:
    """`count` sorted days from start to end (end when the span is empty)."""
    span = max(0, (end - start).days)
    return sorted(
        start + datetime.timedelta(days=rng.randint(0, span)) for _ in range(count)
    )


def _draft(
    generator: DemoGenerator,
    *,
    city: Municipality,
    status: str,
    category: str,
    residents: list,
    organization: CommunityOrganization,
    today: datetime.date,
) -> _Draft:
    rng = generator.random
    centre = _centre(city)
    template = rng.choice(TEMPLATES[category])
    place = _place(generator, city, centre, area=category == C.VILLAGE_RENEWAL)
    proposer = rng.choice(residents)
    low, high = template.area_m2
    proposed_on = FIRST_PROPOSAL + _days(rng, 0, 250)
    project = RenewalProject(
        title=f"{TITLE_PREFIX}{city.name_ko} {template.title_ko}",
        description=(f"{DISCLAIMER}\n\n{template.summary_ko}\n{template.summary_en}"),
        municipality=city,
        place=place,
        category=category,
        status=status,
        needs_space_kinds=list(template.space_kinds),
        needs_min_area_m2=low or None,
        needs_max_area_m2=high or None,
        budget_krw=int(generator.lognormal(300, 0.6)) * 1_000_000,
        earliest_start=proposed_on + _days(rng, 90, 240),
        partner_capabilities=list(template.capabilities),
        proposer=proposer,
        lead_organization=organization if status in LED else None,
        is_hidden=False,
    )
    draft = _Draft(project=project, proposed_at=_at(proposed_on))

    # The workflow, one step every few weeks; completion takes most of a year.
    reached: dict[str, datetime.date] = {S.PROPOSED: proposed_on}
    day, previous = proposed_on, S.PROPOSED
    for step in rng.choice(PATHS[status]):
        gap = _days(rng, 200, 400) if step == S.COMPLETED else _days(rng, 20, 75)
        day = min(today, day + gap)
        reached[step] = day
        draft.transitions.append(
            ProjectTransition(
                project=project,
                from_status=previous,
                to_status=step,
                actor=proposer if step == S.WITHDRAWN else None,
                reason=REASONS[step],
                at=_at(day, 14),
            )
        )
        previous = step
    last_activity = day

    for supporter in rng.sample(residents, rng.randint(0, len(residents))):
        draft.supports.append(
            ProjectSupport(
                project=project,
                user=supporter,
                created_at=_at(_spread(rng, proposed_on, last_activity, 1)[0], 18),
            )
        )

    for body in rng.sample(COMMENTS, rng.randint(0, 2)):
        author = rng.choice([user for user in residents if user != proposer])
        posted = _spread(rng, proposed_on, last_activity, 1)[0]
        comment = Comment(
            project=project, author=author, body=body, created_at=_at(posted, 20)
        )
        reply = None
        if rng.random() < 0.4:
            reply = Comment(
                project=project,
                author=proposer,
                body=REPLY,
                created_at=_at(min(today, posted + _days(rng, 1, 7)), 21),
            )
        draft.comments.append((comment, reply))

    if status in LED:
        draft.updates = _updates(rng, status=status, reached=reached, today=today)
        for update in draft.updates:
            update.project = project
    if status == S.IN_PROGRESS:
        draft.events = _events(
            generator,
            city=city,
            place=place,
            organization=organization,
            started=reached[S.IN_PROGRESS],
            today=today,
        )
        for event in draft.events:
            event.project = project
    return draft


def _updates(
    rng: random.Random, *, status: str, reached: dict, today: datetime.date
) -> list[ProgressUpdate]:
    """One to three updates with rising percentages after approval; a completed
    project's last update reports 100 % on the day it was completed."""
    count = rng.randint(1, 3)
    end = reached.get(S.COMPLETED, today)
    days = _spread(rng, reached[S.APPROVED], end, count)
    ceiling = {S.APPROVED: 15, S.IN_PROGRESS: 90, S.COMPLETED: 95}[status]
    percents = sorted(rng.randint(0, ceiling) for _ in range(count))
    if status == S.COMPLETED:
        days[-1], percents[-1] = end, 100
    updates = []
    for index, (day, percent) in enumerate(zip(days, percents, strict=True)):
        milestone_ko, text_ko, text_en = UPDATES[3 if percent == 100 else min(index, 2)]
        updates.append(
            ProgressUpdate(
                author=None,
                text=f"{MARKER} {text_ko} {text_en}",
                percent_complete=percent,
                milestone=f"{milestone_ko} (예시)",
                created_at=_at(day, 16),
            )
        )
    return updates


def _events(
    generator: DemoGenerator,
    *,
    city: Municipality,
    place,
    organization: CommunityOrganization,
    started: datetime.date,
    today: datetime.date,
) -> list[ParticipationEvent]:
    """One to three events since work started, in 2025–2026 and never after today.
    Older residents come in the largest numbers, as in the study's ageing cities."""
    rng = generator.random
    first = max(FIRST_EVENT, started)
    last = min(LAST_EVENT, today)
    if first > last:
        return []
    (location,) = generator.scatter(
        place.centroid, 1, core_radius_m=150, outer_radius_m=150, core_share=1.0
    )
    events = []
    for day in _spread(rng, first, last, rng.randint(1, 3)):
        kind = generator.choice(
            [
                EventKind.WORKSHOP,
                EventKind.PUBLIC_HEARING,
                EventKind.VOLUNTEER_DAY,
                EventKind.MEETING,
                EventKind.FESTIVAL,
            ],
            [30, 10, 25, 25, 10],
        )
        bands = (
            rng.randint(0, 8),
            rng.randint(2, 15),
            rng.randint(5, 25),
            rng.randint(6, 35),
        )
        per_person = 3 if kind == EventKind.VOLUNTEER_DAY else 0.5
        events.append(
            ParticipationEvent(
                organization=organization,
                kind=kind,
                date=day,
                place=f"{city.name_ko} {rng.choice(EVENT_PLACES)} {MARKER}",
                location=location,
                attendees_under_20=bands[0],
                attendees_20_39=bands[1],
                attendees_40_64=bands[2],
                attendees_65_plus=bands[3],
                volunteer_hours=Decimal(str(round(sum(bands) * per_person, 1))),
                recorded_by=None,
                created_at=_at(day, 19),
            )
        )
    return events


def _statuses(rng: random.Random, count: int) -> list[str]:
    first = rng.choices(*zip(*FIRST_STATUS_WEIGHTS.items(), strict=True))[0]
    rest = rng.choices(*zip(*STATUS_WEIGHTS.items(), strict=True), k=count - 1)
    return [first, *rest]


def _save(drafts: list[_Draft]) -> None:
    """Insert every draft in a handful of statements, then restore the historical
    timestamps that auto_now_add replaced with the current time on insert."""
    projects = [draft.project for draft in drafts]
    for project in projects:
        renewal_project_validate(project)
    RenewalProject.objects.bulk_create(projects)
    for draft in drafts:
        draft.project.created_at = draft.proposed_at
    RenewalProject.objects.bulk_update(projects, ["created_at"])

    for model, attribute, stamp in (
        (ProjectTransition, "transitions", "at"),
        (ProjectSupport, "supports", "created_at"),
        (ProgressUpdate, "updates", "created_at"),
        (ParticipationEvent, "events", "created_at"),
    ):
        rows = [row for draft in drafts for row in getattr(draft, attribute)]
        stamps = [getattr(row, stamp) for row in rows]
        model.objects.bulk_create(rows)
        for row, value in zip(rows, stamps, strict=True):
            setattr(row, stamp, value)
        model.objects.bulk_update(rows, [stamp])

    pairs = [pair for draft in drafts for pair in draft.comments]
    comments = [comment for comment, _reply in pairs]
    replies = []
    for comment, reply in pairs:
        if reply is not None:
            reply.parent = comment
            replies.append(reply)
    for rows in (comments, replies):
        stamps = [row.created_at for row in rows]
        Comment.objects.bulk_create(rows)
        for row, value in zip(rows, stamps, strict=True):
            row.created_at = value
        Comment.objects.bulk_update(rows, ["created_at"])


@transaction.atomic
def demo_projects_load(*, municipalities: Iterable[Municipality] | None = None) -> int:
    """Load the illustrative projects; returns how many projects were created."""
    cities = list(municipalities) if municipalities is not None else _study_cities()
    done = set(
        RenewalProject.objects.filter(
            municipality__in=cities,
            title__startswith=TITLE_PREFIX,
            proposer__username__in=RESIDENTS,
        ).values_list("municipality_id", flat=True)
    )
    cities = [city for city in cities if city.pk not in done]
    if not cities:
        return 0
    residents = _residents()
    organizations = _organizations(cities)
    today = timezone.localdate()
    drafts = []
    for city in cities:
        generator = DemoGenerator(f"projects:{city.code}")
        rng = generator.random
        count = rng.randint(*PROJECTS_PER_CITY)
        categories = rng.sample(list(ProjectCategory.values), count)
        for status, category in zip(_statuses(rng, count), categories, strict=True):
            drafts.append(
                _draft(
                    generator,
                    city=city,
                    status=status,
                    category=category,
                    residents=residents,
                    organization=organizations[city.pk],
                    today=today,
                )
            )
    _save(drafts)
    tiles_invalidate("projects")
    return len(drafts)
