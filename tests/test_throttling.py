"""Rate limits per address and per account (workspace.throttling): the Italian page that keeps
the form, the htmx fragment, the headers, memory per app and Redis shared by two servers."""

import inspect
import logging
import socket
import uuid

import pytest

from tests.support import PASSWORD, htmx, text
from workspace import throttling
from workspace.people.models import Role

LOW = {
    "RATELIMIT_LOGIN": "3 per minute",
    "RATELIMIT_LOGIN_ACCOUNT": "2 per minute",
    "RATELIMIT_RESET": "3 per minute",
    "RATELIMIT_RESET_ACCOUNT": "2 per minute",
    "RATELIMIT_LINK": "2 per minute",
    "RATELIMIT_INVITATION": "3 per minute",
    "RATELIMIT_INVITATION_ACCOUNT": "2 per minute",
}


WRONG = "sbagliata-123"


def login(client, email, password=WRONG, address="127.0.0.1", **kwargs):
    return client.post(
        "/accedi",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        **kwargs,
    )


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_the_table_is_applied_and_missing_endpoints_are_skipped(app):
    from flask import Flask

    from workspace.accounts.routes import login

    assert app.extensions[throttling.EXTENSION].enabled
    assert app.view_functions["accounts.login"] is not login  # wrapped by the limits
    assert inspect.unwrap(app.view_functions["accounts.login"]) is login
    assert app.view_functions["home.index"].__module__ == "workspace.home.routes"
    # An app without those views: every endpoint is listed as skipped, nothing breaks.
    bare = Flask(__name__)
    bare.config.update(RATELIMIT_LOGIN="1 per minute")
    assert throttling.init_app(bare) == [rule.endpoint for rule in throttling.RULES]


def test_defaults_leave_room_for_the_database_lockout(app):
    """The database lockout (5 failures per account, 20 per address) answers first with its
    own message: the request limits are above it."""
    from limits import parse_many

    per_minute = {
        name: min(
            item.amount
            for item in parse_many(app.config[name])
            if item.GRANULARITY.name == "minute"
        )
        for name in ("RATELIMIT_LOGIN", "RATELIMIT_LOGIN_ACCOUNT")
    }
    assert per_minute["RATELIMIT_LOGIN_ACCOUNT"] > app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    assert per_minute["RATELIMIT_LOGIN"] > app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]


def test_login_is_limited_per_address_with_the_form_kept(make_app):
    app = make_app(**LOW)
    client = app.test_client()
    for n in range(3):
        assert login(client, f"persona{n}@comune.example.it").status_code == 422
    response = login(client, "ultima@comune.example.it")
    assert response.status_code == 429
    page = text(response)
    assert "Troppi tentativi di accesso in poco tempo. Riprova tra 1 minuto." in page
    assert 'value="ultima@comune.example.it"' in page  # what was typed is kept
    assert "sbagliata-123" not in page  # never the password
    assert '<form method="post" id="login-form"' in page
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert "HX-Request" in response.headers["Vary"]
    # Another address is not affected.
    assert login(client, "altra@comune.example.it", address="10.0.0.7").status_code == 422
    # Showing the page is not limited: only posting the form is.
    assert client.get("/accedi").status_code == 200


def test_login_is_limited_per_account_across_addresses(make_app, make_user):
    app = make_app(**LOW)
    user = make_user()
    client = app.test_client()
    assert login(client, user.email, address="10.0.0.1").status_code == 422
    assert login(client, " " + user.email.upper(), address="10.0.0.2").status_code == 422
    # The third request for the account, from a third address, even with the right password.
    response = login(client, user.email, password=PASSWORD, address="10.0.0.3")
    assert response.status_code == 429
    assert "Troppi tentativi di accesso" in text(response)
    # Another account from that address still signs in.
    other = make_user()
    assert login(client, other.email, password=PASSWORD, address="10.0.0.3").status_code == 302


def test_a_json_body_counts_for_the_account_too(make_app, make_user):
    # Flask-WTF reads JSON as well as forms: the per-account limit must see the e-mail in both.
    app = make_app(**LOW)
    user = make_user()
    client = app.test_client()
    for n in range(2):
        response = client.post(
            "/accedi",
            json={"email": user.email.upper(), "password": WRONG},
            environ_base={"REMOTE_ADDR": f"10.0.1.{n}"},
        )
        assert response.status_code == 422
    response = login(client, user.email, password=PASSWORD, address="10.0.1.9")
    assert response.status_code == 429


