"""Reads for matching: candidate pools found with the spatial index, the sparse
candidate graph of a city, and the match and run lists.

Nearest-first uses the KNN operator `<->` in ORDER BY against the project's place, the
one form PostgreSQL answers from the GiST index; the exact distance in metres
(geography) is computed only for the rows of the pool. `<->` on EPSG:4326 orders by
planar degrees, which stretches east-west distances by 1/cos(latitude) (≈ 1.24 in
Korea): the pool is a generous superset and the score uses the true distance.

The raw SQL here reads the primary (`connection`), never the replica: matches and runs
are written from what it reads, and a lagging replica could offer a taken space.
"""

from datetime import date

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cities.zones import urban_zone_member_ids
from core.errors import DomainError
from renewal.models import (
    HIGHEST_GRADE,
    AssignmentRun,
    Match,
    MatchingSettings,
    MatchStatus,
    ProjectStatus,
    RenewalProject,
    SpaceStatus,
)
from renewal.models.projects import (
    CANDIDATE_STATUSES,
    OPEN_PROJECT_STATUSES,
    PROJECT_NEEDS_FIELDS,
)
from renewal.rules import municipality_ids_with_permission, organization_ids
from renewal.services.matching.scoring import (
    ProjectFacts,
    ScoringParams,
    SpaceFacts,
    params_from,
    score_organization,
    score_resource,
    score_space,
    scoring_params,
)

# Candidates scored per request: the top N are taken from the nearest POOL.
CANDIDATE_POOL = 200
MAX_CANDIDATES = 100
# Asked with a municipality: may the user see its runs and all its matches?
CITY_MATCHING_PERMISSION = "renewal.view_city_matching"
# A space or project with one of these is spoken for and left out of a run.
ENGAGED_STATUSES = (MatchStatus.OFFERED, MatchStatus.ACCEPTED, MatchStatus.ACTIVE)


def _demolition_sql(alias: str) -> str:
    # Built from the model's constants (no user input), one term per scheme.
    # COALESCE: a space without a grade is not of demolition grade (NULL would
    # otherwise drop it from the NOT … filter).
    terms = " OR ".join(
        f"({alias}.grading_scheme = '{scheme}' AND {alias}.grade = {int(grade)})"
        for scheme, grade in HIGHEST_GRADE.items()
    )
    return f"COALESCE({terms}, FALSE)"


def _admissible_space_sql(*, project_id: str, rebuild: str, engaged: bool) -> str:
    """The hard constraints on a space `s` for a project, as one WHERE clause: in
    the project's city (or its urban zone, matching_municipality_ids), available, not of demolition grade unless the project rebuilds
    (`rebuild`, an SQL boolean; ProjectFacts.rebuild decides it), and not a pair
    declined before. With `engaged`, also not a space spoken for by any match (the
    city-wide run, which places every open project at once). Candidate pools and
    the city-wide graph both use it, so that the two cannot drift apart.
    `project_id` and `rebuild` are SQL expressions built by this module."""
    spoken_for = ", ".join(f"'{status}'" for status in ENGAGED_STATUSES)
    taken = f"d.status IN ({spoken_for}) OR " if engaged else ""
    return f"""
        s.municipality_id = ANY(%(cities)s)
        AND s.status = %(available)s
        AND (NOT {_demolition_sql("s")} OR {rebuild})
        AND NOT EXISTS (
            SELECT 1 FROM renewal_match d
            WHERE d.space_id = s.id
              AND ({taken}(d.status = 'declined' AND d.project_id = {project_id})))
    """  # noqa: S608  only code constants are formatted in


def matching_municipality_ids(municipality_id: int) -> list[int]:
    """Whose spaces, organisations and resources a project of this city may be
    matched with: its own city's; when the city matches across its urban zone, also
    those of the zone's other members that opted in as well (a city's inventory is
    its own to offer)."""
    opted_in = set(
        MatchingSettings.objects.filter(across_urban_zone=True).values_list(
            "municipality_id", flat=True
        )
    )
    if municipality_id not in opted_in:
        return [municipality_id]
    partners = (urban_zone_member_ids(municipality_id) & opted_in) - {municipality_id}
    return [municipality_id, *sorted(partners)]


class NotACandidateStatus(DomainError):
    code = "not_a_candidate_status"


SPACE_FACTS = """
    s.id, s.kind, s.floor_area_m2::float8 AS floor_area_m2, s.grading_scheme,
    s.grade, s.availability, s.asking_rent_krw, s.address,
    ST_X(s.location) AS lon, ST_Y(s.location) AS lat
"""


