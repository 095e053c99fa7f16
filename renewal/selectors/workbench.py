"""What waits for a city's staff: the reads of the city workbench.

Each section is one count and one short list (the oldest or most urgent first), so
the page asks the same dozen statements whether the city holds thirty spaces or
thirty thousand. Every statement is scoped to the one municipality and reads an
index that starts with it.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Func, IntegerField, Q, QuerySet, Subquery
from django.utils import timezone

from cities.models import Municipality
from renewal.models import (
    ClaimStatus,
    Comment,
    ContentReport,
    Match,
    MatchStatus,
    OwnershipClaim,
    RenewalProject,
    SpaceImport,
    SurveyObservation,
    UseAgreement,
    VacantSpace,
)
from renewal.models.imports import ImportStatus
from renewal.models.projects import AWAITING_REVIEW_STATUSES
from renewal.models.spaces import SETTLED_SPACE_STATUSES
from renewal.rules import municipality_ids_with_permission

WORKBENCH_PERMISSION = "renewal.view_workbench"
# Rows listed per section; the count says how many there are in all.
SECTION_ROWS = 10
AGREEMENT_ENDING_DAYS = 60
STATUS_UNCHANGED_DAYS = 365
# A failed import stays on the desk for a month: long enough to be seen after a
# holiday, short enough that last year's mistakes do not crowd it.
FAILED_IMPORT_DAYS = 30


@dataclass
class Section:
    key: str
    count: int
    rows: list = field(default_factory=list)


@dataclass
class Workbench:
    municipality: Municipality
    proposals: Section
    offered_matches: Section
    agreements_ending: Section
    spaces_unchanged: Section
    failed_imports: Section
    reports: Section
    claims: Section
    survey_conflicts: Section

    @property
    def sections(self) -> list[Section]:
        return [
            self.proposals,
            self.offered_matches,
            self.agreements_ending,
            self.spaces_unchanged,
            self.failed_imports,
            self.reports,
            self.claims,
            self.survey_conflicts,
        ]


def _count(rows: QuerySet) -> Subquery:
    # COUNT as a plain function, not an aggregate: no GROUP BY, one row.
    return Subquery(
        rows.order_by()
        .annotate(n=Func(template="COUNT(*)", output_field=IntegerField()))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def _counts(municipality: Municipality, sections: dict[str, QuerySet]) -> dict:
    """Every section's count in one statement (one round trip instead of seven)."""
    return (
        Municipality.objects.filter(pk=municipality.pk)
        .values(**{key: _count(rows) for key, rows in sections.items()})
        .get()
    )


def workbench_municipality_ids(*, user) -> frozenset[int]:
    return municipality_ids_with_permission(user=user, permission=WORKBENCH_PERMISSION)


def workbench_municipalities(*, user) -> QuerySet:
    """The cities whose workbench the user may open, by name."""
    return (
        Municipality.objects.filter(pk__in=workbench_municipality_ids(user=user))
        .defer("boundary", "downtown", "location")
        .order_by("code")
    )


def proposals_awaiting_review(municipality: Municipality) -> QuerySet:
    """Proposals waiting for the city's decision, oldest first."""
    return (
        RenewalProject.objects.filter(
            municipality=municipality, status__in=AWAITING_REVIEW_STATUSES
        )
        .select_related("proposer")
        .only(
            "id",
            "title",
            "status",
            "category",
            "created_at",
            "is_hidden",
            "municipality_id",
            "proposer__username",
        )
        .order_by("created_at", "id")
    )


