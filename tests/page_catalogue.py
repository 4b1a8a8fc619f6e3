"""Every page a person can reach, written to a folder: what the whole-site checks read.

Every GET route of tests/test_access.py that answers a full page, for each kind of person who
may see it, plus the main error states (forms sent empty, 403, 404, a failed sign-in). The Nu
HTML checker (tests/test_html_valid.py) and axe in Chromium (tests/e2e/test_every_page.py)
check the same pages.
"""

from pathlib import Path

from tests.support import PASSWORD
from tests.test_access import ROUTES

ROLES = ("anonymous", "external", "member", "coordinator")
# Forms sent empty: each answers 422 with its messages next to the fields.
EMPTY_FORMS = {
    "coordinator": (
        "/gruppi/nuovo",
        "/servizi/nuovo",
        "/inviti/nuovo",
    ),
    "member": (
        "/gruppi/{group}/documenti/nuovo",
        "/gruppi/{group}/discussioni/nuova",
        "/gruppi/{group}/incontri/nuovo",
        "/profilo/password",
    ),
}
# Pages with nothing in them, or answering no.
EXTRA_PAGES = {
    "anonymous": (("/non-esiste", 404),),
    "member": (
        ("/cerca", 200),
        ("/cerca?q=nessun-risultato-possibile", 200),
        ("/registro", 403),
        ("/gruppi/non-esiste", 404),
    ),
}


def is_full_page(response) -> bool:
    return response.mimetype == "text/html" and response.data.lstrip()[:15].lower().startswith(
        b"<!doctype html>"
    )


def write_pages(app, world, folder: Path, locale: str = "it") -> dict[str, str]:
    """Each page as ``NNN.html`` in ``folder``; returns file name -> what it is (role, method,
    address), for the reports. ``locale`` is the language each person chooses first (the
    choice stays in their profile)."""
    people, ids = world
    pages: dict[str, str] = {}

    def keep(label: str, response) -> None:
        name = f"{len(pages):03d}.html"
        (folder / name).write_bytes(response.data)
        pages[name] = label

    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            response = client.post(
                "/accedi", data={"email": people[role].email, "password": PASSWORD}
            )
            assert response.status_code == 302, role
        client.post("/lingua", data={"locale": locale})
        for method, template in ROUTES.values():
            if method != "GET":
                continue
            url = template.format(**ids)
            response = client.get(url)
            if response.status_code == 200 and is_full_page(response):
                keep(f"{role} GET {url}", response)
        for template in EMPTY_FORMS.get(role, ()):
            url = template.format(**ids)
            response = client.post(url, data={})
            assert response.status_code == 422, f"{role} POST {url}: {response.status_code}"
            keep(f"{role} POST {url} (empty form)", response)
        for url, status in EXTRA_PAGES.get(role, ()):
            response = client.get(url)
            assert response.status_code == status, f"{role} GET {url}: {response.status_code}"
            keep(f"{role} GET {url} ({status})", response)

    anonymous = app.test_client()
    anonymous.post("/lingua", data={"locale": locale})
    failed = anonymous.post(
        "/accedi", data={"email": people["member"].email, "password": "sbagliata"}
    )
    assert failed.status_code in (200, 401, 422)
    keep("anonymous POST /accedi (wrong password)", failed)
    assert len(pages) > 50, sorted(pages.values())
    return pages
