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

# Sessions and cookies (see workspace.accounts.sessions). The timeouts are checked on the server
# against times kept in the signed session; in the environment, give them in seconds.
SESSION_IDLE_TIMEOUT = timedelta(hours=2)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
# "Ricordami su questo computer": the session outlives the browser, with longer timeouts.
REMEMBER_IDLE_TIMEOUT = timedelta(days=3)
REMEMBER_ABSOLUTE_TIMEOUT = timedelta(days=14)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False  # True whenever PUBLIC_URL is https (finalise)
# Flask-Login's own remember-me cookie is not used; these only govern deleting an old one.
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
PERMANENT_SESSION_LIFETIME = None  # the cookie's lifetime: REMEMBER_ABSOLUTE_TIMEOUT

# Second factor (workspace.twofactor): the roles that must use it, and the AES-256-GCM key that
# encrypts the TOTP secrets, 32 bytes in URL-safe base64 (None: derived from SECRET_KEY, so
# rotating SECRET_KEY without setting this to the old derived key, twofactor.service.derived_key,
# means everybody enrolled signs in with a recovery code and enrols again).
TWO_FACTOR_REQUIRED_ROLES = ["coordinator"]
TWO_FACTOR_KEY = None
TWO_FACTOR_PENDING_LIFETIME = timedelta(minutes=5)

# CSRF tokens stay valid for the whole session: a form left open over lunch must still post.
WTF_CSRF_TIME_LIMIT = None

# Passwords: scrypt, a slow, memory-hard KDF. Werkzeug's default (N=2^15, r=8, p=1) is below
# OWASP ASVS 5.0's minimum; N=2^15 with p=3 meets it with the same 32 MiB of memory. A password
# hashed with other settings is hashed again at the person's next sign-in.
PASSWORD_HASH_METHOD = "scrypt:32768:8:3"  # noqa: S105 (a method name)
PASSWORD_MIN_LENGTH = 8

# Sign-in throttling, counted in the database so every worker sees the same numbers.
LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 20
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)

# Rate limits in front of sign-in, reset, invitations and the second factor (workspace.throttling),
# as Flask-Limiter strings; they count every request, not only failures. REDIS_URL (for example
# redis://localhost:6379/0) shares the counts among all servers; unset, each worker counts in
# its own memory and the database lockout above is what the workers share.
REDIS_URL = None
RATELIMIT_ENABLED = True
RATELIMIT_KEY_PREFIX = "tavolo"
# Per client address: generous enough for an office behind one address signing in at 9:00.
RATELIMIT_LOGIN = "30 per minute;300 per hour"
RATELIMIT_RESET = "10 per minute;50 per hour"
RATELIMIT_LINK = "20 per minute;200 per hour"  # opening invitation and reset links
RATELIMIT_INVITATION = "20 per minute;200 per hour"  # sending invitations
# Per account (the e-mail in the form; for a resend, the invitation).
RATELIMIT_LOGIN_ACCOUNT = "10 per minute;60 per hour"
RATELIMIT_RESET_ACCOUNT = "10 per minute;30 per hour"
RATELIMIT_INVITATION_ACCOUNT = "5 per minute;20 per hour"

# Search: a query that runs longer than this is stopped and the person asked for more precise
# words (PostgreSQL statement_timeout; SQLite a progress handler with the same deadline).
SEARCH_TIMEOUT_MS = 5_000

# Retention, applied by `flask prune` (run it daily): how many days each kind of record is kept.
# The audit log: never fewer than 183 (workspace.audit.service.MIN_RETENTION_DAYS).
AUDIT_RETENTION_DAYS = 365
# Notifications already read (unread ones stay until they are read).
NOTIFICATION_RETENTION_DAYS = 180
# Failed sign-ins and password-reset requests, kept for throttling.
LOGIN_ATTEMPT_RETENTION_DAYS = 30

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
    "REDIS_URL",
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
    finalise_sessions(app)


# Set by finalise in production behind https (the prefix needs Secure, Path=/ and no Domain).
HOST_COOKIE_NAME = "__Host-tavolo_session"
_DURATIONS = (
    "SESSION_IDLE_TIMEOUT",
    "SESSION_ABSOLUTE_TIMEOUT",
    "REMEMBER_IDLE_TIMEOUT",
    "REMEMBER_ABSOLUTE_TIMEOUT",
    "TWO_FACTOR_PENDING_LIFETIME",
)


def finalise_sessions(app: Flask) -> None:
    """Durations read from the environment (seconds) become timedeltas; cookies get ``Secure``
    when Tavolo is served over https, and in production the ``__Host-`` prefix."""
    config = app.config
    for name in _DURATIONS:
        if isinstance(config.get(name), int | float):
            config[name] = timedelta(seconds=config[name])
    if config.get("PERMANENT_SESSION_LIFETIME") is None:
        config["PERMANENT_SESSION_LIFETIME"] = config["REMEMBER_ABSOLUTE_TIMEOUT"]
    if isinstance(config.get("TWO_FACTOR_REQUIRED_ROLES"), str):
        config["TWO_FACTOR_REQUIRED_ROLES"] = [
            role.strip() for role in config["TWO_FACTOR_REQUIRED_ROLES"].split(",") if role.strip()
        ]
    if (config.get("PUBLIC_URL") or "").startswith("https://"):
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        if not (app.debug or app.testing):
            config["SESSION_COOKIE_NAME"] = HOST_COOKIE_NAME
            config["SESSION_COOKIE_PATH"] = "/"
            config["SESSION_COOKIE_DOMAIN"] = None


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
