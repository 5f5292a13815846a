"""GridGov settings: one file, every knob from the environment, safe defaults for the demo."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("GRIDGOV_DATA_DIR", "./data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_from_file(filename: str, make: Callable[[], str]) -> str:
    # Generated once and kept beside the database, so a demo restart keeps sessions and
    # (for the field key) can still decrypt what it stored.
    path = DATA_DIR / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _secret_from_file(
    "secret_key", lambda: secrets.token_urlsafe(50)
)
# 32 random bytes, urlsafe base64: AES-256-GCM for ID/phone numbers, HMAC for their lookup hashes.
GRIDGOV_FIELD_KEY = os.environ.get("GRIDGOV_FIELD_KEY") or _secret_from_file(
    "field_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
)

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves Swagger UI for /api/docs from its own static files, not a CDN
    "gridgov.core",
    "gridgov.audit",
    "gridgov.accounts",
    "gridgov.places",
    "gridgov.people",
    "gridgov.orgs",
    "gridgov.transfer",
    "gridgov.notifications",
    "gridgov.triage",
    "gridgov.cases",
    "gridgov.open311",
    "gridgov.services",
    "gridgov.care",
    "gridgov.bulletin",
    "gridgov.forum",
    "gridgov.activities",
    "gridgov.consult",
    "gridgov.mediation",
    "gridgov.desks",
    "gridgov.command",
    "gridgov.demo",
]

MIDDLEWARE = [
    # First, so the Content-Security-Policy and no-store reach every response (gridgov.core.middleware).
    "gridgov.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

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
                "gridgov.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'gridgov.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with psycopg's C loader for timestamps (gridgov/core/pgbackend).
    DATABASES["default"]["ENGINE"] = "gridgov.core.pgbackend"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
    # two writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = (
        {"NAME": str(DATA_DIR / "test.sqlite3")} if env_bool("GRIDGOV_TEST_SQLITE_FILE", False) else {}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["gridgov.accounts.backends.PhoneOrUsernameBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
GRIDGOV_LOGIN_MAX_FAILURES = int(os.environ.get("GRIDGOV_LOGIN_MAX_FAILURES", "5"))
GRIDGOV_LOGIN_LOCK_MINUTES = int(os.environ.get("GRIDGOV_LOGIN_LOCK_MINUTES", "15"))
# Failed logins from one client address over every account before the address is blocked
# (0: no per-address limit, for a reverse proxy that does not pass client addresses on).
GRIDGOV_LOGIN_IP_MAX_FAILURES = int(os.environ.get("GRIDGOV_LOGIN_IP_MAX_FAILURES", "30"))
GRIDGOV_LOGIN_IP_LOCK_MINUTES = int(os.environ.get("GRIDGOV_LOGIN_IP_LOCK_MINUTES", "15"))

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serving straight from the app folders means the demo needs no collectstatic step.
WHITENOISE_USE_FINDERS = env_bool("GRIDGOV_STATIC_FINDERS", True)

# `gridgov serve`: the production WSGI server (gunicorn, threaded workers). Two processes per
# core with two threads each: a thread back from the database waits for its process's GIL behind
# the others, so requests that go to the database often (an intake: a dozen statements) ran at
# 0.15 of the insert baseline's rate with 2 × 4 on the 2-core bench machine, 0.26 with 4 × 2
# (docs/deploy.md).
GRIDGOV_WEB_BIND = os.environ.get("GRIDGOV_WEB_BIND", "127.0.0.1:8000")
GRIDGOV_WEB_WORKERS = int(os.environ.get("GRIDGOV_WEB_WORKERS", "4"))
GRIDGOV_WEB_THREADS = int(os.environ.get("GRIDGOV_WEB_THREADS", "2"))
GRIDGOV_WEB_TIMEOUT = int(os.environ.get("GRIDGOV_WEB_TIMEOUT", "60"))
# bench/load.py: two minimal views (insert one row, list 20) measured on the same server as the
# real endpoints; never mounted unless this is on.
GRIDGOV_BENCH_BASELINES = env_bool("GRIDGOV_BENCH_BASELINES", False)
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/media/"  # mapped to no view: every upload is served by its own scope-checked view
# Uploaded photos and files are sealed on disk (gridgov.core.storage); static files are WhiteNoise's.
STORAGES = {
    "default": {"BACKEND": "gridgov.core.storage.SealedFileStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

GRIDGOV_UPLOAD_MAX_BYTES = int(os.environ.get("GRIDGOV_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
GRIDGOV_GRID_HOUSEHOLDS_MIN = int(os.environ.get("GRIDGOV_GRID_HOUSEHOLDS_MIN", "300"))
GRIDGOV_GRID_HOUSEHOLDS_MAX = int(os.environ.get("GRIDGOV_GRID_HOUSEHOLDS_MAX", "500"))
GRIDGOV_FLOATING_REMIND_DAYS = int(os.environ.get("GRIDGOV_FLOATING_REMIND_DAYS", "30"))
# Spreadsheet uploads (registry imports, cases bulk lists) are read in the task worker only, at
# most this many rows and columns; uploads nobody confirmed are deleted after KEEP_HOURS.
GRIDGOV_IMPORT_MAX_ROWS = int(os.environ.get("GRIDGOV_IMPORT_MAX_ROWS", "50000"))
GRIDGOV_IMPORT_MAX_COLUMNS = int(os.environ.get("GRIDGOV_IMPORT_MAX_COLUMNS", "100"))
GRIDGOV_IMPORT_KEEP_HOURS = float(os.environ.get("GRIDGOV_IMPORT_KEEP_HOURS", "24"))

# Cases: the public report pages, photos, auto-close, the holiday calendar.
GRIDGOV_REPORT_HOTLINE = os.environ.get("GRIDGOV_REPORT_HOTLINE", "12345")
GRIDGOV_REPORT_PHONE_PER_HOUR = int(os.environ.get("GRIDGOV_REPORT_PHONE_PER_HOUR", "5"))
GRIDGOV_REPORT_IP_PER_HOUR = int(os.environ.get("GRIDGOV_REPORT_IP_PER_HOUR", "20"))
# The report page asks, as the resident types, whether the text reads like an emergency.
GRIDGOV_REPORT_CHECK_PER_MINUTE = int(os.environ.get("GRIDGOV_REPORT_CHECK_PER_MINUTE", "30"))
# How often an open workbench asks for new urgent cases (the red banner and its sound).
GRIDGOV_URGENT_POLL_SECONDS = float(os.environ.get("GRIDGOV_URGENT_POLL_SECONDS", "15"))
# Page frames (menu, name, tab bar) each worker keeps drawn, one per user standing (core.frames):
# a few kilobytes each.
GRIDGOV_FRAME_CACHE_SIZE = int(os.environ.get("GRIDGOV_FRAME_CACHE_SIZE", "500"))
# Tracking code + last four digits (pages and API alike): failures within WINDOW minutes that
# lock a code (MAX) or a client address (IP_MAX, 0 = no per-address limit, e.g. behind a proxy
# that hides client addresses) for LOCK minutes, each further lock of the same key twice as long.
GRIDGOV_TRACK_MAX_FAILURES = int(os.environ.get("GRIDGOV_TRACK_MAX_FAILURES", "5"))
GRIDGOV_TRACK_IP_MAX_FAILURES = int(os.environ.get("GRIDGOV_TRACK_IP_MAX_FAILURES", "20"))
GRIDGOV_TRACK_WINDOW_MINUTES = int(os.environ.get("GRIDGOV_TRACK_WINDOW_MINUTES", "15"))
GRIDGOV_TRACK_LOCK_MINUTES = int(os.environ.get("GRIDGOV_TRACK_LOCK_MINUTES", "30"))
GRIDGOV_CASE_PHOTO_MAX_BYTES = int(os.environ.get("GRIDGOV_CASE_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
GRIDGOV_CASE_CLOSE_UNRATED_DAYS = int(os.environ.get("GRIDGOV_CASE_CLOSE_UNRATED_DAYS", "7"))
# How often a process re-checks the holiday table for edits made by another process.
GRIDGOV_CALENDAR_CHECK_SECONDS = float(os.environ.get("GRIDGOV_CALENDAR_CHECK_SECONDS", "60"))

# Command centre (指挥中心): map tiles (empty = a plain background with the boundaries, works
# offline; else a same-origin tile URL template: an intranet tile server or 天地图 behind the
# site's reverse proxy, since the CSP allows images from this site only), the coordinate system
# the tiles are drawn in (places store WGS-84), and how often the wall screen refreshes.
GRIDGOV_MAP_TILE_URL = os.environ.get("GRIDGOV_MAP_TILE_URL", "")
GRIDGOV_MAP_TILE_CRS = os.environ.get("GRIDGOV_MAP_TILE_CRS", "wgs84")
GRIDGOV_WALL_REFRESH_SECONDS = int(os.environ.get("GRIDGOV_WALL_REFRESH_SECONDS", "60"))
GRIDGOV_TASK_POLL_SECONDS = float(os.environ.get("GRIDGOV_TASK_POLL_SECONDS", "10"))

# Triage: the learned model, how many corrections trigger a retraining, how often the rules
# and the model are re-checked for edits made by another process.
TRIAGE_MODEL_ENABLED = env_bool("TRIAGE_MODEL_ENABLED", True)
TRIAGE_RETRAIN_AFTER = int(os.environ.get("TRIAGE_RETRAIN_AFTER", "20"))
TRIAGE_RULES_CHECK_SECONDS = float(os.environ.get("TRIAGE_RULES_CHECK_SECONDS", "2"))

# Scale-out (issue 6): GRIDGOV_TASK_BACKEND=redis runs the background tasks on RQ in Redis at
# GRIDGOV_REDIS_URL (workers on several machines); `db` keeps them in the database. The cache
# behind the rate limits is Redis when GRIDGOV_REDIS_URL is set, the database otherwise, so
# several app servers count the same requests. GRIDGOV_TASKS_BACKEND (a dotted path) overrides.
REDIS_URL = os.environ.get("GRIDGOV_REDIS_URL", "")
TASK_BACKEND = os.environ.get("GRIDGOV_TASK_BACKEND", "db")
if TASK_BACKEND not in ("db", "redis"):
    raise ImproperlyConfigured("GRIDGOV_TASK_BACKEND must be db or redis")
if TASK_BACKEND == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("GRIDGOV_TASK_BACKEND=redis needs GRIDGOV_REDIS_URL")
_TASK_BACKENDS = {"db": "django_tasks_db.DatabaseBackend", "redis": "django_tasks_rq.RQBackend"}
TASKS = {
    "default": {
        "BACKEND": os.environ.get("GRIDGOV_TASKS_BACKEND", _TASK_BACKENDS[TASK_BACKEND]),
    }
}
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 600}}
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "gridgov_cache"}
    )
}

# Django's database sessions, read by a compiled query (gridgov/accounts/sessions.py).
SESSION_ENGINE = "gridgov.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("GRIDGOV_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# 4xx responses log one line, no traceback (gridgov.core.logfilters); 5xx keep theirs. A filter
# on a logger covers only records logged on it, so each logger Django refuses requests on has it.
_ONE_LINE = {"filters": ["client_errors_one_line"]}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_one_line": {"()": "gridgov.core.logfilters.ClientErrorWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
        "django.request": _ONE_LINE,
        **{
            f"django.security.{name}": _ONE_LINE
            for name in ("RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent", "DisallowedHost", "SuspiciousOperation")
        },
    },
}

# Notifications: outbound channels (SMS backend, robot webhooks) and their retry policy.
GRIDGOV_SMS_BACKEND = os.environ.get("GRIDGOV_SMS_BACKEND", "gridgov.notifications.channels.ConsoleSmsBackend")
GRIDGOV_NOTIFY_TIMEOUT = float(os.environ.get("GRIDGOV_NOTIFY_TIMEOUT", "5"))
GRIDGOV_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("GRIDGOV_NOTIFY_MAX_ATTEMPTS", "5"))
GRIDGOV_NOTIFY_BACKOFF = float(os.environ.get("GRIDGOV_NOTIFY_BACKOFF", "30"))
# Where group robots may post: WeCom's and DingTalk's robot hosts, https only. An entry is a host
# (https, port 443) or an origin such as http://10.1.2.3:8080 (a robot gateway on the intranet).
GRIDGOV_ROBOT_HOSTS = env_list("GRIDGOV_ROBOT_HOSTS", "qyapi.weixin.qq.com,oapi.dingtalk.com")
# Public address of this site (e.g. https://grid.example.gov.cn), so robot messages can link back.
GRIDGOV_PUBLIC_URL = os.environ.get("GRIDGOV_PUBLIC_URL", "")
# PDFs (mediation agreements, monthly reports) are printed by a headless Chromium: its path and how
# long one print may take before the request gives up.
GRIDGOV_CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
GRIDGOV_PDF_TIMEOUT = int(os.environ.get("GRIDGOV_PDF_TIMEOUT", "60"))

# Open311 GeoReport v2: when set, a request's jurisdiction_id must equal it (e.g. "furongbei.gov.cn").
GRIDGOV_OPEN311_JURISDICTION = os.environ.get("GRIDGOV_OPEN311_JURISDICTION", "")
# How far (metres) a reported lat/long may lie from the nearest known place of the key's scope.
GRIDGOV_OPEN311_MAX_DISTANCE_M = int(os.environ.get("GRIDGOV_OPEN311_MAX_DISTANCE_M", "3000"))
