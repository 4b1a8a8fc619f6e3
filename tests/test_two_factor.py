"""Verifica in due passaggi: enrolment, the second step of signing in, recovery codes, turning
it off, a coordinator's reset, and the requirement for coordinators."""

import base64
import hashlib
import math
import re
import secrets
from datetime import timedelta

import pyotp
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.support import PASSWORD, htmx, plain, text
from workspace.accounts import sessions
from workspace.accounts.models import LoginAttempt, User
from workspace.audit.models import AuditEntry
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.people.models import Role
from workspace.twofactor import service
from workspace.twofactor.models import RecoveryCode, TwoFactor

ENROL = "/profilo/verifica-in-due-passaggi/attiva"
MANAGE = "/profilo/verifica-in-due-passaggi"
VERIFY = "/accedi/verifica"
CODES = "/profilo/verifica-in-due-passaggi/codici"
DISABLE = "/profilo/verifica-in-due-passaggi/disattiva"


class Clock:
    """The second factor's clock, moved forward by hand: each sign-in needs a code of a step
    not used before, and real tests run faster than 30 seconds."""

    def __init__(self):
        self.offset = timedelta()

    def now(self):
        return utcnow() + self.offset

    def advance(self, steps=1):
        self.offset += timedelta(seconds=30 * steps)

    def code(self, secret, drift=0):
        return pyotp.TOTP(secret).at(self.now() + timedelta(seconds=30 * drift))


@pytest.fixture
def clock(monkeypatch):
    found = Clock()
    monkeypatch.setattr(service, "utcnow", found.now)
    return found


def password_step(client, user, *, remember=False, next_url=None):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    return client.post("/accedi" + (f"?next={next_url}" if next_url else ""), data=data)


def enrol(client, clock):
    """Enrol the signed-in person; (secret, recovery codes)."""
    page = client.get(ENROL)
    assert page.status_code == 200
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', text(page)).group(1)
    secret = secret.replace(" ", "")
    response = client.post(ENROL, data={"code": clock.code(secret)})
    assert response.status_code == 200, plain(response)
    codes = re.findall(r"<code>([a-z0-9-]+)</code>", text(response))
    assert len(codes) == 10
    clock.advance()
    return secret, codes


def sign_in_with_code(client, user, code, **kwargs):
    response = password_step(client, user, **kwargs)
    assert response.status_code == 302 and response.location == VERIFY
    return client.post(VERIFY, data={"code": code})


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def actions():
    return [entry.action for entry in db.session.scalars(db.select(AuditEntry))]


@pytest.fixture
def enrolled(app, client, make_user, clock):
    """A person with the second factor on, signed out; (user, secret, codes)."""
    user = make_user(name="Anna Operatrice")
    assert password_step(client, user).status_code == 302
    secret, codes = enrol(client, clock)
    client.post("/esci")
    return user, secret, codes


# -- Enrolment -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.EXTERNAL, Role.COORDINATOR])
def test_everyone_can_enrol_and_then_signs_in_with_a_code(client, make_user, clock, role):
    user = make_user(role)
    password_step(client, user)
    page = client.get(ENROL)
    body = page.get_data(as_text=True)
    assert '<img src="data:image/svg+xml;base64,' in body
    assert "<script" not in body.split("<main", 1)[-1].split("</main>")[0]
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', body).group(1).replace(" ", "")
    # Nothing is on until a right code is typed.
    response = client.post(ENROL, data={"code": "000000"})
    assert response.status_code == 422
    assert "Il codice non corrisponde" in text(response)
    assert 'value="000000"' in text(response)  # what was typed is kept
    assert not service.is_enabled(user)
    # The same secret on a second visit, until confirmed.
    assert secret.replace(" ", "") in text(client.get(ENROL)).replace(" ", "")
    response = client.post(ENROL, data={"code": clock.code(secret)})
    assert response.status_code == 200
    assert "I tuoi codici di recupero" in text(response)
    assert len(re.findall(r"<code>[a-z0-9]{4}(?:-[a-z0-9]{4}){5}</code>", text(response))) == 10
    db.session.expire_all()
    record = db.session.get(TwoFactor, user.id)
    assert record.enabled and record.pending_secret is None
    assert secret not in record.secret  # stored encrypted
    assert "twofactor.enrolled" in actions()
    assert signed_in(client)  # this session goes on
    client.post("/esci")
    clock.advance()
    response = sign_in_with_code(client, user, clock.code(secret))
    assert response.status_code == 303 and response.location == "/"
    assert signed_in(client)


