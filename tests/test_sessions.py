"""Sessions: idle and absolute timeouts on the server, "Ricordami", cookies' flags and names."""

import re
from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie

from tests.support import PASSWORD, htmx, text
from workspace.accounts import sessions
from workspace.config import HOST_COOKIE_NAME
from workspace.documents import service as documents
from workspace.extensions import db
from workspace.people.models import Role
from workspace.revisions.models import Draft

HOUR = 3600
DAY = 24 * HOUR


def age(client, *, idle: int = 0, since_login: int = 0) -> None:
    """Move the session's times into the past, as if the person had been away."""
    with client.session_transaction() as session:
        now = sessions.now()
        session[sessions.SEEN_AT] = now - idle
        session[sessions.LOGIN_AT] = now - max(since_login, idle)


def sign_in(client, user, *, remember=False, next_url=None):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    url = "/accedi" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, data=data)
    assert response.status_code == 302, response.data
    return response


def session_cookie_header(response, name="session") -> str:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert found, response.headers.getlist("Set-Cookie")
    return found[-1]


# -- Idle and absolute timeouts -----------------------------------------------------------------


def test_an_active_session_goes_on(client, make_user):
    sign_in(client, make_user())
    age(client, idle=2 * HOUR - 60, since_login=11 * HOUR)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert sessions.now() - session[sessions.SEEN_AT] < 60  # the visit was activity


def test_idle_timeout_signs_out_and_says_so_keeping_next(client, make_user):
    user = make_user()
    sign_in(client, user)
    age(client, idle=2 * HOUR + 1)
    response = client.get("/gruppi/")
    assert response.status_code == 302
    assert response.location == "/accedi?next=%2Fgruppi%2F"
    page = client.get(response.location)
    assert "La sessione è scaduta" in text(page)
    # Said once: the next visit of the sign-in page is a plain one.
    assert "La sessione è scaduta" not in text(client.get("/accedi"))
    # Signing in again goes where the person was going.
    assert sign_in(client, user, next_url="%2Fgruppi%2F").location == "/gruppi/"


def test_absolute_timeout_applies_however_active(client, make_user):
    user = make_user()
    sign_in(client, user)
    age(client, idle=10, since_login=12 * HOUR + 1)
    response = client.get("/")
    assert response.status_code == 302 and response.location.startswith("/accedi")
    assert "La sessione è scaduta" in text(client.get(response.location))
    sign_in(client, user)
    assert client.get("/").status_code == 200


def test_timeouts_follow_the_settings(make_app, make_user):
    app = make_app(SESSION_IDLE_TIMEOUT=60, SESSION_ABSOLUTE_TIMEOUT=600)  # seconds, as from env
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(seconds=60)
    client = app.test_client()
    sign_in(client, make_user())
    age(client, idle=59)
    assert client.get("/").status_code == 200
    age(client, idle=61)
    assert client.get("/").status_code == 302


def test_the_pages_own_polls_are_not_activity(client, make_user):
    sign_in(client, make_user())
    age(client, idle=HOUR)
    with client.session_transaction() as session:
        before = session[sessions.SEEN_AT]
    response = client.get("/notifiche/conteggio", headers=htmx())
    assert response.status_code == 200
    with client.session_transaction() as session:
        assert session[sessions.SEEN_AT] == before
    # A page the person opens is.
    client.get("/")
    with client.session_transaction() as session:
        assert session[sessions.SEEN_AT] > before


def test_a_timeout_ends_only_that_session(make_app, make_user):
    app = make_app()
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, user)
    sign_in(elsewhere, user)
    age(here, idle=3 * HOUR)
    assert here.get("/").status_code == 302
    assert elsewhere.get("/").status_code == 200


def test_a_session_without_times_is_not_trusted(client, make_user):
    """Sessions signed before the timeouts existed carry no times: they end at once."""
    sign_in(client, make_user())
    with client.session_transaction() as session:
        del session[sessions.LOGIN_AT]
        del session[sessions.SEEN_AT]
    assert client.get("/").status_code == 302


def test_an_htmx_request_after_the_timeout_replaces_nothing(client, make_user):
    sign_in(client, make_user())
    age(client, idle=2 * HOUR + 1)
    response = client.get(
        "/notifiche/preferenze", headers=htmx(**{"HX-Current-URL": "http://tavolo.test/gruppi/"})
    )
    assert response.status_code == 401
    assert response.headers["HX-Retarget"] == "#alerts"
    assert "La sessione è scaduta" in text(response)
    assert "/accedi?next=/gruppi/" in text(response)


