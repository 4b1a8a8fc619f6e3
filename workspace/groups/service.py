"""Rules about groups: who sees which, creating and editing them, adding and removing members."""

import re
import unicodedata
from collections.abc import Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workspace import audit
from workspace.accounts.models import User
from workspace.activity import service as activity
from workspace.activity.models import EventKind
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.groups.models import Group, GroupRole, Membership
from workspace.people.access import is_coordinator
from workspace.people.models import Profile


class GroupRuleError(Exception):
    """A change that would break a rule; the message is for the person who asked, shown next
    to ``field`` when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


GROUPS_PREFIX = "/gruppi/"


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:70] or "gruppo"


def reserved_slugs() -> set[str]:
    """The fixed words right after /gruppi/ in any route (``nuovo``, ...): a group with one of
    them as its address could never be reached. Read from the routes, so new ones count too."""
    reserved = set()
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith(GROUPS_PREFIX):
            segment = rule.rule[len(GROUPS_PREFIX) :].split("/", 1)[0]
            if segment and "<" not in segment:
                reserved.add(segment)
    return reserved


def unique_slug(name: str) -> str:
    base = slugify(name)
    taken = reserved_slugs()
    slug, n = base, 2
    while slug in taken or (
        db.session.scalar(select(Group.id).where(Group.slug == slug)) is not None
    ):
        slug, n = f"{base}-{n}", n + 1
    return slug


def visible_groups(user, *, include_archived: bool = False) -> list[Group]:
    """Coordinators see every group; anyone else the groups they belong to."""
    query = select(Group).order_by(Group.name)
    if not is_coordinator(user):
        query = query.join(Membership).where(Membership.user_id == user.id)
    if not include_archived:
        query = query.where(Group.archived_at.is_(None))
    return list(db.session.scalars(query))


def active_groups(*, ids: Iterable[int] | None = None) -> list[Group]:
    """Groups not archived, by name; only those with the given ids when ids are given."""
    query = select(Group).where(Group.archived_at.is_(None)).order_by(Group.name)
    if ids is not None:
        query = query.where(Group.id.in_(list(ids)))
    return list(db.session.scalars(query))


def my_memberships(user) -> dict[int, Membership]:
    rows = db.session.scalars(select(Membership).where(Membership.user_id == user.id))
    return {m.group_id: m for m in rows}


def members(group: Group) -> list[Membership]:
    """Leads first, then by name; each with the person's profile and service loaded."""
    rows = db.session.scalars(
        select(Membership)
        .join(User, Membership.user_id == User.id)
        .where(Membership.group_id == group.id, User.active.is_(True))
        .options(selectinload(Membership.user))
        .order_by(Membership.role, User.name)
    )
    return sorted(rows, key=lambda m: (m.role != GroupRole.LEAD, m.user.name.casefold()))


def candidates(group: Group) -> list[User]:
    """Active people not yet in the group, for the "add a member" list."""
    inside = select(Membership.user_id).where(Membership.group_id == group.id)
    return list(
        db.session.scalars(
            select(User)
            .join(Profile)
            .where(User.active.is_(True), User.id.not_in(inside))
            .order_by(User.name)
        ).unique()
    )


def create_group(*, name: str, purpose: str, is_joint: bool) -> Group:
    group = Group(
        slug=unique_slug(name), name=name.strip(), purpose=purpose.strip(), is_joint=is_joint
    )
    db.session.add(group)
    audit.record("group.created", target=group, detail={"slug": group.slug, "joint": is_joint})
    db.session.commit()
    return group


def update_group(group: Group, *, name: str, purpose: str, is_joint: bool) -> None:
    before = {"name": group.name, "purpose": group.purpose, "joint": group.is_joint}
    group.name = name.strip()
    group.purpose = purpose.strip()
    group.is_joint = is_joint
    after = {"name": group.name, "purpose": group.purpose, "joint": group.is_joint}
    changed = {
        key: {"from": before[key], "to": after[key]} for key in before if before[key] != after[key]
    }
    if changed:
        audit.record("group.updated", target=group, detail=changed)
    db.session.commit()


def set_archived(group: Group, archived: bool) -> None:
    was_archived = group.archived_at is not None
    group.archived_at = utcnow() if archived else None
    if was_archived != archived:
        audit.record("group.archived" if archived else "group.restored", target=group)
    db.session.commit()


def _check_may_lead(user: User, role: GroupRole) -> None:
    """An external participant takes part but never leads: a lead manages the group's members
    and, as capabilities arrive, everything in it."""
    if role == GroupRole.LEAD and user.profile is not None and user.profile.is_external:
        raise GroupRuleError(
            _(
                "%(name)s è un partecipante esterno: può far parte del gruppo come componente, "
                "non come referente.",
                name=user.name,
            ),
            field="role",
        )


def add_member(group: Group, user: User, role: GroupRole, *, added_by: User | None) -> Membership:
    membership = db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )
    if membership is not None:
        raise GroupRuleError(_("%(name)s fa già parte del gruppo.", name=user.name))
    if not user.active:
        raise GroupRuleError(_("L'account di %(name)s è disattivato.", name=user.name))
    _check_may_lead(user, role)
    membership = join(group, user, role, added_by=added_by)
    db.session.commit()
    return membership


def join(group: Group, user: User, role: GroupRole, *, added_by: User | None) -> Membership:
    """The membership with its activity event and audit entry, in the caller's transaction
    (adding someone from the group page, or an invitation accepted): never one without the
    others."""
    membership = Membership(
        group=group, user=user, role=role, added_by_id=added_by.id if added_by else None
    )
    db.session.add(membership)
    activity.record(
        EventKind.MEMBER_ADDED, group=group, actor=added_by, title=group.name, subject_id=user.id
    )
    audit.record(
        "group.member_added",
        actor=added_by,
        target=group,
        detail={"user_id": user.id, "email": user.email, "role": GroupRole(role).value},
    )
    return membership


def change_role(membership: Membership, role: GroupRole) -> None:
    _check_may_lead(membership.user, role)
    previous = GroupRole(membership.role).value
    membership.role = role
    if previous != GroupRole(role).value:
        audit.record(
            "group.member_role_changed",
            target=membership.group,
            detail={
                "user_id": membership.user_id,
                "email": membership.user.email,
                "from": previous,
                "to": GroupRole(role).value,
            },
        )
    db.session.commit()


def remove_member(membership: Membership, *, by: User | None = None) -> None:
    """A group left without a lead is managed by the coordinators, who see every group."""
    activity.record(
        EventKind.MEMBER_REMOVED,
        group=membership.group_id,
        actor=by,
        title=membership.group.name,
        subject_id=membership.user_id,
    )
    audit.record(
        "group.member_removed",
        actor=by,
        target=membership.group,
        detail={"user_id": membership.user_id, "email": membership.user.email},
    )
    db.session.delete(membership)
    db.session.commit()