def test_enrolment_page_as_htmx_fragment(client, make_user, clock):
    password_step(client, make_user())
    response = client.get(ENROL, headers=htmx("two-factor-enrol"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="two-factor-enrol"' in body
    response = client.post(ENROL, data={"code": "12"}, headers=htmx("two-factor-enrol"))
    assert response.status_code == 422 and "<html" not in response.get_data(as_text=True)
    assert "Il codice non corrisponde" in text(response)


def test_enrolling_ends_the_other_sessions(make_app, make_user):
    app = make_app()
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    password_step(here, user)
    password_step(elsewhere, user)
    clock = Clock()
    enrol(here, clock)
    assert signed_in(here)
    assert not signed_in(elsewhere)


def test_a_new_phone_replaces_the_old_only_once_confirmed(client, enrolled, clock):
    user, old_secret, old_codes = enrolled
    sign_in_with_code(client, user, clock.code(old_secret))
    clock.advance()
    page = text(client.get(ENROL))
    assert "Stai configurando un nuovo telefono" in page
    new_secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page).group(1)
    new_secret = new_secret.replace(" ", "")
    assert new_secret != old_secret
    # Not confirmed yet: the old phone still works.
    client.post("/esci")
    assert sign_in_with_code(client, user, clock.code(old_secret)).status_code == 303
    clock.advance()
    response = client.post(ENROL, data={"code": clock.code(new_secret), "password": PASSWORD})
    assert response.status_code == 200
    client.post("/esci")
    clock.advance()
    assert sign_in_with_code(client, user, clock.code(old_secret)).status_code == 422
    assert client.post(VERIFY, data={"code": old_codes[0]}).status_code == 422
    assert client.post(VERIFY, data={"code": clock.code(new_secret)}).status_code == 303


# -- The second step of signing in --------------------------------------------------------------


def test_the_password_alone_does_not_sign_in(client, enrolled, clock):
    user, secret, _ = enrolled
    response = password_step(client, user)
    assert response.location == VERIFY
    assert not signed_in(client)
    page = client.get(VERIFY)
    assert page.status_code == 200 and "codice di 6 cifre" in text(page)
    assert 'autocomplete="one-time-code"' in text(page)


def test_a_wrong_code_is_a_failed_sign_in(client, enrolled, clock):
    user, secret, _ = enrolled
    password_step(client, user)
    response = client.post(VERIFY, data={"code": "123456"})
    assert response.status_code == 422
    assert "Il codice non è corretto" in text(response)
    assert 'value="123456"' in text(response)
    assert not signed_in(client)
    assert LoginAttempt.query.filter_by(email=user.email).count() == 1
    failed = AuditEntry.query.filter_by(action="auth.login_failed").one()
    assert failed.detail == "second factor" and failed.target_id == user.id
    # The right one then works, and the failures are forgotten.
    response = client.post(VERIFY, data={"code": clock.code(secret)})
    assert response.status_code == 303
    assert LoginAttempt.query.filter_by(email=user.email).count() == 0
    login = AuditEntry.query.filter_by(action="auth.login").all()[-1]
    assert login.detail == "second factor"


def test_the_second_step_keeps_next_and_remember(client, enrolled, clock):
    user, secret, _ = enrolled
    response = sign_in_with_code(
        client, user, clock.code(secret), remember=True, next_url="/gruppi/"
    )
    assert response.location == "/gruppi/"
    with client.session_transaction() as session:
        assert session[sessions.LONG] is True
        assert session[sessions.SECOND_FACTOR] is True


def test_the_second_step_over_htmx(client, enrolled, clock):
    user, secret, _ = enrolled
    password_step(client, user)
    response = client.post(VERIFY, data={"code": "999999"}, headers=htmx("two-factor-verify"))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="two-factor-verify"' in body
    response = client.post(
        VERIFY, data={"code": clock.code(secret)}, headers=htmx("two-factor-verify")
    )
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/"
    assert signed_in(client)


def test_a_code_is_accepted_once(app, enrolled, clock):
    user, secret, _ = enrolled
    first, second = app.test_client(), app.test_client()
    code = clock.code(secret)
    assert sign_in_with_code(first, user, code).status_code == 303
    assert sign_in_with_code(second, user, code).status_code == 422
    assert not signed_in(second)
    # An earlier step's code after a later one was used: refused as well.
    clock.advance()
    assert second.post(VERIFY, data={"code": clock.code(secret, drift=-2)}).status_code == 422


def test_one_step_of_drift_either_way(app, enrolled, clock):
    user, secret, _ = enrolled
    client = app.test_client()
    assert sign_in_with_code(client, user, clock.code(secret, drift=-2)).status_code == 422
    assert client.post(VERIFY, data={"code": clock.code(secret, drift=2)}).status_code == 422
    assert client.post(VERIFY, data={"code": clock.code(secret, drift=1)}).status_code == 303
    client.post("/esci")
    clock.advance(3)
    assert sign_in_with_code(client, user, clock.code(secret, drift=-1)).status_code == 303


def test_the_pending_sign_in_expires(client, enrolled, clock):
    user, secret, _ = enrolled
    password_step(client, user)
    with client.session_transaction() as session:
        session[service.PENDING]["at"] -= 5 * 60
        session.modified = True
    response = client.post(VERIFY, data={"code": clock.code(secret)})
    assert response.status_code == 303 and response.location == "/accedi"
    assert "La verifica del codice è scaduta" in text(client.get("/accedi"))
    assert not signed_in(client)


def test_no_pending_sign_in_goes_to_the_sign_in_page(client):
    response = client.get(VERIFY)
    assert response.status_code == 303 and response.location == "/accedi"
    response = client.post(VERIFY, data={"code": "123456"}, headers=htmx())
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/accedi"


def test_a_password_change_elsewhere_voids_the_pending_sign_in(client, enrolled, clock):
    user, secret, _ = enrolled
    password_step(client, user)
    db.session.get(User, user.id).end_all_sessions()
    db.session.commit()
    response = client.post(VERIFY, data={"code": clock.code(secret)})
    assert response.status_code == 303 and response.location == "/accedi"


def test_too_many_wrong_codes_are_throttled(client, enrolled, clock):
    user, secret, _ = enrolled
    password_step(client, user)
    for _ in range(3):
        assert client.post(VERIFY, data={"code": "000000"}).status_code == 422
    # Typing the password again does not wipe the failures out.
    assert password_step(client, user).location == VERIFY
    for _ in range(2):
        assert client.post(VERIFY, data={"code": "000000"}).status_code == 422
    response = client.post(VERIFY, data={"code": clock.code(secret)})
    assert response.status_code == 429
    assert "Troppi tentativi" in text(response)
    assert not signed_in(client)
    assert password_step(client, user).status_code == 429
    assert "throttled" in [e.detail for e in AuditEntry.query.filter_by(action="auth.login_failed")]


def test_a_password_reset_does_not_skip_the_second_factor(client, enrolled, clock, outbox):
    from tests.support import link_in

    user, secret, _ = enrolled
    client.post("/password/dimenticata", data={"email": user.email})
    link = link_in(outbox()[-1], "password/reimposta/")
    response = client.post(
        link, data={"password": "nuova-password-sicura", "confirm": "nuova-password-sicura"}
    )
    assert response.status_code == 302 and response.location == VERIFY
    assert "Password aggiornata" in text(client.get(VERIFY))
    assert not signed_in(client)
    assert client.post(VERIFY, data={"code": clock.code(secret)}).status_code == 303
    assert signed_in(client)


# -- Recovery codes ------------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_offers_to_enrol_again(client, enrolled, clock):
    user, secret, codes = enrolled
    response = sign_in_with_code(client, user, codes[0].upper().replace("-", " "))
    assert response.status_code == 303 and response.location == MANAGE
    page = text(client.get(MANAGE))
    assert "Sei entrato con un codice di recupero" in page and "te ne restano 9" in page
    assert "Configura di nuovo" in page
    assert "twofactor.recovery_code_used" in actions()
    client.post("/esci")
    assert sign_in_with_code(client, user, codes[0]).status_code == 422
    assert client.post(VERIFY, data={"code": codes[1]}).status_code == 303


def test_new_recovery_codes_replace_the_old(client, enrolled, clock):
    user, secret, codes = enrolled
    sign_in_with_code(client, user, clock.code(secret))
    response = client.post(CODES, data={"codes-password": PASSWORD})
    assert response.status_code == 200
    new_codes = re.findall(r"<code>([a-z0-9-]+)</code>", text(response))
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert "non valgono più" in text(response)
    assert "twofactor.recovery_codes_renewed" in actions()
    assert RecoveryCode.query.filter_by(user_id=user.id).count() == 10
    client.post("/esci")
    assert sign_in_with_code(client, user, codes[2]).status_code == 422
    assert client.post(VERIFY, data={"code": new_codes[0]}).status_code == 303


def test_recovery_codes_are_kept_hashed(enrolled):
    user, _, codes = enrolled
    stored = {code.code_hash for code in RecoveryCode.query.filter_by(user_id=user.id)}
    assert len(stored) == 10
    assert not stored & {code.replace("-", "") for code in codes}


RECOVERY_CODE = re.compile(r"[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){5}")


def test_recovery_codes_have_at_least_112_bits(enrolled):
    _, _, codes = enrolled
    assert all(RECOVERY_CODE.fullmatch(code) for code in codes), codes
    alphabet = service._RECOVERY_ALPHABET
    assert not set(alphabet) & set("0o1li") and len(set(alphabet)) == len(alphabet)
    assert service._RECOVERY_LENGTH * math.log2(len(alphabet)) >= 112
    assert len(set(codes)) == len(codes)


def test_recovery_codes_are_plain_sha256_of_the_code_without_dashes(enrolled):
    user, _, codes = enrolled
    stored = {code.code_hash for code in RecoveryCode.query.filter_by(user_id=user.id)}
    expected = {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}
    assert stored == expected


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.replace("-", ""),
        lambda code: code.upper(),
        lambda code: code.replace("-", " ").upper(),
        lambda code: "  " + code.replace("-", "")[:12] + " " + code.replace("-", "")[12:] + " ",
        lambda code: code.title(),
    ],
)
def test_a_recovery_code_is_accepted_however_it_is_typed(client, enrolled, typed):
    user, _, codes = enrolled
    assert sign_in_with_code(client, user, typed(codes[3])).status_code == 303


