"""Matching API: a project's candidates, city-wide assignment runs, and matches."""

import django_filters
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.models import Municipality
from config.api import NumericIdRouter, Pagination
from renewal.models import (
    AgreementKind,
    AssignmentRun,
    Match,
    MatchStatus,
    RenewalProject,
    UseAgreement,
)
from renewal.selectors.matching import (
    MAX_CANDIDATES,
    assignment_run_list,
    match_candidates,
    match_list,
)
from renewal.selectors.moderation import visible_projects
from renewal.services.matching.matches import (
    allowed_match_actions,
    match_accept,
    match_activate,
    match_decline,
    match_end,
    match_offer,
)
from renewal.services.matching.runs import assignment_run_start

CANDIDATE_KINDS = ("space", "organization", "resource")


class CandidatesQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CANDIDATE_KINDS, default="space")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_CANDIDATES, default=10)


class CandidatesSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CANDIDATE_KINDS)
    candidates = serializers.ListField(child=serializers.DictField())


class ProjectCandidatesView(APIView):
    """The best candidates for a project, each with its total score and the
    per-component breakdown that explains it."""

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", enum=CANDIDATE_KINDS),
            OpenApiParameter("limit", int),
        ],
        responses=CandidatesSerializer,
    )
    def get(self, request, pk: int):
        project = get_object_or_404(
            visible_projects(RenewalProject.objects.all(), request.user), pk=pk
        )
        query = CandidatesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        candidates = match_candidates(project=project, **query.validated_data)
        return Response(
            {
                "project": project.pk,
                "kind": query.validated_data["kind"],
                "candidates": candidates,
            }
        )


class MatchSerializer(serializers.ModelSerializer):
    municipality = serializers.CharField(source="municipality.code", read_only=True)
    project = serializers.SerializerMethodField()
    space = serializers.SerializerMethodField()
    agreement = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Match
        fields = [
            "id",
            "municipality",
            "project",
            "space",
            "run",
            "status",
            "score",
            "breakdown",
            "agreement",
            "allowed_actions",
            "created_at",
            "updated_at",
        ]

    def get_project(self, match) -> dict:
        return {"id": match.project_id, "title": match.project.title}

    def get_space(self, match) -> dict:
        space = match.space
        return {
            "id": space.pk,
            "kind": space.kind,
            "status": space.status,
            "address": space.address,
            "location": {
                "type": "Point",
                "coordinates": [space.location.x, space.location.y],
            },
        }

    def get_agreement(self, match) -> dict | None:
        try:
            agreement = match.agreement
        except UseAgreement.DoesNotExist:
            return None
        return UseAgreementSerializer(agreement).data

    def get_allowed_actions(self, match) -> list[str]:
        return allowed_match_actions(user=self.context["request"].user, match=match)


class UseAgreementSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=AgreementKind.choices)

    class Meta:
        model = UseAgreement
        fields = ["kind", "start_date", "end_date", "monthly_rent_krw"]


class AssignmentRunSerializer(serializers.ModelSerializer):
    municipality = serializers.CharField(source="municipality.code", read_only=True)

    class Meta:
        model = AssignmentRun
        fields = [
            "id",
            "municipality",
            "status",
            "trigger",
            "progress",
            "projects_count",
            "spaces_count",
            "candidate_pairs",
            "matched_count",
            "total_score",
            "greedy_total_score",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class MatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MatchStatus.choices)
    project = django_filters.NumberFilter(field_name="project_id")
    space = django_filters.NumberFilter(field_name="space_id")
    run = django_filters.NumberFilter(field_name="run_id")
    city = django_filters.CharFilter(field_name="municipality__code")

    class Meta:
        model = Match
        fields = []


class MatchViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Matches of a project and a space. Staff of the city see and offer them; the
    project's proposer and lead organisation see theirs and accept or decline
    offers."""

    serializer_class = MatchSerializer
    pagination_class = Pagination
    filterset_class = MatchFilter

    def get_queryset(self):
        return match_list(user=self.request.user)

    def _step(self, request, pk, service, **arguments):
        match = get_object_or_404(self.get_queryset(), pk=pk)
        service(actor=request.user, match=match, **arguments)
        match = self.get_queryset().get(pk=match.pk)
        return Response(self.get_serializer(match).data, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def offer(self, request, pk=None):
        return self._step(request, pk, match_offer)

    @extend_schema(request=UseAgreementSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        agreement = UseAgreementSerializer(data=request.data)
        agreement.is_valid(raise_exception=True)
        return self._step(
            request, pk, match_accept, agreement=dict(agreement.validated_data)
        )

    @extend_schema(request=None, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._step(request, pk, match_decline)

    @extend_schema(request=None, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._step(request, pk, match_activate)

    @extend_schema(request=None, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        return self._step(request, pk, match_end)


class MunicipalityAssignmentRunsView(APIView):
    """Start a city-wide assignment (staff who may edit the city), or list the
    city's runs (its staff)."""

    @extend_schema(request=None, responses=AssignmentRunSerializer)
    def post(self, request, code: str):
        municipality = get_object_or_404(Municipality, code=code)
        run = assignment_run_start(actor=request.user, municipality=municipality)
        return Response(
            AssignmentRunSerializer(run).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(responses=AssignmentRunSerializer(many=True))
    def get(self, request, code: str):
        municipality = get_object_or_404(Municipality, code=code)
        runs = assignment_run_list(user=request.user).filter(municipality=municipality)[
            :50
        ]
        return Response(AssignmentRunSerializer(runs, many=True).data)


class AssignmentRunDetailView(APIView):
    """A run's status, progress and totals, with the pairs it proposed."""

    @extend_schema(responses=AssignmentRunSerializer)
    def get(self, request, pk: int):
        run = get_object_or_404(assignment_run_list(user=request.user), pk=pk)
        pairs = (
            Match.objects.filter(run=run)
            .order_by("-score", "id")
            .values(
                "id",
                "status",
                "score",
                "breakdown",
                "project_id",
                "project__title",
                "space_id",
                "space__kind",
                "space__location",
            )
        )
        body = AssignmentRunSerializer(run).data
        body["pairs"] = [
            {
                "match": pair["id"],
                "status": pair["status"],
                "score": pair["score"],
                "breakdown": pair["breakdown"],
                "project": {"id": pair["project_id"], "title": pair["project__title"]},
                "space": {
                    "id": pair["space_id"],
                    "kind": pair["space__kind"],
                    "location": {
                        "type": "Point",
                        "coordinates": [
                            pair["space__location"].x,
                            pair["space__location"].y,
                        ],
                    },
                },
            }
            for pair in pairs
        ]
        return Response(body)


router = NumericIdRouter()
router.register("matches", MatchViewSet, basename="match")

urlpatterns = [
    path(
        "projects/<int:pk>/candidates/",
        ProjectCandidatesView.as_view(),
        name="project-candidates",
    ),
    path(
        "municipalities/<str:code>/assignment-runs/",
        MunicipalityAssignmentRunsView.as_view(),
        name="municipality-assignment-runs",
    ),
    path(
        "assignment-runs/<int:pk>/",
        AssignmentRunDetailView.as_view(),
        name="assignment-run-detail",
    ),
    *router.urls,
]
