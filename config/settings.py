"""Settings for the whole platform, read from the environment (django-environ).

Every variable is documented in README.md ("Configuration"). A fresh clone runs with
nothing set: SQLite, local-memory cache and eager Celery. A bad value fails at
startup with a message naming the variable.
"""

import os
import re
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    env,
    env_bool,
    env_database,
    env_date,
    env_email,
    env_email_url,
    env_int,
    env_list,
    env_log_level,
    env_path,
    env_rate,
    env_seconds,
    env_url,
    fail,
    is_host,
    is_ip_address,
    is_origin,
    trusted_proxies,
    webhook_allowed_hosts,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# pytest (8.2+) sets PYTEST_VERSION for the whole session.
TESTING = "PYTEST_VERSION" in os.environ

DEBUG = env_bool("DEBUG", False)

# `manage.py makemigrations` only reads the models (it serves and signs nothing): it needs no key,
# so `manage.py makemigrations --check` works on a bare checkout.
CODE_ONLY_COMMAND = sys.argv[1:2] == ["makemigrations"]

if DEBUG or TESTING or CODE_ONLY_COMMAND:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-never-use-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY.strip():
        raise ImproperlyConfigured(
            "Set the SECRET_KEY environment variable (required when DEBUG is off), "
            "e.g. SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    ["localhost", "127.0.0.1", "[::1]", "testserver"],
    lambda item: item == "*" or is_host(item.removeprefix(".")),
    "a host name (example.com, .example.com for its subdomains, an IP address or *), without scheme or port",
)
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", [], is_origin, "an origin such as https://timetrack.example.com"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "mozilla_django_oidc",
    "accounts",
    "timetracking",
    "leave",
    "sprockets",
    "webhooks",
    "reports",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.health.HealthCheckMiddleware",  # /health/ whatever the Host header (docker health checks)
    "accounts.request_context.RequestContextMiddleware",
    "accounts.middleware.LoginThrottleMiddleware",
    "config.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # Accept-Language (after sessions, before common)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",  # the user's own language over Accept-Language
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): a second factor in this session
    "accounts.middleware.TwoFactorEnrolmentMiddleware",  # staff must enrol before anything else
    "core.middleware.DurationFormatMiddleware",  # durations shown in the viewer's format (after auth)
    "accounts.middleware.PageLoginRequiredMiddleware",
    "core.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATE_OVERRIDES_DIR = env.str("TEMPLATE_OVERRIDES_DIR", default="").strip()
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # TEMPLATE_OVERRIDES_DIR: a company's own templates, tried before the product's (e.g. its
        # billing/invoice_pdf.html, the invoice PDF's layout).
        "DIRS": [*([Path(TEMPLATE_OVERRIDES_DIR)] if TEMPLATE_OVERRIDES_DIR else []), BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "timetracking.context_processors.header_timer",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_engine = DATABASES["default"].get("ENGINE", "")
if "sqlite" in _engine:
    # IMMEDIATE takes the write lock when a transaction starts, so two writers
    # serialise instead of one failing with "database is locked" half-way through.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    # Tests use a file, not shared-cache memory: concurrency tests then see SQLite's real
    # locking (busy timeout + IMMEDIATE), as in production, not shared-cache table locks.
    # One file per test process, so that parallel runs never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"timetrack-test-{os.getpid()}.sqlite3")
    }
# Read on SQLite too, so that a bad value fails wherever it is set.
_connect_timeout = env_int("DATABASE_CONNECT_TIMEOUT", 5, maximum=3600)
_conn_max_age = env_int("CONN_MAX_AGE", 60, minimum=0)
if "postgresql" in _engine:
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", _connect_timeout)
    DATABASES["default"].setdefault("CONN_MAX_AGE", _conn_max_age)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRESQL = "postgresql" in _engine

# --- Cache, throttling and Celery (Redis when REDIS_URL is set) -------------------------
REDIS_URL = env_url("REDIS_URL", "", {"redis": True, "rediss": True, "unix": False})


