"""Rate limits per address and per account in front of sign-in, password reset, invitations and
the second factor (Flask-Limiter), answered with an Italian page that keeps the form.

Two layers, on purpose:

- ``workspace.accounts.service`` counts *failed* sign-ins and reset requests in the database
  (``LoginAttempt``): every worker and every server sees the same rows, with or without Redis.
  That is the per-account lockout, and it stays.
- This module limits the *rate of requests* (successful or not) per client address and, where
  the form names an account, per normalised e-mail: a flood costs a hash or a mail each time,
  and token links must not be guessed by trying. ``REDIS_URL`` set: the counts live in Redis and
  every server shares them. Unset: in the memory of each worker process, so with N workers a
  client gets up to N times the limit; the database lockout above is then what all of them
  share. If Redis stops answering, the counts fall back to memory (logged), never a 500.

The limits are settings (``RATELIMIT_*`` in workspace.config, "10 per minute;50 per hour"
strings) applied by endpoint name from one table, ``RULES``, after every blueprint is
registered: the views do not know about them. An endpoint of the table that the app lacks is
skipped (and listed by ``init_app``). Windows are moving (``RATELIMIT_STRATEGY``, default
"moving-window"): no burst of twice the limit across the turn of a minute. Each app has a
Limiter of its own (Flask-Limiter keeps its storage on the Limiter object, not per app), so a
new app, a test's for instance, starts from fresh counts in memory.

Over the limit: 429, ``Retry-After``, and the same page the person was on with the message in
its error summary (the form keeps what was typed, passwords apart), or its htmx fragment; other
endpoints get the friendly error page or fragment. Nothing is audited (a flood would fill the
log): one warning is logged per limit and key per window.
"""

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItemPerSecond

log = logging.getLogger(__name__)

EXTENSION = "tavolo_limiter"


def client_address() -> str:
    """The client's address as ProxyFix left it; an IPv6 client counts by its /64 network,
    since one household or one attacker holds a whole /64."""
    raw = get_remote_address() or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _address_key() -> str:
    return "address:" + client_address()


def form_email() -> str:
    """The account a POST names: its e-mail field, normalised as the accounts service does.
    Flask-WTF reads a JSON body as well as a form, so the e-mail is looked for in both: a JSON
    post must not slip past the per-account limit."""
    email = request.form.get("email")
    if email is None:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return (email if isinstance(email, str) else "").strip().lower()[:254]


def _invitation_in_path() -> str:
    invitation_id = (request.view_args or {}).get("invitation_id")
    return "" if invitation_id is None else f"invitation:{invitation_id}"


# --- the pages that answer 429 --------------------------------------------------------------


def _login_page(message: str):
    from workspace.accounts.forms import LoginForm
    from workspace.rendering import render

    return render(
        "accounts/login.html",
        "accounts/_login_form.html",
        form=LoginForm(),
        error=message,
        status=429,
    )


def _forgot_page(message: str):
    from workspace.accounts.forms import ForgotPasswordForm
    from workspace.rendering import render

    return render(
        "accounts/forgot.html",
        "accounts/_forgot_form.html",
        form=ForgotPasswordForm(),
        error=message,
        status=429,
    )


def _reset_page(message: str):
    """The new-password form again, without looking the token up: a throttled guesser learns
    nothing about the link it tried."""
    from flask import make_response, render_template

    from workspace.accounts.forms import NewPasswordForm

    form = NewPasswordForm()
    form.password.errors = [message]
    token = (request.view_args or {}).get("token", "")
    response = make_response(render_template("accounts/reset.html", form=form, token=token), 429)
    response.vary.add("HX-Request")
    return response


def _invitation_form_page(message: str):
    from workspace.invitations.routes import invitation_form
    from workspace.rendering import render

    form = invitation_form()
    form.email.errors = [message]
    return render("invitations/new.html", "invitations/_form.html", form=form, status=429)


def _error_page(message: str):
    from workspace.errors import render_error

    return render_error(429, _("Troppi tentativi"), message)


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    endpoint: str
    methods: tuple[str, ...]
    per_address: str  # the setting with the limits per client address
    per_account: str | None = None  # the setting with the limits per account ...
    account: Callable[[], str] | None = None  # ... and what names the account ("" = none)
    kind: str = "login"  # which message (see _messages)
    page: Callable[[str], object] = _error_page


