"""A corpus of XSS payloads through every field a person can fill, checked in real Chromium.

The payloads are in xss_payloads.txt. Each one, were it to run, calls ``__xss(n)`` or
``alert(n)``; a detector installed in every page of the browser context (before any of the
page's scripts) records the calls, and the test also listens for dialogs and for the console.
Execution is not the only failure: after each page loads (and after each htmx swap the test
triggers), the DOM is searched for what a payload would leave if it had been taken for markup
(an element carrying ``data-xss-probe``, any ``on…`` attribute, an inline script, a frame, a
``javascript:`` or ``data:`` address), and the text for a template that was evaluated
(``49xss``). A payload that never fires (an ``onmouseover``, a link nobody clicks) is caught
that way all the same.

The main pass runs with ``bypass_csp=True``: what is proved is the output encoding and the
sanitiser, not the Content Security Policy, which would otherwise hide a hole. A smaller pass
with the CSP on then checks that no page even triggers a CSP violation.

This module runs its own live server (same recipe as the shared one in conftest.py): it renames
the demo people and fills every list with payloads, which the other journeys must not see.
Everything is filled through the application's own routes (HTTP with the signed-in browser's
cookies, forms read from the pages so that their hidden fields and defaults are the real ones);
a few fields go through the real forms in the browser, where htmx swaps the answer in.

To keep the run short the payloads are packed (see ``packs``): a title holds three or four, a
Markdown text all of them, so a dozen documents, threads and meetings carry the whole corpus in
every field. The fields: a person's name and organisation (by the coordinator and in the
profile), a service's name, district and ASL, a group's name and purpose, an invitation's name
and organisation, a document's title, description, text, edit note and approval note, a
thread's title, its messages (new, reply, edit, @mentions of people named by payloads) and the
names of attached files, a meeting's title, place, online link and cancellation reason, agenda
items, guests (name, organisation), the minutes, decisions, actions and their closing notes,
comments on the minutes, search words, the activity filters and the URL parameters that pages
echo. Invitations have no message field to fill.
"""

import re
import secrets
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from playwright.sync_api import BrowserContext, FormData, expect

from .conftest import serve
from .pages import (
    DEMO_PASSWORD,
    EditorPage,
    LoginPage,
    MeetingPage,
    NewThreadPage,
    ProfilePage,
    SearchPage,
    ThreadPage,
)

CORPUS = Path(__file__).with_name("xss_payloads.txt")
REPO_ROOT = Path(__file__).resolve().parents[2]
PREPARE = """
import flask_migrate
from workspace import create_app
from workspace.demo import load_demo_data
with create_app().app_context():
    flask_migrate.upgrade()
    load_demo_data()
"""
ROME = ZoneInfo("Europe/Rome")

COORDINATOR = "coordinatrice@tavolo.example"  # Laura Bianchi: fills (almost) everything
VIEWER = "giulia.ferri@tavolo.example"  # keeps her name: she is mentioned and notified
VIEWER_HANDLE = "giulia.ferri"
RENAMED = [  # their names become payloads
    "paolo.conti@tavolo.example",
    "sara.galli@tavolo.example",
    "davide.moretti@tavolo.example",
    "elena.marchi@tavolo.example",
    "marco.riva@tavolo.example",
]
LAB = "Laboratorio XSS"
PDF = b"%PDF-1.4\n%%EOF\n"
# A GIF header that is also the start of a page with a script.
POLYGLOT = b"GIF89a/*<svg onload=__xss(900)>*/=1;<script>__xss(901)</script><html>"


def load_payloads() -> list[str]:
    payloads = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("# ") or line == "#":
            continue
        payloads.append(line.replace("§", str(len(payloads) + 1)))
    return payloads


PAYLOADS = load_payloads()


def packs(limit: int, sep: str = " ") -> list[str]:
    """The payloads packed, in order, into values of at most ``limit`` characters: a title of
    200 characters carries three or four payloads, a text of 2000 all of them in two parts.
    Where a payload stands in the value changes nothing about how it must be encoded, and the
    corpus fills a few objects rather than one per payload (a payload longer than the field is
    left out: the form would refuse it, which proves nothing about encoding)."""
    values, current = [], ""
    for payload in PAYLOADS:
        if len(payload) > limit:
            continue
        candidate = f"{current}{sep}{payload}" if current else payload
        if len(candidate) <= limit:
            current = candidate
        else:
            values.append(current)
            current = payload
    return [*values, current]


