"""One helper decides between a full page and an htmx fragment.

A fragment only for a non-boosted htmx request (and, when the caller names the element it
renders, only when HX-Target asks for that element). Every response says ``Vary: HX-Request``
so that caches keep the two apart. The page template includes the same partial, and a fragment
carries the pending flash messages out of band into the page's alert area.
"""

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
        body = render_template(fragment, **context)
        if _has_flashes():
            body += render_template("_alerts.html", oob=True)
    else:
        body = render_template(page, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


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
