"""What protects every request and response: a strict CSP and friends, requests that the
database cannot store refused up front, and the reverse-proxy headers trusted only on request.

No inline script and no style attribute anywhere, so the policy needs no 'unsafe-inline'.
"""

from flask import Flask, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

PROXY_FIX_SETTINGS = {
    "x_for": "PROXY_FIX_X_FOR",
    "x_proto": "PROXY_FIX_X_PROTO",
    "x_host": "PROXY_FIX_X_HOST",
    "x_port": "PROXY_FIX_X_PORT",
    "x_prefix": "PROXY_FIX_X_PREFIX",
}


def _set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # Signed-in pages are not kept by browsers or proxies, except where a view chose a policy
    # itself (a poll answered with an ETag and "private, no-cache" is revalidated: 304s).
    if (
        current_user.is_authenticated
        and not request.path.startswith("/static/")
        and "Cache-Control" not in headers
    ):
        headers["Cache-Control"] = "no-store"
    return response


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values.getlist(key)) for key in values)


def _refuse_nul_bytes():
    """A NUL character has no place in a form or a URL, and PostgreSQL cannot store it in text:
    refuse the request with a friendly 400 before any query sees it."""
    if "\x00" in request.path or _has_nul(request.args) or _has_nul(request.form):
        from workspace.errors import render_error

        return render_error(
            400,
            message=_(
                "La richiesta contiene un carattere non ammesso (il carattere nullo). "
                "Controlla quello che hai scritto o incollato e riprova."
            ),
        )
    return None


def apply_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* only from as many proxies as configured (none by default).

    Behind nginx without it every request seems to come from 127.0.0.1 over http: the
    sign-in throttling per address would count everybody together.
    """
    counts = {arg: int(app.config.get(name) or 0) for arg, name in PROXY_FIX_SETTINGS.items()}
    if any(counts.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)


def init_app(app: Flask) -> None:
    apply_proxy_fix(app)
    app.before_request(_refuse_nul_bytes)
    app.after_request(_set_headers)