def test_a_recovery_code_with_a_character_missing_or_changed_is_refused(client, enrolled):
    user, _, codes = enrolled
    code = codes[4].replace("-", "")
    assert sign_in_with_code(client, user, code[:-1]).status_code == 422
    changed = code[:-1] + ("a" if code[-1] != "a" else "b")
    assert client.post(VERIFY, data={"code": changed}).status_code == 422
    assert client.post(VERIFY, data={"code": code + "a"}).status_code == 422
    assert client.post(VERIFY, data={"code": code}).status_code == 303


def test_recovery_codes_page_says_how_to_type_them(client, enrolled, clock):
    user, secret, _ = enrolled
    sign_in_with_code(client, user, clock.code(secret))
    page = text(client.post(CODES, data={"codes-password": PASSWORD}))
    assert "con o senza trattini" in page and 'translate="no"' in page


def test_new_codes_need_the_factor_on(client, login_as):
    login_as()
    response = client.post("/profilo/verifica-in-due-passaggi/codici")
    assert response.status_code == 303
    assert "non è attiva" in text(client.get(response.location))


# -- The key --------------------------------------------------------------------------------------


def test_a_new_secret_key_needs_a_recovery_code(make_app, make_user):
    first = make_app()
    user = make_user()
    client = first.test_client()
    clock = Clock()
    password_step(client, user)
    secret, codes = enrol(client, clock)
    client = make_app().test_client()  # another SECRET_KEY
    assert sign_in_with_code(client, user, clock.code(secret)).status_code == 422
    assert client.post(VERIFY, data={"code": codes[0]}).status_code == 303