# Every Redis client (the cache and so the throttles, the Celery broker and result backend, and
# /health/) gives up on a Redis that does not connect or answer within this: a hung Redis (its
# process stopped, its host gone without closing the connection) costs one timeout, not a hang.
# Loopback Redis answers in well under a millisecond; allow for a loaded machine.
REDIS_SOCKET_TIMEOUT = env_seconds("REDIS_SOCKET_TIMEOUT", 0.3, minimum=0.01, maximum=30)
# After a Redis operation failed, this process stops trying that server for this long
# (core.breaker): the next requests skip the timeout. 0 turns the breaker off.
REDIS_BREAKER_SECONDS = env_seconds("REDIS_BREAKER_SECONDS", 5.0, minimum=0, maximum=300)
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache behind the circuit breaker; redis-py's own timeouts.
            "BACKEND": "core.cache.BreakerRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "timetrack",
            "OPTIONS": {"socket_connect_timeout": REDIS_SOCKET_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "timetrack"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker, tasks run in-process. The test suite is eager too; the one test
# that proves a real worker round trip switches eager off for itself.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", (not REDIS_URL) or TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "timetrack"
# A publish tries once (core.tasks.publish: a failure is logged, the outboxes keep the work):
# kombu's default retries cost ~0.7 s per write with Redis refused, and forever with it hung.
# redis-py's pool replaces a connection the server closed before reusing it, so a restart needs
# no retry. Connecting is bounded by the transport's socket timeouts below.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT  # the result backend
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_SOCKET_TIMEOUT
# Storing a result (in a worker): a tiny retry budget instead of ~20 retries over ~20 s.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}
}
# A task taken by a worker that dies before acknowledging it (acks_late) goes back to the
# queue after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
# The broker's sockets (every producer and the workers' consumers): connect and answer within the
# timeout; a producer connects once, with no backoff sleep (kombu's default_channel retries).
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    socket_timeout=REDIS_SOCKET_TIMEOUT, socket_connect_timeout=REDIS_SOCKET_TIMEOUT, max_retries=0
)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}  # apps add their periodic tasks in their own AppConfig.ready()
CELERY_TIMEZONE = "UTC"

# --- Auth ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# The login limit sits in front of every password check (page, admin, API token): accounts.backends.
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
HR_GROUP_NAME = "HR"
# A password-reset link works this long (Django's default is 3 days; a reset is asked for and used at once).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_HOURS", 3, maximum=24 * 7) * 3600
# An invitation link works this long after it was sent (a newcomer may open it days later).
INVITATION_TIMEOUT_DAYS = env_int("INVITATION_TIMEOUT_DAYS", 7, maximum=90)

