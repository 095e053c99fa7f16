"""The public listing (빈집은행) as JSON: offered spaces, filtered, a page at a time,
with nothing of their owners."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from cities.models import in_current_language
from config.api import Pagination
from core.errors import DomainError
from renewal.forms import ListingFilterForm
from renewal.models import Availability, SpaceKind
from renewal.selectors.owners import listing_photos, listing_search


class ListingPhotoSerializer(serializers.Serializer):
    url = serializers.CharField()
    alt = serializers.CharField()


class ListingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    city = serializers.CharField(source="city_code")
    city_name = serializers.SerializerMethodField()
    # A plain string in the schema: the kinds' enum is named by the spaces' API.
    kind = serializers.CharField(help_text="One of: " + ", ".join(SpaceKind.values))
    address = serializers.CharField()
    floor_area_m2 = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True
    )
    land_area_m2 = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True
    )
    year_built = serializers.IntegerField(allow_null=True)
    availability = serializers.ChoiceField(choices=Availability.choices)
    asking_rent_krw = serializers.IntegerField(allow_null=True)
    asking_price_krw = serializers.IntegerField(allow_null=True)
    longitude = serializers.SerializerMethodField()
    latitude = serializers.SerializerMethodField()
    photos = ListingPhotoSerializer(many=True, default=list)
    propose_url = serializers.SerializerMethodField()

    def get_city_name(self, row) -> str:
        return in_current_language(row["city_ko"], row["city_en"])

    def get_longitude(self, row) -> float:
        return round(row["location"].x, 6)

    def get_latitude(self, row) -> float:
        return round(row["location"].y, 6)

    def get_propose_url(self, row) -> str:
        return (
            reverse("renewal:project-create", args=[row["city_code"]])
            + f"?space={row['id']}"
        )


LISTING_PARAMETERS = [
    OpenApiParameter("city", str, description="The city's code (시군구)."),
    OpenApiParameter("area", str, description="A 읍면동's SGIS code."),
    OpenApiParameter("kind", str, description=", ".join(SpaceKind.values)),
    OpenApiParameter("availability", str, enum=["lease", "sale", "free_use"]),
    OpenApiParameter("min_area", float, description="Floor area from (m²)."),
    OpenApiParameter("max_area", float, description="Floor area up to (m²)."),
    OpenApiParameter("max_rent", int, description="Monthly rent up to (KRW)."),
    OpenApiParameter("max_price", int, description="Price up to (KRW)."),
]


class ListingView(ListAPIView):
    """Spaces their owners offer (lease, sale, free or meanwhile use), newest
    first. Free use passes every rent and price ceiling."""

    serializer_class = ListingSerializer
    pagination_class = Pagination

    def get_queryset(self):
        form = ListingFilterForm(self.request.query_params)
        if not form.is_valid():
            raise DomainError(
                _("Check the listing's filters."),
                fields={name: list(errors) for name, errors in form.errors.items()},
            )
        return listing_search(form.filters())

    @extend_schema(parameters=LISTING_PARAMETERS)
    def get(self, request, *args, **kwargs):
        rows = self.paginate_queryset(self.get_queryset())
        # The page's photos in one query, not one per space.
        photos = listing_photos([row["id"] for row in rows])
        for row in rows:
            row["photos"] = photos.get(row["id"], [])
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)
