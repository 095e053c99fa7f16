import dataclasses
import math

import django_filters
from django.conf import settings
from django.contrib.gis.geos import Point
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from cities.models import Municipality
from config.api import GeoFeatureSerializer, GeoPagination
from renewal.api.geometry import (  # noqa: F401  KOREA_BOUNDS is imported from here
    KOREA_BOUNDS,
    parse_bbox,
    parse_floats,
    validate_korean_point,
)
from renewal.api.history import HistoryMixin
from renewal.models import Availability, SpaceKind, SpaceOwner, SpaceStatus, VacantSpace
from renewal.models.spaces import SPACE_OWNER_FIELDS, SPACE_PUBLIC_FIELDS
from renewal.selectors.spaces import (
    SpacePage,
    near,
    vacant_space_list,
    vacant_space_page,
    within_bbox,
)
from renewal.services.spaces import (
    allowed_space_transitions,
    legal_vacancy_status,
    vacant_space_register,
    vacant_space_transition,
    vacant_space_update,
)


class SpaceOwnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = SpaceOwner
        fields = list(SPACE_OWNER_FIELDS)


class VacantSpaceSerializer(GeoFeatureSerializer):
    municipality = serializers.SlugRelatedField(
        slug_field="code", queryset=Municipality.objects.all()
    )
    in_downtown = serializers.BooleanField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()
    owner = SpaceOwnerSerializer(required=False, allow_null=True)

    class Meta:
        model = VacantSpace
        geo_field = "location"
        fields = [
            "id",
            "municipality",
            *SPACE_PUBLIC_FIELDS,
            "in_downtown",
            "allowed_transitions",
            "owner",
        ]
        read_only_fields = ["status"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, space) -> list[str]:
        return allowed_space_transitions(user=self.context["request"].user, space=space)

    def validate_location(self, location):
        return validate_korean_point(location)

    def get_properties(self, space, fields):
        # Owner details are personal data: only staff of the space's city see them.
        # The field is dropped before it is read: for other callers the selector does
        # not join the owner, and reading it would cost one query per feature.
        user = self.context["request"].user
        if not user.has_perm("renewal.view_space_personal_data", space):
            fields = [field for field in fields if field.field_name != "owner"]
        return super().get_properties(space, fields)


class VacantSpaceDetailSerializer(VacantSpaceSerializer):
    """One space: the list's fields and its legal vacant-house status, which is
    computed per space and so kept out of the SQL-built list pages."""

    legal_vacancy = serializers.SerializerMethodField()

    class Meta(VacantSpaceSerializer.Meta):
        fields = [*VacantSpaceSerializer.Meta.fields, "legal_vacancy"]

    @extend_schema_field(serializers.DictField())
    def get_legal_vacancy(self, space) -> dict:
        """The computed status under the vacant-house act, never written."""
        return dataclasses.asdict(legal_vacancy_status(space))


class VacantSpaceFilter(django_filters.FilterSet):
    city = django_filters.CharFilter(
        field_name="municipality__code", help_text="Administrative code"
    )
    kind = django_filters.ChoiceFilter(choices=SpaceKind.choices)
    status = django_filters.ChoiceFilter(choices=SpaceStatus.choices)
    availability = django_filters.ChoiceFilter(choices=Availability.choices)
    grade = django_filters.NumberFilter(field_name="grade")
    min_area = django_filters.NumberFilter(
        field_name="floor_area_m2", lookup_expr="gte"
    )
    max_area = django_filters.NumberFilter(
        field_name="floor_area_m2", lookup_expr="lte"
    )
    in_downtown = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_in_downtown"
    )
    bbox = django_filters.CharFilter(
        method="filter_bbox", help_text="minLon,minLat,maxLon,maxLat (EPSG:4326)"
    )
    near = django_filters.CharFilter(
        method="filter_near", help_text="lon,lat (EPSG:4326); with radius_m"
    )
    radius_m = django_filters.NumberFilter(
        method="filter_noop", help_text="Radius in metres for `near` (default 1000)"
    )

    class Meta:
        model = VacantSpace
        fields = []

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_in_downtown(self, queryset, name, value):
        return queryset.filter(in_downtown=value == "true")

    def filter_bbox(self, queryset, name, value):
        return within_bbox(queryset, parse_bbox("bbox", value))

    def filter_near(self, queryset, name, value):
        lon, lat = parse_floats("near", value, 2)
        radius = self.form.cleaned_data.get("radius_m") or 1000
        if not 0 < radius <= 50_000:
            raise ValidationError({"radius_m": [_("Between 0 and 50000 metres.")]})
        return near(queryset, point=Point(lon, lat, srid=4326), radius_m=float(radius))


class PrerenderedFeatures(list):
    """GeoJSON Feature texts that PostgreSQL has already written."""


