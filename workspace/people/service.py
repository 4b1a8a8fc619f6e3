"""Rules about people: profiles, the coordinators' management of accounts."""

from flask import session
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from workspace import audit
from workspace.accounts.models import User
from workspace.directory.models import Service
from workspace.extensions import db
from workspace.groups.models import GroupRole, Membership
from workspace.people.models import Profile, Role


class PeopleRuleError(Exception):
    """A change that would break a rule; the message is for the person who asked."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def create_person(
    *,
    email: str,
    name: str,
    role: Role,
    password_hash: str | None,
    service: Service | None = None,
    organisation: str | None = None,
    locale: str = "it",
) -> User:
    user = User(email=email.strip().lower(), name=name.strip(), password_hash=password_hash)
    user.profile = Profile(
        role=role,
        service=service if role != Role.EXTERNAL else None,
        organisation=(organisation or None) if role == Role.EXTERNAL or service is None else None,
        locale=locale,
    )
    db.session.add(user)
    return user


def update_profile(
    user: User,
    *,
    name: str,
    phone: str | None,
    locale: str,
    service_id: int | None,
    organisation: str | None,
) -> None:
    """A person's own edit: name, contacts, language and where they work (not their role)."""
    user.name = name.strip()
    user.profile.phone = (phone or "").strip() or None
    user.profile.locale = locale
    set_affiliation(user, service_id=service_id, organisation=organisation)
    db.session.commit()


def choose_language(user, code: str) -> None:
    """The interface language: for this browser, and in the profile of a signed-in person."""
    session["locale"] = code
    if user.is_authenticated and user.profile is not None:
        user.profile.locale = code
        db.session.commit()


def set_affiliation(user: User, *, service_id: int | None, organisation: str | None) -> None:
    if user.profile.is_external:
        user.profile.service_id = None
        user.profile.organisation = (organisation or "").strip() or None
    else:
        user.profile.service_id = service_id
        user.profile.organisation = None


def people_list(*, include_inactive: bool = True) -> list[User]:
    query = select(User).join(Profile).options(selectinload(User.profile)).order_by(User.name)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    return list(db.session.scalars(query).unique())


def memberships_of(user: User) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.user_id == user.id)
            .options(selectinload(Membership.group))
        )
    )


def update_person(
    user: User, *, name: str, role: Role, service_id: int | None, organisation: str | None
) -> list[Membership]:
    """A coordinator's edit of someone's account; returns the groups in which the person
    stopped being a lead (an external participant cannot lead a group)."""
    if (
        user.profile.is_coordinator
        and role != Role.COORDINATOR
        and user.active
        and count_active_coordinators() <= 1
    ):
        # Only the coordinator herself can get here: whoever edits is an active coordinator.
        raise PeopleRuleError(
            _("Sei l'unico coordinatore attivo: nomina un altro coordinatore prima."), field="role"
        )
    before = _person_fields(user)
    user.name = name.strip()
    user.profile.role = role
    set_affiliation(user, service_id=service_id, organisation=organisation)
    after = _person_fields(user)
    if before["role"] != after["role"]:
        audit.record(
            "person.role_changed",
            target=user,
            detail={"from": before["role"], "to": after["role"]},
        )
    changed = {
        name: {"from": before[name], "to": after[name]}
        for name in ("name", "service_id", "organisation")
        if before[name] != after[name]
    }
    if changed:
        audit.record("person.updated", target=user, detail=changed)
    demoted = []
    if role == Role.EXTERNAL:
        demoted = list(
            db.session.scalars(
                select(Membership)
                .where(Membership.user_id == user.id, Membership.role == GroupRole.LEAD)
                .options(selectinload(Membership.group))
            )
        )
        for membership in demoted:
            membership.role = GroupRole.MEMBER
    db.session.commit()
    return demoted


def set_active(user: User, active: bool, *, by: User) -> None:
    """Disabling ends every session at once; enabling lets the person sign in again."""
    if not active and user.id == by.id:
        raise PeopleRuleError(_("Non puoi disattivare il tuo stesso account."))
    if active and user.profile is not None and user.profile.is_erased:
        raise PeopleRuleError(
            _("I dati di questa persona sono stati eliminati: l'account non si può riattivare.")
        )
    was_active = user.active
    user.active = active
    user.end_all_sessions()
    if was_active != active:
        audit.record("person.activated" if active else "person.deactivated", actor=by, target=user)
    db.session.commit()


def _person_fields(user: User) -> dict:
    return {
        "name": user.name,
        "role": Role(user.profile.role).value,
        "service_id": user.profile.service_id,
        "organisation": user.profile.organisation,
    }


def count_active_coordinators() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .join(Profile)
        .where(User.active.is_(True), Profile.role == Role.COORDINATOR)
    )
