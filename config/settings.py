"""Settings, read from environment variables; every variable is listed in README.md.

With nothing set, the platform runs for local development: DEBUG on, the private
PostGIS cluster that `make run` manages under var/, tasks run in-process and e-mail
goes to the console. With DEBUG off, missing secrets stop start-up.
"""

import ctypes.util
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from config import local_services
from config.timeouts import batch_process

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    SECRET_KEY = "django-insecure-local-development-key-not-for-production-use"
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    # Django's own deploy check (security.W009) only warns; a guessable key signs
    # sessions and password reset links, so refuse to start with one.
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for DEBUG off: it needs at least 50 characters, "
        "5 of them different; generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
if not DEBUG and not env_str("ALLOWED_HOSTS"):
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set when DEBUG is off, e.g. ALLOWED_HOSTS=renewal.example.kr."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# GeoDjango needs the GDAL, GEOS and PROJ shared libraries; say so in one sentence
# instead of the import error deep inside django.contrib.gis.
GDAL_LIBRARY_PATH = env_str("GDAL_LIBRARY_PATH") or None
GEOS_LIBRARY_PATH = env_str("GEOS_LIBRARY_PATH") or None
if GDAL_LIBRARY_PATH and not Path(GDAL_LIBRARY_PATH).exists():
    raise ImproperlyConfigured(
        f"GDAL_LIBRARY_PATH points to {GDAL_LIBRARY_PATH}, which does not exist: "
        "install gdal-bin (`make setup`) or correct the path."
    )
if not GDAL_LIBRARY_PATH and not ctypes.util.find_library("gdal"):
    raise ImproperlyConfigured(
        "GDAL is not installed: run `make setup` (or `apt-get install gdal-bin`), "
        "or set GDAL_LIBRARY_PATH to the libgdal shared library."
    )

# Debian 12 ships GDAL 3.6, which cannot block file and network access from inside a
# spatial reference definition (gis.W001). The platform never hands user-supplied SRS
# text to GDAL: coordinate systems are accepted as EPSG codes from an allow-list
# (docs/decisions.md).
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "cities",
    "renewal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.errors.RequestGuardMiddleware",
    "config.timeouts.StatementTimeoutMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
# In the API's error shape under /api/, /tiles/ and /ogc/; the HTML page elsewhere.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cities.context_processors.map_settings",
                "cities.context_processors.language_neutral_path",
                "renewal.context_processors.unread_notifications",
            ],
        },
    },
]