def test_two_factor_key_survives_a_new_secret_key(make_app, make_user):
    key = secrets.token_urlsafe(32)
    user = make_user()
    client = make_app(TWO_FACTOR_KEY=key).test_client()
    clock = Clock()
    password_step(client, user)
    secret, _ = enrol(client, clock)
    client = make_app(TWO_FACTOR_KEY=key).test_client()
    assert sign_in_with_code(client, user, clock.code(secret)).status_code == 303


def _sealed(token):
    """(nonce, ciphertext and tag) of a stored secret."""
    version, _, body = token.partition(":")
    assert version == "g1"
    raw = base64.urlsafe_b64decode(body)
    return raw[:12], raw[12:]


def test_secrets_are_encrypted_with_aes_256_gcm_bound_to_the_person(app, enrolled):
    user, secret, _ = enrolled
    stored = db.session.get(TwoFactor, user.id).secret
    assert secret not in stored and len(stored) <= 255
    nonce, sealed = _sealed(stored)
    key = base64.urlsafe_b64decode(service.derived_key(app.config["SECRET_KEY"]))
    assert len(key) == 32 and len(nonce) == 12
    aad = f"tavolo two-factor secret of user {user.id}".encode()
    assert AESGCM(key).decrypt(nonce, sealed, aad).decode() == secret
    with pytest.raises(InvalidTag):
        other = f"tavolo two-factor secret of user {user.id + 1}".encode()
        AESGCM(key).decrypt(nonce, sealed, other)


def test_each_encryption_has_its_own_nonce(app, make_user):
    user = make_user()
    first = service._encrypt("JBSWY3DPEHPK3PXP", user.id)
    second = service._encrypt("JBSWY3DPEHPK3PXP", user.id)
    assert first != second and _sealed(first)[0] != _sealed(second)[0]
    assert (
        service._decrypt(first, user.id) == service._decrypt(second, user.id) == "JBSWY3DPEHPK3PXP"
    )


def test_an_altered_or_moved_secret_is_not_read(app, make_user, caplog):
    user, other = make_user(), make_user()
    token = service._encrypt("JBSWY3DPEHPK3PXP", user.id)
    nonce, sealed = _sealed(token)
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    altered = "g1:" + base64.urlsafe_b64encode(nonce + flipped).decode()
    assert service._decrypt(altered, user.id) is None
    assert service._decrypt(token, other.id) is None
    assert service._decrypt("g1:not base64!", user.id) is None
    assert service._decrypt("gAAAAABfernet-token", user.id) is None  # not this cipher
    assert "cannot be decrypted" in caplog.text