# --- Internationalisation --------------------------------------------------------------
# The product speaks these four; a user's own choice (User.language, the Preferences page) wins over
# the browser's Accept-Language (accounts.middleware.UserLanguageMiddleware). URLs carry no language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("fr", _("French")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files --------------------------------------------------------------
STATIC_URL = "static/"
# Tests serve static files from the finders only, never from a collected folder that another
# process (a benchmark's collectstatic) may be rewriting.
STATIC_ROOT = None if TESTING else env_path("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
# npm-installed libraries are served by the app itself (no CDN at run time).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/pico", BASE_DIR / "node_modules" / "@picocss" / "pico" / "css"),
    ("vendor/simplewebauthn", BASE_DIR / "node_modules" / "@simplewebauthn" / "browser" / "dist" / "bundle"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", str(BASE_DIR / "media"))
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", AWS_STORAGE_BUCKET_NAME):
    fail("AWS_STORAGE_BUCKET_NAME", f"{AWS_STORAGE_BUCKET_NAME!r} is not an S3 bucket name (3-63 of a-z 0-9 . -)")
# Read without a bucket too, so that a bad value fails wherever it is set.
_s3_endpoint_url = env_url("AWS_S3_ENDPOINT_URL", "", {"http": True, "https": True}) or None
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage"
        if AWS_STORAGE_BUCKET_NAME
        else "django.core.files.storage.FileSystemStorage"
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
_s3_region = os.environ.get("AWS_S3_REGION_NAME", "").strip() or None
if _s3_region and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}", _s3_region):
    fail("AWS_S3_REGION_NAME", f"{_s3_region!r} is not a region name such as eu-central-1")
_s3_addressing_style = os.environ.get("AWS_S3_ADDRESSING_STYLE", "").strip().lower() or "auto"
if _s3_addressing_style not in ("auto", "path", "virtual"):
    fail("AWS_S3_ADDRESSING_STYLE", f"{_s3_addressing_style!r} is not one of auto, path, virtual")
if AWS_STORAGE_BUCKET_NAME:
    try:  # django-storages imports boto3 at the first file access only: too late to find it missing
        import boto3  # noqa: F401
    except ImportError as error:
        raise ImproperlyConfigured(
            "AWS_STORAGE_BUCKET_NAME is set but boto3 is not installed: pip install -r requirements.txt"
        ) from error
    AWS_S3_ENDPOINT_URL = _s3_endpoint_url  # None: AWS itself
    AWS_S3_REGION_NAME = _s3_region
    AWS_S3_ADDRESSING_STYLE = None if _s3_addressing_style == "auto" else _s3_addressing_style
    # The variables boto3 reads, read here so that half a pair fails at startup. Neither set:
    # None, and boto3 finds credentials itself (AWS_PROFILE, an instance or task role).
    AWS_S3_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "").strip() or None
    AWS_S3_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "").strip() or None
    if (AWS_S3_ACCESS_KEY_ID is None) != (AWS_S3_SECRET_ACCESS_KEY is None):
        raise ImproperlyConfigured(
            "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (boto3 then finds credentials "
            "itself: AWS_PROFILE, an instance or task role)"
        )
    # Attachments and report files are private: objects get no ACL of their own (the bucket's
    # private default, never public-read) and are streamed through the app, which checks who asks
    # (someone else's file is 404). Any URL django-storages makes is signed and short-lived.
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_QUERYSTRING_EXPIRE = 300
    AWS_S3_FILE_OVERWRITE = False  # names are random already; never replace an object that exists
    # A download is buffered before it is streamed: on disk past 10 MB, not all in memory.
    AWS_S3_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- E-mail -----------------------------------------------------------------------------
