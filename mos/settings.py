"""MOS settings: one module, read from the environment through small typed helpers.

No environment at all gives the embedded default: SQLite file, Celery tasks run eagerly
in-process, e-mail to the console. DATABASE_URL / REDIS_URL switch on the full stack.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
import plotly
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [x.strip() for x in os.environ.get(name, default).split(",") if x.strip()]


TESTING = "pytest" in sys.modules or env_bool("MOS_TESTING")
DEBUG = env_bool("DEBUG", default=not env_str("SECRET_KEY"))
SECRET_KEY = env_str("SECRET_KEY") or "dev-only-insecure-key-set-SECRET_KEY-in-production"
if not DEBUG and SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "mos",
    "crm",
    "engines",
    "experiments",
    "automation",
    "reports",
    "planning",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mos.security.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
    "mos.errors.ErrorPagesMiddleware",
]

ROOT_URLCONF = "mos.urls"
WSGI_APPLICATION = "mos.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "mos.context_processors.shell",
            ],
        },
    },
]

# --- data ---------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "var" / "mos.sqlite3")),
            "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
    # var/ is git-ignored: a fresh clone has none, and SQLite cannot create the folder.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "mos.User"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Short socket timeouts: with Redis down a cache call fails fast and the caller falls
    # back (API keys from the database, the rate limiter fails open) instead of hanging.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Embedded default: tasks run in-process. With a broker they go to real workers,
# unless CELERY_EAGER says otherwise (the tests run eagerly but still reach Redis).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", default=(not REDIS_URL) or TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
# With eager Celery (the embedded default) a confirmed CSV import runs in a background thread
# of the web process, so the request returns and the progress bar moves; the tests keep it
# in the request (deterministic) unless a test turns it on.
MOS_IMPORT_THREAD = env_bool("MOS_IMPORT_THREAD", default=not TESTING)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# A job (metric run, import) not heard from for this long is taken over (mos/leases.py). The
# broker redelivers an unacknowledged task after the visibility timeout; the sweep task
# (mos/celery.py) re-sends lost work sooner. Publishing gives up fast when Redis is down, so
# "Recompute now" answers at once.
MOS_JOB_LEASE_SECONDS = env_int("MOS_JOB_LEASE_SECONDS", 120)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0,
                                    "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_TIMEOUT = 3

# --- auth ---------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["mos.security.LoginThrottleBackend",
                           "django.contrib.auth.backends.ModelBackend"]
# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one account, or
# from one IP address, that account / address is refused for AXES_COOLOFF_TIME, with a message
# on the login page. A successful login resets the account's count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "mos.security.login_username"  # the e-mail typed, case-folded
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "mos.views.login_locked_out"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]  # behind a proxy: set in the environment
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# With DEBUG off, mail printed to the console is lost: mos.checks refuses to start unless
# EMAIL_BACKEND is set explicitly (set it to the console backend to accept that knowingly).
EMAIL_BACKEND_CONFIGURED = bool(env_str("EMAIL_BACKEND"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "MOS <mos@localhost>")

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["mos.formats"]  # Arabic numbers: "." decimals, "," thousands
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
# Third-party browser code comes from the Python packages that ship it (no CDN, no copies):
# htmx from django-htmx (an installed app), plotly.min.js from plotly's package data (the
# dashboard loads the smaller partial bundle committed in static/vendor/plotly instead),
# Swagger UI from drf-spectacular-sidecar.
STATICFILES_DIRS = [BASE_DIR / "static",
                    ("plotly", Path(plotly.__file__).parent / "package_data")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                    if DEBUG or TESTING else
                    "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 64 * 1024 * 1024)

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mos.api_base.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["mos.api_base.WorkspacePermission"],
    "DEFAULT_PAGINATION_CLASS": "mos.api_base.CodeCursorPagination",
    "DEFAULT_PARSER_CLASSES": ["mos.parsers.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": ["mos.api_base.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"principal": env_str("MOS_API_RATE", "6000/min")},
    "EXCEPTION_HANDLER": "mos.api_base.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MOS API",
    "DESCRIPTION": "The Marketing Operating System's REST API. Authenticate with "
                   "`Authorization: Bearer <api key>`; every resource is scoped to the key's "
                   "workspace.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {"ApiKey": {"type": "http", "scheme": "bearer"}}
    },
    "SECURITY": [{"ApiKey": []}],
    "ENUM_NAME_OVERRIDES": {
        "LifecycleStageEnum": "crm.models.Stage",
        "ConsentStatusEnum": "crm.models.Consent.Status",
        "ImportStatusEnum": "crm.models.ImportJob.Status",
        "MetricRunStatusEnum": "engines.models.MetricRun.Status",
        "FunnelStageEnum": "engines.models.FunnelStage",
        "ExperimentStatusEnum": "experiments.models.Experiment.Status",
        "ReportStatusEnum": "reports.models.MonthlyReport.Status",
        "DecisionStatusEnum": "reports.models.ReportDecision.Status",
        "DecisionKindEnum": "reports.models.ReportDecision.Kind",
        "ModelFitKindEnum": "engines.models.ModelFit.Kind",
        "ChannelKindEnum": "crm.models.Channel.Kind",
        "OrderKindEnum": "crm.models.Order.Kind",
        "OrderStatusEnum": "crm.models.Order.Status",
        "FlowStatusEnum": "automation.models.Flow.Status",
        "MessageStatusEnum": "automation.models.Message.Status",
        "BudgetPlanStatusEnum": "planning.models_plans.BudgetPlan.Status",
        "BetScoreEnum": "planning.models_plans.QuarterlyBet.Score",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- web security -------------------------------------------------------------------------
# With DEBUG off everything is on by default (check --deploy is clean); each switch can be
# turned off from the environment for a local plain-http run (docker-compose.yml does).
SECURE_HTTPS = not DEBUG and env_bool("SECURE_HTTPS", True)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", SECURE_HTTPS)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", SECURE_HTTPS)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE_HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("SECURE_PROXY_SSL_HEADER", False):  # behind a TLS-terminating proxy
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HTTPS or DEBUG else [
    "security.W004", "security.W008", "security.W012", "security.W016"]  # chosen: plain http
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy and Permissions-Policy (mos.security.SecurityHeadersMiddleware):
# every script, style and font is served from static/, nothing from elsewhere.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; "
                           "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                           "font-src 'self' data:; connect-src 'self'; object-src 'none'; "
                           "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()")
