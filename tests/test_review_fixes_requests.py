"""Requests the app must not trust: Host headers, proxies' headers, NUL bytes, huge ids.

And the ``Vary: HX-Request`` that every page-or-fragment answer carries, errors and redirects
included.
"""

import pytest

from tests.support import PASSWORD, htmx, link_in, text
from workspace.groups.models import Membership
from workspace.people.models import Role

PUBLIC = "https://tavolo.provincia.example.it/spazio-neutro"


# -- Links in mail: PUBLIC_URL, never the Host header ------------------------------------------


@pytest.fixture
def public_app(make_app):
    # No SERVER_NAME: the request's Host header is what url_for(_external=True) would use.
    return make_app(SERVER_NAME=None, PUBLIC_URL=PUBLIC + "/")


def test_reset_link_is_built_on_public_url_not_on_the_host_header(public_app, make_user, outbox):
    user = make_user()
    client = public_app.test_client()
    response = client.post(
        "/password/dimenticata", data={"email": user.email}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 302
    body = outbox()[0].get_content()
    assert f"{PUBLIC}/password/reimposta/" in body
    assert "evil.example" not in body


def test_invitation_link_is_built_on_public_url(public_app, make_user, make_service, outbox):
    coordinator = make_user(Role.COORDINATOR)
    service = make_service()
    client = public_app.test_client()
    host = {"Host": "evil.example"}
    client.post("/accedi", data={"email": coordinator.email, "password": PASSWORD}, headers=host)
    response = client.post(
        "/inviti/nuovo",
        data={
            "name": "Anna Verdi",
            "email": "anna.verdi@comune.example.it",
            "role": "operator",
            "service_id": service.id,
        },
        headers=host,
    )
    assert response.status_code == 302
    body = outbox()[0].get_content()
    assert f"{PUBLIC}/invito/" in body and "evil.example" not in body


def test_without_public_url_tests_and_debug_use_the_request(make_app, make_user, outbox):
    app = make_app(SERVER_NAME=None)
    user = make_user()
    app.test_client().post(
        "/password/dimenticata", data={"email": user.email}, headers={"Host": "localhost:5000"}
    )
    assert link_in(outbox()[0], "password/reimposta/")
    assert "http://localhost:5000/password/reimposta/" in outbox()[0].get_content()


def test_trusted_hosts_refuse_any_other_host(make_app, make_user):
    app = make_app(SERVER_NAME=None, TRUSTED_HOSTS=["tavolo.provincia.example.it"])
    client = app.test_client()
    ok = client.get("/accedi", headers={"Host": "tavolo.provincia.example.it"})
    assert ok.status_code == 200
    refused = client.get("/accedi", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert "Richiesta non valida" in text(refused)
    user = make_user()
    refused = client.post(
        "/password/dimenticata", data={"email": user.email}, headers={"Host": "evil.example"}
    )
    assert refused.status_code == 400


# -- Reverse proxy ---------------------------------------------------------------------------


def _failed_login(client, **kwargs):
    return client.post(
        "/accedi", data={"email": "x@comune.example.it", "password": "sbagliata-1"}, **kwargs
    )


def test_forwarded_headers_are_ignored_by_default(make_app):
    from workspace.accounts.models import LoginAttempt

    app = make_app()
    response = _failed_login(
        app.test_client(),
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
    )
    assert "Strict-Transport-Security" not in response.headers
    with app.app_context():
        assert LoginAttempt.query.one().address == "127.0.0.1"


def test_proxy_fix_trusts_the_configured_proxies(make_app):
    from workspace.accounts.models import LoginAttempt

    app = make_app(PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1)
    response = _failed_login(
        app.test_client(),
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"},
    )
    # One proxy: the address it saw, not what the client wrote before it.
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    with app.app_context():
        assert LoginAttempt.query.one().address == "203.0.113.9"


# -- NUL bytes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/accedi", {"email": "a\x00b@comune.example.it", "password": "x"}),
        ("post", "/password/dimenticata", {"email": "a@comune.example.it\x00"}),
        ("get", "/gruppi/?q=%00", None),
        ("get", "/gruppi/ab%00cd", None),
        ("post", "/accedi", {"email\x00": "a@comune.example.it", "password": "x"}),
    ],
)
def test_nul_bytes_get_a_friendly_400(client, method, path, data):
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 400
    page = text(response)
    assert "Richiesta non valida" in page and "carattere nullo" in page and "<html" in page


def test_nul_bytes_signed_in_and_with_htmx(client, login_as):
    login_as()
    response = client.post("/profilo", data={"name": "Nome\x00"}, headers=htmx("profile-form"))
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#alerts"
    assert "carattere nullo" in text(response)


# -- Ids no column can hold --------------------------------------------------------------------

HUGE = ("2147483648", "9223372036854775808", "99999999999999999999")


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_are_not_found(client, login_as, make_user, make_group, number):
    me = login_as(Role.COORDINATOR)
    group = make_group(leads=[me])
    for method, path in (
        ("get", f"/servizi/{number}/modifica"),
        ("post", f"/servizi/{number}/ritira"),
        ("get", f"/persone/{number}"),
        ("post", f"/persone/{number}/disattiva"),
        ("post", f"/inviti/{number}/revoca"),
        ("post", f"/inviti/{number}/invia-di-nuovo"),
        ("post", f"/gruppi/{group.slug}/componenti/{number}/ruolo"),
        ("post", f"/gruppi/{group.slug}/componenti/{number}/rimuovi"),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == 404, (path, response.status_code)
        assert "Pagina non trovata" in text(response)


def test_huge_person_chosen_in_a_form_is_refused(client, login_as, make_group):
    me = login_as()
    group = make_group(leads=[me])
    response = client.post(
        f"/gruppi/{group.slug}/componenti", data={"user_id": HUGE[-1], "role": "member"}
    )
    assert response.status_code == 422
    assert Membership.query.filter_by(group_id=group.id).count() == 1


def test_largest_ids_still_load(app, make_service):
    from workspace.database import get_or_404
    from workspace.directory.models import Service

    service = make_service()
    with app.test_request_context():
        assert get_or_404(Service, service.id) == service
        with pytest.raises(Exception) as refused:
            get_or_404(Service, 2**31)
        assert getattr(refused.value, "code", None) == 404
        with pytest.raises(Exception) as missing:
            get_or_404(Service, 2**31 - 1)  # in range, and simply not there
        assert getattr(missing.value, "code", None) == 404


# -- Vary: HX-Request --------------------------------------------------------------------------


def test_error_pages_and_fragments_vary_on_hx_request(client, login_as):
    login_as()
    for headers in ({}, htmx("anything")):
        response = client.get("/gruppi/non-esiste", headers=headers)
        assert response.status_code == 404
        assert "HX-Request" in response.headers["Vary"]
    assert "HX-Request" in client.get("/persone").headers["Vary"]  # 403


def test_see_other_varies_on_hx_request(client, login_as, make_user):
    login_as(Role.COORDINATOR)
    person = make_user()
    plain = client.post(f"/persone/{person.id}/riattiva")
    assert plain.status_code == 303 and "HX-Request" in plain.headers["Vary"]
    fragment = client.post(f"/persone/{person.id}/riattiva", headers=htmx())
    assert fragment.status_code == 204 and fragment.headers["HX-Redirect"]
    assert "HX-Request" in fragment.headers["Vary"]
