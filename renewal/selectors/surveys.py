"""Reads of field surveys, scoped to what the user may see."""

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import Http404

from cities.models import SubMunicipality
from renewal.models import (
    ObservationState,
    SurveyObservation,
    SurveyRound,
    VacantSpace,
)
from renewal.rules import municipality_ids_with_permission, survey_round_ids


def survey_rounds_of(*, user) -> QuerySet:
    """The rounds the user surveys (open ones first), with their space counts."""
    return (
        SurveyRound.objects.filter(pk__in=survey_round_ids(user))
        .select_related("municipality")
        .defer("area", "municipality__boundary", "municipality__downtown")
        .annotate(space_count=Count("round_spaces"))
        # "open" sorts after "closed": descending puts open rounds first.
        .order_by("-status", "-starts_on", "-id")
    )


def survey_round_get(*, user, pk: int) -> SurveyRound:
    """The round, if the user may see it; 404 otherwise (like a round that never
    existed, so ids reveal nothing)."""
    survey_round = (
        SurveyRound.objects.select_related("municipality")
        .defer("municipality__boundary", "municipality__downtown")
        .filter(pk=pk)
        .first()
    )
    if survey_round is None or not user.has_perm(
        "renewal.view_survey_round", survey_round
    ):
        raise Http404
    return survey_round


def survey_rounds_of_city(*, municipality) -> QuerySet:
    return (
        SurveyRound.objects.filter(municipality=municipality)
        .defer("area")
        .annotate(
            space_count=Count("round_spaces", distinct=True),
            surveyor_count=Count("assignments", distinct=True),
        )
        .order_by("-starts_on", "-id")
    )


def survey_candidate_space_ids(
    *, municipality, statuses, areas: QuerySet | None = None
) -> QuerySet:
    """Ids of the city's spaces in the given statuses, inside any of `areas` (its
    읍면동) when given: what a round's editor adds in one go."""
    spaces = VacantSpace.objects.filter(municipality=municipality, status__in=statuses)
    if areas is not None:
        spaces = spaces.filter(
            Exists(areas.filter(boundary__intersects=OuterRef("location")))
        )
    return spaces.values_list("pk", flat=True)


def survey_round_areas(*, municipality, codes=None) -> QuerySet:
    """The city's 읍면동 (those of the given SGIS codes; codes of other cities find
    nothing), without their boundaries until asked."""
    areas = SubMunicipality.objects.filter(municipality=municipality)
    if codes is not None:
        areas = areas.filter(sgis_code__in=codes)
    return areas


def survey_conflicts(*, municipality) -> QuerySet:
    """Observations waiting for an editor's decision, oldest first."""
    return (
        SurveyObservation.objects.filter(
            municipality=municipality, state=ObservationState.CONFLICT
        )
        .select_related("space", "surveyor", "round")
        .defer("space__footprint")
        .order_by("received_at", "id")
    )


def survey_conflict_municipality_ids(*, user) -> frozenset[int]:
    return municipality_ids_with_permission(
        user=user, permission="renewal.resolve_survey_conflict"
    )
