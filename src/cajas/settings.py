"""Django settings, read from the environment through tiny helpers (healthchecks style).

Environment:
- ``CAJAS_DATA_DIR``: where the embedded SQLite database and generated secrets live (``./var``).
- ``DATABASE_URL``: ``postgres://user:pass@host:port/name`` selects PostgreSQL instead of SQLite;
  ``postgres:///name`` (or just ``postgres://``) takes the rest from the libpq ``PG*`` variables.
- ``CAJAS_FIELD_KEY`` (or ``CAJAS_FIELD_KEY_FILE``): the Fernet keys, newest first, that encrypt
  sensitive personal data at rest; ``SECRET_KEY`` (or ``CAJAS_SECRET_KEY_FILE``). Required, and
  kept outside the data directory, unless ``CAJAS_DEMO=1`` (the demo and the tests).
- ``DEBUG``, ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.utils.translation import gettext_lazy as _

from cajas.core.secrets import keys_load


def envbool(name: str, default: str = "False") -> bool:
    return os.getenv(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.getenv(name, str(default)))


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.getenv("CAJAS_DATA_DIR", "var")).resolve()

# Keys come from the environment or from key files outside the data directory; only the demo
# and the tests (CAJAS_DEMO=1) generate throwaway ones into it (core/secrets.py).
CAJAS_DEMO = envbool("CAJAS_DEMO")
_keys = keys_load(env=os.environ, data_dir=DATA_DIR)
SECRET_KEY = _keys.secret_key
# Newest first: written with the first, read with any (``cajas keys rotate``).
FIELD_ENCRYPTION_KEYS = _keys.field_keys
FIELD_KEY_SOURCE = _keys.source
FIELD_KEY_SOURCE_ES = _keys.source_es

DEBUG = envbool("DEBUG", "False")
ALLOWED_HOSTS = [
    h for h in os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "cajas.core",
    "cajas.org",
    "cajas.members",
    "cajas.access",
    "cajas.ledger",
    "cajas.meetings",
    "cajas.loans",
    "cajas.shareouts",
    "cajas.corrections",
    "cajas.documents",
    "cajas.monitoring",
    "cajas.backup",
    "cajas.web",
    "cajas.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compress pages (static files come already compressed from whitenoise, above). Django's
    # gzip pads its output at random and the CSRF token is masked per response (BREACH).
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cajas.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # One-time form tokens (core/once.py): needs the user and messages, claims after CSRF.
    "cajas.core.once.OnceMiddleware",
    # Input a view cannot read (core/parsing.py) is a 400 page in the user's language.
    "cajas.web.errors.InputErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cajas.urls"
WSGI_APPLICATION = "cajas.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def database_from_env() -> dict[str, Any]:
    url = os.getenv("DATABASE_URL", "")
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "cajas.sqlite3"),
            # WAL: pages keep loading while a treasurer closes a meeting (readers never wait
            # for the writer); synchronous FULL keeps every committed close on disk.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            },
            "TEST": {"NAME": os.getenv("CAJAS_TEST_SQLITE", "")}
            if os.getenv("CAJAS_TEST_SQLITE")
            else {},
        }
    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or os.getenv("PGDATABASE", "cajas"),
        "USER": unquote(parts.username or "") or os.getenv("PGUSER", ""),
        "PASSWORD": unquote(parts.password or "") or os.getenv("PGPASSWORD", ""),
        "HOST": parts.hostname or os.getenv("PGHOST", ""),
        "PORT": str(parts.port) if parts.port else os.getenv("PGPORT", ""),
    }


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.getenv("TIME_ZONE", "America/Guayaquil")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names served for a year and more (web/storage.py).
    "staticfiles": {"BACKEND": "cajas.web.storage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# A refused form says what happened in the user's language, with a way back (web/errors.py).
CSRF_FAILURE_VIEW = "cajas.web.errors.csrf_failure"
# How long a repeated form waits for its first submission to finish (core/once.py).
CAJAS_ONCE_WAIT_SECONDS = 3.0

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"cajas.personal_data": {"handlers": ["console"], "level": "WARNING"}},
}

# LOPDP: days the personal-data access log (access.AccessLog) is kept; `cajas accesslog purge`.
CAJAS_ACCESS_LOG_DAYS = int(os.environ.get("CAJAS_ACCESS_LOG_DAYS", "730"))
