"""Sign-in rules: sessions, authentication with throttling, change and reset of passwords.

Failed sign-ins and password-reset requests are rows in the database (``LoginAttempt``) so that
every worker and server counts the same. Errors never say whether an account exists.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from workspace import audit
from workspace.accounts import sessions
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
    """The active person a session stands for (see User.get_id)."""
    user = db.session.scalar(select(User).where(User.session_id == session_id))
    return user if user is not None and user.active else None


def start_session(user: User, remember: bool = False, *, second_factor: bool = False) -> None:
    """A fresh session for the person, after a sign-in with their credentials: nothing of the
    anonymous one is carried over but the language, so that a session fixed in advance by
    someone else is worth nothing. Its timeouts start now (see accounts.sessions);
    ``second_factor`` says the person passed it."""
    _begin_session(user, remember=remember, second_factor=second_factor, login_at=None)


def restart_session(user: User, *, second_factor: bool | None = None) -> None:
    """A new session after the person's ``session_id`` changed (their own password change,
    enrolment): this browser stays signed in, as remembered and as verified as before (or,
    ``second_factor=True``, verified from now on).

    It is the same session as far as its lifetime goes: the absolute timeout still counts from
    the sign-in with credentials, so that changing the password or enrolling again and again
    cannot keep a session (a stolen one, say) alive for ever. Only ``start_session`` sets a
    new sign-in time."""
    same_person = current_user.is_authenticated and current_user.id == user.id
    signed_in_at = sessions.login_time() if same_person else None
    remember = sessions.is_long()
    if second_factor is None:
        second_factor = sessions.passed_second_factor()
    _begin_session(user, remember=remember, second_factor=second_factor, login_at=signed_in_at)


def _begin_session(user: User, *, remember: bool, second_factor: bool, login_at) -> None:
    # Flask-Login's remember cookie is never set: it would sign the person in again behind the
    # timeouts' back (see accounts.sessions).
    sessions.keep_only_language()
    login_user(user, remember=False)
    sessions.begin(remember=remember, second_factor=second_factor, login_at=login_at)


def end_session(user: User | None) -> None:
    """Sign out: this session and every other session of the person.

    The session is emptied before ``logout_user``, which leaves in it the flag telling
    Flask-Login to delete an old "remember me" cookie, if the browser still has one. A new
    ``session_id`` makes any copy of the session cookie (another browser, a stolen one)
    worthless too.
    """
    sessions.keep_only_language()
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


def _record_attempt(email: str, address: str, action: str, detail: str = "") -> None:
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
        detail=detail,
        address=address,
    )
    db.session.commit()


def throttled(email: str, address: str | None) -> bool:
    """Too many recent failures for this account or network address (the audit log says so)."""
    email, address = normalise_email(email), _client_address(address)
    if not _throttled(email, address):
        return False
    audit.record_now(
        "auth.login_failed",
        label=email[:254],
        target_type="user",
        detail="throttled",
        address=address,
    )
    return True


def record_failure(email: str, address: str | None, detail: str) -> None:
    """A failed step of a sign-in after the password (the second factor), or a wrong password
    typed again by a signed-in person (``check_password``): it counts with the failed
    passwords."""
    _record_attempt(normalise_email(email), _client_address(address), "auth.login_failed", detail)


def too_many_attempts() -> str:
    return _(
        "Troppi tentativi di accesso non riusciti. Attendi qualche minuto e riprova, "
        "oppure reimposta la password."
    )


def wrong_password() -> str:
    return _("La password attuale non è corretta.")


@dataclass
class PasswordCheck:
    ok: bool = False
    throttled: bool = False

    @property
    def error(self) -> str | None:
        """The Italian message for next to the password field, or None."""
        if self.throttled:
            return too_many_attempts()
        return None if self.ok else wrong_password()

    @property
    def status(self) -> int:
        """The status of a page that refuses the form for this check."""
        return 429 if self.throttled else 422


def check_password(user: User, password: str, address: str | None, detail: str) -> PasswordCheck:
    """A signed-in person types the password again before changing how they sign in (their
    password, their second factor: ASVS V7.5.1). The check is a sign-in attempt: refused
    without checking while the account or the network address is throttled, and a wrong
    password counts as a failed sign-in (``LoginAttempt`` and "auth.login_failed" with
    ``detail``), so that a stolen session is no way to guess the password either. An empty
    password is not checked (the form says it is required) and counts for nothing."""
    if not password:
        return PasswordCheck()
    if throttled(user.email, address):
        return PasswordCheck(throttled=True)
    if user.password_hash and check_password_hash(user.password_hash, password):
        return PasswordCheck(ok=True)
    record_failure(user.email, address, detail)
    return PasswordCheck()


def _dummy_hash(method: str) -> str:
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash("x", method=method)
    return _DUMMY_HASH[method]


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other settings than PASSWORD_HASH_METHOD (compared
    as Werkzeug spells them in full: "scrypt" is "scrypt:32768:8:1")."""
    wanted = _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]).split("$", 1)[0]
    return password_hash.split("$", 1)[0] != wanted


