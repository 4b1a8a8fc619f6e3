"""Second factor rules: enrolment, checking a code at sign-in, recovery codes, turning it off.

TOTP (RFC 6238, 30-second steps, 6 digits) with ``pyotp``; a code is accepted for the current
step and one step either side (clocks drift), and never twice: the newest accepted step is
kept per person and the update that records it is conditional, so two requests racing with
the same code cannot both win.

The secrets are encrypted with AES-256-GCM: a random 96-bit nonce for each encryption is kept
with the ciphertext, and the person's id is the associated data, so a secret copied onto another
person's row does not decrypt. The 256-bit key is the ``TWO_FACTOR_KEY`` setting (32 bytes in
URL-safe base64), or by default one derived from ``SECRET_KEY`` with HKDF-SHA256 (``derived_key``
gives it, to be kept in TWO_FACTOR_KEY before SECRET_KEY is rotated). Without that, rotating
SECRET_KEY makes every secret unreadable, and the people enrolled then sign in with a recovery
code and enrol again. Recovery codes (24 characters of 31, 118 random bits each, from
``secrets``) are kept as plain SHA-256 hashes, which ASVS accepts from 112 bits on and which do
not depend on any key.

While the password is right but the code is not yet typed, the session holds a short-lived
"pending" state (``TWO_FACTOR_PENDING_LIFETIME``, 5 minutes), never a signed-in person.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, session
from sqlalchemy import delete, func, select, update

from workspace import audit
from workspace.accounts import service as accounts
from workspace.accounts import sessions
from workspace.accounts.models import User
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.twofactor.models import RecoveryCode, TwoFactor

log = logging.getLogger(__name__)

ISSUER = "Tavolo"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed
_RECOVERY_LENGTH = 24  # 24 of 31 characters: 118 bits (ASVS V6.5.2 asks 112 for plain SHA-256)
_RECOVERY_GROUP = 4  # shown as six groups of four, with dashes
PENDING = "two_factor_pending"


# Keys and secrets ------------------------------------------------------------------------


_CIPHER_VERSION = "g1"  # AES-256-GCM; the version lets a later change of cipher read old rows
_NONCE_BYTES = 12  # 96 bits, as GCM recommends


class TwoFactorKeyError(RuntimeError):
    """TWO_FACTOR_KEY is not a 256-bit key."""


def derived_key(secret_key: str) -> str:
    """The key used when TWO_FACTOR_KEY is unset, as TWO_FACTOR_KEY would spell it."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tavolo two-factor aes-256-gcm"
    ).derive(str(secret_key).encode("utf-8"))
    return base64.urlsafe_b64encode(derived).decode("ascii")


def key_from(config) -> bytes:
    """The 256-bit key for these settings; TwoFactorKeyError if TWO_FACTOR_KEY is not one
    (checked when the app starts, see routes.py)."""
    text = str(config.get("TWO_FACTOR_KEY") or derived_key(config["SECRET_KEY"])).strip()
    try:
        key = base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        key = b""
    if len(key) != 32:
        raise TwoFactorKeyError(
            "TWO_FACTOR_KEY must be 32 random bytes in URL-safe base64, for example the output "
            "of: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return key


def _key() -> bytes:
    return key_from(current_app.config)


def _associated_data(user_id: int) -> bytes:
    return f"tavolo two-factor secret of user {int(user_id)}".encode("ascii")


def _encrypt(secret: str, user_id: int) -> str:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(_key()).encrypt(nonce, secret.encode("ascii"), _associated_data(user_id))
    return f"{_CIPHER_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _decrypt(token: str | None, user_id: int) -> str | None:
    """The secret, or None when it cannot be read (another key, another person, altered)."""
    if not token:
        return None
    version, _, body = token.partition(":")
    try:
        if version != _CIPHER_VERSION:
            raise ValueError(version)
        sealed = base64.urlsafe_b64decode(body.encode("ascii"))
        nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        plain = AESGCM(_key()).decrypt(nonce, ciphertext, _associated_data(user_id))
        return plain.decode("ascii")
    except (InvalidTag, ValueError, binascii.Error):
        log.error(
            "the two-factor secret of user %s cannot be decrypted: was SECRET_KEY or "
            "TWO_FACTOR_KEY changed?",
            user_id,
        )
        return None


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def normalise_recovery_code(raw: str) -> str:
    """The code as stored: dashes, spaces and any other separator dropped, lower case."""
    return "".join(ch for ch in (raw or "").lower() if ch.isascii() and ch.isalnum())


def format_recovery_code(code: str) -> str:
    """``abcd-efgh-…``: groups of four, easier to copy and to read aloud."""
    step = _RECOVERY_GROUP
    return "-".join(code[i : i + step] for i in range(0, len(code), step))


def _normalise_totp(raw: str) -> str:
    return "".join(ch for ch in (raw or "") if not ch.isspace())


# Who has it, who needs it ------------------------------------------------------------------


def record_of(user: User) -> TwoFactor | None:
    return db.session.get(TwoFactor, user.id)


def is_enabled(user: User) -> bool:
    found = record_of(user)
    return found is not None and found.enabled


def is_required(user: User) -> bool:
    """Whether the person's role must use a second factor (TWO_FACTOR_REQUIRED_ROLES)."""
    profile = getattr(user, "profile", None)
    if profile is None:
        return False
    role = getattr(profile.role, "value", profile.role)
    return role in set(current_app.config.get("TWO_FACTOR_REQUIRED_ROLES") or ())


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


# TOTP ----------------------------------------------------------------------------------------


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now, or one either side) whose code this is, or None."""
    code = _normalise_totp(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(utcnow())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(user_id: int, step: int) -> bool:
    """Record ``step`` as used; False if it (or a later one) already was: a replay."""
    claimed = db.session.execute(
        update(TwoFactor)
        .where(TwoFactor.user_id == user_id, TwoFactor.last_step < step)
        .values(last_step=step)
    )
    return claimed.rowcount == 1


def check_totp(user: User, code: str) -> bool:
    """A right, unused code for the person's confirmed secret (the caller commits)."""
    found = record_of(user)
    if found is None or not found.enabled:
        return False
    secret = _decrypt(found.secret, user.id)
    step = _matching_step(secret, code) if secret else None
    return step is not None and _claim_step(user.id, step)