def test_the_draft_typed_before_the_timeout_is_still_there(client, make_user, make_group):
    anna = make_user(Role.OPERATOR, name="Anna")
    group = make_group("Linee guida", members=[anna])
    document = documents.create_document(
        group, title="Linee guida", description="", body="# Premessa\n\nTesto.\n", author=anna
    )
    db.session.commit()
    base = f"/gruppi/{group.slug}/documenti/{document.id}"
    sign_in(client, anna)
    page = client.get(base + "/modifica")
    token = re.search(r'name="editor" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    data = {"body": "# Premessa\n\nTesto PREZIOSO.\n", "base": "1", "editor": token}
    assert client.post(base + "/bozza", data=data, headers=htmx("draft-status")).status_code == 200
    age(client, idle=2 * HOUR + 1)
    # The next autosave finds the session over: a message, and what was kept stays kept.
    later = dict(data, body="# Premessa\n\nTesto PREZIOSO e altro.\n")
    response = client.post(base + "/bozza", data=later, headers=htmx("draft-status"))
    assert response.status_code == 401 and "Quello che hai scritto" in text(response)
    (draft,) = db.session.scalars(db.select(Draft)).all()
    assert "PREZIOSO" in draft.body
    # A save posted after the timeout is kept too, for after the sign-in.
    response = client.post(base + "/modifica", data=later)
    assert response.status_code == 303
    sign_in(client, anna)
    assert "Testo PREZIOSO e altro." in text(client.get(base + "/modifica", follow_redirects=True))


# -- "Ricordami" -----------------------------------------------------------------------------------


def test_without_remember_the_cookie_ends_with_the_browser(client, make_user):
    response = sign_in(client, make_user())
    cookie = session_cookie_header(response)
    assert "Expires=" not in cookie and "Max-Age" not in cookie


def test_remember_keeps_the_session_longer_but_not_forever(client, make_user):
    user = make_user()
    response = sign_in(client, user, remember=True)
    assert "Expires=" in session_cookie_header(response)
    age(client, idle=DAY, since_login=5 * DAY)  # an ordinary session would be over
    assert client.get("/").status_code == 200
    age(client, idle=3 * DAY + 1)
    assert client.get("/").status_code == 302
    sign_in(client, user, remember=True)
    age(client, idle=HOUR, since_login=14 * DAY + 1)
    assert client.get("/").status_code == 302


def test_the_old_remember_me_cookie_signs_nobody_in(client, app, make_user):
    user = make_user()
    with app.test_request_context():
        forged = encode_cookie(user.session_id)  # what Flask-Login used to issue
    client.set_cookie("remember_token", forged, domain="tavolo.test")
    assert client.get("/").status_code == 302


def test_changing_the_password_keeps_the_session_remembered(client, make_user):
    sign_in(client, make_user(), remember=True)
    response = client.post(
        "/profilo/password",
        data={
            "current_password": PASSWORD,
            "new_password": "un-altra-password-lunga",
            "confirm": "un-altra-password-lunga",
        },
    )
    assert response.status_code == 302
    assert "Expires=" in session_cookie_header(response)
    with client.session_transaction() as session:
        assert session[sessions.LONG] is True


def test_sign_in_starts_a_new_session(client, make_user):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["locale"] = "it"
    sign_in(client, make_user())
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "it"
        assert sessions.now() - session[sessions.LOGIN_AT] < 60


# -- Cookies ---------------------------------------------------------------------------------------


def test_cookies_are_secure_when_served_over_https(make_app, make_user):
    app = make_app(PUBLIC_URL="https://tavolo.test")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "session"  # tests and debug keep the plain name
    client = app.test_client()
    user = make_user()
    response = client.post(
        "/accedi",
        data={"email": user.email, "password": PASSWORD},
        base_url="https://tavolo.test",
    )
    cookie = session_cookie_header(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_plain_http_cookies_are_not_secure(make_app):
    app = make_app(PUBLIC_URL="http://tavolo.test")
    assert app.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize("path", ["", "/tavolo"])
def test_production_over_https_uses_the_host_prefix(make_app, make_user, path):
    app = make_app(
        TESTING=False,
        DEBUG=False,
        PUBLIC_URL="https://tavolo.test" + path,
        SESSION_COOKIE_DOMAIN="tavolo.test",  # would be refused by the browser with the prefix
        APPLICATION_ROOT=path or "/",
    )
    assert not app.testing and not app.debug
    assert app.config["SESSION_COOKIE_NAME"] == HOST_COOKIE_NAME
    client = app.test_client()
    user = make_user()
    response = client.post(
        "/accedi",
        data={"email": user.email, "password": PASSWORD},
        base_url="https://tavolo.test",
    )
    assert response.status_code == 302
    cookie = session_cookie_header(response, HOST_COOKIE_NAME)
    attributes = [part.strip() for part in cookie.split(";")]
    assert "Secure" in attributes and "HttpOnly" in attributes and "Path=/" in attributes
    assert not [a for a in attributes if a.lower().startswith("domain=")]
    # The browser sends it back and the person is signed in.
    assert client.get("/", base_url="https://tavolo.test").status_code == 200


def test_production_over_plain_http_keeps_the_plain_cookie(make_app):
    app = make_app(TESTING=False, DEBUG=False, PUBLIC_URL="http://tavolo.intranet")
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert app.config["SESSION_COOKIE_SECURE"] is False


# -- Restarting a session does not extend it (ASVS V7.3.2) -----------------------------------------


class FrozenClock:
    """The sessions' clock, moved by hand."""

    def __init__(self, start: int = 1_800_000_000):
        self.moment = start

    def __call__(self) -> int:
        return self.moment

    def advance(self, seconds: int) -> None:
        self.moment += seconds


@pytest.fixture
def frozen(monkeypatch):
    clock = FrozenClock()
    monkeypatch.setattr(sessions, "now", clock)
    return clock


def stay_active(client, clock, seconds: int) -> None:
    """Let time pass while the person keeps working (a page every hour and a half)."""
    step = 90 * 60
    while seconds > 0:
        clock.advance(min(step, seconds))
        seconds -= step
        assert client.get("/").status_code == 200


def login_time(client) -> int:
    with client.session_transaction() as session:
        return session[sessions.LOGIN_AT]


def change_password(client, current=PASSWORD, new="un-altra-password-lunga"):
    return client.post(
        "/profilo/password",
        data={"current_password": current, "new_password": new, "confirm": new},
    )


def test_a_password_change_does_not_push_the_absolute_timeout_back(client, make_user, frozen):
    user = make_user()
    sign_in(client, user)
    signed_in_at = frozen.moment
    stay_active(client, frozen, 11 * HOUR)
    assert change_password(client).status_code == 302
    assert client.get("/").status_code == 200  # this session goes on ...
    assert login_time(client) == signed_in_at  # ... from the same sign-in
    with client.session_transaction() as session:
        assert session[sessions.SEEN_AT] == frozen.moment
    # Twelve hours after the sign-in, however active and whatever was changed since: over.
    stay_active(client, frozen, HOUR - 60)
    frozen.advance(61)
    response = client.get("/")
    assert response.status_code == 302 and response.location.startswith("/accedi")
    # Only signing in with the credentials starts the count again.
    client.post("/accedi", data={"email": user.email, "password": "un-altra-password-lunga"})
    assert login_time(client) == frozen.moment
    assert client.get("/").status_code == 200


def test_password_changes_one_after_another_keep_the_sign_in_time(client, make_user, frozen):
    sign_in(client, make_user(), remember=True)
    signed_in_at = frozen.moment
    passwords = [PASSWORD, "prima-password-nuova", "seconda-password-nuova"]
    for current, new in zip(passwords, passwords[1:], strict=False):
        stay_active(client, frozen, 3 * DAY - 4 * HOUR)
        assert change_password(client, current, new).status_code == 302
        assert login_time(client) == signed_in_at
    with client.session_transaction() as session:
        assert session[sessions.LONG] is True
    # "Ricordami": 14 days from the sign-in, not from the last change.
    for _ in range(2):
        stay_active(client, frozen, 3 * DAY - 4 * HOUR)
    frozen.advance(14 * DAY - (frozen.moment - signed_in_at) + 1)
    assert client.get("/").status_code == 302
