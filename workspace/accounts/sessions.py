"""How long a session lives: idle and absolute timeouts, checked on the server on every request.

The decision, in short:

- A session is Flask's signed cookie. At sign-in it receives the time of the sign-in and the
  time of the last activity; both are signed with SECRET_KEY, so the browser cannot move them.
  Every request checks them before the person is loaded (``still_valid``, called by the user
  loader): past ``SESSION_IDLE_TIMEOUT`` (2 hours) without activity, or ``SESSION_ABSOLUTE_TIMEOUT``
  (12 hours) after signing in, the session ends whatever the cookie's own expiry says.
- Flask-Login's "remember me" cookie is not used: it would sign the person in again behind the
  timeouts' back. A leftover ``remember_token`` cookie is ignored (the loader accepts only the
  session) and deleted at sign-out.
- "Ricordami su questo computer" keeps its meaning, "on this device, longer": the session cookie
  then outlives the browser (a persistent cookie) and the timeouts are ``REMEMBER_IDLE_TIMEOUT``
  (3 days) and ``REMEMBER_ABSOLUTE_TIMEOUT`` (14 days), checked the same way. Without it, the
  cookie ends with the browser.
- The polls that a page makes by itself (the bell, new messages, who is editing) are not
  activity: an open tab nobody looks at does not keep the session alive.
- A timed-out session is emptied (the language is kept) and marked expired: a page then goes to
  the sign-in page with ``next`` and "La sessione è scaduta…"; an htmx request gets
  ``accounts.expired``'s message in the alert area and nothing on screen is replaced. Drafts
  were kept on the server while the person typed, and an editor posted after the end of the
  session keeps its text for after the sign-in (documents.routes), so nothing typed is lost.
- Signing out, changing the password, deactivation, enrolling a second factor and a
  coordinator's reset of it give the person a new ``User.session_id``: every copy of every
  cookie of theirs stops working at once. A timeout ends only the session it finds.
- The browser that changed the password or enrolled goes on with a new session, which keeps
  the time of the sign-in: only signing in with the credentials (password, then the code if
  any) starts the absolute timeout again, so that nobody holding a session can push it back.
"""

import time
from datetime import timedelta

from flask import current_app, request, session

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
LONG = "long_session"
SECOND_FACTOR = "second_factor"
EXPIRED = "session_expired"

# Requests that pages make on their own, on a timer: they do not count as activity.
PASSIVE_ENDPOINTS = frozenset({"notifications.count", "discussions.poll", "documents.presence"})

# Activity is written into the cookie at most this often, so that a burst of requests does not
# rewrite it each time.
_TOUCH_EVERY = 30


def now() -> int:
    return int(time.time())


def keep_only_language() -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def begin(*, remember: bool, second_factor: bool, login_at: int | None = None) -> None:
    """Mark the session just started (call after ``login_user``). ``login_at``: the time of
    the sign-in with credentials when the session is only restarted (after a password change
    or an enrolment, see accounts.service.restart_session), so that the absolute timeout is
    not pushed back; a sign-in leaves it out: now."""
    moment = now()
    session[LOGIN_AT] = login_at if isinstance(login_at, int) else moment
    session[SEEN_AT] = moment
    session[LONG] = bool(remember)
    session[SECOND_FACTOR] = bool(second_factor)
    # A persistent cookie only when the person asked to be remembered on this device.
    session.permanent = bool(remember)


def limits(long: bool) -> tuple[timedelta, timedelta]:
    """(idle, absolute) for an ordinary or a remembered session."""
    config = current_app.config
    if long:
        return config["REMEMBER_IDLE_TIMEOUT"], config["REMEMBER_ABSOLUTE_TIMEOUT"]
    return config["SESSION_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"]


def still_valid() -> bool:
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return False  # a session from before the timeouts, or not started by begin()
    idle, absolute = limits(bool(session.get(LONG)))
    moment = now()
    return moment - seen_at < idle.total_seconds() and moment - login_at < absolute.total_seconds()


def touch() -> None:
    """Note activity, unless the request is a page's own poll."""
    if request.endpoint in PASSIVE_ENDPOINTS:
        return
    moment = now()
    if moment - session.get(SEEN_AT, 0) >= _TOUCH_EVERY:
        session[SEEN_AT] = moment


def expire() -> None:
    """End this session (and only this one) and say so on the next sign-in page."""
    keep_only_language()
    session[EXPIRED] = True


def passed_second_factor() -> bool:
    return bool(session.get(SECOND_FACTOR))


def is_long() -> bool:
    return bool(session.get(LONG))


def login_time() -> int | None:
    """When the person signed in with their credentials, in this session."""
    found = session.get(LOGIN_AT)
    return found if isinstance(found, int) else None


def take_expired() -> bool:
    """Whether the last session timed out; the mark is read only once."""
    return bool(session.pop(EXPIRED, False))
