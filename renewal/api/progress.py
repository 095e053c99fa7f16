"""Progress API: progress updates, participation events and their totals.

Reads are public (updates and aggregate attendance are accountability, not personal
data); writes go through the services, which ask the rules.
"""

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.fields import GeometryField

from cities.models import Municipality, MunicipalityGroup
from renewal.api.geometry import validate_korean_point
from renewal.models import (
    CommunityOrganization,
    EventKind,
    ParticipationEvent,
    ProgressUpdate,
    RenewalProject,
)
from renewal.selectors.progress import (
    AGE_BANDS,
    participation_event_list,
    participation_events_in_scope,
    participation_totals,
    progress_update_list,
)
from renewal.selectors.projects import visible_projects
from renewal.services.progress import participation_event_record, progress_update_post

ErrorSerializer = inline_serializer(
    "ParticipationError",
    fields={
        "error": inline_serializer(
            "ParticipationErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField())
                ),
            },
        )
    },
)
WRITE_ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}


class ProgressUpdateSerializer(serializers.ModelSerializer):
    # Null once the author's account is deleted.
    author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    percent_complete = serializers.IntegerField(min_value=0, max_value=100)

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "project",
            "author",
            "text",
            "percent_complete",
            "milestone",
            "created_at",
        ]
        read_only_fields = ["id", "project", "author", "created_at"]


class ProgressUpdateListView(generics.GenericAPIView):
    """A project's progress updates, newest first. The lead organisation's members
    and the city's editors post them while the project is approved or in progress."""

    serializer_class = ProgressUpdateSerializer

    def get_queryset(self):
        # The path's id is the project's; the updates are read through it, so a
        # hidden project's updates answer 404 as the project does.
        return visible_projects(RenewalProject.objects.all(), self.request.user)

    @extend_schema(responses=ProgressUpdateSerializer(many=True))
    def get(self, request, pk: int):
        page = self.paginate_queryset(progress_update_list(project=self.get_object()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=ProgressUpdateSerializer,
        responses={201: ProgressUpdateSerializer, 404: ErrorSerializer, **WRITE_ERRORS},
    )
    def post(self, request, pk: int):
        project = self.get_object()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        update = progress_update_post(
            author=request.user, project=project, **payload.validated_data
        )
        return Response(
            self.get_serializer(update).data, status=status.HTTP_201_CREATED
        )


class ParticipationEventSerializer(serializers.ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(queryset=RenewalProject.objects.all())
    organization = serializers.PrimaryKeyRelatedField(
        queryset=CommunityOrganization.objects.all()
    )
    organization_name = serializers.CharField(
        source="organization.name", read_only=True
    )
    municipality = serializers.CharField(
        source="project.municipality.code",
        read_only=True,
        help_text="Administrative code of the project's municipality",
    )
    kind = serializers.ChoiceField(choices=EventKind.choices)
    location = GeometryField(required=False, allow_null=True)
    attendees_under_20 = serializers.IntegerField(min_value=0, default=0)
    attendees_20_39 = serializers.IntegerField(min_value=0, default=0)
    attendees_40_64 = serializers.IntegerField(min_value=0, default=0)
    attendees_65_plus = serializers.IntegerField(min_value=0, default=0)
    attendees = serializers.IntegerField(read_only=True, help_text="All age bands")
    volunteer_hours = serializers.DecimalField(
        max_digits=8, decimal_places=1, min_value=0, default=0, coerce_to_string=False
    )

    class Meta:
        model = ParticipationEvent
        fields = [
            "id",
            "project",
            "organization",
            "organization_name",
            "municipality",
            "kind",
            "date",
            "place",
            "location",
            "attendees_under_20",
            "attendees_20_39",
            "attendees_40_64",
            "attendees_65_plus",
            "attendees",
            "volunteer_hours",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def validate_location(self, location):
        return None if location is None else validate_korean_point(location)


class ParticipationEventFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project_id")
    organization = django_filters.NumberFilter(field_name="organization_id")
    city = django_filters.CharFilter(
        field_name="project__municipality__code", help_text="Administrative code"
    )
    kind = django_filters.ChoiceFilter(choices=EventKind.choices)
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = ParticipationEvent
        fields = []


class ParticipationEventListView(generics.ListAPIView):
    """Participation events, newest first. Members of an organisation record the
    events it ran, for a project it leads or one in its municipality."""

    serializer_class = ParticipationEventSerializer
    filterset_class = ParticipationEventFilter

    def get_queryset(self):
        return participation_event_list(user=self.request.user)

    @extend_schema(
        request=ParticipationEventSerializer,
        responses={201: ParticipationEventSerializer, **WRITE_ERRORS},
    )
    def post(self, request):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        event = participation_event_record(
            actor=request.user,
            project=data.pop("project"),
            organization=data.pop("organization"),
            data=data,
        )
        event = self.get_queryset().get(pk=event.pk)
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)


class TotalsScopeSerializer(serializers.Serializer):
    project = serializers.PrimaryKeyRelatedField(
        queryset=RenewalProject.objects.all(), required=False
    )
    organization = serializers.PrimaryKeyRelatedField(
        queryset=CommunityOrganization.objects.all(), required=False
    )
    city = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Municipality.objects.all(),
        required=False,
        help_text="Administrative code",
    )
    group = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=MunicipalityGroup.objects.all(),
        required=False,
        help_text="Municipality group slug",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A hidden project is answered as an unknown one, so that asking for its
        # totals tells nothing, not even that it exists.
        request = self.context.get("request")
        self.fields["project"].queryset = visible_projects(
            RenewalProject.objects.all(),
            request.user if request else AnonymousUser(),
        )

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError(
                _("Give exactly one of project, organization, city or group.")
            )
        return attrs


# Built with type(): band names such as "20_39" are JSON keys, not identifiers.
AgeBandsSerializer = type(
    "AgeBandsSerializer",
    (serializers.Serializer,),
    {band: serializers.IntegerField() for band in AGE_BANDS},
)


class FiguresSerializer(serializers.Serializer):
    events = serializers.IntegerField()
    attendees = serializers.IntegerField()
    attendees_by_age = AgeBandsSerializer()
    volunteer_hours = serializers.DecimalField(
        max_digits=12, decimal_places=1, coerce_to_string=False
    )


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$"})
class MonthField(serializers.DateField):
    """A month as YYYY-MM (a DateField would be documented as a full date)."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class MonthFiguresSerializer(FiguresSerializer):
    month = MonthField(help_text="Year and month, YYYY-MM")


class TotalsSerializer(FiguresSerializer):
    monthly = MonthFiguresSerializer(
        many=True, help_text="Every month from the first event to the last"
    )


class ParticipationTotalsView(APIView):
    """Events, attendees (all and by age band) and volunteer hours of one project,
    organisation, municipality (`city`) or municipality group, over all time and
    month by month."""

    @extend_schema(
        parameters=[TotalsScopeSerializer],
        responses={200: TotalsSerializer, 400: ErrorSerializer},
    )
    def get(self, request):
        scope = TotalsScopeSerializer(
            data=request.query_params, context={"request": request}
        )
        scope.is_valid(raise_exception=True)
        data = scope.validated_data
        events = participation_events_in_scope(
            user=request.user,
            project=data.get("project"),
            organization=data.get("organization"),
            municipality=data.get("city"),
            group=data.get("group"),
        )
        return Response(TotalsSerializer(participation_totals(events=events)).data)