vars().update(env_email_url("EMAIL_URL", "consolemail://"))  # EMAIL_BACKEND, EMAIL_HOST, ...
DEFAULT_FROM_EMAIL = env_email("DEFAULT_FROM_EMAIL", "timetrack@localhost")
# Seconds an SMTP connection may take: e-mails are sent from the outbox with their row locked.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, maximum=600)
# Sent, skipped and failed e-mails are kept this many days (HR reads them in the admin).
EMAIL_RETENTION_DAYS = env_int("EMAIL_RETENTION_DAYS", 30)
# The address people open the app at: links in e-mails sent without a request (a week's e-mails).
SITE_URL = env_url("SITE_URL", "http://localhost:8000", {"http": True, "https": True}).rstrip("/")

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",  # simplejwt's, the user in one precompiled query
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nested too deep, NaN/Infinity, integers beyond bigint: a 400 parse error (core.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        # First: a list answers 400 `unknown_parameter` to a query parameter it does not read.
        "core.filters.KnownQueryParametersFilter",
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # DRF's anon, user and scoped limits as sliding-window counters, all in one Redis round trip.
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.RequestRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("THROTTLE_ANON_RATE", "60/minute"),
        "user": env_rate("THROTTLE_USER_RATE", "1200/minute"),
        "auth": env_rate("THROTTLE_AUTH_RATE", "10/minute"),
        # Token refresh, verify and logout (not logins: they evaluate no password), per client IP.
        "token": env_rate("THROTTLE_TOKEN_RATE", "120/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
MAX_PAGE_SIZE = 500

# Failed logins per account, whatever the address: stops a guess spread over many addresses.
THROTTLE_AUTH_ACCOUNT_RATE = env_rate("THROTTLE_AUTH_ACCOUNT_RATE", "30/hour")


# X-Forwarded-For is believed only for hops added by these proxies (core.client_ip).
TRUSTED_PROXIES = trusted_proxies()

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", 5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_TOKEN_LIFETIME_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    # Access tokens carry a digest of the password hash: a password change ends them at once,
    # not when they expire (refresh tokens are blacklisted in the same transaction: accounts.models).
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# The OpenAPI schema, Swagger UI and ReDoc under /api/v1/: public by default (generated clients
# fetch the schema); off: only for a logged-in caller.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", True)

SPECTACULAR_SETTINGS = {
    "TITLE": "Timetrack API",
    "DESCRIPTION": "Working time, leave and factory production. Authenticate with a JWT "
    "(`POST /api/v1/auth/token/`) and send `Authorization: Bearer <access>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # No deep links: Swagger UI draws each operation's link inside its expand button, a link in a
    # button (axe: nested-interactive, once per operation); the button still opens the operation.
    # Tags start closed: drawn open, Swagger UI stops drawing after the first few of our 130 operations
    # (config/tests/test_accessibility.py opens the tags it tries).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "docExpansion": "none"},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are JSON: the form and multipart parsers stay on for the browsable API, but a
    # generated client given three bodies per operation cannot build some of them. Uploads declare
    # multipart themselves (leave attachments, imports).
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One name for a choice set that several fields use (billing: a rate's level, an entry's rate_level).
    "ENUM_NAME_OVERRIDES": {
        "RateLevelEnum": "billing.models.RateLevel",
        "BudgetPeriodEnum": "billing.budget_models.BudgetPeriod",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.add_error_responses",
    ],
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [], is_origin, "an origin such as https://app.example.com")
CORS_URLS_REGEX = r"^/api/.*$"

# --- Security -----------------------------------------------------------------------------
SECURE_HTTPS = env_bool("SECURE_HTTPS", not DEBUG and not TESTING)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True) and SECURE_HTTPS  # read (checked) even without HTTPS
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Domain settings ------------------------------------------------------------------------
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 180)
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)
IDEMPOTENCY_RECORD_MODEL = "accounts.IdempotencyRecord"  # core.idempotency's records
# The longest a request may run: gunicorn's --timeout (gunicorn.conf.py reads this variable) must
# not exceed it. An Idempotency-Key record still in progress after this long lost its worker.
REQUEST_TIMEOUT_SECONDS = env_int("REQUEST_TIMEOUT_SECONDS", 30)
WORKING_TIME_MAX_WEEKLY_HOURS = env_int("WORKING_TIME_MAX_WEEKLY_HOURS", 48, maximum=168)
WORKING_TIME_REFERENCE_WEEKS = env_int("WORKING_TIME_REFERENCE_WEEKS", 17, maximum=52)
WORKING_TIME_MIN_DAILY_REST_HOURS = env_int("WORKING_TIME_MIN_DAILY_REST_HOURS", 11, minimum=0, maximum=24)
WORKING_TIME_MAX_DAILY_HOURS = env_int("WORKING_TIME_MAX_DAILY_HOURS", 10, maximum=24)
TIME_ENTRY_MAX_HOURS = env_int("TIME_ENTRY_MAX_HOURS", 16, maximum=168)
# A timer stopped sooner than this on a page asks whether to keep or discard it (a mis-click
# otherwise stores a 0:00 entry, which the rest-time rule then counts as work).
TIMER_MIN_SECONDS = env_int("TIMER_MIN_SECONDS", 60, minimum=0, maximum=3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_log_level("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's defaults give "django" a console handler of its own (with DEBUG on) as well as
        # propagating to the root's: every line twice. Root's handler and LOG_LEVEL only.
        "django": {"handlers": [], "level": "NOTSET"},
        "django.request": {"level": "ERROR" if TESTING else "WARNING"},
        # One line per task run is noise when tasks run eagerly in-process (the embedded default).
        "celery.app.trace": {"level": "WARNING"},
        # WeasyPrint logs each step of every invoice PDF; fontTools each font subset.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Two-factor login (accounts) ------------------------------------------------------------
# Staff, HR and superusers must use a second factor (TOTP or a recovery code) to log in, and enrol at
# their first login; employees may. On by default in production, off with DEBUG (the demo's logins).
TWO_FACTOR_ENFORCE = env_bool("TWO_FACTOR_ENFORCE", not DEBUG and not TESTING)
# The name authenticator apps show next to the account (":" separates issuer and account there).
OTP_TOTP_ISSUER = env("TWO_FACTOR_ISSUER", default="Timetrack").strip()
if not 1 <= len(OTP_TOTP_ISSUER) <= 64 or ":" in OTP_TOTP_ISSUER:
    fail("TWO_FACTOR_ISSUER", "a name of 1 to 64 characters without ':' (authenticator apps show it)")
# After a failed code django-otp makes the device wait 1, 2, 4, ... seconds before the next try.
OTP_TOTP_THROTTLE_FACTOR = 1

# Passkeys (WebAuthn, django-otp-webauthn) as a second factor beside the authenticator app: the code step
# offers "Use a passkey" to a user who registered one. Not a way in without the password (the password
# step, its limits and SSO's rules stay). The relying party is the host of SITE_URL (PASSKEY_RP_ID to
# widen it to a parent domain); browsers accept a passkey only on the origins listed (PASSKEY_ORIGINS,
# default SITE_URL's), which must be https:// or http://localhost. Otherwise passkeys are off.
PASSKEY_RP_ID = env("PASSKEY_RP_ID", default=urlsplit(SITE_URL).hostname or "").strip().lower()
PASSKEY_ORIGINS = env_list("PASSKEY_ORIGINS", [SITE_URL], is_origin, "an origin such as https://timetrack.example.com")
PASSKEYS_ENABLED = bool(PASSKEY_RP_ID) and not is_ip_address(PASSKEY_RP_ID)
for _origin in PASSKEY_ORIGINS:
    _host = urlsplit(_origin).hostname or ""
    if _host != PASSKEY_RP_ID and not _host.endswith("." + PASSKEY_RP_ID):
        fail("PASSKEY_RP_ID", f"{PASSKEY_RP_ID!r} is neither the host of {_origin!r} nor a parent domain of it")
    if not (_origin.startswith("https://") or _host == "localhost"):
        PASSKEYS_ENABLED = False  # browsers refuse WebAuthn on a plain-http origin other than localhost
OTP_WEBAUTHN_RP_ID = PASSKEY_RP_ID or "localhost"
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
# (The package's system check wants secure origins even when passkeys are off.)
OTP_WEBAUTHN_ALLOWED_ORIGINS = PASSKEY_ORIGINS if PASSKEYS_ENABLED else [f"https://{OTP_WEBAUTHN_RP_ID}"]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# A browser's malformed or forged answer is the client's fault: accounts.views_passkeys logs it at INFO,
# not the package's ERROR with a traceback.
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""

# --- Single sign-on over OpenID Connect (accounts/sso.py) -----------------------------------------
# Set OIDC_ISSUER_URL (and the client's id and secret) to offer "Log in with ..." on the login page:
# the authorization code flow with PKCE, state and nonce (mozilla-django-oidc), the endpoints read from
# the issuer's discovery document. Every other OIDC_/SSO_ variable needs the issuer.
OIDC_ISSUER_URL = env_url("OIDC_ISSUER_URL", "", schemes=("https", "http")).rstrip("/")
SSO_ENABLED = bool(OIDC_ISSUER_URL)
_sso_variables = [
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_ALLOWED_EMAIL_DOMAINS",
    "OIDC_ROLE_CLAIM",
    "OIDC_HR_ROLES",
    "OIDC_AUTO_CREATE",
    "SSO_PASSWORD_LOGIN",
    "SSO_PROVIDER_NAME",
]
for _name in _sso_variables:
    if _name in os.environ and not SSO_ENABLED:
        fail(_name, "it configures single sign-on: set OIDC_ISSUER_URL too")
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID", default="").strip()
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="").strip()
if SSO_ENABLED and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    fail("OIDC_CLIENT_ID", "single sign-on needs the client's id and secret (OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)")
# Only these e-mail domains may log in (empty: any the provider vouches for).
OIDC_ALLOWED_EMAIL_DOMAINS = [
    domain.lower() for domain in env_list("OIDC_ALLOWED_EMAIL_DOMAINS", [], is_host, "a domain like example.com")
]
# The claim carrying the person's groups or roles, and the values of it that make someone HR.
OIDC_ROLE_CLAIM = env("OIDC_ROLE_CLAIM", default="groups").strip()
OIDC_HR_ROLES = env.list("OIDC_HR_ROLES", default=["hr"])
# Create an account at someone's first SSO login (else only people HR created, matched by e-mail).
OIDC_CREATE_USER = env_bool("OIDC_AUTO_CREATE", True)
# Off: people who have logged in through SSO can no longer log in with a local password.
SSO_PASSWORD_LOGIN = env_bool("SSO_PASSWORD_LOGIN", True)
SSO_PROVIDER_NAME = env("SSO_PROVIDER_NAME", default="your company account").strip() or "your company account"
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_AUTHENTICATE_CLASS = "accounts.sso.SSOAuthenticationRequestView"
OIDC_CALLBACK_CLASS = "accounts.sso.SSOCallbackView"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
OIDC_TIMEOUT = 10
if SSO_ENABLED:
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "accounts.sso.CompanyOIDCBackend"]

