"""Every page a person can reach, in Chromium: axe finds nothing, and nothing scrolls sideways
on a 360 px phone (issue 9).

The pages are those of tests/page_catalogue.py (every GET route for each kind of person, forms
sent empty, empty, 403 and 404 pages), the same the Nu HTML checker reads: rendered by the app
in-process, then served as they are, with the app's own CSS and JavaScript, by a small static
server. Chromium opens each at 1280 px for axe (every rule, every impact level) and at 360 px
for the width. 360 px also covers 200 % zoom, which on a 1280 px screen lays a page out in
640 px. The journeys audit the pages' htmx states as people reach them.
"""

import functools
import http.server
import threading
from pathlib import Path

import pytest

from tests.page_catalogue import write_pages
from tests.test_access import world  # noqa: F401  (world is a fixture)

from .test_accessibility import PHONE_WIDTH, axe_violations

REPO_ROOT = Path(__file__).resolve().parents[2]
WIDE_ELEMENTS = """(limit) => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > limit)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (typeof e.className === 'string' && e.className ? '.' + e.className.trim() : '')
        + ' «' + e.textContent.trim().slice(0, 40) + '»'
        + ' right=' + Math.round(e.getBoundingClientRect().right))
    .slice(0, 5)"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the name is the base class's)
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the browser dropping a connection it no longer needs is not a finding


@pytest.fixture
def site(make_app, world, tmp_path):  # noqa: F811
    """The pages, served with /static/ at the root as the app serves it."""
    folder = tmp_path / "site"
    folder.mkdir()
    pages = write_pages(make_app(), world, folder)
    (folder / "static").symlink_to(REPO_ROOT / "static", target_is_directory=True)
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()


def _open(context, url: str):
    page = context.new_page()
    # The pages' own polls and delayed loads would ask this static server for routes it does
    # not have: stop htmx from sending anything, so each page is audited as it arrived.
    page.route(
        "**/*",
        lambda route: route.continue_() if _is_file(route.request.url) else route.abort(),
    )
    response = page.goto(url)
    assert response is not None and response.ok, url
    page.wait_for_load_state("load")
    return page


def _is_file(url: str) -> bool:
    path = url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
    return path.endswith(".html") or path.startswith("static/") or path == ""


def test_every_page_passes_axe_and_fits_a_phone(browser, site):
    base, pages = site
    wide = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 800})
    phone = browser.new_context(locale="it-IT", viewport={"width": PHONE_WIDTH, "height": 740})
    findings: dict[tuple[str, str], list[str]] = {}  # (rule, help) -> pages
    too_wide: list[str] = []
    try:
        for name, label in pages.items():
            page = _open(wide, f"{base}/{name}")
            for violation in axe_violations(page):
                targets = "; ".join(
                    " > ".join(map(str, node["target"])) for node in violation["nodes"][:3]
                )
                key = (violation["id"], f"[{violation['impact']}] {violation['help']}")
                findings.setdefault(key, []).append(f"{label} ({name}): {targets}")
            page.close()
            page = _open(phone, f"{base}/{name}")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE_WIDTH + 1:
                elements = ", ".join(page.evaluate(WIDE_ELEMENTS, PHONE_WIDTH + 1))
                too_wide.append(f"{label} ({name}): scrollWidth={width}; {elements}")
            page.close()
    finally:
        wide.close()
        phone.close()
    report = [
        f"- {rule} {help}: {len(where)} page(s)\n    " + "\n    ".join(where[:3])
        for (rule, help), where in findings.items()
    ]
    if too_wide:
        report.append(
            f"- wider than {PHONE_WIDTH}px: {len(too_wide)} page(s)\n    "
            + "\n    ".join(too_wide[:10])
        )
    assert not report, f"{len(pages)} pages checked:\n" + "\n".join(report)
