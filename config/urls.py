from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cities.api.views import MunicipalityViewSet
from cities.views import home
from config.api import Router, ThrottledObtainAuthToken
from config.health import healthz
from renewal.api.organizations import CommunityOrganizationViewSet
from renewal.api.projects import RenewalProjectViewSet
from renewal.api.resources import NeighborhoodResourceViewSet
from renewal.api.spaces import VacantSpaceViewSet
from renewal.views import ThrottledLoginView, signup

router = Router()
router.register("municipalities", MunicipalityViewSet, basename="municipality")
router.register("spaces", VacantSpaceViewSet, basename="space")
router.register("resources", NeighborhoodResourceViewSet, basename="resource")
router.register("organizations", CommunityOrganizationViewSet, basename="organization")
router.register("projects", RenewalProjectViewSet, basename="project")

api_v1 = [
    # Before the router, so that "spaces/export/" is not read as a space id.
    path("", include("renewal.api.exports")),
    path("", include("renewal.api.imports")),
    path("", include("renewal.api.notifications")),
    path("", include("renewal.api.participation")),
    path("", include("renewal.api.participation_social")),
    path("", include("renewal.api.matching")),
    path("", include("cities.api.urls")),
    path("", include("renewal.api.bids")),
    path("", include(router.urls)),
    path("auth/token/", ThrottledObtainAuthToken.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"
    ),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("tiles/", include("renewal.api.tiles")),
    path("ogc/", include("renewal.api.ogc")),
    path("api/v1/", include(api_v1)),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Pages under /ko/ and /en/; "/" redirects by the visitor's cookie or browser
# language. Unprefixed paths (the API) then follow Accept-Language.
urlpatterns += i18n_patterns(
    path("", home, name="home"),
    path("", include("renewal.urls")),
    path("", include("cities.urls")),
    path("accounts/signup/", signup, name="signup"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
)

# Errors outside DRF's views: the API's JSON shape under its prefixes, pages elsewhere.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
