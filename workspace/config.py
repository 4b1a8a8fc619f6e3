"""Default settings and the rules that complete them once every layer has been read."""

import os
from datetime import timedelta
from urllib.parse import urlsplit

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
# MAIL_OUTBOX is true (by default in debug, in tests and whenever no MAIL_SERVER is set).
MAIL_SERVER = None
MAIL_PORT = 587
MAIL_USE_TLS = True
MAIL_USE_SSL = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "Tavolo <tavolo@localhost>"
MAIL_OUTBOX = None  # None: debug or testing or no MAIL_SERVER
MAIL_TIMEOUT = 10

# Where people reach Tavolo, e.g. "https://tavolo.provincia.example.it": the absolute links in
# mail (invitations, password reset) are built on it, never on the request's Host header, which
# the sender of the request chooses. Required outside debug and tests.
PUBLIC_URL = None
# Host names the app answers to (Flask rejects any other Host header with 400); None: any.
TRUSTED_HOSTS = None

# Behind a reverse proxy: how many proxies set each X-Forwarded-* header (werkzeug's ProxyFix).
# 0, the default, trusts none of them: a client could claim any address or scheme.
PROXY_FIX_X_FOR = 0
PROXY_FIX_X_PROTO = 0
PROXY_FIX_X_HOST = 0
PROXY_FIX_X_PORT = 0
PROXY_FIX_X_PREFIX = 0

# Attachments on messages: at most this many bytes each. They are kept in the database unless
# ATTACHMENTS_FOLDER names a folder (relative: in the instance folder) that every server shares.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_FOLDER = None

# The largest request body, in bytes: beyond it werkzeug answers 413 (a friendly error page)
# without reading the rest, so nobody can make a worker read and parse a body of any size.
# None: worked out at start-up from ATTACHMENT_MAX_BYTES, to fit the largest legitimate
# request, a message with 5 attachments (attachments.service.MAX_PER_MESSAGE) at the limit,
# plus 2 MB for the rest of the form; at the defaults 52 MB. A document at its size limit
# (500,000 characters, up to 6 MB URL-encoded) fits as well. A reverse proxy in front needs
# at least as much (nginx: client_max_body_size).
MAX_CONTENT_LENGTH = None

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
    "TRUSTED_HOSTS",
    "PROXY_FIX_X_FOR",
    "PROXY_FIX_X_PROTO",
    "PROXY_FIX_X_HOST",
    "PROXY_FIX_X_PORT",
    "PROXY_FIX_X_PREFIX",
)


def apply_plain_environment(config: dict, environ: os._Environ | dict) -> None:
    for name in _PLAIN_ENV:
        value = environ.get(name)
        if value is None or value == "":
            continue
        if name == "DATABASE_URL":
            config["SQLALCHEMY_DATABASE_URI"] = value
        elif name == "MAIL_PORT" or name.startswith("PROXY_FIX_"):
            config[name] = int(value)
        elif name == "TRUSTED_HOSTS":
            config[name] = [host.strip() for host in value.split(",") if host.strip()]
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
    if config.get("MAX_CONTENT_LENGTH") is None:
        config["MAX_CONTENT_LENGTH"] = request_size_limit(config["ATTACHMENT_MAX_BYTES"])
    if config.get("MAIL_OUTBOX") is None:
        config["MAIL_OUTBOX"] = bool(app.debug or app.testing or not config.get("MAIL_SERVER"))
    if config["SECRET_KEY"] in (None, "", DEV_SECRET_KEY) and not (app.debug or app.testing):
        raise RuntimeError(
            "SECRET_KEY is not set. Set SECRET_KEY (or FLASK_SECRET_KEY) in the environment "
            "or in instance/config.py before serving Tavolo; `make run` writes one for you."
        )
    config["PUBLIC_URL"] = normalise_public_url(config.get("PUBLIC_URL"))
    if config["PUBLIC_URL"] is None and not (app.debug or app.testing):
        raise RuntimeError(
            "PUBLIC_URL is not set. Set PUBLIC_URL to the address people use to reach Tavolo, "
            "for example https://tavolo.provincia.example.it: links in invitation and password "
            "reset mail are built on it."
        )


ATTACHMENTS_PER_MESSAGE = 5  # attachments.service.MAX_PER_MESSAGE (tests check they agree)
_FORM_ALLOWANCE = 2 * 1024 * 1024
_DOCUMENT_REQUEST_BYTES = 6 * 1024 * 1024  # 500,000 characters of 4 bytes, URL-encoded


def request_size_limit(attachment_max_bytes: int) -> int:
    """The default MAX_CONTENT_LENGTH: the largest message with attachments, or a document."""
    return max(
        ATTACHMENTS_PER_MESSAGE * int(attachment_max_bytes) + _FORM_ALLOWANCE,
        _DOCUMENT_REQUEST_BYTES,
    )


def normalise_public_url(url: str | None) -> str | None:
    """``https://host[/prefix]`` without a trailing slash; refuse anything else at start-up."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise RuntimeError(
            f"PUBLIC_URL must look like https://tavolo.example.it (optionally with a path), "
            f"not {url!r}."
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
