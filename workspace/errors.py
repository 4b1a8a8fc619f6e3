"""Friendly error pages; for htmx requests an error fragment shown in the alert area."""

from flask import Flask, make_response, render_template
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from workspace.extensions import db
from workspace.rendering import is_htmx


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


def render_error(code: int, title: str | None = None, message: str | None = None):
    default_title, default_message = _messages().get(code, _messages()[500])
    context = {"code": code, "title": title or default_title, "message": message or default_message}
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


def register_error_handlers(app: Flask) -> None:
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
