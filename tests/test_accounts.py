"""Signing in and out, throttling, password change and reset."""

from datetime import timedelta

from werkzeug.security import check_password_hash

from tests.support import PASSWORD, link_in, plain, text
from workspace.accounts.models import LoginAttempt, PasswordReset, User
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.people.models import Role


def test_login_page_is_italian_and_has_labelled_fields(client):
    page = client.get("/accedi").get_data(as_text=True)
    assert 'lang="it"' in page
    assert '<label for="email">E-mail' in page
    assert '<label for="password">Password' in page


def test_anonymous_home_goes_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.endswith("/accedi")


def test_login_and_logout(client, auth, make_user):
    user = make_user(name="Giulia Ferri")
    response = auth.login(user)
    assert response.status_code == 302
    assert response.location == "/"
    assert "Ciao Giulia Ferri" in client.get("/").get_data(as_text=True)
    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get("/").status_code == 302


def test_logout_needs_post(client, auth, make_user):
    auth.login(make_user())
    assert client.get("/esci").status_code == 405
    assert client.get("/").status_code == 200


def test_login_error_does_not_reveal_whether_the_account_exists(client, auth, make_user):
    user = make_user()
    wrong_password = auth.login(user, password="sbagliata-123")
    unknown = auth.login("nessuno@comune.example.it", password="sbagliata-123")
    assert wrong_password.status_code == unknown.status_code == 422
    message = "E-mail o password non corretti."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_login_keeps_what_was_typed(client, auth):
    page = auth.login("qualcuno@comune.example.it", password="x").get_data(as_text=True)
    assert 'value="qualcuno@comune.example.it"' in page


def test_email_is_case_insensitive(client, auth, make_user):
    user = make_user(email="maria.rossi@comune.example.it")
    assert auth.login("  Maria.Rossi@Comune.Example.IT ").status_code == 302
    assert user.email == "maria.rossi@comune.example.it"


def test_disabled_account_cannot_sign_in(client, auth, make_user):
    user = make_user(active=False)
    assert auth.login(user).status_code == 422


def test_repeated_failures_are_throttled_per_account(client, auth, make_user):
    user = make_user()
    for _ in range(5):
        assert auth.login(user, password="sbagliata-123").status_code == 422
    response = auth.login(user)  # even the right password waits now
    assert response.status_code == 429
    assert "Troppi tentativi" in response.get_data(as_text=True)
    # The window passes: the person can sign in again.
    for attempt in LoginAttempt.query.all():
        attempt.at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert auth.login(user).status_code == 302


