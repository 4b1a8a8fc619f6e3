"""The answer when the database is away, and the retried connection, without a live server.

The live tests (test_faults.py) cause real faults; these pin down the details: what the 503
page gives back and what it never does (passwords), the htmx fragment, a database error that
is a bug (a 500), and how often a connection is tried.
"""

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from tests.support import htmx, text
from workspace import database
from workspace.documents import service as documents


class DatabaseAway(Exception):
    pass


def away(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, DatabaseAway("server closed the connection"))


@pytest.fixture
def group(login_as, make_group):
    me = login_as()
    return make_group("Linee guida", members=[me])


def test_a_page_gets_503_in_italian_without_the_database(client, group, monkeypatch):
    monkeypatch.setattr(documents, "documents_of", away)
    response = client.get(f"/gruppi/{group.slug}/documenti/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = text(response)
    assert "Servizio momentaneamente non disponibile" in page
    assert "Il database non risponde in questo momento" in page
    assert "server closed" not in page and "Traceback" not in page
    assert '<form method="post" action="/gruppi' not in page  # nothing was being sent
    # Shown as to a visitor: the page asked nothing more of the database.
    assert "Esci</button>" not in page


def test_htmx_gets_the_fragment_for_the_alert_area(client, group, monkeypatch):
    monkeypatch.setattr(documents, "documents_of", away)
    response = client.get(f"/gruppi/{group.slug}/documenti/", headers=htmx("anything"))
    assert response.status_code == 503
    assert response.headers["HX-Retarget"] == "#alerts"
    body = text(response)
    assert "<html" not in body and "Il database non risponde" in body
    assert 'role="alert"' in body


def test_a_form_sent_meanwhile_comes_back_to_send_again(client, group, monkeypatch):
    monkeypatch.setattr(documents, "create_document", away)
    sent = {
        "title": "Verbale <b>di marzo</b>",
        "description": "",
        "body": "Primo paragrafo.\n\nSecondo paragrafo.",
    }
    response = client.post(f"/gruppi/{group.slug}/documenti/nuovo", data=sent)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert f'action="/gruppi/{group.slug}/documenti/nuovo"' in page
    assert "Verbale &lt;b&gt;di marzo&lt;/b&gt;</textarea>" in page  # escaped, never markup
    assert "Primo paragrafo.\n\nSecondo paragrafo.</textarea>" in page
    assert '<input type="hidden" name="description" value="">' in page
    assert "Invia di nuovo" in page


def test_a_password_is_never_written_back(client, make_user, monkeypatch):
    from workspace.accounts import service as accounts

    user = make_user()
    monkeypatch.setattr(accounts, "authenticate", away)
    response = client.post("/accedi", data={"email": user.email, "password": "segreta-123456"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "segreta-123456" not in page and 'name="password"' not in page
    assert user.email in page


@pytest.mark.parametrize(
    "url",
    ["/password/reimposta/qualsiasi", "/invito/qualsiasi", "/profilo/password"],
)
def test_new_passwords_and_their_confirmation_are_never_written_back(
    client, login_as, monkeypatch, url
):
    from workspace.accounts import service as accounts
    from workspace.invitations import service as invitations

    if url == "/profilo/password":
        login_as()
    monkeypatch.setattr(accounts, "find_password_reset", away)
    monkeypatch.setattr(invitations, "find_usable", away)
    monkeypatch.setattr(accounts, "password_change_errors", away)
    data = {"password": "Nuova-Segreta-987", "confirm": "Nuova-Segreta-987"}
    data |= {"current_password": "Vecchia-123456", "new_password": "Nuova-Segreta-987"}
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post(url, data=data)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Segreta-987" not in page and "Vecchia-123456" not in page


def test_a_database_error_that_is_a_bug_is_a_500(client, group, monkeypatch):
    def broken(*args, **kwargs):
        raise IntegrityError("INSERT", {}, Exception("constraint"))

    monkeypatch.setattr(documents, "documents_of", broken)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get(f"/gruppi/{group.slug}/documenti/")
    assert response.status_code == 500
    assert "Errore del server" in text(response) and "constraint" not in text(response)


class FakeDialect:
    class loaded_dbapi:  # named as SQLAlchemy names the DB-API module
        class OperationalError(Exception):
            pass

    def __init__(self, failures: int):
        self.failures, self.calls = failures, 0

    def connect(self, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.loaded_dbapi.OperationalError("connection refused")
        return "connection"


def test_a_refused_connection_is_tried_again_a_few_times(monkeypatch):
    monkeypatch.setattr(database.time, "sleep", lambda seconds: None)
    connect = database._retrying_connect(3, 0.01)
    dialect = FakeDialect(failures=2)
    assert connect(dialect, None, (), {}) == "connection" and dialect.calls == 3
    dialect = FakeDialect(failures=3)
    with pytest.raises(FakeDialect.loaded_dbapi.OperationalError):
        connect(dialect, None, (), {})
    assert dialect.calls == 3


def test_what_counts_as_unavailable():
    import sqlite3

    assert database.unavailable(OperationalError("x", {}, Exception("database is locked")))
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = sqlite3.SQLITE_BUSY
    assert database.unavailable(OperationalError("x", {}, locked))
    missing = sqlite3.OperationalError("no such table: documents")
    missing.sqlite_errorcode = sqlite3.SQLITE_ERROR
    assert not database.unavailable(OperationalError("x", {}, missing))
    for state, away_now in (("08006", True), ("57P01", True), ("53300", True), ("40P01", True)):
        error = Exception("server")
        error.sqlstate = state
        assert database.unavailable(OperationalError("x", {}, error)) is away_now
    undefined = Exception("column does not exist")
    undefined.sqlstate = "42703"
    assert not database.unavailable(OperationalError("x", {}, undefined))
    assert not database.unavailable(IntegrityError("x", {}, Exception("unique")))
    assert not database.unavailable(RuntimeError("no"))