# Database: DATABASE_URL, or the private cluster under var/ that `make run` starts.
_database_url = env_str("DATABASE_URL") or local_services.private_database_url()
try:
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url,
            engine="django.contrib.gis.db.backends.postgis",
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {error}.")
# No web request holds the database for minutes: its statements are cancelled after
# DATABASE_STATEMENT_TIMEOUT seconds and the request answers 503 (config/timeouts.py).
# The worker and management commands run batch work under their own limit
# (DATABASE_BATCH_STATEMENT_TIMEOUT; 0, the default, is none).
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 15)
DATABASE_BATCH_STATEMENT_TIMEOUT = env_int("DATABASE_BATCH_STATEMENT_TIMEOUT", 0)
for _name in ("DATABASE_STATEMENT_TIMEOUT", "DATABASE_BATCH_STATEMENT_TIMEOUT"):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must be 0 (no limit) or more seconds.")
_statement_timeout_s = (
    DATABASE_BATCH_STATEMENT_TIMEOUT
    if batch_process(sys.argv)
    else DATABASE_STATEMENT_TIMEOUT
)
# Web requests run short queries: parallel workers and JIT compilation each cost more
# than they save there and made the spaces list's p95 (docs/performance.md). Batch
# work that wants them can turn them back on with SET LOCAL.
DATABASES["default"]["OPTIONS"] = {
    "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5),
    "options": " ".join(
        [
            "-c max_parallel_workers_per_gather="
            f"{env_int('DATABASE_PARALLEL_WORKERS_PER_GATHER', 0)}",
            f"-c jit={'on' if env_bool('DATABASE_JIT', False) else 'off'}",
            f"-c statement_timeout={_statement_timeout_s * 1000}",
        ]
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Object-level rules first (renewal/rules.py); ModelBackend for passwords and superusers.
AUTHENTICATION_BACKENDS = [
    "renewal.auth_backends.ActiveUserRulesBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Sign-in form attempts per minute, per client address and per username.
LOGIN_ATTEMPTS_PER_MINUTE = env_int("LOGIN_ATTEMPTS_PER_MINUTE", 10)

# How many reverse proxies in front of the platform append to X-Forwarded-For. With 0
# the header is ignored: anyone can write it, and trusting it would let a client pick
# a fresh address for every request and escape every per-address limit.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(
        f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}."
    )
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Korean first: the platform serves Korean cities; English under /en/.
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"
# Photos of spaces live outside MEDIA_ROOT, so that no web server configured to
# serve MEDIA_URL can hand out an unpublished photo or an original with its GPS
# position: views that ask the rules serve them (renewal/views/photos.py).
PHOTO_ROOT = Path(env_str("PHOTO_ROOT", str(BASE_DIR / "var" / "photos")))
STORAGES["photos"] = {
    "BACKEND": "core.storage.PrivateFileSystemStorage",
    "OPTIONS": {"location": str(PHOTO_ROOT)},
}
# Ownership documents (registry extracts, tax notices) likewise: personal data that
# only the claim's page hands out (renewal/views/owners.py).
CLAIM_DOCUMENT_ROOT = Path(
    env_str("CLAIM_DOCUMENT_ROOT", str(BASE_DIR / "var" / "documents"))
)
STORAGES["documents"] = {
    "BACKEND": "core.storage.PrivateFileSystemStorage",
    "OPTIONS": {"location": str(CLAIM_DOCUMENT_ROOT)},
}
SPACE_PHOTO_MAX_BYTES = env_int("SPACE_PHOTO_MAX_BYTES", 10 * 1024 * 1024)

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@renewal.localhost")

# Celery: with no broker configured, tasks run in-process so a bare checkout works.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL) or None
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queue names carry the database's name: a worker of another database on the same
# broker (`make run` beside `make bench`) never takes these tasks. Workers consume
# all four unless given --queues.
TASK_QUEUES = {
    name: f"{name}.{DATABASES['default']['NAME']}"
    for name in ("default", "imports", "notifications", "matching")
}
CELERY_TASK_DEFAULT_QUEUE = TASK_QUEUES["default"]
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name) for name in TASK_QUEUES.values()
]
CELERY_BEAT_SCHEDULE = {
    # Tasks that waited for the broker, and work whose worker died.
    "background-recover": {
        "task": "renewal.tasks.background_recover_task",
        "schedule": 60.0,
    },
    # Yesterday's notifications for users who chose a daily digest (Asia/Seoul).
    "notification-digests": {
        "task": "renewal.tasks.notification_digests_send_task",
        "schedule": crontab(hour=7, minute=0),
        "options": {"queue": TASK_QUEUES["notifications"]},
    },
    # Low-zoom spaces tiles read a grid of counts; rebuild it.
    "tiles-refresh-aggregates": {
        "task": "renewal.tasks.tiles_refresh_aggregates_task",
        "schedule": crontab(minute="*/15"),
    },
    # Downtown health counts: writers append rows; fold them to one per key.
    "downtown-health-counts-compact": {
        "task": "renewal.tasks.downtown_health_counts_compact_task",
        "schedule": crontab(minute=7),
    },
    # Renewal or exit reminders before use agreements end.
    "use-agreement-reminders": {
        "task": "renewal.tasks.use_agreement_reminders_task",
        "schedule": crontab(hour=8, minute=0),
    },
    # City staff hear of use agreements ending within 60 days.
    "notifications-ending-agreements": {
        "task": "renewal.tasks.notifications_for_ending_agreements_task",
        "schedule": crontab(hour=8, minute=5),
        "options": {"queue": TASK_QUEUES["notifications"]},
    },
}

