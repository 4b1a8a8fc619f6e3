"""The home page: the person's groups and what is new in them since their previous visit."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from workspace.activity import service as activity
from workspace.groups import service as groups_service
from workspace.home import service
from workspace.meetings import service as meetings
from workspace.rendering import render

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    groups = groups_service.visible_groups(current_user)
    since = current_user.previous_login_at
    return render(
        "home/index.html",
        "home/_news.html",
        groups=groups,
        memberships=groups_service.my_memberships(current_user),
        member_counts=service.member_counts(groups),
        news=activity.since_previous(current_user, since, limit=10),
        new_counts=activity.new_counts(current_user, groups, since),
        since=since,
        upcoming=meetings.upcoming_for(current_user),
    )


@bp.get("/salute")
def health():
    """For load balancers and monitoring: the database answers."""
    service.check_database()
    return {"status": "ok"}
