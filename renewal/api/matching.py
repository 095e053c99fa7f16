"""Matching API: a project's candidates, city-wide assignment runs, and matches."""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.models import Municipality
from config.api import Pagination
from renewal.api.history import InventoryChangeSerializer
from renewal.models import (
    AgreementKind,
    AssignmentRun,
    InventoryChange,
    Match,
    MatchingSettings,
    MatchStatus,
    RenewalProject,
    UseAgreement,
)
from renewal.models.matching import MATCHING_SETTINGS_FIELDS
from renewal.selectors.matching import (
    CITY_MATCHING_PERMISSION,
    MAX_CANDIDATES,
    assignment_run_list,
    match_candidates,
    match_list,
)
from renewal.selectors.projects import visible_projects
from renewal.services.matching.matches import (
    allowed_match_actions,
    match_accept,
    match_activate,
    match_decline,
    match_end,
    match_offer,
)
from renewal.services.matching.runs import assignment_run_start
from renewal.services.matching.settings import (
    matching_settings_of,
    matching_settings_update,
)
from renewal.services.owners import owner_contact_for, owner_match_decline

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
            "decline_reason",
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


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class OwnerContactSerializer(serializers.Serializer):
    contact = serializers.CharField(allow_null=True)


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

    @extend_schema(request=DeclineSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        match = get_object_or_404(self.get_queryset(), pk=pk)
        if request.user.has_perm("renewal.change_space_as_owner", match.space):
            # The space's owner says why; the project and the city read it.
            body = DeclineSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            return self._step(
                request, pk, owner_match_decline, reason=body.validated_data["reason"]
            )
        return self._step(request, pk, match_decline)

    @extend_schema(request=None, responses=OwnerContactSerializer)
    @action(detail=True, methods=["get"], url_path="owner-contact")
    def owner_contact(self, request, pk=None):
        """The contact the space's owner consented to share: for the project's
        side once the city has offered the match, else null. Recorded."""
        match = get_object_or_404(self.get_queryset(), pk=pk)
        contact = owner_contact_for(user=request.user, match=match)
        return Response(OwnerContactSerializer({"contact": contact}).data)

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


class MatchingSettingsSerializer(serializers.ModelSerializer):
    municipality = serializers.CharField(source="municipality.code", read_only=True)

    class Meta:
        model = MatchingSettings
        fields = ["municipality", *MATCHING_SETTINGS_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]


def _city_matching_scope(request, code: str) -> Municipality:
    # Outside the city's staff the settings do not exist (404); its viewers read
    # them and only its editors change them (403, from the service).
    municipality = get_object_or_404(Municipality, code=code)
    if not request.user.has_perm(CITY_MATCHING_PERMISSION, municipality):
        raise Http404
    return municipality


class MunicipalityMatchingSettingsView(APIView):
    """The city's matching weights and scales (docs/matching.md): its staff read
    them, its editors change them; a change re-runs the city's assignment."""

    @extend_schema(responses=MatchingSettingsSerializer)
    def get(self, request, code: str):
        municipality = _city_matching_scope(request, code)
        return Response(
            MatchingSettingsSerializer(matching_settings_of(municipality)).data
        )

    @extend_schema(
        request=MatchingSettingsSerializer, responses=MatchingSettingsSerializer
    )
    def patch(self, request, code: str):
        municipality = _city_matching_scope(request, code)
        payload = MatchingSettingsSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        settings = matching_settings_update(
            actor=request.user,
            municipality=municipality,
            data=dict(payload.validated_data),
        )
        return Response(MatchingSettingsSerializer(settings).data)


class MunicipalityMatchingSettingsHistoryView(APIView):
    """Every recorded change of the city's matching settings, newest first."""

    @extend_schema(responses=InventoryChangeSerializer(many=True))
    def get(self, request, code: str):
        municipality = _city_matching_scope(request, code)
        changes = InventoryChange.objects.filter(
            content_type=ContentType.objects.get_for_model(MatchingSettings),
            municipality=municipality,
        ).select_related("actor")
        return Response(InventoryChangeSerializer(changes, many=True).data)
