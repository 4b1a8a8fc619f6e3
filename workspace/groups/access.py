"""Group-level access: who sees a group and who may manage it. One loader for every route."""

from dataclasses import dataclass

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from workspace.extensions import db
from workspace.groups.models import Group, GroupRole, Membership
from workspace.people.access import is_coordinator, is_external


@dataclass(frozen=True)
class GroupAccess:
    group: Group
    membership: Membership | None
    is_coordinator: bool

    @property
    def can_manage(self) -> bool:
        """Coordinators and the group's leads: edit the group, add and remove members.

        Never an external participant, whatever their membership says (groups.service refuses
        to make one a lead; this holds even for a lead who was later made external).
        """
        if self.is_coordinator:
            return True
        membership = self.membership
        return (
            membership is not None
            and membership.role == GroupRole.LEAD
            and not is_external(membership.user)
        )


def member_group_ids(user):
    """The ids of the groups the person is a member of, as a subquery (for SQL filters)."""
    return select(Membership.group_id).where(Membership.user_id == user.id)


def membership_of(group: Group, user) -> Membership | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )


def group_access(group: Group, user) -> GroupAccess | None:
    """None when the person may not see the group at all."""
    coordinator = is_coordinator(user)
    membership = membership_of(group, user)
    if membership is None and not coordinator:
        return None
    return GroupAccess(group=group, membership=membership, is_coordinator=coordinator)


def load_group_or_404(slug: str, *, manage: bool = False) -> GroupAccess:
    """The group and the current person's standing in it.

    Someone outside the group gets 404, exactly as for a group that does not exist, so that
    not even a group's existence leaks. A member who may see but not manage gets 403.
    """
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        abort(404)
    access = group_access(group, current_user)
    if access is None:
        abort(404)
    if manage and not access.can_manage:
        abort(403)
    return access
