"""Sign-in rules: authenticate with throttling, change and reset passwords.

Failed attempts are rows in the database so that every worker and server counts the same.
Errors never say whether an account exists.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from workspace.accounts.models import LoginAttempt, PasswordReset, User
from workspace.accounts.passwords import password_problem
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.tokens import hash_token, new_token

# Compared against when the account does not exist, so that both paths cost the same.
_DUMMY_HASH: dict[str, str] = {}


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def password_error(password: str, *, personal: tuple[str, ...] = ()) -> str | None:
    """The Italian message for a password that breaks the rules, or None."""
    min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    problem = password_problem(password, min_length=min_length, personal=personal)
    return {
        None: None,
        "too_short": _("La password deve avere almeno %(n)d caratteri.", n=min_length),
        "too_long": _("La password è troppo lunga."),
        "common": _(
            "Questa password è tra le più usate e facili da indovinare: scegline un'altra."
        ),
        "personal": _("La password non può essere il tuo nome o il tuo indirizzo e-mail."),
    }[problem]


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


@dataclass
class SignIn:
    user: User | None = None
    throttled: bool = False


def _recent_failures(column, value: str, since: datetime) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(column == value, LoginAttempt.at >= since)
    )


def authenticate(email: str, password: str, address: str) -> SignIn:
    """Check the credentials; refuse without checking when too many recent attempts failed."""
    config = current_app.config
    email = normalise_email(email)
    address = (address or "unknown")[:64]
    since = utcnow() - config["LOGIN_FAILURE_WINDOW"]
    if (
        _recent_failures(LoginAttempt.email, email, since)
        >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or _recent_failures(LoginAttempt.address, address, since)
        >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    ):
        return SignIn(throttled=True)
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        method = config["PASSWORD_HASH_METHOD"]
        dummy = _DUMMY_HASH.setdefault(method, generate_password_hash("x", method=method))
        check_password_hash(dummy, password)
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password) and user.active
    if not ok:
        db.session.add(LoginAttempt(email=email[:254], address=address))
        db.session.commit()
        return SignIn()
    user.previous_login_at = user.last_login_at
    user.last_login_at = utcnow()
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    db.session.commit()
    return SignIn(user=user)


def set_password(user: User, password: str) -> None:
    """New password; every other session of the person ends."""
    user.password_hash = hash_password(password)
    user.end_all_sessions()


def password_change_errors(user: User, current: str, new: str) -> dict[str, str]:
    """What is wrong with a requested change, field by field ({} when it may go ahead)."""
    errors = {}
    if not user.password_hash or not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = _("La password attuale non è corretta.")
    problem = password_error(new or "", personal=(user.email, user.name)) if new else None
    if problem:
        errors["new_password"] = problem
    return errors


def change_password(user: User, new: str) -> None:
    set_password(user, new)
    db.session.commit()


def start_password_reset(email: str) -> tuple[User, str] | None:
    """A reset token for an active account, or None (the caller says the same thing either way)."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return None
    token, token_hash = new_token()
    now = utcnow()
    db.session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=token_hash,
            created_at=now,
            expires_at=now + current_app.config["PASSWORD_RESET_LIFETIME"],
        )
    )
    db.session.commit()
    return user, token


def find_password_reset(token: str) -> PasswordReset | None:
    """The reset for this token if it can still be used."""
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    user = db.session.get(User, reset.user_id)
    if user is None or not user.active:
        return None
    return reset


def complete_password_reset(reset: PasswordReset, password: str) -> User:
    user = db.session.get(User, reset.user_id)
    set_password(user, password)
    now = utcnow()
    reset.used_at = now
    # Any other link still around for this person stops working too.
    for other in db.session.scalars(
        select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
        )
    ):
        other.used_at = now
    db.session.commit()
    return user


def prune_login_attempts(older_than: datetime) -> int:
    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < older_than))
    db.session.commit()
    return result.rowcount
