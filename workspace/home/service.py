"""What the home page needs besides the activity (workspace.activity): member counts, and
the health check."""

from sqlalchemy import func, select, text

from workspace.accounts.models import User
from workspace.extensions import db
from workspace.groups.models import Group, Membership


def member_counts(groups: list[Group]) -> dict[int, int]:
    if not groups:
        return {}
    rows = db.session.execute(
        select(Membership.group_id, func.count())
        .join(User, Membership.user_id == User.id)
        .where(Membership.group_id.in_([g.id for g in groups]), User.active.is_(True))
        .group_by(Membership.group_id)
    )
    return {group_id: count for group_id, count in rows}


def check_database() -> None:
    db.session.execute(text("select 1"))
