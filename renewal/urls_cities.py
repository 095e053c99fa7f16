"""A city's page and the comparison of city types. They read the inventory and
projects, so they live in renewal, but keep their names under the "cities"
namespace (`cities:city-detail`) that links and bookmarks already use."""

from django.urls import path

from renewal.views import cities as views
from renewal.views import workbench
from renewal.views.downtown import city_downtown

app_name = "cities"

urlpatterns = [
    # Before the city page, whose <code> would otherwise read "work".
    path("cities/work/", workbench.workbench_picker, name="workbench-picker"),
    path("cities/<str:code>/work/", workbench.workbench_page, name="workbench"),
    path(
        "cities/<str:code>/work/projects/<int:pk>/decision/",
        workbench.workbench_decide,
        name="workbench-decide",
    ),
    path("cities/<str:code>/", views.city_detail, name="city-detail"),
    path(
        "cities/<str:code>/typology/",
        views.city_typology_override,
        name="city-typology-override",
    ),
    path("cities/<str:code>/downtown/", city_downtown, name="city-downtown"),
    path("dashboard/", views.dashboard, name="dashboard"),
]

# The survey import wizard of a city.
from renewal.views import imports  # noqa: E402

urlpatterns += [
    path("cities/<str:code>/imports/new/", imports.import_new, name="import-new"),
    path(
        "cities/<str:code>/imports/<int:pk>/",
        imports.import_detail,
        name="import-detail",
    ),
    path(
        "cities/<str:code>/imports/<int:pk>/start/",
        imports.import_start,
        name="import-start",
    ),
    path(
        "cities/<str:code>/imports/<int:pk>/progress/",
        imports.import_progress,
        name="import-progress",
    ),
    path(
        "cities/<str:code>/imports/<int:pk>/report.csv",
        imports.import_report,
        name="import-report",
    ),
]
