from django.urls import path

from renewal.views import photos, spaces
from renewal.views.workbench import space_bulk

app_name = "renewal"

urlpatterns = [
    path("cities/<str:code>/spaces/", spaces.space_map, name="space-map"),
    path("cities/<str:code>/spaces/list/", spaces.space_list, name="space-list"),
    path("cities/<str:code>/spaces/new/", spaces.space_create, name="space-create"),
    path("cities/<str:code>/spaces/bulk/", space_bulk, name="space-bulk"),
    path("spaces/<int:pk>/", spaces.space_detail, name="space-detail"),
    path("spaces/<int:pk>/edit/", spaces.space_edit, name="space-edit"),
    path(
        "spaces/<int:pk>/transitions/",
        spaces.space_transition,
        name="space-transition",
    ),
    path("spaces/<int:pk>/photos/", photos.space_photo_upload, name="space-photo-add"),
    path(
        "photos/<int:pk>/publication/",
        photos.space_photo_publication,
        name="space-photo-publication",
    ),
    path(
        "photos/<int:pk>/delete/", photos.space_photo_remove, name="space-photo-delete"
    ),
]

# Renewal projects, "my page" and participation pages.
from renewal.views import engagement, progress, projects  # noqa: E402

urlpatterns += [
    path("cities/<str:code>/projects/", projects.project_map, name="project-map"),
    path(
        "cities/<str:code>/projects/new/",
        projects.project_create,
        name="project-create",
    ),
    path("projects/<int:pk>/", projects.project_detail, name="project-detail"),
    path(
        "projects/<int:pk>/support/", projects.project_support, name="project-support"
    ),
    path(
        "projects/<int:pk>/follow/",
        engagement.project_follow_toggle,
        name="project-follow",
    ),
    path(
        "projects/<int:pk>/comments/",
        engagement.project_comment,
        name="project-comment",
    ),
    path(
        "projects/<int:pk>/transitions/",
        projects.project_transition,
        name="project-transition",
    ),
    path(
        "projects/<int:pk>/progress/",
        progress.project_progress,
        name="project-progress",
    ),
    path("projects/<int:pk>/events/", progress.project_event, name="project-event"),
    path("projects/<int:pk>/report/", engagement.project_report, name="project-report"),
    path("me/", projects.my_page, name="me"),
    path("areas/follow/", engagement.area_follow_add, name="area-follow-add"),
    path(
        "me/areas/<int:pk>/remove/",
        engagement.area_follow_remove,
        name="area-follow-remove",
    ),
    path(
        "me/notifications/<int:pk>/read/",
        projects.notification_read,
        name="notification-read",
    ),
    path(
        "me/notifications/read/",
        projects.notification_read_all,
        name="notification-read-all",
    ),
    path(
        "organizations/<int:pk>/participation/",
        progress.organization_participation,
        name="organization-participation",
    ),
]

# Matching: assignment runs of a city, their proposed pairs, and matches.
from renewal.views import matching  # noqa: E402

urlpatterns += [
    path(
        "cities/<str:code>/assignment/",
        matching.assignment_runs,
        name="assignment-runs",
    ),
    path(
        "cities/<str:code>/assignment/start/",
        matching.assignment_run_create,
        name="assignment-run-start",
    ),
    path(
        "cities/<str:code>/matching-settings/",
        matching.matching_settings,
        name="matching-settings",
    ),
    path(
        "assignment-runs/<int:pk>/",
        matching.assignment_run_detail,
        name="assignment-run-detail",
    ),
    path("matches/<int:pk>/", matching.match_detail, name="match-detail"),
    path("matches/<int:pk>/accept/", matching.match_accept_view, name="match-accept"),
    path("matches/<int:pk>/steps/", matching.match_step, name="match-step"),
]

# Business Improvement Districts.
from renewal.views import bids  # noqa: E402

