"""One helper decides between a full page and an htmx fragment.

A fragment only for a non-boosted htmx request (and, when the caller names the element it
renders, only when HX-Target asks for that element). Every response says ``Vary: HX-Request``
so that caches keep the two apart. The page template includes the same partial, and a fragment
carries the pending flash messages out of band into the page's alert area.
"""

import re
import unicodedata
from urllib.parse import quote

from flask import make_response, redirect, render_template, request, session


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_fragment(target: str | None = None) -> bool:
    if not is_htmx() or request.headers.get("HX-Boosted") == "true":
        return False
    return target is None or request.headers.get("HX-Target") == target


def render(
    page: str,
    fragment: str | None = None,
    *,
    target: str | None = None,
    status: int = 200,
    **context,
):
    """``page``, or ``fragment`` for an htmx request that wants one; without a fragment, always
    the page (still with ``Vary: HX-Request``: a cache must not serve it for the other)."""
    if fragment is not None and wants_fragment(target):
        body = render_fragment(fragment, **context)
    else:
        body = render_template(page, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def render_fragment(fragment: str, **context) -> str:
    """An htmx fragment, with the pending flash messages out of band into the alert area."""
    body = render_template(fragment, **context)
    if _has_flashes():
        body += render_template("_alerts.html", oob=True)
    return body


def _has_flashes() -> bool:
    # Peek without consuming: _alerts.html consumes them when it renders.
    return bool(session.get("_flashes"))


def see_other(location: str):
    """After a successful POST: a 303 for a browser, a client-side redirect for htmx."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
    else:
        response = redirect(location, code=303)
    response.vary.add("HX-Request")
    return response


def ascii_name(filename: str) -> str:
    """A file name in ASCII letters, digits, dots and dashes (accents and other letters
    dropped): what a header's plain ``filename`` can carry."""
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9.]+", "-", folded).strip("-")


def content_disposition(filename: str, *, inline: bool = False, ascii_fallback=None) -> str:
    """``attachment`` (or ``inline``) with the file name, whatever its letters (RFC 6266).

    A header is Latin-1: a name with other letters ("guida-łodz", "guida-中文") goes in
    ``filename*`` as percent-encoded UTF-8, which every current browser reads, after an ASCII
    ``filename`` for the rest: ``ascii_fallback``, or the name folded to ASCII.
    """
    kind = "inline" if inline else "attachment"
    if filename.isascii():
        return f'{kind}; filename="{filename}"'
    fallback = ascii_fallback or ascii_name(filename) or "file"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(body: bytes, mimetype: str, filename: str, *, inline=False, ascii_fallback=None):
    """A file to save (or, ``inline``, to open): the body with its type and its name."""
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = content_disposition(
        filename, inline=inline, ascii_fallback=ascii_fallback
    )
    return response
