"""Italian first, English on request; dates in Europe/Rome; catalogues complete."""

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from tests.support import text
from workspace.i18n import datetime_filter

ROOT = Path(__file__).resolve().parents[1]


def test_italian_by_default(client):
    page = client.get("/accedi").get_data(as_text=True)
    assert 'lang="it"' in page and "Accedi a Tavolo" in page


def test_anonymous_visitor_can_switch_to_english(client):
    response = client.post("/lingua", data={"locale": "en", "next": "/accedi"})
    assert response.status_code == 302
    page = client.get("/accedi").get_data(as_text=True)
    assert 'lang="en"' in page and "Sign in to Tavolo" in page


def test_profile_language_is_used_after_login(client, login_as):
    me = login_as(locale="en")
    page = text(client.get("/"))
    assert 'lang="en"' in page and "Your groups" in page
    client.post("/profilo", data={"name": me.name, "locale": "it"})
    assert "I tuoi gruppi" in text(client.get("/"))


def test_dates_in_rome_time_and_italian(app):
    winter = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 9, 30, tzinfo=UTC)
    with app.test_request_context():
        assert datetime_filter(winter) == "15 gennaio 2026, 10:30"
        assert datetime_filter(summer) == "15 luglio 2026, 11:30"


def test_unknown_language_is_refused(client):
    assert client.post("/lingua", data={"locale": "xx"}).status_code == 400


def test_english_catalogue_is_complete(tmp_path):
    """Every marked string has an English translation (and none is fuzzy)."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as handle:
        template = read_po(handle)
    with (ROOT / "workspace/translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        english = read_po(handle)
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = english.get(message.id)
        if (
            translated is None
            or translated.fuzzy
            or not (
                all(translated.string)
                if isinstance(translated.string, tuple)
                else translated.string
            )
        ):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert missing == [], f"{len(missing)} strings without English: {missing[:10]}"


def test_english_catalogue_is_compiled_and_current():
    po = ROOT / "workspace/translations/en/LC_MESSAGES/messages.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), "run `make translations`"
    assert mo.stat().st_mtime >= po.stat().st_mtime - 1, "the .mo is older than the .po"


def test_profile_confirmation_speaks_the_new_language(client, login_as):
    me = login_as()
    response = client.post("/profilo", data={"name": me.name, "locale": "en"})
    assert response.status_code == 302
    assert "Profile updated." in text(client.get("/profilo"))


def test_templates_follow_a_forced_language_and_back(app):
    """Templates look the catalogue up once per request and language (workspace.i18n
    ._translations): mail written in the recipient's language inside a request, with
    force_locale, is in that language, and the page around it stays in its own."""
    from flask import render_template_string
    from flask_babel import force_locale, refresh

    source = "{{ _('Componenti') }} {{ ngettext('%(num)d messaggio', '%(num)d messaggi', 2) }}"
    with app.test_request_context("/"):
        assert render_template_string(source) == "Componenti 2 messaggi"
        with force_locale("en"):
            assert render_template_string(source) == "Members 2 messages"
        assert render_template_string(source) == "Componenti 2 messaggi"
        with force_locale("en"):
            assert render_template_string(source) == "Members 2 messages"
    with app.test_request_context("/"):
        from flask import session

        session["locale"] = "en"
        refresh()  # the suite's app context (and its g) outlives this request
        assert render_template_string(source) == "Members 2 messages"
        session["locale"] = "it"
        refresh()  # a person choosing another language in the middle of a request
        assert render_template_string(source) == "Componenti 2 messaggi"
