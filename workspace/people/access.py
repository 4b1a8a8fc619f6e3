"""Who may do what at the level of the whole table (group-level checks live in groups.access)."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def is_coordinator(user) -> bool:
    profile = getattr(user, "profile", None)
    return bool(user.is_authenticated and profile is not None and profile.is_coordinator)


def is_external(user) -> bool:
    profile = getattr(user, "profile", None)
    return profile is not None and profile.is_external


def coordinator_required(view):
    """Only the table's coordinators; everybody else signed in gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_coordinator(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def table_member_required(view):
    """Operators and coordinators of the table: external participants see only their groups."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if is_external(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped
