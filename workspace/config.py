"""Default settings and the rules that complete them once every layer has been read."""

import os
from datetime import timedelta

from flask import Flask

# Used only in debug and tests: create_app refuses to start anywhere else with it.
DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"  # noqa: S105 (a marker)

SECRET_KEY = DEV_SECRET_KEY
SQLALCHEMY_DATABASE_URI = None  # instance/tavolo.db when unset; see finalise()
SQLALCHEMY_ENGINE_OPTIONS: dict = {}
SQLITE_BUSY_TIMEOUT_MS = 10_000

# Sessions and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_DURATION = timedelta(days=14)
PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

# CSRF tokens stay valid for the whole session: a form left open over lunch must still post.
WTF_CSRF_TIME_LIMIT = None

# Passwords: scrypt (Werkzeug's default) is a slow, memory-hard KDF.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method name)
PASSWORD_MIN_LENGTH = 8

# Sign-in throttling, counted in the database so every worker sees the same numbers.
LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 20
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)

INVITATION_LIFETIME = timedelta(days=7)
PASSWORD_RESET_LIFETIME = timedelta(hours=1)

# Mail: SMTP when MAIL_SERVER is set; a copy of every message in instance/outbox/ when
# MAIL_OUTBOX is true (development and tests).
MAIL_SERVER = None
MAIL_PORT = 587
MAIL_USE_TLS = True
MAIL_USE_SSL = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "Tavolo <tavolo@localhost>"
MAIL_OUTBOX = None  # None: on when no MAIL_SERVER is configured
MAIL_TIMEOUT = 10

# Absolute links in mail (invitations, password reset) when no request is at hand.
PUBLIC_URL = None

BABEL_DEFAULT_LOCALE = "it"
BABEL_DEFAULT_TIMEZONE = "Europe/Rome"
LANGUAGES = {"it": "Italiano", "en": "English"}

# Plain environment variables that deployments conventionally use, besides FLASK_*.
_PLAIN_ENV = (
    "SECRET_KEY",
    "DATABASE_URL",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "PUBLIC_URL",
)


def apply_plain_environment(config: dict, environ: os._Environ | dict) -> None:
    for name in _PLAIN_ENV:
        value = environ.get(name)
        if value is None or value == "":
            continue
        if name == "DATABASE_URL":
            config["SQLALCHEMY_DATABASE_URI"] = value
        elif name == "MAIL_PORT":
            config[name] = int(value)
        elif name in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
            config[name] = value.lower() in ("1", "true", "yes", "on")
        else:
            config[name] = value


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and use psycopg 3 for all of them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def finalise(app: Flask) -> None:
    config = app.config
    uri = config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        os.makedirs(app.instance_path, exist_ok=True)
        uri = "sqlite:///" + os.path.join(app.instance_path, "tavolo.db")
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(uri)
    if config.get("MAIL_OUTBOX") is None:
        config["MAIL_OUTBOX"] = not config.get("MAIL_SERVER")
    if config["SECRET_KEY"] in (None, "", DEV_SECRET_KEY) and not (app.debug or app.testing):
        raise RuntimeError(
            "SECRET_KEY is not set. Set SECRET_KEY (or FLASK_SECRET_KEY) in the environment "
            "or in instance/config.py before serving Tavolo; `make run` writes one for you."
        )
