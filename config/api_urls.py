"""Every API route: /api/v1/, the vector tiles and OGC API – Features.

Listed in one place so that a reader sees the whole API, and two modules cannot
claim the same path without it showing here. Views live in cities/api/ and
renewal/api/.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cities.api.analysis import (
    MunicipalityIndicatorsView,
    MunicipalityTypologyView,
    UrbanZonesView,
)
from cities.api.boundaries import (
    MunicipalityBoundaryView,
    MunicipalityDeclineView,
    MunicipalitySubmunicipalitiesView,
)
from cities.api.views import MunicipalityViewSet
from config.api import Router, ThrottledObtainAuthToken
from renewal.api import ogc, tiles
from renewal.api.bids import (
    BallotCloseView,
    BallotVotesView,
    BidBallotsView,
    BidMembersView,
    BidViewSet,
)
from renewal.api.dashboard import CityTypeDashboardView
from renewal.api.downtown import DowntownHealthView
from renewal.api.engagement import (
    AreaFollowDetailView,
    AreaFollowListView,
    HideView,
    ProjectCommentsView,
    ProjectFollowView,
    ReportListView,
    UnhideView,
)
from renewal.api.exports import VacantSpaceExportView
from renewal.api.imports import SpaceImportDetailView, SpaceImportUploadView
from renewal.api.matching import (
    AssignmentRunDetailView,
    MatchViewSet,
    MunicipalityAssignmentRunsView,
    MunicipalityMatchingSettingsHistoryView,
    MunicipalityMatchingSettingsView,
    ProjectCandidatesView,
)
from renewal.api.notifications import (
    NotificationListView,
    NotificationPreferenceView,
    NotificationReadAllView,
    NotificationReadView,
)
from renewal.api.organizations import CommunityOrganizationViewSet
from renewal.api.owners import ListingView
from renewal.api.photos import (
    SpacePhotoDetailView,
    SpacePhotoPublishView,
    SpacePhotosView,
)
from renewal.api.progress import (
    ParticipationEventListView,
    ParticipationTotalsView,
    ProgressUpdateListView,
)
from renewal.api.projects import RenewalProjectViewSet
from renewal.api.resources import NeighborhoodResourceViewSet
from renewal.api.search import SearchView
from renewal.api.spaces import VacantSpaceViewSet
from renewal.api.surveys import (
    SurveyObservationsView,
    SurveyPhotoView,
    SurveyRoundListView,
    SurveyRoundPackageView,
)

router = Router()
router.register("municipalities", MunicipalityViewSet, basename="municipality")
router.register("spaces", VacantSpaceViewSet, basename="space")
router.register("resources", NeighborhoodResourceViewSet, basename="resource")
router.register("organizations", CommunityOrganizationViewSet, basename="organization")
router.register("projects", RenewalProjectViewSet, basename="project")
router.register("matches", MatchViewSet, basename="match")
router.register("bids", BidViewSet, basename="bid")

MUNICIPALITY = "municipalities/<str:code>/"

api_v1 = [
    # Before the router, so that "spaces/export/" is not read as a space id.
    path("spaces/export/", VacantSpaceExportView.as_view(), name="vacant-space-export"),
    path("spaces/imports/", SpaceImportUploadView.as_view(), name="space-import-list"),
    path(
        "spaces/imports/<int:pk>/",
        SpaceImportDetailView.as_view(),
        name="space-import-detail",
    ),
    # Photos of spaces (the files themselves: config/urls.py, served by the pages).
    path("spaces/<int:pk>/photos/", SpacePhotosView.as_view(), name="space-photos"),
    path(
        "photos/<int:pk>/publish/",
        SpacePhotoPublishView.as_view(),
        name="space-photo-publish",
    ),
    path("photos/<int:pk>/", SpacePhotoDetailView.as_view(), name="space-photo-detail"),
    # Field surveys: a surveyor's rounds, their offline package, the phone's sync.
    path("survey-rounds/", SurveyRoundListView.as_view(), name="survey-round-list"),
    path(
        "survey-rounds/<int:pk>/package/",
        SurveyRoundPackageView.as_view(),
        name="survey-round-package",
    ),
    path(
        "survey-rounds/<int:pk>/observations/",
        SurveyObservationsView.as_view(),
        name="survey-round-observations",
    ),
    path(
        "survey-rounds/<int:pk>/observations/<uuid:client_id>/photos/",
        SurveyPhotoView.as_view(),
        name="survey-observation-photos",
    ),
    # Notifications.
    path("notifications/", NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/read-all/",
        NotificationReadAllView.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/preferences/",
        NotificationPreferenceView.as_view(),
        name="notification-preferences",
    ),
    path(
        "notifications/<int:pk>/read/",
        NotificationReadView.as_view(),
        name="notification-read",
    ),
    # Progress and participation events.
    path(
        "projects/<int:pk>/updates/",
        ProgressUpdateListView.as_view(),
        name="project-updates",
    ),
    path(
        "participation-events/",
        ParticipationEventListView.as_view(),
        name="participation-event-list",
    ),
    path(
        "participation-totals/",
        ParticipationTotalsView.as_view(),
        name="participation-totals",
    ),
    # Comments, follows, reports and moderation.
    path(
        "projects/<int:pk>/comments/",
        ProjectCommentsView.as_view(),
        name="project-comments",
    ),
    path(
        "projects/<int:pk>/follow/", ProjectFollowView.as_view(), name="project-follow"
    ),
    path("area-follows/", AreaFollowListView.as_view(), name="area-follow-list"),
    path(
        "area-follows/<int:pk>/",
        AreaFollowDetailView.as_view(),
        name="area-follow-detail",
    ),
    path("reports/", ReportListView.as_view(), name="report-list"),
    path("moderation/hide/", HideView.as_view(), name="moderation-hide"),
    path("moderation/unhide/", UnhideView.as_view(), name="moderation-unhide"),
    # Matching (the matches themselves are on the router).
    path(
        "projects/<int:pk>/candidates/",
        ProjectCandidatesView.as_view(),
        name="project-candidates",
    ),
    path(
        f"{MUNICIPALITY}assignment-runs/",
        MunicipalityAssignmentRunsView.as_view(),
        name="municipality-assignment-runs",
    ),
    path(
        f"{MUNICIPALITY}matching-settings/",
        MunicipalityMatchingSettingsView.as_view(),
        name="municipality-matching-settings",
    ),
    path(
        f"{MUNICIPALITY}matching-settings/history/",
        MunicipalityMatchingSettingsHistoryView.as_view(),
        name="municipality-matching-settings-history",
    ),
    path(
        "assignment-runs/<int:pk>/",
        AssignmentRunDetailView.as_view(),
        name="assignment-run-detail",
    ),
    # City analysis and the comparison dashboard by city type.
    path(
        f"{MUNICIPALITY}indicators/",
        MunicipalityIndicatorsView.as_view(),
        name="municipality-indicators",
    ),
    path(
        f"{MUNICIPALITY}typology/",
        MunicipalityTypologyView.as_view(),
        name="municipality-typology",
    ),
    path(
        f"{MUNICIPALITY}downtown-health/",
        DowntownHealthView.as_view(),
        name="municipality-downtown-health",
    ),
    path(
        f"{MUNICIPALITY}boundary/",
        MunicipalityBoundaryView.as_view(),
        name="municipality-boundary",
    ),
    path(
        f"{MUNICIPALITY}decline/",
        MunicipalityDeclineView.as_view(),
        name="municipality-decline",
    ),
    path(
        f"{MUNICIPALITY}submunicipalities/",
        MunicipalitySubmunicipalitiesView.as_view(),
        name="municipality-submunicipalities",
    ),
    path("urban-zones/", UrbanZonesView.as_view(), name="urban-zones"),
    # Suggestions for the search boxes of the pages.
    path("search/", SearchView.as_view(), name="search"),
    # The public listing of spaces offered by their owners (빈집은행).
    path("listings/", ListingView.as_view(), name="listing-list"),
    path(
        "dashboard/city-types/",
        CityTypeDashboardView.as_view(),
        name="dashboard-city-types",
    ),
    # Business improvement districts (the districts themselves are on the router).
    path("bids/<int:pk>/members/", BidMembersView.as_view(), name="bid-members"),
    path("bids/<int:pk>/ballots/", BidBallotsView.as_view(), name="bid-ballots"),
    path(
        "bids/<int:pk>/ballots/<int:ballot_pk>/votes/",
        BallotVotesView.as_view(),
        name="bid-ballot-votes",
    ),
    path(
        "bids/<int:pk>/ballots/<int:ballot_pk>/close/",
        BallotCloseView.as_view(),
        name="bid-ballot-close",
    ),
    *router.urls,
    path("auth/token/", ThrottledObtainAuthToken.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves the page's script from its own URL, so the
    # Content-Security-Policy needs no inline script.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
]

# Vector tiles; `tile_layer` is registered by renewal.api.tiles.
tile_routes = [
    path(
        "<tile_layer:layer>/<int:z>/<int:x>/<int:y>.mvt", tiles.tile, name="tiles-tile"
    ),
]

# OGC API – Features: the paths its standard prescribes, without trailing slashes.
ogc_routes = [
    path("", ogc.landing, name="ogc-landing"),
    path("conformance", ogc.conformance, name="ogc-conformance"),
    path("api", ogc.api, name="ogc-api"),
    path("collections", ogc.collections, name="ogc-collections"),
    path("collections/<str:collection_id>", ogc.collection, name="ogc-collection"),
    path("collections/<str:collection_id>/items", ogc.items, name="ogc-items"),
    path(
        "collections/<str:collection_id>/items/<str:feature_id>",
        ogc.item,
        name="ogc-item",
    ),
]

urlpatterns = [
    path("tiles/", include(tile_routes)),
    path("ogc/", include(ogc_routes)),
    path("api/v1/", include(api_v1)),
]