def test_a_secret_copied_to_another_person_does_not_sign_them_in(make_app, make_user):
    app = make_app()
    clock = Clock()
    victim, intruder = make_user(), make_user()
    client = app.test_client()
    password_step(client, victim)
    secret, _ = enrol(client, clock)
    client.post("/esci")
    password_step(client, intruder)
    enrol(client, clock)
    client.post("/esci")
    # Someone able to write the table copies the victim's ciphertext onto their own row.
    db.session.get(TwoFactor, intruder.id).secret = db.session.get(TwoFactor, victim.id).secret
    db.session.commit()
    assert sign_in_with_code(client, intruder, clock.code(secret)).status_code == 422


def test_the_old_derived_key_keeps_secrets_readable_after_a_new_secret_key(make_app, make_user):
    first = make_app()
    user = make_user()
    client = first.test_client()
    clock = Clock()
    password_step(client, user)
    secret, _ = enrol(client, clock)
    kept = service.derived_key(first.config["SECRET_KEY"])
    client = make_app(TWO_FACTOR_KEY=kept).test_client()  # another SECRET_KEY
    assert sign_in_with_code(client, user, clock.code(secret)).status_code == 303


@pytest.mark.parametrize("key", ["troppo-corta", secrets.token_urlsafe(16), "è" * 43])
def test_a_two_factor_key_that_is_not_256_bits_stops_the_app(make_app, key):
    with pytest.raises(service.TwoFactorKeyError):
        make_app(TWO_FACTOR_KEY=key)


def test_an_old_password_hash_is_upgraded_at_the_password_step(client, enrolled, clock):
    """The password is not known any more when the code is typed: the renewed hash is kept as
    soon as the password is right, and the sign-in then goes on as usual."""
    from werkzeug.security import generate_password_hash

    user, secret, _ = enrolled
    user = db.session.get(User, user.id)
    user.password_hash = old = generate_password_hash(PASSWORD, method="pbkdf2:sha256:999")
    db.session.commit()
    assert password_step(client, user).location == VERIFY
    db.session.expire_all()
    renewed = db.session.get(User, user.id).password_hash
    assert renewed != old and renewed.startswith(
        client.application.config["PASSWORD_HASH_METHOD"] + "$"
    )
    assert client.post(VERIFY, data={"code": clock.code(secret)}).status_code == 303
    assert signed_in(client)


# -- Turning it off ------------------------------------------------------------------------------


def test_turning_it_off_asks_the_password(client, enrolled, clock):
    user, secret, _ = enrolled
    sign_in_with_code(client, user, clock.code(secret))
    page = text(client.get(MANAGE))
    assert "è attiva dal" in page and 'id="two-factor-disable"' in page
    response = client.post(
        "/profilo/verifica-in-due-passaggi/disattiva", data={"password": "non-la-mia"}
    )
    assert response.status_code == 422
    assert "La password attuale non è corretta." in text(response)
    assert 'aria-describedby="password-error"' in text(response)
    assert service.is_enabled(user)
    response = client.post(
        "/profilo/verifica-in-due-passaggi/disattiva",
        data={"password": "non-la-mia"},
        headers=htmx("two-factor-disable"),
    )
    assert response.status_code == 422 and "<html" not in response.get_data(as_text=True)
    response = client.post(
        "/profilo/verifica-in-due-passaggi/disattiva", data={"password": PASSWORD}
    )
    assert response.status_code == 303
    assert "twofactor.disabled" in actions()
    db.session.expire_all()
    assert not service.is_enabled(user)
    assert RecoveryCode.query.filter_by(user_id=user.id).count() == 0
    client.post("/esci")
    assert password_step(client, user).location == "/"


def test_the_profile_shows_the_way_to_it(client, login_as):
    login_as()
    page = text(client.get("/profilo"))
    assert "Verifica in due passaggi" in page and MANAGE in page
    assert "La verifica in due passaggi non è attiva." in text(client.get(MANAGE))


# -- Required for coordinators --------------------------------------------------------------------


@pytest.fixture
def strict(make_app):
    """The production default: coordinators must use a second factor."""
    app = make_app(TWO_FACTOR_REQUIRED_ROLES=["coordinator"])
    return app