def test_a_signed_in_form_that_checks_the_password_is_limited(make_app, make_user):
    app = make_app(**LOW)
    user = make_user()
    client = app.test_client()
    assert login(client, user.email, password=PASSWORD).status_code == 302
    data = {"current_password": WRONG, "new_password": "una-nuova-password-lunga"}
    for _ in range(3):
        assert client.post("/profilo/password", data=data).status_code == 422
    assert client.post("/profilo/password", data=data).status_code == 429
    # Each endpoint counts on its own.
    for _ in range(3):
        assert client.post("/profilo/verifica-in-due-passaggi/disattiva").status_code != 429
    assert client.post("/profilo/verifica-in-due-passaggi/disattiva").status_code == 429


def test_ipv6_clients_count_by_their_64_network(make_app):
    app = make_app(**LOW)
    client = app.test_client()
    for n in range(3):
        address = f"2001:db8:1:2::{n + 1}"
        assert login(client, f"p{n}@comune.example.it", address=address).status_code == 422
    assert login(client, "x@comune.example.it", address="2001:db8:1:2::ff").status_code == 429
    assert login(client, "x@comune.example.it", address="2001:db8:1:3::1").status_code == 422


def test_proxied_address_is_the_one_counted(make_app):
    app = make_app(PROXY_FIX_X_FOR=1, **LOW)
    client = app.test_client()
    for n in range(3):
        response = login(
            client, f"p{n}@comune.example.it", headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert response.status_code == 422
    blocked = login(client, "q@comune.example.it", headers={"X-Forwarded-For": "203.0.113.9"})
    assert blocked.status_code == 429
    other = login(client, "q@comune.example.it", headers={"X-Forwarded-For": "203.0.113.10"})
    assert other.status_code == 422


def test_login_throttled_as_htmx_fragment(make_app):
    app = make_app(**LOW)
    client = app.test_client()
    for n in range(3):
        login(client, f"p{n}@comune.example.it")
    response = login(client, "p9@comune.example.it", headers=htmx())
    assert response.status_code == 429
    body = text(response)
    assert body.lstrip().startswith('<form method="post" id="login-form"')
    assert "<html" not in body
    assert "Troppi tentativi di accesso in poco tempo" in body
    assert 'value="p9@comune.example.it"' in body
    assert "Retry-After" in response.headers


def test_forgotten_password_is_limited_with_its_own_message(make_app):
    app = make_app(**LOW)
    client = app.test_client()
    for n in range(3):
        response = client.post("/password/dimenticata", data={"email": f"p{n}@comune.example.it"})
        assert response.status_code == 302
    response = client.post("/password/dimenticata", data={"email": "p9@comune.example.it"})
    assert response.status_code == 429
    page = text(response)
    assert "Troppe richieste di una nuova password in poco tempo" in page
    assert 'value="p9@comune.example.it"' in page
    assert 'id="forgot-form"' in page
    fragment = client.post(
        "/password/dimenticata", data={"email": "p9@comune.example.it"}, headers=htmx()
    )
    assert fragment.status_code == 429
    assert "<html" not in text(fragment)


def test_reset_links_are_limited_without_looking_the_token_up(make_app):
    app = make_app(**LOW)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/password/reimposta/tentativo").status_code == 404
    # HEAD answers the same status as GET: it counts too.
    assert client.head("/password/reimposta/tentativo").status_code == 429
    response = client.get("/password/reimposta/tentativo")
    assert response.status_code == 429
    page = text(response)
    assert "Troppi link aperti in poco tempo da questa connessione" in page
    assert 'name="password"' in page  # the form, as for a valid link: nothing to learn
    assert "Retry-After" in response.headers


def test_invitation_links_are_limited_get_and_post(make_app):
    app = make_app(**LOW)
    client = app.test_client()
    assert client.get("/invito/uno").status_code == 404
    assert client.post("/invito/due", data={"password": "x", "confirm": "x"}).status_code == 404
    response = client.get("/invito/tre")
    assert response.status_code == 429
    assert "Troppi link aperti in poco tempo da questa connessione" in text(response)
    fragment = client.get("/invito/tre", headers=htmx())
    assert fragment.status_code == 429
    assert fragment.headers["HX-Retarget"] == "#alerts"
    assert "<html" not in text(fragment)
    assert "Troppi tentativi" in text(fragment)


def test_invitations_are_limited_per_invited_address(make_app, make_user):
    app = make_app(**LOW)
    coordinator = make_user(Role.COORDINATOR)
    client = app.test_client()
    assert login(client, coordinator.email, password=PASSWORD).status_code == 302
    data = {"name": "Anna Bianchi", "email": "anna@comune.example.it", "role": "operator"}
    for _ in range(2):
        client.post("/inviti/nuovo", data=data)
    response = client.post("/inviti/nuovo", data=data)
    assert response.status_code == 429
    page = text(response)
    assert "Troppi inviti in poco tempo per questo indirizzo e-mail" in page
    assert 'value="Anna Bianchi"' in page  # the form keeps what was typed
    assert 'id="invitation-form"' in page
    # Showing the form is never limited.
    assert client.get("/inviti/nuovo").status_code == 200


def test_resending_is_limited_per_invitation(make_app, make_user):
    app = make_app(**LOW)
    coordinator = make_user(Role.COORDINATOR)
    client = app.test_client()
    assert login(client, coordinator.email, password=PASSWORD).status_code == 302
    for _ in range(2):
        assert client.post("/inviti/999/invia-di-nuovo").status_code == 404
    response = client.post("/inviti/999/invia-di-nuovo", headers=htmx())
    assert response.status_code == 429
    assert "Troppi inviti in poco tempo per questo indirizzo e-mail" in text(response)
    # Another invitation, from another address (this one has used its 3 requests).
    other = client.post("/inviti/998/invia-di-nuovo", environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert other.status_code == 404


def test_the_second_factor_step_is_limited_per_address(make_app):
    app = make_app(**LOW)
    if "twofactor.verify" not in app.view_functions:
        pytest.skip("the second factor has not landed")
    client = app.test_client()
    path = app.url_for("twofactor.verify", _external=False)
    for _ in range(3):
        assert client.post(path, data={"code": "000000"}).status_code != 429
    response = client.post(path, data={"code": "000000"})
    assert response.status_code == 429
    assert "Troppi tentativi di accesso in poco tempo" in text(response)
    assert "Retry-After" in response.headers


def test_a_warning_once_per_window(make_app, caplog):
    app = make_app(**LOW)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="workspace.throttling"):
        for n in range(6):
            login(client, f"p{n}@comune.example.it")
    warnings = [r for r in caplog.records if r.name == "workspace.throttling"]
    assert len(warnings) == 1
    assert "accounts.login" in warnings[0].getMessage()


def test_each_app_counts_afresh_in_memory(make_app):
    first = make_app(**LOW).test_client()
    for n in range(3):
        login(first, f"p{n}@comune.example.it")
    assert login(first, "p@comune.example.it").status_code == 429
    second = make_app(**LOW).test_client()
    assert login(second, "p@comune.example.it").status_code == 422


def test_disabled_limits_let_everything_through(make_app):
    client = make_app(RATELIMIT_ENABLED=False, **LOW).test_client()
    for n in range(5):
        assert login(client, f"p{n}@comune.example.it").status_code == 422


@pytest.mark.skipif(not redis_answers(), reason="no Redis answers on 127.0.0.1:6379")
def test_two_servers_share_the_counts_in_redis(make_app):
    settings = {
        **LOW,
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "RATELIMIT_KEY_PREFIX": "tavolo-test-" + uuid.uuid4().hex,
    }
    one = make_app(**settings).test_client()
    two = make_app(**settings).test_client()
    assert "Redis" in type(one.application.extensions[throttling.EXTENSION].storage).__name__
    assert login(one, "a@comune.example.it").status_code == 422
    assert login(two, "b@comune.example.it").status_code == 422
    assert login(one, "c@comune.example.it").status_code == 422
    response = login(two, "d@comune.example.it")  # the fourth, on the other server
    assert response.status_code == 429
    assert "Troppi tentativi di accesso" in text(response)
    # A server with another prefix (another Tavolo on the same Redis) counts apart.
    other = make_app(**{**settings, "RATELIMIT_KEY_PREFIX": "altro-" + uuid.uuid4().hex})
    assert login(other.test_client(), "e@comune.example.it").status_code == 422


def test_redis_that_does_not_answer_falls_back_to_memory(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", **LOW)
    client = app.test_client()
    for n in range(3):
        assert login(client, f"p{n}@comune.example.it").status_code == 422
    assert login(client, "p@comune.example.it").status_code == 429