def cycle(values: list[str], index: int) -> str:
    return values[index % len(values)]


ALL = "\n\n".join(PAYLOADS)  # one paragraph each, for the Markdown texts


# -- The detector ------------------------------------------------------------------------------

DETECTOR = """
(() => {
  const report = (what) => console.log('XSS-FIRED ' + what + ' @ ' + location.href);
  window.__xss = (n) => report('__xss(' + n + ')');
  document.addEventListener('securitypolicyviolation', (event) => {
    console.log('CSP-VIOLATION ' + event.violatedDirective + ' ' + (event.sample || '')
      + ' @ ' + location.href);
  });
})();
"""

# What a payload leaves in the DOM when it was taken for markup. The application's own pages
# have none of these (the strict CSP would forbid most of them anyway): no inline handlers,
# scripts or styles, no frames, no script-like addresses.
DOM_CHECK = """
() => {
  const found = [];
  const describe = (el) => '<' + el.localName + (el.id ? '#' + el.id : '') + '>';
  const addresses = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'srcdoc',
                     'poster', 'background'];
  for (const el of document.querySelectorAll('*')) {
    for (const attribute of el.attributes) {
      const name = attribute.name.toLowerCase();
      if (name === 'data-xss-probe') found.push('element from a payload: ' + describe(el));
      else if (name.startsWith('on')) found.push('event handler ' + name + ' on ' + describe(el));
      else if (/^(data-)?hx-on/.test(name))
        found.push('htmx handler ' + name + ' on ' + describe(el));
      else if (name === 'style') found.push('style attribute on ' + describe(el));
      else if (addresses.includes(name)) {
        const value = attribute.value.replace(/[\\x00-\\x20\\x7f-\\xa0]+/g, '').toLowerCase();
        if (/^(javascript|data|vbscript):/.test(value) || name === 'srcdoc')
          found.push(name + '="' + attribute.value.slice(0, 60) + '" on ' + describe(el));
      }
    }
    if (el.localName === 'script' && !el.src) found.push('inline script');
    if (['iframe', 'frame', 'object', 'embed', 'base', 'math', 'style'].includes(el.localName))
      found.push('element ' + describe(el));
    if (['meta', 'link'].includes(el.localName) && el.closest('body'))
      found.push(describe(el) + ' in the body');
  }
  const text = document.body ? document.body.textContent : '';
  if (/49xss/.test(text)) found.push('a template was evaluated (49xss)');
  if (/<Config |SECRET_KEY/.test(text)) found.push('the configuration was rendered');
  return found;
}
"""


@dataclass
class Findings:
    """What ran or rendered, where: collected across a test, reported together at the end."""

    items: list[str] = field(default_factory=list)
    pages: int = 0

    def add(self, where: str, what: str) -> None:
        line = f"{where}: {what}"
        if line not in self.items:
            self.items.append(line)

    def assert_none(self) -> None:
        assert not self.items, f"{len(self.items)} finding(s) on {self.pages} pages:\n" + (
            "\n".join(self.items)
        )


class Watched:
    """A browser context signed in as one person, with the detector in each of its pages."""

    def __init__(self, browser, base_url: str, findings: Findings, *, bypass_csp: bool = True):
        self.base_url = base_url
        self.findings = findings
        self.context: BrowserContext = browser.new_context(
            base_url=base_url, locale="it-IT", bypass_csp=bypass_csp
        )
        self.context.set_default_timeout(10_000)
        self.context.add_init_script(DETECTOR)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("dialog", self._dialog)

    def _console(self, message) -> None:
        text = message.text
        if text.startswith(("XSS-FIRED", "CSP-VIOLATION")):
            self.findings.add(self.page.url, text)

    def _dialog(self, dialog) -> None:
        self.findings.add(self.page.url, f"a {dialog.type} dialog opened: {dialog.message!r}")
        dialog.dismiss()

    def sign_in(self, email: str) -> "Watched":
        LoginPage(self.page).goto().login(email, DEMO_PASSWORD)
        return self

    def check(self, where: str | None = None) -> None:
        for what in self.page.evaluate(DOM_CHECK):
            self.findings.add(where or self.page.url, what)

    def visit(self, path: str, *, statuses: Iterable[int] = (200,)) -> None:
        response = self.page.goto(path)
        self.findings.pages += 1
        status = response.status if response else 0
        if status not in statuses:
            self.findings.add(path, f"answered {status}")
        self.check(path)

    def visit_all(self, paths: Iterable[str], **options) -> None:
        for path in paths:
            self.visit(path, **options)

    def close(self) -> None:
        self.context.close()


