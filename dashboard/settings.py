"""swarmdeck settings: every value comes from the environment, read here and nowhere else.

The defaults give the embedded mode (SQLite in the data folder, django-q2 on the ORM
broker, in-memory channel layer). ``DATABASE_URL`` and ``REDIS_URL`` switch to the scaled
mode. See the configuration table in README.md.
"""

from __future__ import annotations

import os
from pathlib import Path

from dashboard.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_path,
    env_str,
    read_or_create_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("SWARMDECK_DATA_DIR", BASE_DIR / "data")
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
# The database holds registry passwords and sessions: keep other local users out.
if DATA_DIR.stat().st_uid == os.getuid():
    DATA_DIR.chmod(0o700)

SECRET_KEY = env_str("SWARMDECK_SECRET_KEY") or read_or_create_secret(DATA_DIR / "secret_key")
DEBUG = env_bool("SWARMDECK_DEBUG", False)
HOST = env_str("SWARMDECK_HOST", "127.0.0.1")
PORT = env_int("SWARMDECK_PORT", 8000, minimum=1, maximum=65535)
ALLOWED_HOSTS = env_list("SWARMDECK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("SWARMDECK_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",  # first, so runserver serves WebSockets (system check daphne.E001)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "django_q",
    "swarm",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "swarm.middleware.RoleRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
ASGI_APPLICATION = "dashboard.asgi.application"
WSGI_APPLICATION = None

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
                "swarm.context.roles",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_path("SWARMDECK_SQLITE_PATH", DATA_DIR / "swarmdeck.sqlite3"),
            # The web server and the worker share this file: WAL lets readers go on while
            # the worker writes, IMMEDIATE takes the write lock up front and busy_timeout
            # waits for it instead of failing with "database is locked" (django-q2#144).
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": env_str("SWARMDECK_TEST_SQLITE_PATH") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "swarm:nodes"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("SWARMDECK_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"

REDIS_URL = env_str("REDIS_URL")

# django-q2: the ORM broker unless REDIS_URL is set. Q_CLUSTER is read at import time,
# so tests set "sync" through SWARMDECK_Q_SYNC rather than override_settings.
JOB_TIMEOUT = env_int("SWARMDECK_JOB_TIMEOUT", 3600, minimum=10)
Q_CLUSTER: dict[str, object] = {
    "name": "swarmdeck",
    "workers": env_int("SWARMDECK_WORKERS", 2, minimum=1, maximum=32),
    "timeout": JOB_TIMEOUT,
    # retry must exceed timeout, or a job still running is delivered a second time.
    "retry": JOB_TIMEOUT + 120,
    "max_attempts": 1,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 500,
    "poll": env_float("SWARMDECK_Q_POLL", 0.1, minimum=0.01),
    "sync": env_bool("SWARMDECK_Q_SYNC", False),
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    Q_CLUSTER["orm"] = "default"
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# swarmdeck itself
DOCKER_HOST = env_str("DOCKER_HOST")  # empty: the docker SDK's default socket
ENGINE_TIMEOUT = env_float("SWARMDECK_ENGINE_TIMEOUT", 5.0, minimum=0.5)
SNAPSHOT_REFRESH_MINUTES = env_int("SWARMDECK_REFRESH_MINUTES", 1, minimum=1)
DOCKER_CLI = env_str("SWARMDECK_DOCKER_CLI", "docker")
REGISTRY_TIMEOUT = env_float("SWARMDECK_REGISTRY_TIMEOUT", 10.0, minimum=0.5)
REGISTRY_CONCURRENCY = env_int("SWARMDECK_REGISTRY_CONCURRENCY", 8, minimum=1, maximum=64)
REGISTRY_SCAN_MINUTES = env_int("SWARMDECK_SCAN_MINUTES", 15, minimum=1)
# Folders a build recipe's local context may live in (comma-separated).
BUILD_ROOTS = [Path(p).expanduser() for p in env_list(
    "SWARMDECK_BUILD_ROOTS", [str(DATA_DIR / "build-contexts")])]
BUILD_TIMEOUT = env_int("SWARMDECK_BUILD_TIMEOUT", 3000, minimum=30)
BUILDER_NAME = env_str("SWARMDECK_BUILDER_NAME", "multiarch")
BINFMT_IMAGE = env_str("SWARMDECK_BINFMT_IMAGE", "tonistiigi/binfmt")
BINFMT_PLATFORMS = env_str("SWARMDECK_BINFMT_PLATFORMS", "all")
BINFMT_MISC_DIR = env_path("SWARMDECK_BINFMT_MISC_DIR", Path("/proc/sys/fs/binfmt_misc"))
BUILDX_TIMEOUT = env_float("SWARMDECK_BUILDX_TIMEOUT", 60.0, minimum=5)
JOB_LOG_MAX_LINES = env_int("SWARMDECK_JOB_LOG_MAX_LINES", 200_000, minimum=100)
JOB_CANCEL_GRACE_SECONDS = env_float("SWARMDECK_JOB_CANCEL_GRACE", 5.0, minimum=0.1)
# A running job whose worker has not written a heartbeat for this long is marked lost.
JOB_LOST_AFTER_SECONDS = env_int("SWARMDECK_JOB_LOST_AFTER", 120, minimum=10)
# How often a log consumer re-reads the database when no wake-up arrives.
LOG_POLL_SECONDS = env_float("SWARMDECK_LOG_POLL", 0.1 if not REDIS_URL else 1.0, minimum=0.02)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("SWARMDECK_LOG_LEVEL", "INFO").upper()},
    "loggers": {"django-q": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}