def test_a_coordinator_must_enrol_before_anything_else(strict, make_user):
    assert strict.config["TWO_FACTOR_REQUIRED_ROLES"] == ["coordinator"]
    client = strict.test_client()
    coordinator = make_user(Role.COORDINATOR)
    assert password_step(client, coordinator).status_code == 302
    for url in ("/", "/persone", "/gruppi/", MANAGE, "/profilo"):
        response = client.get(url)
        assert response.status_code == 303 and response.location == ENROL, url
    response = client.get("/gruppi/", headers=htmx())
    assert response.status_code == 204 and response.headers["HX-Redirect"] == ENROL
    # The bell's poll gets nothing, and no redirect while the code is being typed.
    response = client.get("/notifiche/conteggio", headers=htmx())
    assert response.status_code == 204 and "HX-Redirect" not in response.headers
    page = client.get(ENROL)
    assert page.status_code == 200 and "è obbligatoria" in text(page)
    enrol(client, Clock())
    assert client.get("/persone").status_code == 200


def test_a_coordinator_may_sign_out_before_enrolling(strict, make_user):
    client = strict.test_client()
    password_step(client, make_user(Role.COORDINATOR))
    assert client.post("/esci").status_code == 302
    assert client.get("/").location.startswith("/accedi")


def test_an_enrolled_coordinator_passes_the_second_step_and_cannot_turn_it_off(strict, make_user):
    client = strict.test_client()
    coordinator = make_user(Role.COORDINATOR)
    password_step(client, coordinator)
    clock = Clock()
    secret, _ = enrol(client, clock)
    client.post("/esci")
    assert sign_in_with_code(client, coordinator, clock.code(secret)).status_code == 303
    assert client.get("/persone").status_code == 200
    page = text(client.get(MANAGE))
    assert "non si può disattivare" in page and 'id="two-factor-disable"' not in page
    response = client.post(
        "/profilo/verifica-in-due-passaggi/disattiva", data={"password": PASSWORD}
    )
    assert response.status_code == 303
    assert "è obbligatoria" in text(client.get(response.location))
    assert service.is_enabled(coordinator)


def test_operators_are_not_required(strict, make_user):
    client = strict.test_client()
    password_step(client, make_user(Role.OPERATOR))
    assert client.get("/").status_code == 200
    external = strict.test_client()
    password_step(external, make_user(Role.EXTERNAL))
    assert external.get("/").status_code == 200


def test_a_person_made_coordinator_enrols_at_the_next_request(strict, make_user):
    from workspace.people.models import Profile

    client = strict.test_client()
    person = make_user(Role.OPERATOR)
    password_step(client, person)
    assert client.get("/").status_code == 200
    profile = db.session.get(Profile, person.id)
    profile.role = Role.COORDINATOR
    db.session.commit()
    assert client.get("/").location == ENROL


# -- A coordinator's reset -----------------------------------------------------------------------


def test_a_coordinator_resets_a_lost_phone(app, make_user, enrolled, clock):
    user, secret, _ = enrolled
    theirs, mine = app.test_client(), app.test_client()
    assert sign_in_with_code(theirs, user, clock.code(secret)).status_code == 303
    coordinator = make_user(Role.COORDINATOR)
    password_step(mine, coordinator)
    page = text(mine.get(f"/persone/{user.id}"))
    assert 'id="two-factor-panel"' in page and "Azzera la verifica in due passaggi" in page
    response = mine.post(f"/persone/{user.id}/verifica-in-due-passaggi/azzera")
    assert response.status_code == 303 and response.location == f"/persone/{user.id}"
    assert "azzerata" in text(mine.get(response.location))
    assert not signed_in(theirs)  # their sessions ended
    entry = AuditEntry.query.filter_by(action="twofactor.reset").one()
    assert entry.actor_id == coordinator.id and entry.target_id == user.id
    assert password_step(theirs, user).location == "/"  # the password alone, then enrol again
    response = mine.post(f"/persone/{user.id}/verifica-in-due-passaggi/azzera", headers=htmx())
    assert response.status_code == 204 and "HX-Redirect" in response.headers


def test_only_coordinators_reset_and_not_their_own(client, make_user, enrolled, login_as):
    user, _, _ = enrolled
    login_as(Role.OPERATOR)
    assert client.post(f"/persone/{user.id}/verifica-in-due-passaggi/azzera").status_code == 403
    assert service.is_enabled(user)
    client.post("/esci")
    coordinator = login_as(Role.COORDINATOR)
    response = client.post(f"/persone/{coordinator.id}/verifica-in-due-passaggi/azzera")
    assert response.status_code == 303
    assert "si gestisce dal tuo profilo" in text(client.get(response.location))
    assert client.post("/persone/999999/verifica-in-due-passaggi/azzera").status_code == 404


# -- A password reset does not wipe out failed codes ---------------------------------------------


