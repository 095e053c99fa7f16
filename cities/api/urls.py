from django.urls import path

from cities.api.analysis import (
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
    path("urban-zones/", UrbanZonesView.as_view(), name="urban-zones"),
]
