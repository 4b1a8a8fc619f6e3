"""What every response carries: security headers, error pages and fragments, CSRF."""

import re
from pathlib import Path

import pytest

from tests.support import htmx, text
from workspace.assets import HTMX_FILE, HTMX_SHA256
from workspace.people.models import Role

ROOT = Path(__file__).resolve().parents[1]


def test_strict_csp_and_security_headers(client, login_as):
    for response in (client.get("/accedi"), client.get("/static/css/tavolo.css")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "base-uri 'none'" in csp and "object-src 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    login_as()
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style_anywhere():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source):
            offenders.append(f"{path}: inline <script>")
        if re.search(r"\sstyle=", source) or "<style" in source:
            offenders.append(f"{path}: inline style")
        if re.search(r"\son[a-z]+=", source) or "hx-on" in source or "javascript:" in source:
            offenders.append(f"{path}: inline handler")
    assert offenders == []


def test_htmx_attributes_are_written_as_valid_html():
    """htmx reads hx-get and data-hx-get alike; only the data- form is valid HTML (the Nu HTML
    checker refuses the other, see tests/test_html_valid.py)."""
    short = re.compile(r"(?<![\w-])hx-[a-z]")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}"
        for path in (ROOT / "templates").rglob("*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if short.search(line)
    ]
    assert offenders == []


def test_htmx_is_vendored_pinned_and_configured(client):
    import hashlib

    path = ROOT / "static" / "js" / HTMX_FILE
    assert hashlib.sha256(path.read_bytes()).hexdigest() == HTMX_SHA256
    page = client.get("/accedi").get_data(as_text=True)
    assert f"/static/js/{HTMX_FILE}" in page
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', page).group(1)
    import json

    settings = json.loads(config.replace("&#34;", '"'))
    assert settings["allowEval"] is False
    assert settings["allowScriptTags"] is False
    assert settings["historyCacheSize"] == 0
    assert settings["includeIndicatorStyles"] is False
    assert "http" not in page.split("<body", 1)[0].replace("http-equiv", "")  # no CDN


def test_csrf_token_travels_in_hx_headers(client):
    page = client.get("/accedi").get_data(as_text=True)
    assert re.search(
        r"<body data-hx-headers='\{&#34;X-CSRFToken&#34;: &#34;[^&]+&#34;\}'", page
    ) or re.search(r"<body data-hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'", page)


@pytest.fixture
def csrf_client(make_app):
    return make_app(WTF_CSRF_ENABLED=True).test_client()


def test_post_without_csrf_token_is_refused_politely(csrf_client, make_user):
    user = make_user()
    response = csrf_client.post("/accedi", data={"email": user.email, "password": "x"})
    assert response.status_code == 400
    assert "Sessione scaduta" in text(response)


def test_csrf_token_from_the_page_works_for_forms_and_htmx(csrf_client, make_user, make_group):
    from tests.support import PASSWORD

    lead = make_user()
    newcomer = make_user(name="Nuova Persona")
    group = make_group(leads=[lead])
    page = csrf_client.get("/accedi").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = csrf_client.post(
        "/accedi", data={"email": lead.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    page = csrf_client.get(f"/gruppi/{group.slug}").get_data(as_text=True)
    header_token = re.search(r'X-CSRFToken(?:&#34;|"): (?:&#34;|")([^"&]+)', page).group(1)
    response = csrf_client.post(
        f"/gruppi/{group.slug}/componenti",
        data={"user_id": newcomer.id, "role": "member"},
        headers={**htmx(f"group-{group.id}-members"), "X-CSRFToken": header_token},
    )
    assert response.status_code == 200
    assert "Nuova Persona" in text(response)


def test_404_page_is_friendly_and_italian(client, login_as):
    login_as()
    response = client.get("/non-esiste")
    assert response.status_code == 404
    page = text(response)
    assert "Pagina non trovata" in page and "<html" in page
    assert "Traceback" not in page


def test_htmx_errors_come_as_a_fragment_for_the_alert_area(client, login_as):
    login_as()
    response = client.get("/gruppi/non-esiste", headers=htmx("anything"))
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#alerts"
    assert response.headers["HX-Reswap"] == "innerHTML"
    body = text(response)
    assert "<html" not in body and "Pagina non trovata" in body and 'role="alert"' in body


def test_403_page(client, login_as):
    login_as()
    response = client.get("/persone")
    assert response.status_code == 403
    assert "Accesso non consentito" in text(response)


def test_500_is_a_page_not_a_stack_trace(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/_boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/_boom")
    assert response.status_code == 500
    page = text(response)
    assert "Errore del server" in page and "kaboom" not in page and "Traceback" not in page
    response = app.test_client().get("/_boom", headers=htmx("x"))
    assert response.status_code == 500 and response.headers["HX-Retarget"] == "#alerts"


def test_pages_have_skip_link_landmarks_and_breadcrumbs(client, login_as, make_group):
    me = login_as(Role.COORDINATOR)
    group = make_group("Revisione linee guida", members=[me])
    page = text(client.get(f"/gruppi/{group.slug}"))
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page
    assert 'aria-label="Percorso"' in page
    assert '<span aria-current="page">Revisione linee guida</span>' in page


def test_the_groups_menu_item_marks_the_pages_inside_a_group(client, login_as, make_group):
    me = login_as(Role.OPERATOR)
    group = make_group("Revisione linee guida", members=[me])
    listing = text(client.get("/gruppi/"))
    assert re.search(r'<a href="/gruppi/"\s+aria-current="page">Gruppi</a>', listing)
    for path in ("", "/documenti/", "/discussioni/", "/incontri/"):
        page = text(client.get(f"/gruppi/{group.slug}{path}"))
        assert re.search(r'<a href="/gruppi/"\s+aria-current="true">Gruppi</a>', page), path
    assert 'aria-current="true">Gruppi' not in text(client.get("/calendario/"))