def test_a_password_reset_does_not_forget_the_failed_codes(client, enrolled, clock, outbox):
    """Whoever holds the mailbox could otherwise reset the count at every new link, and try
    codes without end: the failures are forgotten once the code passes, not before."""
    from tests.support import link_in

    user, secret, _ = enrolled
    password_step(client, user)
    for _ in range(3):
        assert client.post(VERIFY, data={"code": "000000"}).status_code == 422
    client.post("/password/dimenticata", data={"email": user.email})  # counts as well: 4
    link = link_in(outbox()[-1], "password/reimposta/")
    new = "nuova-password-sicura"
    response = client.post(link, data={"password": new, "confirm": new})
    assert response.status_code == 302 and response.location == VERIFY
    assert LoginAttempt.query.filter_by(email=user.email).count() == 4
    assert client.post(VERIFY, data={"code": "000000"}).status_code == 422
    assert client.post(VERIFY, data={"code": clock.code(secret)}).status_code == 429
    assert not signed_in(client)
    # And no new link to start again from zero.
    response = client.post("/password/dimenticata", data={"email": user.email})
    assert response.status_code == 429


def test_after_a_password_reset_the_right_code_forgets_the_failures(
    client, enrolled, clock, outbox
):
    from tests.support import link_in

    user, secret, _ = enrolled
    password_step(client, user)
    assert client.post(VERIFY, data={"code": "000000"}).status_code == 422
    client.post("/password/dimenticata", data={"email": user.email})
    link = link_in(outbox()[-1], "password/reimposta/")
    new = "nuova-password-sicura"
    client.post(link, data={"password": new, "confirm": new})
    assert LoginAttempt.query.filter_by(email=user.email).count() == 2
    assert client.post(VERIFY, data={"code": clock.code(secret)}).status_code == 303
    assert LoginAttempt.query.filter_by(email=user.email).count() == 0


# -- The password asked again before changing the factor (ASVS V7.5.1) ---------------------------


def failures(user, detail):
    return [
        entry
        for entry in AuditEntry.query.filter_by(action="auth.login_failed")
        if entry.detail == detail and entry.target_id == user.id
    ]


def test_a_wrong_password_to_turn_it_off_is_a_failed_sign_in(client, enrolled, clock):
    user, secret, _ = enrolled
    sign_in_with_code(client, user, clock.code(secret))
    assert client.post(DISABLE, data={"password": "non-la-mia"}).status_code == 422
    assert LoginAttempt.query.filter_by(email=user.email).count() == 1
    assert len(failures(user, "password check: second factor turned off")) == 1


def test_guessing_the_password_to_turn_it_off_is_throttled(client, enrolled, clock):
    user, secret, _ = enrolled
    sign_in_with_code(client, user, clock.code(secret))
    for _ in range(5):
        assert client.post(DISABLE, data={"password": "non-la-mia"}).status_code == 422
    response = client.post(DISABLE, data={"password": PASSWORD})
    assert response.status_code == 429
    assert "Troppi tentativi" in text(response)
    assert 'aria-describedby="password-error"' in text(response)
    response = client.post(DISABLE, data={"password": PASSWORD}, headers=htmx("two-factor-disable"))
    assert response.status_code == 429 and "<html" not in response.get_data(as_text=True)
    assert "Troppi tentativi" in text(response)
    db.session.expire_all()
    assert service.is_enabled(user)
    assert LoginAttempt.query.filter_by(email=user.email).count() == 5


def test_a_new_phone_asks_the_password(client, enrolled, clock):
    user, old_secret, _ = enrolled
    sign_in_with_code(client, user, clock.code(old_secret))
    clock.advance()
    page = text(client.get(ENROL))
    assert 'name="password"' in page and 'autocomplete="current-password"' in page
    new_secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page).group(1)
    new_secret = new_secret.replace(" ", "")
    # Without it, or with a wrong one, nothing changes.
    response = client.post(ENROL, data={"code": clock.code(new_secret)})
    assert response.status_code == 422
    assert 'id="password-error"' in text(response)
    assert LoginAttempt.query.filter_by(email=user.email).count() == 0  # not a guess
    response = client.post(ENROL, data={"code": clock.code(new_secret), "password": "non-la-mia"})
    assert response.status_code == 422
    assert "La password attuale non è corretta." in text(response)
    assert 'id="password-error"' in text(response)
    assert f'value="{clock.code(new_secret)}"' in text(response)  # the code typed is kept
    assert LoginAttempt.query.filter_by(email=user.email).count() == 1
    assert len(failures(user, "password check: new phone")) == 1
    response = client.post(
        ENROL,
        data={"code": clock.code(new_secret), "password": "non-la-mia"},
        headers=htmx("two-factor-enrol"),
    )
    assert response.status_code == 422 and "<html" not in response.get_data(as_text=True)
    db.session.expire_all()
    record = db.session.get(TwoFactor, user.id)
    assert service._decrypt(record.secret, user.id) == old_secret
    # With it, the new phone replaces the old one.
    response = client.post(ENROL, data={"code": clock.code(new_secret), "password": PASSWORD})
    assert response.status_code == 200 and "I tuoi codici di recupero" in text(response)
    db.session.expire_all()
    assert service._decrypt(db.session.get(TwoFactor, user.id).secret, user.id) == new_secret


