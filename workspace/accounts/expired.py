"""What a request without a valid session gets: the sign-in page, or for htmx a message.

A page asks for the sign-in page. An htmx request (a draft being kept while someone types, a
presence poll) must not swap the sign-in page into a corner of the editor, nor move the
focus away from the text: it gets a polite message in the alert area saying that what is on
the screen is still there, with a link to sign in again in another tab.
"""

from urllib.parse import urlsplit

from flask import Flask, current_app, make_response, redirect, render_template, request, url_for
from flask_login.utils import login_url

from workspace.rendering import is_htmx


def _path_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def unauthorized():
    view = current_app.login_manager.login_view
    if is_htmx():
        page = _path_of(request.headers.get("HX-Current-URL") or request.referrer)
        body = render_template(
            "accounts/_session_expired.html",
            login_url=url_for(view, next=page) if page else url_for(view),
        )
        response = make_response(body, 401)
        response.headers["HX-Retarget"] = "#alerts"
        response.headers["HX-Reswap"] = "innerHTML"
        response.vary.add("HX-Request")
        return response
    return redirect(login_url(view, next_url=request.url))


def init_app(app: Flask) -> None:
    app.login_manager.unauthorized_handler(unauthorized)