def workbench(*, municipality: Municipality) -> Workbench:
    """The seven sections of the city's workbench. The caller has asked the rules."""
    now = timezone.now()
    today = timezone.localdate()
    offered = (
        Match.objects.filter(municipality=municipality, status=MatchStatus.OFFERED)
        .select_related("project", "space")
        .only(
            "id",
            "score",
            "updated_at",
            "project__id",
            "project__title",
            "space__id",
            "space__kind",
            "space__address",
        )
        .order_by("updated_at", "id")
    )
    agreements = (
        UseAgreement.objects.filter(
            match__municipality=municipality,
            match__status=MatchStatus.ACTIVE,
            end_date__gte=today,
            end_date__lte=today + timedelta(days=AGREEMENT_ENDING_DAYS),
        )
        .select_related("match__project", "match__space")
        .only(
            "id",
            "kind",
            "end_date",
            "match__id",
            "match__project__id",
            "match__project__title",
            "match__space__id",
            "match__space__kind",
            "match__space__address",
        )
        .order_by("end_date", "id")
    )
    unchanged = (
        VacantSpace.objects.filter(
            municipality=municipality,
            status_changed_at__lt=now - timedelta(days=STATUS_UNCHANGED_DAYS),
        )
        .exclude(status__in=SETTLED_SPACE_STATUSES)
        .only("id", "kind", "address", "status", "status_changed_at")
        .order_by("status_changed_at", "id")
    )
    failed = (
        SpaceImport.objects.filter(
            municipality=municipality,
            status=ImportStatus.FAILED,
            created_at__gte=now - timedelta(days=FAILED_IMPORT_DAYS),
        )
        # A failed file's report may hold a line per row: only its length is read.
        .only("id", "original_filename", "created_at", "finished_at")
        .annotate(
            problems=Func(
                "report", function="jsonb_array_length", output_field=IntegerField()
            )
        )
        .order_by("-created_at", "-id")
    )
    project_type = ContentType.objects.get_for_model(RenewalProject)
    comment_type = ContentType.objects.get_for_model(Comment)
    reports = (
        ContentReport.objects.filter(resolved=False)
        .filter(
            Q(
                content_type=project_type,
                object_id__in=RenewalProject.objects.filter(
                    municipality=municipality
                ).values("id"),
            )
            | Q(
                content_type=comment_type,
                object_id__in=Comment.objects.filter(
                    project__municipality=municipality
                ).values("id"),
            )
        )
        .only("id", "content_type_id", "object_id", "reason", "created_at")
        .order_by("created_at", "id")
    )
    claims = (
        OwnershipClaim.objects.filter(
            municipality=municipality, status=ClaimStatus.PENDING
        )
        .select_related("space")
        .only(
            "id",
            "address",
            "evidence",
            "created_at",
            "space__id",
            "space__kind",
            "space__address",
        )
        .order_by("created_at", "id")
    )
    # Survey observations that met an office change, oldest first (the partial
    # index survey_conflicts_by_city holds exactly these rows).
    conflicts = (
        SurveyObservation.objects.filter(municipality=municipality, state="conflict")
        .select_related("space", "surveyor")
        .only(
            "id",
            "received_at",
            "municipality_id",
            "space__id",
            "space__kind",
            "space__address",
            "surveyor__username",
        )
        .order_by("received_at", "id")
    )
    queries = {
        "proposals": proposals_awaiting_review(municipality),
        "offered_matches": offered,
        "agreements_ending": agreements,
        "spaces_unchanged": unchanged,
        "failed_imports": failed,
        "reports": reports,
        "claims": claims,
        "survey_conflicts": conflicts,
    }
    counts = _counts(municipality, queries)
    sections = {
        key: Section(key=key, count=counts[key], rows=list(rows[:SECTION_ROWS]))
        for key, rows in queries.items()
    }
    report_rows = sections["reports"].rows
    # A comment's report is acted on at its project: one statement for all of them.
    comment_projects = dict(
        Comment.objects.filter(
            pk__in=[
                r.object_id for r in report_rows if r.content_type_id == comment_type.pk
            ]
        ).values_list("id", "project_id")
    )
    for report in report_rows:
        report.project_id = (
            report.object_id
            if report.content_type_id == project_type.pk
            else comment_projects.get(report.object_id)
        )
        report.is_comment = report.content_type_id == comment_type.pk
    return Workbench(municipality=municipality, **sections)
