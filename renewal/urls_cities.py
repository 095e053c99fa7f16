from django.urls import path

from cities import views

app_name = "cities"

urlpatterns = [
    path("cities/<str:code>/", views.city_detail, name="city-detail"),
    path(
        "cities/<str:code>/typology/",
        views.city_typology_override,
        name="city-typology-override",
    ),
    path("dashboard/", views.dashboard, name="dashboard"),
]