# -- Filling through HTTP ----------------------------------------------------------------------


class Http:
    """The application's routes, called with the cookies of a signed-in browser context.

    ``submit`` reads the form from the page that shows it (hidden fields, defaults, checked
    boxes), changes the given fields and posts it, as the browser would."""

    def __init__(self, context: BrowserContext, base_url: str):
        self.request = context.request
        self.base_url = base_url
        self._csrf = None

    def get(self, path: str) -> str:
        response = self.request.get(path)
        assert response.status == 200, f"GET {path}: {response.status}"
        html = response.text()
        token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}', html)
        if token:
            self._csrf = token.group(1)
        return html

    @staticmethod
    def form(html: str, action: str):
        """The form on the page whose action is ``action`` (a path, or a pattern)."""
        document = lxml.html.fromstring(html)
        for form in document.forms:
            path = urlsplit(form.get("action") or "").path
            if path == action or re.fullmatch(action, path):
                return form
        raise AssertionError(f"no form posting to {action}")

    def submit(
        self,
        page: str,
        action: str,
        values: dict | None = None,
        *,
        html: str | None = None,
        files: Iterable[tuple[str, bytes]] = (),
    ) -> str:
        """Post the form as the page has it, with ``values`` changed; returns where the answer
        leads (its Location), or the page's path."""
        form = self.form(html if html is not None else self.get(page), action)
        fields = dict[str, list[str]]()
        for name, value in form.form_values():
            fields.setdefault(name, []).append(value)
        for name, value in (values or {}).items():
            fields[name] = [str(one) for one in (value if isinstance(value, list) else [value])]
        return self.post(urlsplit(form.get("action") or page).path, fields, files=files)

    def post(self, action: str, values: dict, *, files: Iterable[tuple[str, bytes]] = ()) -> str:
        """Post ``values`` (a value or a list of values per name) to ``action`` as a form."""
        data = FormData()
        for name, value in values.items():
            for one in value if isinstance(value, list) else [value]:
                data.append(name, str(one))
        for name, content in files:
            data.append(
                "allegati", {"name": name, "mimeType": "application/pdf", "buffer": content}
            )
        response = self.request.post(
            action,
            multipart=data,
            max_redirects=0,
            headers={
                "Origin": self.base_url,
                "Referer": self.base_url + action,
                "X-CSRFToken": self._csrf or "",
            },
        )
        # A refused form is a 422 here; a 200 with a field's error would be one all the same.
        errors = re.findall(r'class="field__error"[^>]*>(.*?)</p>', response.text(), re.S)
        assert response.status in (200, 302, 303) and not errors, (
            f"POST {action} {values!r}: {response.status}\n" + "\n".join(errors)
        )
        return urlsplit(response.headers.get("location", action)).path or action


def _ids(html: str, pattern: str) -> list[int]:
    return sorted({int(found) for found in re.findall(pattern, html)})


# -- The server and the world ------------------------------------------------------------------