REST_FRAMEWORK = {
    # Token first, so that an anonymous write is answered 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "config.api_parsing.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_METADATA_CLASS": "config.api_parsing.Metadata",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "login": env_str("THROTTLE_LOGIN", "10/min"),
        "export": env_str("THROTTLE_EXPORT", "30/hour"),
        # Abuse limits on participation, per user and per client address. The
        # per-address ones are generous: a workshop of forty residents on one
        # Wi-Fi proposes and comments together.
        "propose": env_str("THROTTLE_PROPOSE", "10/hour"),
        "propose_ip": env_str("THROTTLE_PROPOSE_IP", "200/hour"),
        "support": env_str("THROTTLE_SUPPORT", "60/min"),
        "support_ip": env_str("THROTTLE_SUPPORT_IP", "300/min"),
        "comment": env_str("THROTTLE_COMMENT", "20/min"),
        "comment_ip": env_str("THROTTLE_COMMENT_IP", "300/min"),
        "report": env_str("THROTTLE_REPORT", "20/hour"),
        "report_ip": env_str("THROTTLE_REPORT_IP", "60/hour"),
        # Ownership claims: a few buildings a day is an owner; more is a crawler.
        "claim": env_str("THROTTLE_CLAIM", "10/day"),
        "claim_ip": env_str("THROTTLE_CLAIM_IP", "60/day"),
        # Account pages (core/ratelimit.py): new accounts per client address, reset
        # mails per e-mail address and per client address.
        "signup_ip": env_str("THROTTLE_SIGNUP_IP", "10/hour"),
        "password_reset": env_str("THROTTLE_PASSWORD_RESET", "3/hour"),
        "password_reset_ip": env_str("THROTTLE_PASSWORD_RESET_IP", "10/hour"),
    },
    # The project's throttles ask core.ratelimit.client_address; this keeps any
    # stock DRF throttle from trusting X-Forwarded-For either.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 100,
}

SPECTACULAR_SETTINGS = {
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema_error_responses",
    ],
    "TITLE": "Village Renewal Platform API",
    "DESCRIPTION": (
        "Vacant spaces, renewal projects, community organisations and city indicators "
        "for Korea's small and medium-sized provincial cities. Geometry is GeoJSON in "
        "EPSG:4326. 지방 중소도시 마을재생 참여 플랫폼 API."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# Content reported by this many distinct users is hidden until a moderator decides.
RENEWAL_AUTO_HIDE_REPORTS = env_int("AUTO_HIDE_REPORTS", 3)

# The spaces list counts its matches exactly up to this many; above it the count is
# given as a lower bound, so that a province-sized window is not counted on every page.
SPACES_LIST_COUNT_LIMIT = env_int("SPACES_LIST_COUNT_LIMIT", 50_000)

# A BID budget spending more than this percent on management is flagged (good practice).
BID_MANAGEMENT_SHARE_LIMIT = env_int("BID_MANAGEMENT_SHARE_LIMIT", 20)

# Base map tiles for the Leaflet pages. Empty disables the background layer: every
# map still shows its data, which is how the platform behaves offline.
MAP_TILE_URL = os.environ.get(
    "MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
).strip()
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors"
)


# Content-Security-Policy (django-csp): scripts, styles and fonts only from the
# platform's own static files, no inline script or style; images and tile requests
# also from the base map's server. MapLibre starts its workers from blob: URLs;
# Leaflet, MapLibre and Swagger UI draw some images from data: and blob: URLs.
def _tile_origin(url: str) -> list[str]:
    if not url:
        return []
    parts = urlsplit(url.replace("{s}", "a"))
    host = parts.hostname or ""
    if url.split("//", 1)[-1].startswith("{s}."):
        host = "*." + host.split(".", 1)[1]  # subdomains a, b, c
    return [f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")]


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *_tile_origin(MAP_TILE_URL)],
        "connect-src": [SELF, *_tile_origin(MAP_TILE_URL)],
        "worker-src": [SELF, "blob:"],
        "child-src": [SELF, "blob:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("TRUST_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A read replica, when one is configured: reads go there, writes and the reads of a
# transaction to the primary (config/db_router.py, docs/scaling.md).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    try:
        DATABASES["replica"] = dj_database_url.parse(
            DATABASE_REPLICA_URL,
            engine="django.contrib.gis.db.backends.postgis",
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    except ValueError:
        # Without the parser's text: it lists every scheme, "postgis" included,
        # which config/startup.py would take for a missing extension.
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL is not a valid database URL; write it like "
            "DATABASE_URL, e.g. postgres://reader@replica.example.kr:5432/renewal."
        )
    DATABASES["replica"]["OPTIONS"] = DATABASES["default"]["OPTIONS"]
    # Tests read the rows they have just written: the replica is the primary there.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