def test_a_new_phone_is_refused_when_throttled(client, enrolled, clock):
    user, secret, _ = enrolled
    sign_in_with_code(client, user, clock.code(secret))
    clock.advance()
    page = text(client.get(ENROL))
    new_secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page).group(1)
    new_secret = new_secret.replace(" ", "")
    for _ in range(5):
        data = {"code": clock.code(new_secret), "password": "non-la-mia"}
        assert client.post(ENROL, data=data).status_code == 422
    response = client.post(ENROL, data={"code": clock.code(new_secret), "password": PASSWORD})
    assert response.status_code == 429 and "Troppi tentativi" in text(response)
    db.session.expire_all()
    assert service._decrypt(db.session.get(TwoFactor, user.id).secret, user.id) == secret


def test_the_first_enrolment_does_not_ask_the_password_again(strict, make_user):
    client = strict.test_client()
    coordinator = make_user(Role.COORDINATOR)
    password_step(client, coordinator)
    page = text(client.get(ENROL))
    assert 'name="password"' not in page
    enrol(client, Clock())  # the code alone
    assert service.is_enabled(coordinator)


def test_new_recovery_codes_ask_the_password(client, enrolled, clock):
    user, secret, codes = enrolled
    sign_in_with_code(client, user, clock.code(secret))
    page = text(client.get(MANAGE))
    assert 'name="codes-password"' in page and 'id="two-factor-codes"' in page
    response = client.post(CODES)
    assert response.status_code == 422
    assert 'aria-describedby="codes-password-error"' in text(response)
    response = client.post(CODES, data={"codes-password": "non-la-mia"})
    assert response.status_code == 422
    assert "La password attuale non è corretta." in text(response)
    assert 'aria-describedby="codes-password-error"' in text(response)
    assert "<code>" not in text(response)
    assert len(failures(user, "password check: new recovery codes")) == 1
    response = client.post(
        CODES, data={"codes-password": "non-la-mia"}, headers=htmx("two-factor-codes")
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="two-factor-codes"' in body
    assert LoginAttempt.query.filter_by(email=user.email).count() == 2
    assert "twofactor.recovery_codes_renewed" not in actions()
    # The old codes still work.
    assert RecoveryCode.query.filter_by(user_id=user.id, used_at=None).count() == 10
    for _ in range(3):
        client.post(CODES, data={"codes-password": "non-la-mia"})
    response = client.post(CODES, data={"codes-password": PASSWORD})
    assert response.status_code == 429 and "Troppi tentativi" in text(response)
    assert "twofactor.recovery_codes_renewed" not in actions()
    client.post("/esci")
    # Throttled: wait for the window, then the old code signs in.
    for attempt in LoginAttempt.query.all():
        attempt.at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert sign_in_with_code(client, user, codes[0]).status_code == 303


# -- Enrolling does not extend the session (ASVS V7.3.2) -----------------------------------------


@pytest.fixture
def session_clock(monkeypatch):
    moment = {"now": 1_800_000_000}
    monkeypatch.setattr(sessions, "now", lambda: moment["now"])
    return moment


def test_enrolling_keeps_the_time_of_the_sign_in(strict, make_user, session_clock):
    client = strict.test_client()
    coordinator = make_user(Role.COORDINATOR)
    password_step(client, coordinator)
    signed_in_at = session_clock["now"]
    session_clock["now"] += 600
    clock = Clock()
    secret, _ = enrol(client, clock)
    with client.session_transaction() as session:
        assert session[sessions.LOGIN_AT] == signed_in_at
        assert session[sessions.SECOND_FACTOR] is True
    # A new phone, eleven hours later (the person active all along).
    for _ in range(7):
        session_clock["now"] += 90 * 60
        assert client.get("/").status_code == 200
    page = text(client.get(ENROL))
    new_secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page).group(1)
    new_secret = new_secret.replace(" ", "")
    response = client.post(ENROL, data={"code": clock.code(new_secret), "password": PASSWORD})
    assert response.status_code == 200
    with client.session_transaction() as session:
        assert session[sessions.LOGIN_AT] == signed_in_at
        assert session[sessions.SECOND_FACTOR] is True
    # Twelve hours after the sign-in the session is over, enrolments or not.
    session_clock["now"] = signed_in_at + 12 * 3600 - 1
    assert client.get("/").status_code == 200
    session_clock["now"] += 2
    assert client.get("/").location.startswith("/accedi")