def _prepare(env: dict) -> None:
    """The schema and the demo data in one process (conftest.py runs two `flask` commands)."""
    prepared = subprocess.run(
        [sys.executable, "-c", PREPARE],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert prepared.returncode == 0, prepared.stderr


@pytest.fixture(scope="module")
def xss_server(request):
    # Thirty invitations in a minute is the corpus, not an attack.
    extra = {"FLASK_RATELIMIT_ENABLED": "false"}
    with serve(request, prefix="tavolo-xss-", extra_env=extra, prepare=_prepare) as server:
        yield server


@pytest.fixture(scope="module")
def live_server(xss_server):
    """The conftest's fixtures (``new_page``, ``signed_in``) use this module's server."""
    return xss_server.url


@dataclass
class World:
    """Where the payloads are: the pages to visit."""

    lab: str  # the lab group's slug
    groups: list[str] = field(default_factory=list)  # slugs of the groups named by payloads
    people: list[int] = field(default_factory=list)
    documents: list[int] = field(default_factory=list)
    threads: list[int] = field(default_factory=list)
    meetings: list[int] = field(default_factory=list)
    minutes: list[int] = field(default_factory=list)  # the minutes' documents
    mail_run: subprocess.Popen | None = None

    def group(self, path: str = "") -> str:
        return f"/gruppi/{self.lab}{path}"


def _fill_people(http: Http, world: World) -> None:
    names = packs(120)
    index = http.get("/persone")
    by_email = {}
    for person in _ids(index, r'href="/persone/(\d+)"'):
        found = re.search(r"[\w.]+@tavolo\.example", http.get(f"/persone/{person}"))
        if found:
            by_email[found.group()] = person
    for number, email in enumerate(RENAMED):
        person = by_email[email]
        world.people.append(person)
        values = {"name": cycle(names, number)}
        if email.startswith("marco"):  # an external participant: the organisation is typed
            values["organisation"] = cycle(names, number + 1)
        http.submit(f"/persone/{person}", f"/persone/{person}", values)
    world.people.append(by_email[VIEWER])
    # The coordinator's own name, through her profile.
    http.submit("/profilo", "/profilo", {"name": cycle(names, len(RENAMED) + 1)})


def _fill_directory_groups_invitations(http: Http, world: World) -> None:
    html = http.get("/servizi/nuovo")
    for number, name in enumerate(packs(200)):
        http.submit(
            "/servizi/nuovo",
            "/servizi/nuovo",
            {
                "name": name,
                "district": cycle(packs(120), number),
                "health_authority": cycle(packs(80), number),
            },
            html=html,
        )
    html = http.get("/gruppi/nuovo")
    for name in packs(160):
        location = http.submit(
            "/gruppi/nuovo", "/gruppi/nuovo", {"name": name, "purpose": ALL}, html=html
        )
        world.groups.append(location.strip("/").split("/")[1])
    location = http.submit(
        "/gruppi/nuovo", "/gruppi/nuovo", {"name": LAB, "purpose": ALL}, html=html
    )
    assert location == world.group()
    for person in world.people:
        http.post(world.group("/componenti"), {"user_id": person, "role": "member"})

    html = http.get("/inviti/nuovo")
    services = Http.form(html, "/inviti/nuovo").inputs["service_id"].value_options
    for number, name in enumerate(packs(120)):
        # Operators of a service (named by payloads too) and external participants, whose
        # organisation is typed.
        values = {"name": name, "email": f"invito{number}@example.org"}
        if number % 2:
            values.update(role="external", organisation=cycle(packs(120), number + 1))
        else:
            values["service_id"] = services[-1 - number // 2]
        http.submit("/inviti/nuovo", "/inviti/nuovo", values, html=html)


def _fill_documents(http: Http, world: World) -> None:
    """One document per title; the first has every payload in its text."""
    for number, title in enumerate(packs(200)):
        own = ALL if number == 0 else title.replace(" ", "\n\n")
        body = f"# {title}\n\n{own}\n\n- {title}\n\n> {title}\n"
        location = http.post(
            world.group("/documenti/nuovo"), {"title": title, "description": title, "body": body}
        )
        document = int(location.rstrip("/").split("/")[-1])
        world.documents.append(document)
        edit = world.group(f"/documenti/{document}/modifica")
        http.submit(
            edit,
            edit,
            {
                "body": f"{body}\n## {title}\n\n{own} (rivisto)\n",
                "summary": cycle(packs(300), number),
            },
        )
        note = cycle(packs(2000, "\n\n"), number)
        http.post(world.group(f"/documenti/{document}/versioni/2/approva"), {"note": note})


def _fill_discussions(http: Http, world: World) -> None:
    """One thread per title, with a file named after it; the first has every payload in its
    messages."""
    for number, title in enumerate(packs(200)):
        own = ALL if number == 0 else title.replace(" ", "\n\n")
        location = http.post(
            world.group("/discussioni/nuova"),
            {
                "title": title,
                "body": f"{own}\n\n@{VIEWER_HANDLE} {title}",
                "client_token": secrets.token_urlsafe(16),
            },
            # A name keeps what follows its last "/" (the rest would be folders).
            files=[(title.replace("/", "") + ".pdf", PDF), (PAYLOADS[-1], PDF)],
        )
        thread = int(location.rstrip("/").split("/")[-1])
        world.threads.append(thread)
        page = world.group(f"/discussioni/{thread}")
        http.post(
            page + "/rispondi",
            {"body": f"> {title}\n\n**{own}**", "client_token": secrets.token_urlsafe(16)},
        )
        http.post(page + "/messaggi/1/modifica", {"body": f"{own}\n\n_{title}_ (modificato)"})
    # Mentions of the people named by payloads: their names go into the rendered Markdown.
    page = world.group(f"/discussioni/{world.threads[0]}")
    handles = re.findall(r'<option value="(@[\w.]+)"', http.get(page))
    assert len(handles) > len(RENAMED), handles
    http.post(
        page + "/rispondi",
        {"body": "Per " + ", ".join(handles), "client_token": secrets.token_urlsafe(16)},
    )


def _fill_meetings(http: Http, world: World) -> None:
    """One meeting per title; the first gets the rest: agenda, guests, minutes, decisions,
    actions, comments."""
    day = (datetime.now(ROME) + timedelta(days=3)).date().isoformat()
    new = world.group("/incontri/nuovo")
    html = http.get(new)
    for number, title in enumerate(packs(200)):
        location = http.submit(
            new,
            new,
            {
                "title": title,
                "starts_on": day,
                "starts_time": "17:00",
                "ends_at": "19:00",
                "place": cycle(packs(300), number),
                "online_url": "https://meet.example.org/" + re.sub(r"\s+", "/", title),
                "pattern": "",
            },
            html=html,
        )
        world.meetings.append(int(location.rstrip("/").split("/")[-1]))

    page = world.group(f"/incontri/{world.meetings[0]}")
    for number, title in enumerate(packs(200)):
        owner = cycle([str(person) for person in world.people], number)
        http.post(page + "/punti", {"title": title, "owner": owner, "duration": "30"})
    for number, name in enumerate(packs(120)):
        http.post(page + "/ospiti", {"name": name, "organisation": cycle(packs(200), number)})
    editor = http.post(page + "/verbale", {})
    world.minutes.append(int(editor.rstrip("/").split("/")[-2]))
    editor_html = http.get(editor)
    body = Http.form(editor_html, editor).fields.get("body") or ""
    http.submit(editor, editor, {"body": f"{body}\n\n{ALL}\n"}, html=editor_html)
    html = http.get(page)
    items = _ids(html, rf"{re.escape(page)}/punti/(\d+)/")
    for number, text in enumerate(packs(2000, "\n\n")):
        http.post(page + "/decisioni", {"text": text, "item": items[number % len(items)]})
    for number, title in enumerate(packs(300)):
        http.post(
            page + "/azioni",
            {"title": title, "owner": world.people[-1], "item": items[number % len(items)]},
        )
    http.post(page + "/verbale/in-visione", {})
    for text in packs(2000, "\n\n"):
        http.post(page + "/verbale/commenti", {"body": text})
    actions = _ids(http.get(page), rf"{re.escape(world.group('/azioni/'))}(\d+)/chiudi")
    for action, note in zip(actions, packs(2000, "\n\n"), strict=False):
        http.post(world.group(f"/azioni/{action}/chiudi"), {"note": note})
    # The last meeting is called off, with a reason.
    cancel = world.group(f"/incontri/{world.meetings[-1]}/annulla")
    http.post(cancel, {"reason": packs(300)[0]})


@pytest.fixture(scope="module")
def world(browser, xss_server):
    base = xss_server.url
    # The viewer asks for her mail at once, before anything happens to her.
    viewer = Watched(browser, base, Findings()).sign_in(VIEWER)
    Http(viewer.context, base).submit(
        "/notifiche/preferenze", "/notifiche/preferenze", {"mode": "immediate"}
    )
    viewer.close()

    laura = Watched(browser, base, Findings()).sign_in(COORDINATOR)
    http = Http(laura.context, base)
    http.get("/")  # the CSRF token
    world = World(lab="laboratorio-xss")
    for fill in (
        _fill_people,
        _fill_directory_groups_invitations,
        _fill_documents,
        _fill_discussions,
        _fill_meetings,
    ):
        fill(http, world)
    laura.close()
    # The mail run goes on while the pages are visited; test_mail_bodies waits for it.
    world.mail_run = subprocess.Popen(
        [sys.executable, "-m", "flask", "send-notifications"],
        env=xss_server.env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield world
    if world.mail_run.poll() is None:  # test_mail_bodies did not run
        world.mail_run.communicate(timeout=120)


# -- The passes --------------------------------------------------------------------------------


@pytest.fixture
def findings():
    return Findings()


@pytest.fixture
def watched(browser, xss_server, findings):
    opened = []

    def open_as(email: str | None = COORDINATOR, *, bypass_csp: bool = True) -> Watched:
        session = Watched(browser, xss_server.url, findings, bypass_csp=bypass_csp)
        opened.append(session)
        return session.sign_in(email) if email else session

    yield open_as
    for session in opened:
        session.close()


def test_the_detector_sees_what_it_is_there_for(watched, findings):
    """A clean run means something only if the detector sees a hole: here the payloads go
    into a page unescaped, and it must report them run and rendered."""
    session = watched(None)
    session.page.goto("/salute")
    # With what xss{{7*7}}xss would read once evaluated.
    raw = f"<!doctype html><title>t</title><body>\n{ALL}\n<p>xss49xss</p></body>"
    session.page.set_content(raw)
    session.page.wait_for_timeout(300)  # handlers of images that fail to load, toggles
    session.check("raw payloads")
    seen = "\n".join(findings.items)
    for expected in (
        "XSS-FIRED __xss(1)",  # a script
        "XSS-FIRED __xss(2)",  # an event handler
        "alert dialog opened",
        "element from a payload: <img>",
        "event handler onerror",
        'href="javascript:__xss(21)"',
        "element <iframe>",
        "a template was evaluated",
    ):
        assert expected in seen, f"the detector missed {expected!r}:\n{seen}"


def test_pages_of_the_table(world, watched, findings):
    """People, services, groups, invitations, the coordinator's pages."""
    laura = watched()
    laura.visit_all(
        [
            "/",
            "/gruppi/",
            "/servizi/",
            "/persone",
            "/profilo",
            "/inviti",
            "/panoramica",
            "/registro",
            "/calendario/",
            "/notifiche/preferenze",
        ]
    )
    laura.visit_all(f"/persone/{person}" for person in world.people)
    laura.visit_all(f"/gruppi/{slug}" for slug in world.groups)
    laura.visit(f"/gruppi/{world.groups[0]}/modifica")
    laura.visit_all(
        world.group(path)
        for path in ("", "/modifica", "/documenti/", "/discussioni/", "/incontri/", "/azioni/")
    )
    findings.assert_none()


def test_documents(world, watched, findings):
    """Every title on its document's page; the text with every payload on every page of its
    document: history, compare, who wrote what, an old version, print, details, review,
    the editor."""
    laura = watched()
    laura.visit_all(world.group(f"/documenti/{document}") for document in world.documents[1:])
    base = world.group(f"/documenti/{world.documents[0]}")
    laura.visit_all(
        [
            base,
            base + "/versioni",
            base + "/confronta?da=1&a=2",
            base + "/confronta?da=1&a=2&vista=affiancata",
            base + "/versioni/2/autori",
            base + "/versioni/1",
            base + "/versioni/2/stampa",
            base + "/dettagli",
            base + "/revisione",
            base + "/modifica",
        ]
    )
    laura.visit(base + "/presenza")  # Laura has the editor open: her name is in it
    # A discussion about one of its sections, whose title is a payload.
    laura.visit(base)
    laura.visit(laura.page.locator("a.toc__edit").first.get_attribute("href"))
    findings.assert_none()
    # The payloads are there, as text.
    laura.page.goto(base)
    main = laura.page.get_by_role("main")
    for payload in (PAYLOADS[0], PAYLOADS[9], PAYLOADS[-1]):
        expect(main).to_contain_text(payload)
    # The downloads are files to save, never pages.
    minutes = world.group(f"/incontri/{world.meetings[0]}")
    for path, kind in (
        (base + "/versioni/2/scarica.md", "text/markdown"),
        (base + "/versioni/2/scarica.docx", "application/vnd.openxmlformats"),
        (minutes + "/verbale.docx", "application/vnd.openxmlformats"),
        (minutes + "/incontro.ics", "text/calendar"),
        (world.group("/archivio.zip"), "application/zip"),
    ):
        response = laura.context.request.get(path)
        assert response.status == 200, f"{path}: {response.status}"
        assert response.headers["content-type"].startswith(kind), (path, response.headers)
        assert response.headers.get("x-content-type-options") == "nosniff", path


def test_discussions(world, watched, findings):
    laura = watched()
    laura.visit_all(world.group(f"/discussioni/{thread}") for thread in world.threads)
    base = world.group(f"/discussioni/{world.threads[0]}")
    laura.visit_all(
        [
            base + "/messaggi/1/versioni",
            base + "/messaggi/1/modifica",
            base + "/nuovi?dopo=1",
            f"{base}?cita=1#rispondi",
        ]
    )
    findings.assert_none()
    laura.page.goto(base)
    expect(laura.page.get_by_role("main")).to_contain_text(PAYLOADS[1])
    # The files' names, as typed.
    files = laura.page.get_by_role("list", name="Allegati").first.get_by_role("link")
    expect(files).to_have_text([packs(200)[0].replace("/", "") + ".pdf", PAYLOADS[-1]])

    # A file that is an image and a page at once, named as a page: kept as the image it is,
    # and opened as one.
    http = Http(laura.context, laura.base_url)
    http.get(base)
    location = http.post(
        world.group("/discussioni/nuova"),
        {"title": "Poliglotta", "body": "Allegato.", "client_token": secrets.token_urlsafe(16)},
        files=[("pagina.html", POLYGLOT)],
    )
    laura.visit(location)
    image = laura.page.get_by_role("list", name="Allegati").get_by_role("link")
    expect(image).to_have_text("pagina.html.gif")
    # Chromium's own image viewer, which styles its page (so no DOM check): nothing runs.
    laura.page.goto(image.get_attribute("href"))
    assert laura.page.evaluate("document.contentType") == "image/gif"
    findings.assert_none()


def test_meetings_and_minutes(world, watched, findings):
    laura = watched()
    laura.visit_all(world.group(f"/incontri/{meeting}") for meeting in world.meetings)
    base = world.group(f"/incontri/{world.meetings[0]}")
    laura.visit_all(
        [
            base + "/verbale/stampa",
            base + "/modifica",
            world.group(f"/documenti/{world.minutes[0]}"),
            world.group(f"/documenti/{world.minutes[0]}/versioni/2/autori"),
            world.group("/azioni/"),
        ]
    )
    findings.assert_none()
    # The payloads are there, as text, in each part of the meeting.
    laura.page.goto(base)
    meeting = MeetingPage(laura.page)
    expect(meeting.heading).to_contain_text(packs(200)[0])
    expect(meeting.facts).to_contain_text(packs(300)[0])
    expect(meeting.agenda).to_contain_text(packs(200)[-1])
    expect(meeting.attendance).to_contain_text(packs(120)[-1])
    expect(meeting.actions).to_contain_text(packs(300)[-1])
    laura.page.goto(base + "/verbale/stampa")
    expect(laura.page.get_by_role("article")).to_contain_text(PAYLOADS[-1])


def test_search_activity_and_notifications(world, watched, findings):
    laura = watched()
    laura.visit("/cerca?q=xss")
    laura.visit("/cerca?q=xss&pagina=2", statuses=(200, 404))
    laura.visit("/cerca?q=script+img+svg")
    # The activity feed and its htmx "more", page after page.
    laura.visit(world.group("/attivita"))
    laura.visit("/attivita")
    for _ in range(4):
        more = laura.page.get_by_role("link", name="Mostra attività precedenti")
        if not more.count():
            break
        with laura.page.expect_response(lambda response: "prima=" in response.url):
            more.click()
        expect(laura.page.locator(".htmx-request")).to_have_count(0)
        laura.check("/attivita, after «Mostra attività precedenti»")
    # Giulia was mentioned in every thread and given every action.
    giulia = watched(VIEWER)
    giulia.visit("/notifiche")
    expect(giulia.page.get_by_role("main")).to_contain_text("__xss(")
    giulia.visit_all(["/notifiche/conteggio", "/", "/calendario/"])
    findings.assert_none()


def test_mail_bodies(world, xss_server, watched, findings):
    """The notification mails' HTML, opened as a mail reader would show it."""
    _, errors = world.mail_run.communicate(timeout=120)
    assert world.mail_run.returncode == 0, errors.decode()
    reader = watched(None)
    shown = 0
    for path in sorted((xss_server.instance / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        html = message.get_body(preferencelist=("html",))
        if html is None:
            continue
        reader.page.set_content(html.get_content())
        expect(reader.page.locator("body")).to_contain_text("__xss(")
        findings.pages += 1
        reader.check(f"mail {path.name}")
        shown += 1
    assert shown, "no HTML mail to read"
    findings.assert_none()


def test_invitation_pages(xss_server, world, watched, findings):
    """What the invited person sees, signed out: their name and who invited them."""
    links = []
    for path in sorted((xss_server.instance / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        text = message.get_body(preferencelist=("plain",))
        found = re.search(r"/invito/[\w.-]+", text.get_content() if text else "")
        if found:
            links.append(found.group())
    assert len(links) >= len(packs(120)), links
    anonymous = watched(None)
    anonymous.visit_all(links[:4])
    expect(anonymous.page.get_by_role("main")).to_contain_text("xss")
    findings.assert_none()


def _spread(templates: list[str], budget: int = 1800) -> list[str]:
    """Each template's ``{}``s filled with the payloads, packed to share ``budget`` characters
    between them, in as many URLs as it takes to use every payload once (the URL, encoded,
    stays under the 4 KB request line of the server)."""
    urls = []
    for template in templates:
        slots = template.count("{}")
        values = [quote(value, safe="") for value in packs(budget // slots)]
        for start in range(0, len(values), slots):
            urls.append(template.format(*(cycle(values, start + n) for n in range(slots))))
    return urls


def test_url_parameters_that_pages_echo(world, watched, findings):
    laura = watched()
    document = world.group(f"/documenti/{world.documents[0]}")
    thread = world.group(f"/discussioni/{world.threads[0]}")
    laura.visit_all(
        _spread(
            [
                "/cerca?q={}&gruppo={}&tipo={}",
                "/attivita?gruppo={}&persona={}&servizio={}&tipo={}&dal={}&al={}",
                document + "/confronta?da={}&a={}&vista={}",
                document + "/modifica?sezione={}&versione={}&bozza={}",
                thread + "?pagina={}&cita={}",
                thread + "/nuovi?dopo={}",
                "/notifiche?pagina={}",
                "/registro?azione={}&persona={}&prima={}",
                world.group("/discussioni/nuova?documento={}&sezione={}"),
                "/gruppi/{}",
            ]
        ),
        statuses=(200, 302, 400, 404, 422),
    )
    anonymous = watched(None)
    anonymous.visit_all(_spread(["/accedi?next={}"]), statuses=(200, 400))
    findings.assert_none()


def test_the_real_forms(world, watched, findings):
    """A few fields typed into the real forms, the answers swapped in by htmx."""
    laura = watched()
    page = laura.page
    payloads = [PAYLOADS[0], PAYLOADS[1], PAYLOADS[9], PAYLOADS[16], PAYLOADS[-1]]

    profile = ProfilePage(page).goto()
    profile.save_name(payloads[2])
    laura.check("profile after saving")

    # A new thread, and replies that htmx adds in place.
    page.goto(world.group("/discussioni/nuova"))
    thread = NewThreadPage(page)
    thread.title.fill(payloads[1])
    thread.body.fill(payloads[3])
    thread.submit()
    replies = ThreadPage(page)
    expect(replies.heading).to_have_text(payloads[1])
    laura.check("new thread")
    for payload in payloads[2:]:
        count = replies.messages.count()
        replies.reply(payload)
        expect(replies.messages).to_have_count(count + 1)
        laura.check("thread after an htmx reply")

    # Agenda items, added with htmx.
    page.goto(world.group(f"/incontri/{world.meetings[1]}"))
    meeting = MeetingPage(page)
    for payload in payloads[:3]:
        count = meeting.agenda_items.count()
        meeting.agenda.get_by_label(re.compile(r"^Argomento")).fill(payload)
        meeting.submit_agenda_item()
        expect(meeting.agenda_items).to_have_count(count + 1)
        laura.check("meeting after adding an agenda item")

    # The editor's live preview.
    page.goto(world.group(f"/documenti/{world.documents[1]}/modifica"))
    editor = EditorPage(page)
    for number, payload in enumerate(payloads):
        editor.text.fill(f"# {payload}\n\n{payload}\n\nAnteprima {number}.\n")
        expect(editor.preview).to_contain_text(f"Anteprima {number}.")
        laura.check("editor preview")

    # Search as you type.
    search = SearchPage(page).goto()
    for payload in payloads:
        search.type_query(payload)
        laura.check("search results swapped in")
    findings.assert_none()


def test_with_the_csp_on_no_page_even_tries(world, watched, findings):
    """The second, smaller pass: the real headers, and not one CSP violation reported."""
    laura = watched(bypass_csp=False)
    document = world.group(f"/documenti/{world.documents[0]}")
    meeting = world.group(f"/incontri/{world.meetings[0]}")
    laura.visit_all(
        [
            "/",
            "/persone",
            "/servizi/",
            "/gruppi/",
            "/inviti",
            "/attivita",
            "/cerca?q=xss",
            world.group(),
            document,
            document + "/confronta?da=1&a=2",
            document + "/versioni/2/autori",
            world.group(f"/discussioni/{world.threads[0]}"),
            meeting,
            meeting + "/verbale/stampa",
        ]
    )
    findings.assert_none()
