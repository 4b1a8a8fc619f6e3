"""What the home page shows: per group, what happened since the person's previous visit.

Today that is who joined; later capabilities (documents, threads, meetings) add their events.
"""

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

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


def news(
    user: User, groups: list[Group], since: datetime | None, limit: int = 20
) -> list[Membership]:
    """People who joined the person's groups since the previous visit (newest first)."""
    if not groups or since is None:
        return []
    return list(
        db.session.scalars(
            select(Membership)
            .where(
                Membership.group_id.in_([g.id for g in groups]),
                Membership.created_at > since,
                Membership.user_id != user.id,
            )
            .options(selectinload(Membership.user), selectinload(Membership.group))
            .order_by(Membership.created_at.desc())
            .limit(limit)
        )
    )


def check_database() -> None:
    db.session.execute(text("select 1"))
