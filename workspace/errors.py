"""Friendly error pages; for htmx requests an error fragment shown in the alert area.

A database that cannot be used right now (see ``workspace.database.unavailable``) is a 503
with a message in Italian and ``Retry-After``; a page that was sending a form gives back what
the person typed, ready to be sent again. Nothing of it needs the database, so the page can be
shown while the database is away, and the next request finds it again by itself.
"""

from collections.abc import Callable
from contextlib import suppress

from flask import Flask, current_app, g, make_response, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

from workspace.database import unavailable
from workspace.extensions import db, login_manager
from workspace.rendering import is_htmx

# Seconds a client is asked to wait before trying again when the database is unavailable.
RETRY_AFTER = 5
# Fields of a form that are not something the person typed, or must never be written back
# into a page (passwords, one-time codes).
_NOT_GIVEN_BACK = ("password", "secret", "code", "token", "confirm")
# Where nothing is given back at all: every field there is a credential or leads to one.
_NO_RESEND_BLUEPRINTS = ("twofactor",)
_NO_RESEND_ENDPOINTS = (
    "accounts.reset_password",
    "accounts.change_password",
    "invitations.accept",
)


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Richiesta non valida"), _("La richiesta non è stata capita dal server.")),
        403: (_("Accesso non consentito"), _("Non hai i permessi per vedere questa pagina.")),
        404: (
            _("Pagina non trovata"),
            _("La pagina che cerchi non esiste o non è visibile con il tuo account."),
        ),
        405: (_("Operazione non consentita"), _("Questa operazione non è prevista qui.")),
        413: (_("Contenuto troppo grande"), _("Quello che hai inviato supera il limite.")),
        503: (
            _("Servizio momentaneamente non disponibile"),
            _(
                "Il database non risponde in questo momento. Riprova tra qualche secondo: "
                "Tavolo riprende a funzionare da solo."
            ),
        ),
        429: (
            _("Troppi tentativi"),
            _("Hai fatto troppi tentativi in poco tempo. Riprova tra qualche minuto."),
        ),
        500: (
            _("Errore del server"),
            _(
                "Si è verificato un errore imprevisto. Riprova; se continua, avvisa il "
                "coordinamento."
            ),
        ),
    }


def render_error(
    code: int,
    title: str | None = None,
    message: str | None = None,
    *,
    resend: list[tuple[str, str, bool]] | None = None,
):
    """The error page or fragment; ``resend``: the fields of a form that could not be saved,
    as (name, value, typed by the person), for the page to give back and send again."""
    default_title, default_message = _messages().get(code, _messages()[500])
    context = {
        "code": code,
        "title": title or default_title,
        "message": message or default_message,
        "resend": resend or [],
    }
    if request_ctx.url_adapter is None:
        # No URL can be built for this request (its Host is not one of TRUSTED_HOSTS): a short
        # text instead of the layout, which is all links.
        response = make_response(f"{context['title']}. {context['message']}", code)
        response.mimetype = "text/plain"
    elif is_htmx():
        response = make_response(render_template("errors/_error.html", **context), code)
        response.headers["HX-Retarget"] = "#alerts"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = make_response(render_template("errors/page.html", **context), code)
    # The same URL answers htmx with a fragment and a browser with a page: caches keep both.
    response.vary.add("HX-Request")
    return response


def _form_to_resend() -> list[tuple[str, str, bool]]:
    """The posted form's fields, as (name, value, typed), without passwords and codes.

    ``typed``: text the person wrote (shown, editable); the rest (the CSRF token, the revision
    the editor started from) goes back unseen, so that sending again is the same request.
    """
    if (
        request.blueprint in _NO_RESEND_BLUEPRINTS
        or request.endpoint in _NO_RESEND_ENDPOINTS
        or request.method != "POST"
    ):
        return []
    if request.mimetype not in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return []
    try:
        items = list(request.form.items(multi=True))
    except Exception:  # a body that cannot be read has nothing to give back
        return []
    fields = []
    for name, value in items:
        folded = name.casefold()
        if any(word in folded for word in _NOT_GIVEN_BACK) and folded != "csrf_token":
            continue
        typed = folded not in ("csrf_token", "editor", "base", "section", "next") and bool(
            value.strip()
        )
        fields.append((name, value, typed and not value.strip().isdigit()))
    return fields if any(typed for _name, _value, typed in fields) else []


def register_unavailable_fragment(app: Flask, target: str, fragment: Callable[[], str | None]):
    """What the region with id ``target`` shows, instead of the alert, when the request it
    sent (HX-Target) found the database away; ``fragment`` may decline with None. For a
    region that says how something is going (the editor's autosave status)."""
    app.extensions.setdefault("unavailable_fragments", {})[target] = fragment


def _own_fragment() -> str | None:
    target = request.headers.get("HX-Target")
    fragment = current_app.extensions.get("unavailable_fragments", {}).get(target)
    return fragment() if fragment is not None else None


def database_unavailable(error: Exception):
    """503 in Italian for a database that is away for now; any other database error is a 500."""
    with suppress(Exception):  # the connection may be gone: the session is discarded anyway
        db.session.rollback()
    if not unavailable(error):
        current_app.logger.exception("Database error", exc_info=error)
        return render_error(500)
    current_app.logger.warning("Database unavailable (%r): %s", request.path, error)
    # The page must not ask the database who is signed in (nor their notifications): it is
    # shown as to a visitor. Flask-Login reads the user it loaded from ``g``.
    g._login_user = login_manager.anonymous_user()
    fragment = _own_fragment() if is_htmx() else None
    if fragment is not None:
        response = make_response(fragment, 503)
        response.vary.add("HX-Request")
    else:
        response = render_error(503, resend=None if is_htmx() else _form_to_resend())
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def register_error_handlers(app: Flask) -> None:
    for kind in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.register_error_handler(kind, database_unavailable)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            _("Sessione scaduta"),
            _(
                "Il modulo è rimasto aperto troppo a lungo o la sessione è scaduta. "
                "Ricarica la pagina e riprova: quello che avevi scritto è ancora nel modulo "
                "se torni indietro."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        # A description given with abort(code, "...") is a message for the person.
        own = error.description if error.description != type(error).description else None
        return render_error(error.code, message=own)

    @app.errorhandler(InternalServerError)
    def server_error(error):
        db.session.rollback()
        return render_error(500)