RULES = (
    Rule(
        "accounts.login",
        ("POST",),
        "RATELIMIT_LOGIN",
        "RATELIMIT_LOGIN_ACCOUNT",
        form_email,
        page=_login_page,
    ),
    # The second step of sign-in: its failures count in the database per account (LoginAttempt),
    # so only the address is limited here.
    Rule("twofactor.verify", ("POST",), "RATELIMIT_LOGIN"),
    Rule(
        "accounts.forgot_password",
        ("POST",),
        "RATELIMIT_RESET",
        "RATELIMIT_RESET_ACCOUNT",
        form_email,
        kind="reset",
        page=_forgot_page,
    ),
    # Links with a token: opening them (GET, or HEAD, which answers the same status) tells a
    # valid token from a wrong one as well as posting does, so all count.
    Rule(
        "accounts.reset_password",
        ("GET", "HEAD", "POST"),
        "RATELIMIT_LINK",
        kind="link",
        page=_reset_page,
    ),
    Rule("invitations.accept", ("GET", "HEAD", "POST"), "RATELIMIT_LINK", kind="link"),
    # Forms of a signed-in person that check the password again: a stolen session must not
    # become a way to guess it.
    Rule("accounts.change_password", ("POST",), "RATELIMIT_LOGIN"),
    Rule("twofactor.disable", ("POST",), "RATELIMIT_LOGIN"),
    Rule("twofactor.enrol", ("POST",), "RATELIMIT_LOGIN"),
    Rule("twofactor.regenerate_codes", ("POST",), "RATELIMIT_LOGIN"),
    Rule(
        "invitations.create",
        ("POST",),
        "RATELIMIT_INVITATION",
        "RATELIMIT_INVITATION_ACCOUNT",
        form_email,
        kind="invitation",
        page=_invitation_form_page,
    ),
    Rule(
        "invitations.resend",
        ("POST",),
        "RATELIMIT_INVITATION",
        "RATELIMIT_INVITATION_ACCOUNT",
        _invitation_in_path,
        kind="invitation",
    ),
)
RULES_BY_ENDPOINT = {rule.endpoint: rule for rule in RULES}


def _messages() -> dict[str, str]:
    return {
        "login": _("Troppi tentativi di accesso in poco tempo."),
        "reset": _(
            "Troppe richieste di una nuova password in poco tempo: se hai già chiesto il link, "
            "controlla anche la posta indesiderata."
        ),
        "link": _("Troppi link aperti in poco tempo da questa connessione."),
        "invitation": _(
            "Troppi inviti in poco tempo per questo indirizzo e-mail o da questa connessione."
        ),
    }


def message(kind: str, seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    wait = ngettext("Riprova tra %(num)d minuto.", "Riprova tra %(num)d minuti.", minutes)
    return f"{_messages().get(kind, _messages()['login'])} {wait}"


# --- wiring ---------------------------------------------------------------------------------


def storage_uri(config) -> str:
    return config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"


def _log_once_per_window(limit) -> None:
    """A warning the first time a limit is passed in its window, not on every refused request
    (the storage remembers it, so with Redis once for all servers)."""
    limiter: Limiter = current_app.extensions[EXTENSION]
    window = RateLimitItemPerSecond(1, max(1, limit.limit.get_expiry()))
    try:
        first = limiter.limiter.hit(window, "throttling-logged", limit.key)
    except Exception:  # noqa: BLE001 (storage down: log anyway)
        first = True
    if first:
        log.warning(
            "rate limit %s passed at %s from %s",
            limit.limit,
            request.endpoint,
            client_address(),
        )


def _retry_after(limiter: Limiter) -> int:
    breached = [limit for limit in limiter.current_limits if limit.breached]
    current = breached[0] if breached else limiter.current_limit
    if current is None:
        return 60
    try:
        return max(1, int(current.reset_at - time.time()))
    except Exception:  # noqa: BLE001 (storage down: a minute is a fair guess)
        return 60


def _too_many_requests(error: RateLimitExceeded):
    limiter: Limiter = current_app.extensions[EXTENSION]
    seconds = _retry_after(limiter)
    rule = RULES_BY_ENDPOINT.get(request.endpoint or "")
    text = message(rule.kind if rule else "login", seconds)
    response = (rule.page if rule else _error_page)(text)
    response.headers["Retry-After"] = str(seconds)
    return response


def _limits(rule: Rule, limiter: Limiter, config) -> list:
    decorators = [
        limiter.limit(
            config[rule.per_address],
            key_func=_address_key,
            methods=list(rule.methods),
            on_breach=_log_once_per_window,
        )
    ]
    if rule.per_account and rule.account:
        account = rule.account

        decorators.append(
            limiter.limit(
                config[rule.per_account],
                key_func=lambda: "account:" + account(),
                methods=list(rule.methods),
                exempt_when=lambda: not account(),
                on_breach=_log_once_per_window,
            )
        )
    return decorators


def init_app(app: Flask) -> list[str]:
    """Apply ``RULES`` to the app's views; call once every blueprint is registered. Returns
    the endpoints of the table that the app does not have (skipped)."""
    config = app.config
    limiter = Limiter(
        key_func=_address_key,
        storage_uri=storage_uri(config),
        storage_options=config.get("RATELIMIT_STORAGE_OPTIONS") or {},
        key_prefix=config.get("RATELIMIT_KEY_PREFIX") or "tavolo",
        strategy=config.get("RATELIMIT_STRATEGY") or "moving-window",
        headers_enabled=True,
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        enabled=bool(config.get("RATELIMIT_ENABLED", True)),
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    missing = []
    for rule in RULES:
        view = app.view_functions.get(rule.endpoint)
        if view is None:
            missing.append(rule.endpoint)
            continue
        if not limiter.enabled:
            continue
        for decorator in _limits(rule, limiter, config):
            view = decorator(view)
        app.view_functions[rule.endpoint] = view
    if missing:
        log.info("rate limits not applied, no such endpoint: %s", ", ".join(missing))
    return missing