def test_throttle_is_per_address_too(make_app, make_user):
    app = make_app(LOGIN_MAX_FAILURES_PER_ADDRESS=3)
    client = app.test_client()
    for n in range(3):
        client.post("/accedi", data={"email": f"x{n}@comune.example.it", "password": "no-no-no-1"})
    user = make_user()
    response = client.post("/accedi", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429


def test_successful_login_clears_failures(client, auth, make_user):
    user = make_user()
    auth.login(user, password="sbagliata-123")
    assert auth.login(user).status_code == 302
    assert LoginAttempt.query.filter_by(email=user.email).count() == 0


def test_next_parameter_is_followed_only_within_the_site(client, make_user):
    user = make_user()
    data = {"email": user.email, "password": PASSWORD}
    response = client.post("/accedi?next=/gruppi/", data=data)
    assert response.location == "/gruppi/"
    client.post("/esci")
    for bad in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post("/accedi?next=" + bad, data=data)
        assert response.location == "/", bad
        client.post("/esci")


def test_remember_me_sets_a_lasting_cookie(client, auth, make_user):
    # "Ricordami" makes the session cookie outlive the browser (with its own longer timeouts,
    # tests/test_sessions.py); Flask-Login's remember_token is not issued any more.
    response = auth.login(make_user(), remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session = [c for c in cookies if c.startswith("session=")]
    assert session and "HttpOnly" in session[0] and "SameSite=Lax" in session[0]
    assert "Expires=" in session[0]
    assert not [c for c in cookies if c.startswith("remember_token=")]


def test_session_cookie_flags(client, auth, make_user):
    response = auth.login(make_user())
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_change_password_ends_other_sessions(make_app, make_user):
    app = make_app()
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    for c in (here, elsewhere):
        c.post("/accedi", data={"email": user.email, "password": PASSWORD})
    response = here.post(
        "/profilo/password",
        data={
            "current_password": PASSWORD,
            "new_password": "un-altra-password-lunga",
            "confirm": "un-altra-password-lunga",
        },
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200  # this session goes on
    assert elsewhere.get("/").status_code == 302  # the other one is over
    here.post("/esci")
    assert (
        here.post(
            "/accedi", data={"email": user.email, "password": "un-altra-password-lunga"}
        ).status_code
        == 302
    )


def test_change_password_errors_next_to_fields(client, login_as):
    login_as()
    response = client.post(
        "/profilo/password",
        data={"current_password": "non-lei", "new_password": "password", "confirm": "diversa"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "La password attuale non è corretta." in page
    assert "Le due password non coincidono." in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="current_password-error"' in page


def test_change_password_refuses_common_passwords(client, login_as):
    login_as()
    response = client.post(
        "/profilo/password",
        data={"current_password": PASSWORD, "new_password": "qwertyuiop", "confirm": "qwertyuiop"},
    )
    assert response.status_code == 422
    assert "tra le più usate" in response.get_data(as_text=True)


def test_password_reset_by_mail(client, make_user, outbox):
    user = make_user(name="Paolo Conti")
    response = client.post("/password/dimenticata", data={"email": user.email})
    assert response.status_code == 302
    (message,) = outbox()
    assert message["To"] == user.email
    assert "Paolo Conti" in message.get_content()
    link = link_in(message, "password/reimposta/")
    form = client.get(link)
    assert form.status_code == 200
    response = client.post(
        link, data={"password": "nuova-password-sicura", "confirm": "nuova-password-sicura"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # signed in straight away
    # The link worked once.
    assert client.get(link).status_code == 404
    client.post("/esci")
    assert (
        client.post(
            "/accedi", data={"email": user.email, "password": "nuova-password-sicura"}
        ).status_code
        == 302
    )


def test_password_reset_says_the_same_for_unknown_addresses(client, outbox):
    response = client.post("/password/dimenticata", data={"email": "nessuno@comune.example.it"})
    assert response.status_code == 302
    assert outbox() == []
    assert "Se l'indirizzo corrisponde" in text(client.get("/accedi"))


def test_password_reset_link_expires(client, make_user, outbox):
    user = make_user()
    client.post("/password/dimenticata", data={"email": user.email})
    link = link_in(outbox()[0], "password/reimposta/")
    reset = PasswordReset.query.one()
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(link)
    assert response.status_code == 404
    assert "non è più valido" in response.get_data(as_text=True)


def test_password_reset_form_errors_keep_the_page(client, make_user, outbox):
    user = make_user()
    client.post("/password/dimenticata", data={"email": user.email})
    link = link_in(outbox()[0], "password/reimposta/")
    response = client.post(link, data={"password": "corta", "confirm": "corta"})
    assert response.status_code == 422
    assert "almeno 8 caratteri" in response.get_data(as_text=True)


def test_password_reset_invalid_email_format(client):
    response = client.post("/password/dimenticata", data={"email": "non-una-mail"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "indirizzo e-mail valido" in page
    assert 'value="non-una-mail"' in page


def test_passwords_are_hashed_with_a_slow_kdf(make_app):
    app = make_app(PASSWORD_HASH_METHOD="scrypt")
    from workspace.accounts.service import hash_password

    with app.app_context():
        assert hash_password("una-password-robusta-42").startswith("scrypt:")


def test_disabling_an_account_ends_its_sessions(make_app, make_user):
    app = make_app()
    person = make_user()
    coordinator = make_user(Role.COORDINATOR)
    theirs, mine = app.test_client(), app.test_client()
    theirs.post("/accedi", data={"email": person.email, "password": PASSWORD})
    mine.post("/accedi", data={"email": coordinator.email, "password": PASSWORD})
    assert theirs.get("/").status_code == 200
    assert mine.post(f"/persone/{person.id}/disattiva").status_code == 303
    assert theirs.get("/").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).active is False


def _session_cookie(client):
    return client.get_cookie("session", domain="tavolo.test")


def test_logout_makes_every_copy_of_the_remembered_session_worthless(make_app, make_user):
    app = make_app()
    user = make_user()
    browser = app.test_client()
    browser.post("/accedi", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    copy = _session_cookie(browser).value
    # The cookie alone signs in (a browser restarted, or someone who copied it).
    elsewhere = app.test_client()
    elsewhere.set_cookie("session", copy, domain="tavolo.test")
    assert elsewhere.get("/").status_code == 200

    response = browser.post("/esci")
    assert response.status_code == 302
    assert browser.get("/").status_code == 302
    # Every copy of the cookie is worthless now, and so is the other session.
    stale = app.test_client()
    stale.set_cookie("session", copy, domain="tavolo.test")
    assert stale.get("/").status_code == 302
    assert elsewhere.get("/").status_code == 302
    # The person signs in again as usual.
    assert browser.post(
        "/accedi", data={"email": user.email, "password": PASSWORD}
    ).status_code == (302)


def test_logout_keeps_the_chosen_language(client, auth, make_user):
    client.post("/lingua", data={"locale": "en", "next": "/accedi"})
    auth.login(make_user(locale="en"))
    auth.logout()
    assert 'lang="en"' in client.get("/accedi").get_data(as_text=True)


def test_password_hint_follows_the_minimum_length_setting(make_app, make_user):
    app = make_app(PASSWORD_MIN_LENGTH=12)
    client = app.test_client()
    user = make_user()
    client.post("/accedi", data={"email": user.email, "password": PASSWORD})
    page = text(client.get("/profilo/password"))
    assert "Almeno 12 caratteri." in page and "Almeno 8 caratteri." not in page
    response = client.post(
        "/profilo/password",
        data={"current_password": PASSWORD, "new_password": "corta-123", "confirm": "corta-123"},
    )
    assert response.status_code == 422
    assert "almeno 12 caratteri" in text(response)


def test_forgot_password_says_the_same_in_every_case(make_app, make_user, caplog):
    """Account or not, mail sent or refused by the server: the same answer, word for word."""
    import socket

    with socket.socket() as probe:  # a port nobody listens on: the mail server is down
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    answers = []
    for settings, email in (
        ({}, "esiste@comune.example.it"),
        ({}, "nessuno@comune.example.it"),
        (
            {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": closed_port, "MAIL_OUTBOX": False},
            "esiste-ma-la-posta-no@comune.example.it",
        ),
    ):
        app = make_app(**settings)
        with app.app_context():
            if email.startswith("esiste"):
                make_user(email=email)
        client = app.test_client()
        response = client.post("/password/dimenticata", data={"email": email})
        follow = client.get(response.location)
        answers.append((response.status_code, response.location, plain(follow)))
    assert answers[0][0] == 302
    assert answers[0] == answers[1] == answers[2]
    assert "Se l'indirizzo corrisponde a un account attivo" in answers[0][2]
    assert "password reset mail for user" in caplog.text and "not sent" in caplog.text


def test_forgot_password_is_throttled_per_address(client, make_user, outbox):
    user = make_user()
    for _ in range(5):
        assert client.post("/password/dimenticata", data={"email": user.email}).status_code == 302
    assert len(outbox()) == 5
    response = client.post("/password/dimenticata", data={"email": user.email})
    assert response.status_code == 429
    assert "Troppe richieste in poco tempo" in text(response)
    assert len(outbox()) == 5
    # The same for an address without an account: nothing tells them apart.
    for _ in range(5):
        client.post("/password/dimenticata", data={"email": "nessuno@comune.example.it"})
    response = client.post("/password/dimenticata", data={"email": "nessuno@comune.example.it"})
    assert response.status_code == 429


def test_forgot_password_is_throttled_per_network_address(make_app, make_user, outbox):
    app = make_app(LOGIN_MAX_FAILURES_PER_ADDRESS=3)
    client = app.test_client()
    for n in range(3):
        client.post("/password/dimenticata", data={"email": f"x{n}@comune.example.it"})
    user = make_user()
    response = client.post("/password/dimenticata", data={"email": user.email})
    assert response.status_code == 429
    assert outbox() == []
    # Another network address is not held back.
    other = app.test_client()
    response = other.post(
        "/password/dimenticata",
        data={"email": user.email},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 302
    assert len(outbox()) == 1


def test_completing_a_reset_clears_the_attempts(client, make_user, outbox):
    user = make_user()
    for _ in range(3):
        client.post("/accedi", data={"email": user.email, "password": "sbagliata-123"})
    client.post("/password/dimenticata", data={"email": user.email})
    link = link_in(outbox()[0], "password/reimposta/")
    client.post(
        link, data={"password": "nuova-password-sicura", "confirm": "nuova-password-sicura"}
    )
    assert LoginAttempt.query.filter_by(email=user.email).count() == 0


# -- Password hash settings and rehashing at sign-in (ASVS V11.4.2) -------------------------------


def _hash_with(user, method):
    from werkzeug.security import generate_password_hash

    user.password_hash = generate_password_hash(PASSWORD, method=method)
    db.session.commit()
    return user.password_hash


def _stored_hash(user):
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash


def test_the_default_password_hash_meets_asvs(make_app):
    from workspace import config

    assert config.PASSWORD_HASH_METHOD == "scrypt:32768:8:3"
    app = make_app(PASSWORD_HASH_METHOD=config.PASSWORD_HASH_METHOD)
    from workspace.accounts.service import hash_password

    with app.app_context():
        assert hash_password(PASSWORD).startswith("scrypt:32768:8:3$")


def test_an_old_password_hash_is_upgraded_at_sign_in(make_app, make_user):
    app = make_app(PASSWORD_HASH_METHOD="scrypt:32768:8:3")
    with app.app_context():
        user = make_user()
        old = _hash_with(user, "scrypt")  # Werkzeug's default, scrypt:32768:8:1
        assert old.startswith("scrypt:32768:8:1$")
        session_id = user.session_id
        client = app.test_client()
        assert (
            client.post("/accedi", data={"email": user.email, "password": PASSWORD}).status_code
            == 302
        )
        new = _stored_hash(user)
        assert new.startswith("scrypt:32768:8:3$") and new != old
        # The same password, so the person's sessions go on; the sign-in was recorded as usual.
        stored = db.session.get(User, user.id)
        assert stored.session_id == session_id and stored.last_login_at is not None
        assert client.get("/").status_code == 200
        client.post("/esci")
        assert (
            client.post("/accedi", data={"email": user.email, "password": PASSWORD}).status_code
            == 302
        )
        assert _stored_hash(user) == new  # already current: not hashed again


def test_a_password_hash_with_the_current_settings_is_left_alone(client, auth, make_user):
    user = make_user()
    before = _stored_hash(user)
    assert auth.login(user).status_code == 302
    assert _stored_hash(user) == before


def test_a_failed_sign_in_does_not_rehash(client, auth, make_user):
    user = make_user()
    old = _hash_with(user, "pbkdf2:sha256:999")
    assert auth.login(user, password="non-la-mia-password").status_code == 422
    assert _stored_hash(user) == old
    user.active = False  # the right password of a disabled account is no sign-in either
    db.session.commit()
    assert auth.login(user).status_code == 422
    assert _stored_hash(user) == old


def test_a_throttled_sign_in_does_not_rehash(make_app, make_user):
    app = make_app(LOGIN_MAX_FAILURES_PER_ACCOUNT=1)
    with app.app_context():
        user = make_user()
        old = _hash_with(user, "pbkdf2:sha256:999")
        client = app.test_client()
        client.post("/accedi", data={"email": user.email, "password": "sbagliata-sbagliata"})
        response = client.post("/accedi", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 429
        assert _stored_hash(user) == old


# -- The current password typed to change it counts as a sign-in attempt ---------------------------


def _change(client, current, new="un-altra-password-lunga", **kwargs):
    return client.post(
        "/profilo/password",
        data={"current_password": current, "new_password": new, "confirm": new},
        **kwargs,
    )


def test_a_wrong_current_password_is_a_failed_sign_in(client, login_as):
    from workspace.audit.models import AuditEntry

    user = login_as()
    assert _change(client, "non-la-mia-password").status_code == 422
    assert LoginAttempt.query.filter_by(email=user.email).count() == 1
    failed = AuditEntry.query.filter_by(action="auth.login_failed").one()
    assert failed.target_id == user.id and failed.detail == "password check: password change"
    # An empty field is not a guess: the form asks for it, nothing is counted.
    assert _change(client, "").status_code == 422
    assert LoginAttempt.query.filter_by(email=user.email).count() == 1


def test_guessing_the_current_password_is_throttled(client, login_as):
    user = login_as()
    for _ in range(5):
        assert _change(client, "non-la-mia-password").status_code == 422
    # Even the right password waits now, and the message is next to the field.
    response = _change(client, PASSWORD)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Troppi tentativi" in page and 'aria-describedby="current_password-error"' in page
    db.session.expire_all()
    assert check_password_hash(db.session.get(User, user.id).password_hash, PASSWORD)
    response = _change(client, PASSWORD, headers={"HX-Request": "true"})
    assert response.status_code == 429 and "<html" not in response.get_data(as_text=True)
    # The account is locked for signing in too, as after five wrong passwords at /accedi.
    client.post("/esci")
    assert (
        client.post("/accedi", data={"email": user.email, "password": PASSWORD}).status_code == 429
    )


def test_a_throttled_address_cannot_check_the_current_password(make_app, make_user):
    app = make_app(LOGIN_MAX_FAILURES_PER_ADDRESS=3)
    client = app.test_client()
    user = make_user()
    client.post("/accedi", data={"email": user.email, "password": PASSWORD})
    for n in range(3):
        other = app.test_client()
        other.post("/accedi", data={"email": f"x{n}@comune.example.it", "password": "no-no-no-1"})
    assert _change(client, PASSWORD).status_code == 429