class FeatureCollectionRenderer(JSONRenderer):
    """JSON, with pre-rendered features spliced in as they are: parsing them only to
    write them out again would cost what building them in the database saved."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        features = data.get("features") if isinstance(data, dict) else None
        if not isinstance(features, PrerenderedFeatures):
            return super().render(data, accepted_media_type, renderer_context)
        head = {key: value for key, value in data.items() if key != "features"}
        # The head always holds "type", so it ends in "}" after at least one member.
        rendered = super().render(head, accepted_media_type, renderer_context)
        return b"".join(
            [
                rendered.rstrip()[:-1],
                b',"features":[',
                ",".join(features).encode(),
                b"]}",
            ]
        )


MAX_PAGE_NUMBER = 10_000_000


class _SpacePageNumbers:
    """What DRF's links and page controls ask of a Django Page, for a page whose
    count may be a lower bound."""

    def __init__(self, page: SpacePage, number: int, size: int):
        self.number = number
        self.count_exact = page.count_exact
        self.paginator = self
        self.count = page.count
        if page.count_exact:
            self.num_pages = max(1, math.ceil(page.count / size))
        else:
            # Beyond the count limit only the next page is known to exist.
            self.num_pages = number + 1 if len(page.features) == size else number

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


class SpacePagination(GeoPagination):
    """Pages of the spaces list from one statement (vacant_space_page). `count` is
    exact up to SPACES_LIST_COUNT_LIMIT matches; beyond it `count` is that limit
    and `count_exact` is false, so that a window over a whole province or the
    country is not counted row by row on every page."""

    def paginate_spaces(self, spaces, request, *, user) -> list[str]:
        self.request = request
        size = self.get_page_size(request)
        limit = settings.SPACES_LIST_COUNT_LIMIT
        raw_number = request.query_params.get(self.page_query_param) or "1"
        if raw_number in self.last_page_strings:
            # Only the count is wanted here: no features.
            first = vacant_space_page(
                spaces=spaces, user=user, offset=0, limit=0, count_limit=limit
            )
            if not first.count_exact:
                raise NotFound(
                    _(
                        "The last page is not known: more than %(limit)s spaces "
                        "match. Narrow the filter or use the export."
                    )
                    % {"limit": f"{limit:,}"}
                )
            number = _SpacePageNumbers(first, 1, size).num_pages
        else:
            try:
                number = int(raw_number)
            except ValueError:
                number = 0
            # Past any real inventory; a larger offset would overflow PostgreSQL's.
            if not 1 <= number <= MAX_PAGE_NUMBER:
                raise NotFound(self.invalid_page_message)
        page = vacant_space_page(
            spaces=spaces,
            user=user,
            offset=(number - 1) * size,
            limit=size,
            count_limit=limit,
        )
        if number > 1 and not page.features:
            raise NotFound(self.invalid_page_message)
        self.page = _SpacePageNumbers(page, number, size)
        self.display_page_controls = self.page.num_pages > 1
        return page.features

    def get_paginated_response(self, data):
        return Response(
            {
                "type": "FeatureCollection",
                "count": self.page.count,
                "count_exact": self.page.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "features": data["features"],
            }
        )

    def get_paginated_response_schema(self, view):
        schema = super().get_paginated_response_schema(view)
        properties = schema["properties"]
        count_exact = {
            "type": "boolean",
            "description": "False when `count` is a lower bound.",
        }
        properties["count"]["description"] = (
            "Spaces matching the filter, or SPACES_LIST_COUNT_LIMIT when more match."
        )
        schema["properties"] = {
            "type": properties["type"],
            "count": properties["count"],
            "count_exact": count_exact,
            **properties,
        }
        return schema


class TransitionSerializer(serializers.Serializer):
    to = serializers.CharField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class VacantSpaceViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Vacant houses, shops and buildings as GeoJSON. Anyone reads public fields; staff
    of the space's city write, and only they see owner details."""

    serializer_class = VacantSpaceSerializer
    pagination_class = SpacePagination
    filterset_class = VacantSpaceFilter
    renderer_classes = [FeatureCollectionRenderer, BrowsableAPIRenderer]

    def get_queryset(self):
        return vacant_space_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return VacantSpaceDetailSerializer
        return VacantSpaceSerializer

    def list(self, request, *args, **kwargs):
        # PostgreSQL writes each feature of the page, as VacantSpaceSerializer would
        # (tests/renewal/test_spaces_list_sql.py holds them to the same output), and
        # counts the matches in the same statement (docs/performance.md).
        spaces = self.filter_queryset(self.get_queryset())
        features = self.paginator.paginate_spaces(spaces, request, user=request.user)
        return self.get_paginated_response({"features": PrerenderedFeatures(features)})

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        owner = data.pop("owner", None)
        municipality = data.pop("municipality")
        serializer.instance = vacant_space_register(
            actor=self.request.user, municipality=municipality, data=data, owner=owner
        )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        owner = data.pop("owner", None)
        if (
            "municipality" in data
            and data["municipality"] == serializer.instance.municipality
        ):
            data.pop("municipality")
        vacant_space_update(
            actor=self.request.user, space=serializer.instance, data=data, owner=owner
        )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(request=TransitionSerializer, responses=VacantSpaceSerializer)
    @action(detail=True, methods=["post"])
    def transitions(self, request, pk=None):
        space = get_object_or_404(self.get_queryset(), pk=pk)
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        vacant_space_transition(
            actor=request.user, space=space, **payload.validated_data
        )
        space = self.get_queryset().get(pk=space.pk)
        return Response(self.get_serializer(space).data, status=status.HTTP_200_OK)
