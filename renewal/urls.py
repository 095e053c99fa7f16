from django.urls import path

from renewal.views import spaces

app_name = "renewal"

urlpatterns = [
    path("cities/<str:code>/spaces/", spaces.space_map, name="space-map"),
    path("cities/<str:code>/spaces/list/", spaces.space_list, name="space-list"),
    path("cities/<str:code>/spaces/new/", spaces.space_create, name="space-create"),
    path("spaces/<int:pk>/", spaces.space_detail, name="space-detail"),
    path("spaces/<int:pk>/edit/", spaces.space_edit, name="space-edit"),
    path(
        "spaces/<int:pk>/transitions/",
        spaces.space_transition,
        name="space-transition",
    ),
]
