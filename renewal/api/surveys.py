"""Field survey API: the surveyor's rounds, a round's offline package, and the sync
of what the phone queued.

The sync answers one result per record (stored, duplicate, conflict or refused with
its message), so a phone that lost the answer or the connection sends its queue
again and learns what the server already holds; nothing is stored twice.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from renewal.api.photos import photo_upload_fields
from renewal.selectors.surveys import survey_round_get, survey_rounds_of
from renewal.services.surveys import (
    survey_observations_sync,
    survey_photo_add,
    survey_round_package,
)
from renewal.views.photos import PhotoUploadLimit


class SurveyRoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    city = serializers.CharField(source="municipality.name")
    grading_scheme = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    status = serializers.CharField()
    space_count = serializers.IntegerField()


class SurveyRoundListView(APIView):
    """The survey rounds you are assigned to, open ones first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SurveyRoundSerializer(many=True))
    def get(self, request):
        rounds = survey_rounds_of(user=request.user)
        return Response(SurveyRoundSerializer(rounds, many=True).data)


class SurveyRoundPackageView(APIView):
    """Everything a phone needs to survey the round offline: its spaces (one array
    each, in the order `fields` names), the scheme's grades and checklist, the
    signs of vacancy and the area's outline."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "SurveyPackage",
            fields={
                "round": serializers.DictField(),
                "grades": serializers.ListField(child=serializers.IntegerField()),
                "graded_kinds": serializers.ListField(child=serializers.CharField()),
                "checklist": serializers.ListField(child=serializers.DictField()),
                "ratings": serializers.ListField(child=serializers.DictField()),
                "signs": serializers.ListField(child=serializers.DictField()),
                "area": serializers.CharField(allow_null=True),
                "fields": serializers.ListField(child=serializers.CharField()),
                "spaces": serializers.ListField(child=serializers.ListField()),
            },
        )
    )
    def get(self, request, pk: int):
        survey_round = survey_round_get(user=request.user, pk=pk)
        return Response(survey_round_package(survey_round=survey_round))


class SyncRequestSerializer(serializers.Serializer):
    # The records are checked one by one by the service: a bad one is refused in
    # its own result, not by failing the batch.
    observations = serializers.ListField(child=serializers.JSONField())


class SurveyObservationsView(APIView):
    """Send queued observations (at most 50 at a time); one result per record."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=SyncRequestSerializer,
        responses=inline_serializer(
            "SurveySyncResults",
            fields={"results": serializers.ListField(child=serializers.DictField())},
        ),
    )
    def post(self, request, pk: int):
        survey_round = survey_round_get(user=request.user, pk=pk)
        body = SyncRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        results = survey_observations_sync(
            actor=request.user,
            survey_round=survey_round,
            records=body.validated_data["observations"],
        )
        return Response({"results": results})


class SurveyPhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField()
    client_id = serializers.UUIDField()


class SurveyPhotoView(APIView):
    """Send one photo of a stored observation (multipart: `photo`, and the photo's
    own `client_id`); sending it again returns the photo already stored."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    def initialize_request(self, request, *args, **kwargs):
        # Before DRF reads the body: a photo over the limit is refused unread.
        request.upload_handlers.insert(0, PhotoUploadLimit(request))
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": SurveyPhotoUploadSerializer},
        responses={
            201: inline_serializer(
                "SurveyPhotoStored",
                fields={
                    "photo": serializers.IntegerField(),
                    "client_id": serializers.UUIDField(),
                    "space": serializers.IntegerField(),
                },
            )
        },
    )
    def post(self, request, pk: int, client_id):
        survey_round = survey_round_get(user=request.user, pk=pk)
        upload = photo_upload_fields(request, SurveyPhotoUploadSerializer)
        photo = survey_photo_add(
            actor=request.user,
            survey_round=survey_round,
            observation_client_id=client_id,
            upload=upload["photo"],
            client_id=upload["client_id"],
        )
        return Response(
            {
                "photo": photo.pk,
                "client_id": str(photo.client_id),
                "space": photo.space_id,
            },
            status=status.HTTP_201_CREATED,
        )