# Enrolment ----------------------------------------------------------------------------------


def begin_enrolment(user: User) -> str:
    """The secret being enrolled: the same on every visit until it is confirmed."""
    found = record_of(user)
    if found is None:
        found = TwoFactor(user_id=user.id, last_step=0, created_at=utcnow())
        db.session.add(found)
    secret = _decrypt(found.pending_secret, user.id)
    if secret is None:
        secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
        found.pending_secret = _encrypt(secret, user.id)
    db.session.commit()
    return secret


def complete_enrolment(user: User, code: str) -> list[str] | None:
    """Confirm the pending secret with a code made from it: it becomes the person's factor
    (replacing any earlier one), new recovery codes are made and returned (to be shown once),
    and every other session of the person ends. None when the code is wrong."""
    found = record_of(user)
    secret = _decrypt(found.pending_secret, user.id) if found is not None else None
    step = _matching_step(secret, code) if secret else None
    if step is None:
        return None
    replacing = found.enabled
    found.secret = found.pending_secret
    found.pending_secret = None
    found.enabled_at = utcnow()
    found.last_step = step
    codes = _new_recovery_codes(user)
    user.end_all_sessions()
    audit.record(
        "twofactor.enrolled",
        actor=user,
        target=user,
        detail="replaced" if replacing else "",
    )
    db.session.commit()
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    now = utcnow()
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(code), created_at=now))
    return [format_recovery_code(code) for code in codes]


def regenerate_recovery_codes(user: User) -> list[str]:
    """New codes; the old ones stop working."""
    codes = _new_recovery_codes(user)
    audit.record("twofactor.recovery_codes_renewed", actor=user, target=user)
    db.session.commit()
    return codes


def use_recovery_code(user: User, raw: str) -> bool:
    """Spend one of the person's unused recovery codes (the caller commits)."""
    code = normalise_recovery_code(raw)
    if len(code) != _RECOVERY_LENGTH:
        return False
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return spent.rowcount == 1


class TwoFactorRuleError(ValueError):
    """Not allowed; the message is for the person."""


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))
    db.session.expire_all()


def disable(user: User) -> None:
    """Turn off the person's own second factor (the caller checked the password and the role)."""
    _remove(user)
    audit.record("twofactor.disabled", actor=user, target=user)
    db.session.commit()


def reset(person: User, *, by: User) -> None:
    """A coordinator removes another person's second factor (a lost phone and no codes): the
    person signs in with the password alone and enrols again; their sessions end."""
    _remove(person)
    person.end_all_sessions()
    audit.record("twofactor.reset", actor=by, target=person)
    db.session.commit()


# The second step of a sign-in ------------------------------------------------------------------


def start_pending(user: User, *, remember: bool, next_url: str) -> None:
    """The password was right: remember whom the code is for, for a few minutes. A password
    hash that ``accounts.authenticate`` renewed is committed now: the password is not known
    any more when the code is checked."""
    db.session.commit()
    sessions.keep_only_language()
    session[PENDING] = {
        "user": user.id,
        "sid": user.session_id,
        "at": sessions.now(),
        "remember": bool(remember),
        "next": next_url,
    }


@dataclass
class Pending:
    user: User
    remember: bool
    next_url: str


def pending() -> Pending | None:
    """The sign-in waiting for its code, if it is still fresh and still the person's."""
    state = session.get(PENDING)
    if not isinstance(state, dict):
        return None
    lifetime = current_app.config["TWO_FACTOR_PENDING_LIFETIME"].total_seconds()
    at = state.get("at")
    if not isinstance(at, int) or sessions.now() - at >= lifetime:
        return None
    user = accounts.user_for_session(str(state.get("sid") or ""))
    if user is None or user.id != state.get("user"):
        return None
    return Pending(user=user, remember=bool(state.get("remember")), next_url=state.get("next"))


def drop_pending() -> None:
    session.pop(PENDING, None)


@dataclass
class Verification:
    ok: bool = False
    throttled: bool = False
    recovery_code: bool = False


def verify_sign_in(user: User, code: str, address: str | None) -> Verification:
    """Check the code typed at the second step, a TOTP code or a recovery code. Failures count
    as failed sign-ins of the account, with the same throttling."""
    if accounts.throttled(user.email, address):
        return Verification(throttled=True)
    if check_totp(user, code):
        db.session.commit()
        return Verification(ok=True)
    if use_recovery_code(user, code):
        audit.record("twofactor.recovery_code_used", actor=user, target=user)
        db.session.commit()
        return Verification(ok=True, recovery_code=True)
    db.session.rollback()
    accounts.record_failure(user.email, address, "second factor")
    return Verification()
