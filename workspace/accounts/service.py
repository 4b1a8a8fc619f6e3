"""Sign-in rules: sessions, authentication with throttling, change and reset of passwords.

Failed sign-ins and password-reset requests are rows in the database (``LoginAttempt``) so that
every worker and server counts the same. Errors never say whether an account exists.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from workspace import audit
from workspace.accounts.models import LoginAttempt, PasswordReset, User
from workspace.accounts.passwords import password_problem
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.mail import MailError, absolute_url, send_mail
from workspace.tokens import hash_token, new_token

log = logging.getLogger(__name__)

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


class PasswordRuleError(ValueError):
    """The new password breaks a rule; the message is for the person, next to the field."""


def check_new_password(password: str, *, personal: tuple[str, ...] = ()) -> None:
    problem = password_error(password or "", personal=personal)
    if problem:
        raise PasswordRuleError(problem)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def user_for_session(session_id: str) -> User | None:
    """The active person a session or "remember me" cookie stands for (see User.get_id)."""
    user = db.session.scalar(select(User).where(User.session_id == session_id))
    return user if user is not None and user.active else None


def _keep_only_language() -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def start_session(user: User, remember: bool = False) -> None:
    """A fresh session for the person: nothing of the anonymous one is carried over but the
    language, so that a session fixed in advance by someone else is worth nothing."""
    _keep_only_language()
    login_user(user, remember=remember)
    session.permanent = True


def end_session(user: User | None) -> None:
    """Sign out: this session, its "remember me" cookie and every other session of the person.

    The session is emptied before ``logout_user``, which leaves in it the flag telling
    Flask-Login to delete the cookie. A new ``session_id`` makes any copy of the cookie (another
    browser, a stolen one) worthless too.
    """
    _keep_only_language()
    logout_user()
    if user is not None and user.is_authenticated:
        user.end_all_sessions()
        audit.record("auth.logout", actor=user, target=user)
        db.session.commit()


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


def _client_address(address: str | None) -> str:
    return (address or "unknown")[:64]


def _throttled(email: str, address: str) -> bool:
    """Too many recent attempts on this e-mail address, or from this network address."""
    config = current_app.config
    since = utcnow() - config["LOGIN_FAILURE_WINDOW"]
    return (
        _recent_failures(LoginAttempt.email, email, since)
        >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or _recent_failures(LoginAttempt.address, address, since)
        >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    )


def _record_attempt(email: str, address: str, action: str) -> None:
    """Count the attempt and write it in the audit log, in one commit: the caller has nothing
    else pending (the sign-in failed, or only a reset was asked for)."""
    db.session.add(LoginAttempt(email=email[:254], address=address))
    user = find_user_by_email(email)
    # Who typed it is unknown: the account named is the target, the address typed its label.
    audit.record(
        action,
        target=user,
        label=email[:254],
        target_type="user",
        address=address,
    )
    db.session.commit()


def authenticate(email: str, password: str, address: str) -> SignIn:
    """Check the credentials; refuse without checking when too many recent attempts failed."""
    config = current_app.config
    email = normalise_email(email)
    address = _client_address(address)
    if _throttled(email, address):
        audit.record_now(
            "auth.login_failed",
            label=email[:254],
            target_type="user",
            detail="throttled",
            address=address,
        )
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
        _record_attempt(email, address, "auth.login_failed")
        return SignIn()
    user.previous_login_at = user.last_login_at
    user.last_login_at = utcnow()
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    audit.record("auth.login", actor=user, target=user)
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
    audit.record("auth.password_changed", actor=user, target=user)
    db.session.commit()


def request_password_reset(email: str, address: str | None) -> bool:
    """Mail a reset link if the address is an active account's; False only when throttled.

    Whether the account exists, and whether the mail left, the caller cannot tell: it must
    say the same thing in every case. A failed delivery is logged for the administrators.
    Requests count as attempts on the account, with the failed sign-ins, so that nobody can
    use the form to flood a mailbox or to probe addresses.
    """
    email = normalise_email(email)
    address = _client_address(address)
    if _throttled(email, address):
        return False
    _record_attempt(email, address, "auth.password_reset_requested")
    started = start_password_reset(email)
    if started is not None:
        user, token = started
        try:
            send_password_reset_mail(user, token)
        except MailError as error:
            log.error("password reset mail for user %s not sent: %s", user.id, error)
    return True


def send_password_reset_mail(user: User, token: str) -> None:
    """Raises workspace.mail.MailError when the mail server refuses."""
    link = absolute_url("accounts.reset_password", token=token)
    body = render_template("accounts/mail/reset.txt", user=user, link=link)
    send_mail(user.email, _("Tavolo: reimposta la password"), body)


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


def user_of_reset(reset: PasswordReset) -> User:
    return db.session.get(User, reset.user_id)


def complete_password_reset(reset: PasswordReset, password: str) -> User:
    """Set the new password (PasswordRuleError if it breaks a rule); the link and any other
    still open for the person stop working, and so do the person's sessions."""
    user = user_of_reset(reset)
    check_new_password(password, personal=(user.email, user.name))
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
    # The person is in again: past failures and reset requests no longer count against them.
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    audit.record("auth.password_reset_completed", actor=user, target=user)
    db.session.commit()
    return user


def prune_login_attempts(older_than: datetime) -> int:
    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < older_than))
    db.session.commit()
    return result.rowcount