def _rows(cursor) -> list[dict]:
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def space_candidate_pool(
    *, project: RenewalProject, pool: int = CANDIDATE_POOL
) -> list[dict]:
    """The `pool` nearest spaces that pass the hard constraints
    (_admissible_space_sql). An unsaved project (the benchmark's) has declined
    nothing."""
    admissible = _admissible_space_sql(
        project_id="%(project)s", rebuild="%(rebuild)s", engaged=False
    )
    # Only code constants are formatted in; every value is a parameter.
    sql = f"""
        SELECT c.*,
               ST_Distance(c.location::geography, %(place)s::geography) AS distance_m,
               COALESCE(ST_Intersects(m.downtown, c.location), FALSE) AS in_downtown
        FROM (
            SELECT {SPACE_FACTS}, s.location, s.municipality_id
            FROM renewal_vacantspace s
            WHERE {admissible}
            ORDER BY s.location <-> %(place)s::geometry
            LIMIT %(pool)s
        ) c
        JOIN cities_municipality m ON m.id = c.municipality_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "place": project.place.ewkt,
                "cities": matching_municipality_ids(project.municipality_id),
                "available": SpaceStatus.AVAILABLE,
                "project": project.pk,
                "rebuild": ProjectFacts.of(project).rebuild,
                "pool": pool,
            },
        )
        rows = _rows(cursor)
    for row in rows:
        row.pop("location")
        row.pop("municipality_id")
    return rows


def _organization_pool(*, project: RenewalProject, pool: int) -> list[dict]:
    # Organisations without a location sort last in the KNN order (NULL distance);
    # they still compete on capability and service area.
    sql = """
        SELECT o.id, o.name, o.capabilities,
               CASE WHEN o.location IS NULL THEN NULL
                    ELSE ST_Distance(o.location::geography, %(place)s::geography)
               END AS distance_m,
               CASE WHEN o.service_area IS NULL THEN NULL
                    ELSE ST_Intersects(o.service_area, %(place)s::geometry)
               END AS in_service_area,
               CASE WHEN o.service_area IS NULL THEN NULL
                    ELSE ST_Distance(o.service_area::geography, %(place)s::geography)
               END AS service_area_distance_m,
               ST_X(o.location) AS lon, ST_Y(o.location) AS lat
        FROM (
            SELECT * FROM renewal_communityorganization
            WHERE municipality_id = ANY(%(cities)s)
            ORDER BY location <-> %(place)s::geometry
            LIMIT %(pool)s
        ) o
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "place": project.place.ewkt,
                "cities": matching_municipality_ids(project.municipality_id),
                "pool": pool,
            },
        )
        return _rows(cursor)


