"""Vendored front-end assets and the htmx settings that the strict CSP needs.

htmx 2.0.11, from the npm package htmx.org@2.0.11 (dist/htmx.min.js), served as
static/js/htmx-2.0.11.min.js; its sha256 is HTMX_SHA256 below (checked by
tests/test_pages_and_errors.py).
"""

from flask import Flask

HTMX_FILE = "htmx-2.0.11.min.js"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"

HTMX_CONFIG = {
    # No eval, no script tags from responses, no copies of pages in localStorage.
    "allowEval": False,
    "allowScriptTags": False,
    "historyCacheSize": 0,
    # htmx would otherwise add an inline <style>, which the CSP forbids: ours is in tavolo.css.
    "includeIndicatorStyles": False,
    "selfRequestsOnly": True,
    # Form errors (422) and error pages are swapped too, so a failed request never leaves a
    # blank or stale region; error responses are retargeted to #alerts by the server.
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "422", "swap": True},
        {"code": "[45]..", "swap": True, "error": True},
    ],
}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["htmx_file"] = HTMX_FILE
    app.jinja_env.globals["htmx_config"] = HTMX_CONFIG