# --- Leave (leave app) ----------------------------------------------------------------------
# Approvers get a daily reminder about requests pending longer than this many days.
LEAVE_REMINDER_AFTER_DAYS = env_int("LEAVE_REMINDER_AFTER_DAYS", 2, minimum=0)
# Substitutes are reminded on their last working day before the leave, from this local hour on.
LEAVE_SUBSTITUTE_REMINDER_HOUR = env_int("LEAVE_SUBSTITUTE_REMINDER_HOUR", 9, minimum=0, maximum=23)

# --- Reports (reports app) ------------------------------------------------------------------
# Exports with more rows than this run as a Celery task with progress (ExportJob) instead of
# streaming in the request; imports with more rows than the second one run as a task too.
REPORTS_ASYNC_EXPORT_THRESHOLD = env_int("REPORTS_ASYNC_EXPORT_THRESHOLD", 20000, minimum=0)
REPORTS_ASYNC_IMPORT_THRESHOLD = env_int("REPORTS_ASYNC_IMPORT_THRESHOLD", 1000, minimum=0)
REPORTS_JOB_RETENTION_DAYS = env_int("REPORTS_JOB_RETENTION_DAYS", 7)
# A running export whose worker has written no progress for this long lost its worker (killed
# mid-run) and is run again; after REPORTS_JOB_MAX_ATTEMPTS runs it fails instead.
REPORTS_JOB_STALE_SECONDS = env_int("REPORTS_JOB_STALE_SECONDS", 120)
REPORTS_JOB_MAX_ATTEMPTS = env_int("REPORTS_JOB_MAX_ATTEMPTS", 3, maximum=100)
# The overtime balance counts from each user's first day (first entry or joining date), but
# never from before this date (YYYY-MM-DD) when it is set, e.g. when the tool was adopted.
REPORTS_OVERTIME_START = env_date("REPORTS_OVERTIME_START", None)