def _resource_pool(*, project: RenewalProject, pool: int) -> list[dict]:
    sql = """
        SELECT r.id, r.name, r.category,
               ST_Distance(r.location::geography, %(place)s::geography) AS distance_m,
               ST_X(r.location) AS lon, ST_Y(r.location) AS lat
        FROM (
            SELECT * FROM renewal_neighborhoodresource
            WHERE municipality_id = ANY(%(cities)s)
            ORDER BY location <-> %(place)s::geometry
            LIMIT %(pool)s
        ) r
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "place": project.place.ewkt,
                "cities": matching_municipality_ids(project.municipality_id),
                "pool": pool,
            },
        )
        return _rows(cursor)


def match_candidates(
    *,
    project: RenewalProject,
    kind: str = "space",
    limit: int = 10,
    params: ScoringParams | None = None,
    today: date | None = None,
    pool: int = CANDIDATE_POOL,
) -> list[dict]:
    """The top `limit` candidates of one kind for a project, best first, each with
    its total score and per-component breakdown. Only a project that may still get
    a space has candidates (CANDIDATE_STATUSES); the API and the pages both ask
    here, so they agree."""
    if project.status not in CANDIDATE_STATUSES:
        raise NotACandidateStatus(
            _("A project that is “%(status)s” has no candidates.")
            % {"status": ProjectStatus(project.status).label},
            fields={"status": [_("Candidates are found for open projects only.")]},
        )
    params = params or scoring_params(municipality_id=project.municipality_id)
    today = today or timezone.localdate()
    facts = ProjectFacts.of(project)
    pool = max(pool, limit)
    scored = []
    if kind == "space":
        for row in space_candidate_pool(project=project, pool=pool):
            score, breakdown = score_space(
                project=facts,
                space=SpaceFacts.from_row(row),
                params=params,
                today=today,
            )
            scored.append(_candidate(row, score, breakdown, "space"))
    elif kind == "organization":
        for row in _organization_pool(project=project, pool=pool):
            score, breakdown = score_organization(
                project=facts, organization=row, params=params
            )
            scored.append(_candidate(row, score, breakdown, "organization"))
    elif kind == "resource":
        for row in _resource_pool(project=project, pool=pool):
            score, breakdown = score_resource(
                project=facts, resource=row, params=params
            )
            scored.append(_candidate(row, score, breakdown, "resource"))
    else:
        raise ValueError(kind)
    # Ties go to the nearer candidate, then the older record.
    scored.sort(
        key=lambda c: (-c["score"], c["distance_m"] is None, c["distance_m"], c["id"])
    )
    return scored[:limit]


def _candidate(row: dict, score: float, breakdown: dict, kind: str) -> dict:
    distance = row.get("distance_m")
    candidate = {
        "kind": kind,
        "id": row["id"],
        "score": score,
        "breakdown": breakdown,
        "distance_m": round(distance, 1) if distance is not None else None,
        "location": (
            {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
            if row.get("lon") is not None
            else None
        ),
    }
    for name in (
        "name",
        "address",
        "category",
        "floor_area_m2",
        "grade",
        "grading_scheme",
        "availability",
        "asking_rent_krw",
        "in_downtown",
        "capabilities",
    ):
        if name in row:
            candidate[name] = row[name]
    if kind == "space":
        candidate["space_kind"] = row["kind"]
    return candidate


def assignment_candidate_graph(
    *, municipality_id: int, k: int
) -> tuple[dict[int, ProjectFacts], list[dict]]:
    """The sparse candidate graph of a city: for each open project, its k nearest
    available, usable, not-declined spaces (CROSS JOIN LATERAL, so that each inner
    KNN is an index scan against a constant place). Returns the projects' facts and
    one row of space facts per edge."""
    projects = {
        row["id"]: ProjectFacts.from_values(row)
        for row in RenewalProject.objects.filter(
            municipality_id=municipality_id,
            status__in=OPEN_PROJECT_STATUSES,
            is_hidden=False,
        )
        .exclude(matches__status__in=ENGAGED_STATUSES)
        .values("id", "category", *PROJECT_NEEDS_FIELDS)
    }
    if not projects:
        return {}, []
    admissible = _admissible_space_sql(
        project_id="p.id", rebuild="p.id = ANY(%(rebuilds)s)", engaged=True
    )
    # Only code constants are formatted in; every value is a parameter.
    sql = f"""
        SELECT p.id AS project_id, c.*,
               COALESCE(ST_Intersects(m.downtown, c.location), FALSE) AS in_downtown
        FROM renewal_renewalproject p
        JOIN cities_municipality m ON m.id = p.municipality_id
        CROSS JOIN LATERAL (
            SELECT {SPACE_FACTS}, s.location,
                   ST_Distance(s.location::geography, p.place::geography)
                       AS distance_m
            FROM renewal_vacantspace s
            WHERE {admissible}
            ORDER BY s.location <-> p.place
            LIMIT %(k)s
        ) c
        WHERE p.id = ANY(%(projects)s)
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "cities": matching_municipality_ids(municipality_id),
                "available": SpaceStatus.AVAILABLE,
                "k": k,
                "projects": list(projects),
                "rebuilds": [pk for pk, facts in projects.items() if facts.rebuild],
            },
        )
        rows = _rows(cursor)
    return projects, rows


def match_list(*, user) -> QuerySet[Match]:
    """Matches the user may see: staff of the city, and the project's proposer and
    lead organisation."""
    matches = Match.objects.select_related(
        "project", "space__owner", "municipality", "agreement"
    ).order_by("-created_at", "-id")
    if user.is_superuser:
        return matches
    if not user.is_authenticated:
        return matches.none()
    # The space's verified owner sees the matches of their space.
    shown = Q(project__proposer_id=user.pk) | Q(space__owner__user_id=user.pk)
    staff_of = municipality_ids_with_permission(
        user=user, permission=CITY_MATCHING_PERMISSION
    )
    if staff_of:
        shown |= Q(municipality_id__in=staff_of)
    organizations = organization_ids(user)
    if organizations:
        shown |= Q(project__lead_organization_id__in=organizations)
    return matches.filter(shown)


def assignment_run_list(*, user) -> QuerySet[AssignmentRun]:
    """Runs of the cities where the user is staff."""
    runs = AssignmentRun.objects.select_related("municipality")
    if user.is_superuser:
        return runs
    return runs.filter(
        municipality_id__in=municipality_ids_with_permission(
            user=user, permission=CITY_MATCHING_PERMISSION
        )
    )


# Projects offered for a settings preview, and the candidates compared for one.
PREVIEW_PROJECTS = 200
PREVIEW_CANDIDATES = 5


def preview_projects(*, municipality_id: int) -> QuerySet[RenewalProject]:
    """The city's projects that have candidates, for the settings preview."""
    return (
        RenewalProject.objects.filter(
            municipality_id=municipality_id, status__in=CANDIDATE_STATUSES
        )
        .only("id", "title")
        .order_by("title", "id")
    )


def match_candidates_compared(
    *, project: RenewalProject, current, proposed
) -> dict[str, list[dict]]:
    """One project's best candidate spaces under the city's saved settings and
    under unsaved ones (both MatchingSettings), so that staff see what a change
    does before saving it."""
    return {
        "current": match_candidates(
            project=project, limit=PREVIEW_CANDIDATES, params=params_from(current)
        ),
        "proposed": match_candidates(
            project=project, limit=PREVIEW_CANDIDATES, params=params_from(proposed)
        ),
    }