def authenticate(email: str, password: str, address: str) -> SignIn:
    """Check the credentials; refuse without checking when too many recent attempts failed.

    A correct password is not yet a sign-in: the caller asks for the second factor if the
    person has one, and calls ``record_sign_in`` once everything is checked (until then the
    failed attempts keep counting, so a known password does not reset them).

    A correct password hashed with older settings is hashed again with PASSWORD_HASH_METHOD,
    the only moment the password is known. The new hash is left in the session, not committed:
    ``record_sign_in`` commits it with the rest of the sign-in, or, when a second factor is
    asked, ``twofactor.service.start_pending`` does (the code is typed in a later request,
    and the password is not kept until then). Sessions do not end: the password is the same."""
    config = current_app.config
    email = normalise_email(email)
    address = _client_address(address)
    if throttled(email, address):
        return SignIn(throttled=True)
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(config["PASSWORD_HASH_METHOD"]), password)
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password) and user.active
    if not ok:
        _record_attempt(email, address, "auth.login_failed")
        return SignIn()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignIn(user=user)


def record_sign_in(user: User, detail: str = "") -> None:
    """The person is in: note the time, forget past failures, write the audit log (and keep a
    password hash ``authenticate`` renewed, in the same commit)."""
    user.previous_login_at = user.last_login_at
    user.last_login_at = utcnow()
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    audit.record("auth.login", actor=user, target=user, detail=detail)
    db.session.commit()


def set_password(user: User, password: str) -> None:
    """New password; every other session of the person ends."""
    user.password_hash = hash_password(password)
    user.end_all_sessions()


class FieldErrors(dict):
    """Messages by field name; ``throttled`` when the form was refused for too many failures
    (the page then answers 429)."""

    throttled: bool = False


def password_change_errors(
    user: User, current: str, new: str, address: str | None = None
) -> FieldErrors:
    """What is wrong with a requested change, field by field (empty when it may go ahead).
    The current password is checked as a sign-in attempt (see ``check_password``)."""
    errors = FieldErrors()
    check = check_password(user, current, address, detail="password check: password change")
    if not check.ok:
        errors["current_password"] = check.error
        errors.throttled = check.throttled
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
    # Not yet if a second factor is still to be asked (at /accedi/verifica): whoever holds the
    # mailbox could otherwise start from zero at every new link and try codes without end.
    # ``record_sign_in`` forgets the failures once the code has passed.
    from workspace.twofactor import service as twofactor  # it imports this module

    if not twofactor.is_enabled(user):
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    audit.record("auth.password_reset_completed", actor=user, target=user)
    db.session.commit()
    return user


def prune_login_attempts(older_than: datetime) -> int:
    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < older_than))
    db.session.commit()
    return result.rowcount