urlpatterns += [
    path("cities/<str:code>/bids/", bids.bid_city_list, name="bid-list"),
    path("bids/<int:pk>/", bids.bid_detail, name="bid-detail"),
    path("cities/<str:code>/bids/new/", bids.bid_start, name="bid-start"),
    path("bids/<int:pk>/manage/", bids.bid_manage, name="bid-manage"),
]

# The national map, drawn from the vector tiles.
from renewal.views import national_map  # noqa: E402

urlpatterns += [
    path("map/", national_map.national_map, name="national-map"),
]

# Notifications.
from renewal.views import notifications  # noqa: E402

urlpatterns += [
    path(
        "notifications/",
        notifications.notification_list_page,
        name="notifications",
    ),
    path(
        "notifications/<int:pk>/read/",
        notifications.notification_read_page,
        name="notifications-read",
    ),
    path(
        "notifications/read/",
        notifications.notification_read_all_page,
        name="notifications-read-all",
    ),
]

# Community organisations and meetings.
from renewal.views import meetings, organizations  # noqa: E402

urlpatterns += [
    path("organizations/", organizations.organization_list, name="organization-list"),
    path(
        "organizations/<int:pk>/",
        organizations.organization_detail,
        name="organization-detail",
    ),
    path(
        "projects/<int:pk>/meetings/new/",
        meetings.meeting_create,
        name="meeting-create",
    ),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/rsvp/", meetings.meeting_rsvp_view, name="meeting-rsvp"),
    path(
        "meetings/<int:pk>/attendance/",
        meetings.meeting_attendance,
        name="meeting-attendance",
    ),
    path(
        "meetings/<int:pk>/calendar.ics",
        meetings.meeting_calendar,
        name="meeting-calendar",
    ),
    path(
        "cities/<str:code>/events.ics",
        meetings.city_meetings_calendar,
        name="city-meetings-calendar",
    ),
]

# Owners and the public listing (빈집은행).
from renewal.views import owners  # noqa: E402

urlpatterns += [
    path("listings/", owners.listing, name="listing"),
    path("me/spaces/", owners.my_spaces, name="my-spaces"),
    path("me/spaces/<int:pk>/", owners.owner_space_edit, name="owner-space"),
    path("me/spaces/claim/", owners.claim_start, name="claim-start"),
    path("cities/<str:code>/claim/", owners.claim_space, name="claim-space"),
    path(
        "cities/<str:code>/claim/new/",
        owners.claim_new_building,
        name="claim-new-building",
    ),
    path("cities/<str:code>/claims/", owners.claim_review, name="claim-review"),
    path("claims/<int:pk>/decide/", owners.claim_decide, name="claim-decide"),
    path("claims/<int:pk>/withdraw/", owners.claim_withdraw, name="claim-withdraw"),
    path("claims/<int:pk>/document/", owners.claim_document, name="claim-document"),
    path(
        "matches/<int:pk>/owner-decline/",
        owners.owner_match_decline_view,
        name="match-owner-decline",
    ),
]

# Field surveys: the surveyor's phone pages (and their service worker, whose URL
# sets the scope it serves offline), the staff's rounds and conflicts.
from renewal.views import surveys  # noqa: E402

urlpatterns += [
    path("survey/", surveys.survey_home, name="survey-home"),
    path("survey/sw.js", surveys.survey_worker, name="survey-worker"),
    path("survey/<int:pk>/", surveys.survey_app, name="survey-app"),
    path(
        "cities/<str:code>/survey-rounds/",
        surveys.survey_rounds_page,
        name="survey-rounds",
    ),
    path(
        "survey-rounds/<int:pk>/",
        surveys.survey_round_manage,
        name="survey-round-manage",
    ),
    path(
        "cities/<str:code>/survey-conflicts/",
        surveys.survey_conflicts_page,
        name="survey-conflicts",
    ),
    path(
        "survey-observations/<int:pk>/decision/",
        surveys.survey_conflict_decide,
        name="survey-conflict-decide",
    ),
]