# --- Billing (billing app) ------------------------------------------------------------------
# The ISO 4217 currency of clients without their own (and of entries without a client); checked
# against billing/currencies.py at start-up.
BILLING_DEFAULT_CURRENCY = env.str("BILLING_DEFAULT_CURRENCY", default="EUR").strip().upper()
# How projects without their own rounding bill time: "none", or "<up|down|nearest>:<1|5|6|10|15|30>[:<entry|day>]".
BILLING_ROUNDING = env.str("BILLING_ROUNDING", default="none")
# Whether employees see billable rates and amounts (never cost rates or costs).
BILLING_EMPLOYEES_SEE_RATES = env_bool("BILLING_EMPLOYEES_SEE_RATES", False)
# Who writes invoices besides HR: the members of this group.
BILLING_GROUP_NAME = env.str("BILLING_GROUP_NAME", default="billing")
# The tax rate (per cent) a new draft starts with, e.g. 19 for German VAT; editable per invoice.
BILLING_TAX_RATE = env.str("BILLING_TAX_RATE", default="0").strip()
# An issued invoice's number: {year} and {number} (the gap-free sequence within the year), e.g.
# "{year}-{number:04d}" → 2026-0042, "RE-{year}{number:05d}" → RE-202600042. Checked at start-up.
BILLING_INVOICE_NUMBER_FORMAT = env.str("BILLING_INVOICE_NUMBER_FORMAT", default="{year}-{number:04d}")
# The sender on invoice PDFs (billing/invoice_pdf.html; the address: lines separated by "|").
BILLING_COMPANY_NAME = env.str("BILLING_COMPANY_NAME", default="")
BILLING_COMPANY_ADDRESS = [
    part.strip() for part in env.str("BILLING_COMPANY_ADDRESS", default="").split("|") if part.strip()
]

