from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db import connection
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast, NullIf, Round

from cities.models import Municipality, MunicipalityGroup, Observation

CENSUS_POPULATION = "population_census_total"


def _census_population(offset: int) -> Subquery:
    """The census population `offset` censuses before the latest one."""
    return Subquery(
        Observation.objects.filter(
            municipality=OuterRef("pk"), indicator__code=CENSUS_POPULATION
        )
        .order_by("-year")
        .values("value")[offset : offset + 1],
        output_field=FloatField(),
    )


def municipality_list(*, group: str | None = None) -> QuerySet[Municipality]:
    """Municipalities with their latest census population and its change since the
    previous census, in one query (groups prefetched)."""
    municipalities = Municipality.objects.all()
    if group:
        municipalities = municipalities.filter(groups__slug=group)
    return (
        municipalities.annotate(
            population=_census_population(0),
            population_previous=_census_population(1),
            population_year=Subquery(
                Observation.objects.filter(
                    municipality=OuterRef("pk"), indicator__code=CENSUS_POPULATION
                )
                .order_by("-year")
                .values("year")[:1]
            ),
            has_downtown=ExpressionWrapper(Q(downtown__isnull=False), BooleanField()),
        )
        .annotate(
            population_change_pct=Round(
                Cast(
                    (F("population") - F("population_previous"))
                    * 100.0
                    / NullIf(F("population_previous"), 0),
                    FloatField(),
                ),
                1,
            )
        )
        .defer("boundary", "downtown")
        .prefetch_related("groups")
        .order_by("province", "kind", "name_en", "code")
    )


def municipality_group_list() -> QuerySet[MunicipalityGroup]:
    return MunicipalityGroup.objects.prefetch_related("members")


def municipalities_near(*, point: Point, radius_m: float) -> QuerySet[Municipality]:
    """Municipalities whose seat lies within radius_m metres, nearest first.

    The table holds a few hundred rows, so a spheroid distance per row is cheap; large
    tables must use the KNN operator instead.
    """
    return (
        Municipality.objects.filter(location__distance_lte=(point, D(m=radius_m)))
        .annotate(distance=Distance("location", point))
        .order_by("distance")
    )


def municipality_containing_downtown(*, point: Point) -> QuerySet[Municipality]:
    return Municipality.objects.filter(downtown__contains=point)


def database_status() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT postgis_lib_version(), current_setting('server_version')"
        )
        postgis, postgresql = cursor.fetchone()
    return {"postgis": postgis, "postgresql": postgresql}
