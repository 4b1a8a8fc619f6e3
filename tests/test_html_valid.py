"""The HTML of every page a person can reach is valid for the Nu HTML checker (issue 9).

Every GET route of tests/test_access.py that answers a full page, for each kind of person who
may see it, plus the main error states (forms sent empty, 403, 404, a failed sign-in), is
written to a folder and checked by vnu in one run. The checker comes from npm
(`make install-test` puts it in .vnu/); without it or without Java the test is skipped.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import PASSWORD
from tests.test_access import ROUTES, world  # noqa: F401  (world is a fixture)

VNU_JAR = Path(
    os.environ.get(
        "VNU_JAR",
        Path(__file__).resolve().parents[1] / ".vnu/node_modules/vnu-jar/build/dist/vnu.jar",
    )
)
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


@pytest.fixture
def vnu() -> list[str]:
    """The checker's command line; skips before building the pages when it cannot run."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("Java is not installed: the Nu HTML checker cannot run")
    if not VNU_JAR.is_file():
        pytest.skip(f"the Nu HTML checker is not installed ({VNU_JAR}): run `make install-test`")
    return [java, "-Xss4m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]


def is_full_page(response) -> bool:
    return response.mimetype == "text/html" and response.data.lstrip()[:15].lower().startswith(
        b"<!doctype html>"
    )


def test_every_page_is_valid_html(vnu, make_app, world, tmp_path):  # noqa: F811
    people, ids = world
    app = make_app()
    pages: dict[str, str] = {}  # file name -> what it is, for the report
    folder = tmp_path / "pages"
    folder.mkdir()

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

    failed = app.test_client().post(
        "/accedi", data={"email": people["member"].email, "password": "sbagliata"}
    )
    assert failed.status_code in (200, 401, 422)
    keep("anonymous POST /accedi (wrong password)", failed)

    assert len(pages) > 50, sorted(pages.values())
    result = subprocess.run(
        [*vnu, *sorted(str(folder / name) for name in pages)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        messages = json.loads(result.stderr)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the Nu HTML checker answered: {result.stderr[-2000:]}")
    errors = [m for m in messages if m.get("type") == "error"]
    # One line per distinct error, with the first page showing it and how many more do.
    seen: dict[tuple[str, str], list[str]] = {}
    for m in errors:
        extract = " ".join(m.get("extract", "").split())
        where = f"{pages.get(Path(m.get('url', '')).name, m.get('url'))}, line {m.get('lastLine')}"
        # Errors differing only in numbers (times, ids) are one error.
        key = (re.sub(r"\d", "0", m["message"]), re.sub(r"\d", "0", extract))
        seen.setdefault(key, []).append(where)
    report = [
        f"- {message} [{extract}]\n    {wheres[0]}"
        + (f" (+{len(wheres) - 1} pages)" if wheres[1:] else "")
        for (message, extract), wheres in seen.items()
    ]
    assert not report, (
        f"{len(errors)} HTML errors, {len(report)} distinct (pages in {folder}):\n"
        + "\n".join(report)
    )
