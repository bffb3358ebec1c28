"""Settings, read from the environment.

With nothing set this is a development desk on SQLite (WAL) and the in-memory
channel layer. ``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to the
Redis channel layer and cache (several Daphne processes sharing live sessions).
``DEBUG=0`` plus ``SECRET_KEY`` and ``ALLOWED_HOSTS`` is production.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HELPDESK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "dev-insecure-key-only-for-local-development-never-in-production-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])


def _site_url() -> str:
    """Where the desk is reached from outside: the start of every absolute link (emails).

    Never taken from a request's Host header (helpdesk/links.py says why). In
    production it defaults to https:// and the first host ALLOWED_HOSTS names, so
    SECRET_KEY and ALLOWED_HOSTS stay all that production needs.
    """
    raw = os.environ.get("SITE_URL", "").strip()
    if not raw:
        if DEBUG:
            return "http://127.0.0.1:8000"
        host = next((h for h in ALLOWED_HOSTS if h != "*" and not h.startswith(".")), None)
        if host is None:
            raise ImproperlyConfigured(
                "Set SITE_URL (e.g. https://desk.example.com): ALLOWED_HOSTS names no single host to build links from."
            )
        return f"https://{host}"
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"} or parts.query:
        raise ImproperlyConfigured(f"SITE_URL must look like https://desk.example.com[:port], not {raw!r}.")
    return f"{parts.scheme}://{parts.netloc}"


SITE_URL = _site_url()

INSTALLED_APPS = [
    "daphne",  # first, so that `runserver` is Daphne's ASGI server
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served locally, no CDN
    "anymail",  # email through any provider's API, and its inbound webhooks (docs/email.md)
    "helpdesk.apps.HelpdeskConfig",
    "escalations.apps.EscalationsConfig",
    "livelisten.apps.LivelistenConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "helpdesk.compression.HtmlGZipMiddleware",  # gzip for HTML pages; why it is safe: helpdesk/compression.py
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their own caching headers (helpdesk/headers.py).
    "helpdesk.headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"

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
                "helpdesk.context_processors.roles",
            ],
        },
    },
]

# Threads each process gives the live chat sockets' database calls (livelisten/dbthreads.py); each holds a pooled
# session while it runs, so keep it under DB_POOL_MAX_SIZE (SQLite: always one).
LIVELISTEN_DB_THREADS = env_int("LIVELISTEN_DB_THREADS", 4)
# A chat with no line for this long ends by itself (its transcript goes on the ticket); a waiting chat's
# round-robin offer passes to the next available agent when not accepted within LIVELISTEN_OFFER_SECONDS.
LIVELISTEN_IDLE_END_MINUTES = env_int("LIVELISTEN_IDLE_END_MINUTES", 30)
LIVELISTEN_OFFER_SECONDS = env_int("LIVELISTEN_OFFER_SECONDS", 60)

# --- Database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
DB_POOL = env_bool("DB_POOL", True)
if DATABASE_URL:
    # Under Daphne every request runs its sync code in a thread of its own, so a
    # persistent connection (CONN_MAX_AGE) is never reused: each request would open a
    # new PostgreSQL session (~11 ms, and a cold backend). A pool per process keeps a
    # bounded set of sessions open and hands them from request to request. With
    # PgBouncer in transaction mode in front instead, set DB_POOL=0 (docs: README).
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=0 if DB_POOL else env_int("DB_CONN_MAX_AGE", 0)
        )
    }
    # PgBouncer in transaction mode hands each transaction to any server session, and a
    # server-side cursor (QuerySet.iterator()) does not survive that.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DISABLE_SERVER_SIDE_CURSORS", False)
    if DB_POOL and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 1),
            # The most sessions one process holds; requests beyond it wait for one.
            "max_size": env_int("DB_POOL_MAX_SIZE", 10),
            # Seconds a request waits for a free session before failing.
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "helpdesk.sqlite3")),
            "OPTIONS": {
                # WAL lets readers work while a writer commits; IMMEDIATE takes the
                # write lock at BEGIN so two writers queue instead of failing mid-way.
                "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=5000",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Browser tests run a separate Daphne process, which cannot share an
            # in-memory database: the test database is a file.
            "TEST": {"NAME": str(VAR_DIR / "test-helpdesk.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels and cache -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    # After a Redis restart every pooled connection is dead; redis-py retries a command on a
    # fresh one only for the errors named here (by default none: the first socket to use a
    # dead connection got a 500 handshake; tests/e2e/test_livelisten_processes.py).
    REDIS_RETRY_ON = [RedisConnectionError, RedisTimeoutError]
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults to a 5 s read timeout (the layer's own blocking
                # receive) and a 100-connection pool that fails instead of waiting.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "max_connections": 2000,
                        "retry_on_error": REDIS_RETRY_ON,
                    }
                ],
                "capacity": env_int("CHANNEL_CAPACITY", 1000),
                "prefix": os.environ.get("CHANNEL_PREFIX", "helpdesk"),
            },
        }
    }
    CACHES = {
        "default": {
            # Django's RedisCache with one connection pool per process: Django keeps a cache
            # object per thread and Daphne runs each request in a new thread, so the stock
            # backend opened a Redis connection per request (helpdesk/cache.py).
            "BACKEND": "helpdesk.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "helpdesk"),
            # A Redis that stops answering costs a request two seconds, then the
            # directory cache and the sign-in limiter fall back, instead of hanging it.
            "OPTIONS": {
                "socket_connect_timeout": 2,
                "socket_timeout": 2,
                # Bounded, and a request beyond the bound waits (up to 2 s) for a free
                # connection rather than failing at once as redis-py's default pool does.
                "pool_class": "redis.BlockingConnectionPool",
                "max_connections": env_int("REDIS_CACHE_MAX_CONNECTIONS", 50),
                "timeout": 2,
                "retry_on_error": REDIS_RETRY_ON,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Room for a permission set per person signed in (the default culls at 300 entries).
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 20000}}
    }

# --- Auth -------------------------------------------------------------------
# Django's model backend, with permission sets cached (helpdesk/directory_cache.py).
AUTHENTICATION_BACKENDS = ["helpdesk.auth_backend.CachedPermissionsBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Failed sign-ins allowed per (username, client address) within the window; an
# address gets 4x, a username across all addresses 10x (helpdesk/ratelimit.py).
LOGIN_RATE_LIMIT_ATTEMPTS = env_int("LOGIN_RATE_LIMIT_ATTEMPTS", 5)
LOGIN_RATE_LIMIT_WINDOW_SECONDS = env_int("LOGIN_RATE_LIMIT_WINDOW_SECONDS", 300)
# Password reset requests per client address within the sign-in window.
PASSWORD_RESET_RATE_LIMIT_ATTEMPTS = env_int("PASSWORD_RESET_RATE_LIMIT_ATTEMPTS", 5)
# Days an API token lives (helpdesk.ApiToken); it also ends when revoked, when the
# account's password changes and when the account is deactivated.
HELPDESK_API_TOKEN_DAYS = max(1, env_int("HELPDESK_API_TOKEN_DAYS", 90))
# How long a browser that signed in stays exempt from its account's per-username count.
HELPDESK_KNOWN_DEVICE_DAYS = env_int("HELPDESK_KNOWN_DEVICE_DAYS", 180)
# How many reverse proxies in front of Daphne append to X-Forwarded-For; 0 trusts
# only the socket address (behind a proxy every client would share one limit).
HELPDESK_PROXY_HOPS = env_int("HELPDESK_PROXY_HOPS", 0)

# --- Help desk behaviour ------------------------------------------------------
HELPDESK_REFERENCE_PREFIX = os.environ.get("HELPDESK_REFERENCE_PREFIX", "HD")
HELPDESK_AUTO_CLOSE_DAYS = env_int("HELPDESK_AUTO_CLOSE_DAYS", 4)
# Spam and deleted tickets can be restored for this long; then purge_removed_tickets deletes them.
HELPDESK_REMOVED_RETENTION_DAYS = max(1, env_int("HELPDESK_REMOVED_RETENTION_DAYS", 30))
# A blocking escalation must be acknowledged within this many minutes (then it is overdue).
HELPDESK_ESCALATION_ACK_MINUTES = max(1, env_int("HELPDESK_ESCALATION_ACK_MINUTES", 60))
# Outgoing webhooks (escalations): attempts before a delivery counts as failed for good.
HELPDESK_WEBHOOK_MAX_ATTEMPTS = max(1, env_int("HELPDESK_WEBHOOK_MAX_ATTEMPTS", 10))
HELPDESK_MAX_BODY_BYTES = 64 * 1024
HELPDESK_PAGE_SIZE = env_int("HELPDESK_PAGE_SIZE", 25)
HELPDESK_TIMELINE_WINDOW = max(1, env_int("HELPDESK_TIMELINE_WINDOW", 100))
# Tickets a customer may open themselves (portal, API, chats) per window; the desk
# opening tickets on a customer's behalf is never limited.
HELPDESK_TICKET_CREATE_LIMIT = max(1, env_int("HELPDESK_TICKET_CREATE_LIMIT", 10))
HELPDESK_TICKET_CREATE_WINDOW_SECONDS = max(1, env_int("HELPDESK_TICKET_CREATE_WINDOW_SECONDS", 600))
# Tags one ticket may carry (every list shows them all).
HELPDESK_MAX_TAGS_PER_TICKET = max(1, env_int("HELPDESK_MAX_TAGS_PER_TICKET", 20))
# How long the desk's pick-lists and permission sets may be cached; every change made
# through the application ends them when it commits, this bounds writes that bypass it. 0: off.
HELPDESK_DIRECTORY_CACHE_SECONDS = max(0, env_int("HELPDESK_DIRECTORY_CACHE_SECONDS", 60))

# --- i18n / static ------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Uploaded files (attachments): under var/uploads by default, never served from a URL of their own
# (MEDIA_URL is not routed; a permission-checked view streams them). HELPDESK_STORAGE=s3 keeps
# them in any S3-compatible bucket through django-storages (pip install '.[s3]'; docs/attachments.md).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "uploads"))
MEDIA_URL = "/media-is-not-served/"
_FILE_STORAGE: dict = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}}
if os.environ.get("HELPDESK_STORAGE", "").strip().lower() == "s3":
    _FILE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME", ""),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _FILE_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve static files straight from the app directories when not collected.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email ----------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Any provider through django-anymail: EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend
# and ANYMAIL={...} as its documentation says (docs/email.md).
ANYMAIL = {key[len("ANYMAIL_"):]: value for key, value in os.environ.items() if key.startswith("ANYMAIL_")}

# --- Email the desk sends and receives (docs/email.md) ---------------------------------
# What customers see as the sender's name ("Jordan Ellis via Acme Support").
HELPDESK_NAME = os.environ.get("HELPDESK_NAME", "Support")
# The address customers write to and reply to (Reply-To of every email the desk sends).
HELPDESK_INBOUND_EMAIL = os.environ.get("HELPDESK_INBOUND_EMAIL", DEFAULT_FROM_EMAIL)
# The right-hand side of the Message-IDs the desk makes.
HELPDESK_MESSAGE_ID_DOMAIN = os.environ.get("HELPDESK_MESSAGE_ID_DOMAIN", "") or DEFAULT_FROM_EMAIL.rpartition("@")[2]
# The outbox worker: attempts before a message is given up (the admin can retry it), and
# how long a claimed message may take before another worker may take it over.
HELPDESK_OUTBOX_MAX_ATTEMPTS = max(1, env_int("HELPDESK_OUTBOX_MAX_ATTEMPTS", 10))
HELPDESK_OUTBOX_LEASE_SECONDS = max(10, env_int("HELPDESK_OUTBOX_LEASE_SECONDS", 300))
# Attachments: the largest file, files per message, and how much of a reply's files go with its email
# (the rest are named in it, to be fetched from the portal).
HELPDESK_ATTACHMENT_MAX_BYTES = max(1024, env_int("HELPDESK_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))
HELPDESK_ATTACHMENTS_PER_MESSAGE = max(1, env_int("HELPDESK_ATTACHMENTS_PER_MESSAGE", 10))
HELPDESK_EMAIL_ATTACHMENTS_MAX_BYTES = max(0, env_int("HELPDESK_EMAIL_ATTACHMENTS_MAX_BYTES", 15 * 1024 * 1024))
# How long a portal invitation's link works (it works once).
HELPDESK_INVITATION_DAYS = max(1, env_int("HELPDESK_INVITATION_DAYS", 7))
# Email in: the largest message accepted, and how many messages one sender may send a window.
HELPDESK_MAIL_MAX_BYTES = max(1024, env_int("HELPDESK_MAIL_MAX_BYTES", 30 * 1024 * 1024))
HELPDESK_MAIL_SENDER_LIMIT = max(1, env_int("HELPDESK_MAIL_SENDER_LIMIT", 20))
HELPDESK_MAIL_SENDER_WINDOW_SECONDS = max(1, env_int("HELPDESK_MAIL_SENDER_WINDOW_SECONDS", 3600))

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Hostile JSON (deep nesting, lone surrogates) is a 400, never a 500 (helpdesk/jsonsafe.py).
    "DEFAULT_PARSER_CLASSES": ["helpdesk.api.content.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "helpdesk.api.content.SafeJSONRenderer",
        # The browsable API is a development aid: in production the API answers JSON only.
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Help desk API",
    "DESCRIPTION": "Tickets and messages; features, the release gate and escalations (the andon cord).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    # Tickets and escalations both have a "status" with their own choices.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": ["new", "open", "pending", "on_hold", "solved", "closed"],
        "EscalationStatusEnum": "escalations.models.EscalationStatus",
    },
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge fetched from validator.swagger.io: it would send the schema's URL away
    # (and the Content-Security-Policy allows images from this site only).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
}

# --- Production hardening ---------------------------------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("SECURE_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The release gate answers 423 by design (a blocked feature), many times a minute from
    # pipelines: not a warning worth a log line each.
    "filters": {"not_locked": {"()": "helpdesk.logfilters.SkipStatus", "status": 423}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"filters": ["not_locked"]},
    },
}
