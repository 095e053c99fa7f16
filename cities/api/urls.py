from django.urls import path

from cities.api.analysis import (
    DowntownHealthView,
    MunicipalityIndicatorsView,
    MunicipalityTypologyView,
    UrbanZonesView,
)

CODE = "municipalities/<str:code>/"

urlpatterns = [
    path(
        f"{CODE}indicators/",
        MunicipalityIndicatorsView.as_view(),
        name="municipality-indicators",
    ),
    path(
        f"{CODE}typology/",
        MunicipalityTypologyView.as_view(),
        name="municipality-typology",
    ),
    path(
        f"{CODE}downtown-health/",
        DowntownHealthView.as_view(),
        name="municipality-downtown-health",
    ),
    path("urban-zones/", UrbanZonesView.as_view(), name="urban-zones"),
]

# The comparison dashboard by city type.
from cities.api.dashboard import CityTypeDashboardView  # noqa: E402

urlpatterns += [
    path(
        "dashboard/city-types/",
        CityTypeDashboardView.as_view(),
        name="dashboard-city-types",
    ),
]