# --- Benchmark (bench app) ------------------------------------------------------------------
# `make bench`: the data generator (bench_generate) and its marker table. No setting of its own.
INSTALLED_APPS += ["bench"]

# --- Compliance (timetracking) --------------------------------------------------------------
# Weekly rest: this many hours plus the daily rest, in one stretch, in every ISO week (24 + 11 h).
WORKING_TIME_MIN_WEEKLY_REST_HOURS = env_int("WORKING_TIME_MIN_WEEKLY_REST_HOURS", 24, minimum=0, maximum=168)
# Breaks a day needs when its work exceeds 6 h / 9 h (the gaps between its entries count): the
# thresholds in hours, then the breaks in minutes. The second threshold is not below the first.
WORKING_TIME_BREAK_AFTER_6H_HOURS = env_int("WORKING_TIME_BREAK_AFTER_6H_HOURS", 6, maximum=24)
WORKING_TIME_BREAK_AFTER_9H_HOURS = env_int(
    "WORKING_TIME_BREAK_AFTER_9H_HOURS",
    max(9, WORKING_TIME_BREAK_AFTER_6H_HOURS),
    minimum=WORKING_TIME_BREAK_AFTER_6H_HOURS,
    maximum=24,
)
WORKING_TIME_BREAK_AFTER_6H_MINUTES = env_int("WORKING_TIME_BREAK_AFTER_6H_MINUTES", 30, minimum=0, maximum=360)
WORKING_TIME_BREAK_AFTER_9H_MINUTES = env_int("WORKING_TIME_BREAK_AFTER_9H_MINUTES", 45, minimum=0, maximum=540)
# Only gaps of at least this many minutes are breaks (§ 4 ArbZG: blocks of 15 min); shorter ones are
# neither work nor break. Nobody works more than WORKING_TIME_MAX_HOURS_IN_A_ROW without such a break.
WORKING_TIME_BREAK_MIN_MINUTES = env_int("WORKING_TIME_BREAK_MIN_MINUTES", 15, minimum=1, maximum=120)
WORKING_TIME_MAX_HOURS_IN_A_ROW = env_int("WORKING_TIME_MAX_HOURS_IN_A_ROW", 6, minimum=1, maximum=24)
# When on, an entry write that creates a violation is refused (409) instead of answered with warnings.
WORKING_TIME_BLOCK_ON_VIOLATION = env_bool("WORKING_TIME_BLOCK_ON_VIOLATION", False)

# --- Webhooks (webhooks app) ------------------------------------------------------------------
# Internal hosts webhooks may reach (webhooks/destinations.py refuses private addresses otherwise).
WEBHOOK_ALLOWED_HOSTS = webhook_allowed_hosts()
