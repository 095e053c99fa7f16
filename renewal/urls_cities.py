"""A city's page and the comparison of city types. They read the inventory and
projects, so they live in renewal, but keep their names under the "cities"
namespace (`cities:city-detail`) that links and bookmarks already use."""

from django.urls import path

from renewal.views import cities as views
from renewal.views.downtown import city_downtown

app_name = "cities"

urlpatterns = [
    path("cities/<str:code>/", views.city_detail, name="city-detail"),
    path(
        "cities/<str:code>/typology/",
        views.city_typology_override,
        name="city-typology-override",
    ),
    path("cities/<str:code>/downtown/", city_downtown, name="city-downtown"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
