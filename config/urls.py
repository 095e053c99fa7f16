from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from config.health import healthz
from renewal.views import ThrottledLoginView, password_reset, signup
from renewal.views.home import home, search_results
from renewal.views.notifications import language_switch
from renewal.views.photos import photo_file, photo_original

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Photos of spaces, served only after asking the rules (renewal/views/photos.py):
    # never under MEDIA_URL, which no route serves.
    path("photos/<int:pk>/<slug:variant>.jpg", photo_file, name="space-photo-file"),
    path("photos/<int:pk>/original", photo_original, name="space-photo-original"),
    # /tiles/, /ogc/ and /api/v1/, all listed in config/api_urls.py.
    path("", include("config.api_urls")),
    # Before Django's own: the switch also sets the language of a user's e-mail.
    path("i18n/setlang/", language_switch, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Pages under /ko/ and /en/; "/" redirects by the visitor's cookie or browser
# language. Unprefixed paths (the API) then follow Accept-Language.
urlpatterns += i18n_patterns(
    path("", home, name="home"),
    path("search/", search_results, name="search-results"),
    path("", include("renewal.urls")),
    path("", include("renewal.urls_cities")),
    path("accounts/signup/", signup, name="signup"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/password_reset/", password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
)

# Errors outside DRF's views: the API's JSON shape under its prefixes, pages elsewhere.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"

# Errors outside DRF's views: the API's JSON shape under its prefixes, pages elsewhere.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
