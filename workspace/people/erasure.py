"""Erasing a person (GDPR, right to erasure): what goes, what stays under a neutral label.

The account row stays, renamed "Persona rimossa 12" with the address ``rimossa-12@invalid``
(``.invalid`` is reserved, RFC 2606: nothing is ever delivered there), no password, inactive,
its sessions ended. Keeping the row keeps every contribution's author: revisions, messages,
minutes, comments, decisions, actions, attendance and activity events point at it by id, so
history, compare, attribution, threads, the feed, search, exports and archives stay consistent
and now show the label. The label is written once, in the table's language
(BABEL_DEFAULT_LOCALE): every page shows ``user.name`` as it is stored, whatever the reader's
language, and a label in one language is still plainly a removed person in the other.

Removed: the second factor, notifications addressed to the person and their preferences
(subscriptions, mail, weekly summary), drafts, editors' presence, group visits, reading
positions, calendar feeds, memberships, password resets, failed sign-ins recorded for their
address, and invitations to their address that were never accepted.

Where the name or the address was copied into other rows, it is replaced with the label:
the audit log (workspace.audit.service.erase_person: the entries where the person acted or is
the target, and their e-mail wherever it appears; the chain stays verifiable), accepted
invitations, @mentions of them in messages and their earlier versions (the handle in the text,
the bold name in the HTML; only in the groups where they could be mentioned; the search index
follows the messages), the titles of notifications they caused ("Anna Rossi ti ha
menzionato"), and mentions or the name quoted in notifications' excerpts and activity events.

Two people may share a name (and so a handle, "@marco.rossi"): a name or a bare handle that
someone else also has now is replaced only where the row says it is this person (the audit
entries about them, the notifications they caused, a mention by the handle with their id,
"@marco.rossi.12"). Elsewhere it is kept: it may be the other person's.

Kept, on purpose:
- Free text that people wrote about the person (a document, the minutes, a message naming
  them without an @mention): it is the group's record, revisions are immutable, and a
  coordinator or the group can edit the current text; rewriting it by string matching could
  also change words about someone else with the same name.
- A name or bare handle someone else also has, where nothing says whom it meant (see above);
  and an "@handle" typed in a group where the person could not be mentioned: plain text.
- Guests of meetings (``meeting_guests``): a guest is someone without an account; a guest
  with the same name may be another person.
- The network address of the person's entries in the audit log: security records, removed by
  ``flask prune`` after AUDIT_RETENTION_DAYS; without a name they no longer say who.
- The service of past activity events: it counts what a service did, not who.
"""

import json
import re

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markdown_it.common.utils import escapeHtml
from sqlalchemy import delete, func, or_, select, true, update

from workspace import audit
from workspace.accounts.models import LoginAttempt, PasswordReset, User
from workspace.activity.models import Event, EventKind, GroupVisit, WeeklySummary
from workspace.audit import service as audit_log
from workspace.audit.models import AuditEntry
from workspace.clock import utcnow
from workspace.discussions.models import Message, MessageVersion, Thread, ThreadRead
from workspace.discussions.service import handle_of
from workspace.extensions import db
from workspace.groups.models import Membership
from workspace.invitations.models import Invitation
from workspace.meetings.models import CalendarFeed
from workspace.notifications.models import MailPreference, Notification, Subscription
from workspace.people.models import Role
from workspace.people.service import PeopleRuleError, count_active_coordinators
from workspace.revisions.models import Draft, Presence
from workspace.texts.markdown import MENTION

ERASED = audit_log.ERASED


def neutral_label(person: User) -> str:
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "it")):
        return _("Persona rimossa %(number)s", number=person.id)


def placeholder_address(person: User) -> str:
    return f"rimossa-{person.id}@invalid"


def obstacle(person: User, *, by: User) -> str | None:
    """Why this coordinator may not erase this person, or None."""
    if person.profile is not None and person.profile.is_erased:
        return _("I dati di questa persona sono già stati eliminati.")
    if person.id == by.id:
        return _("Non puoi eliminare i tuoi stessi dati: chiedilo a un altro coordinatore.")
    if (
        person.profile is not None
        and person.profile.is_coordinator
        and person.active
        and count_active_coordinators() <= 1
    ):
        return _("È l'unico coordinatore attivo: nomina prima un altro coordinatore.")
    return None


def _folded(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def confirmation_matches(person: User, typed: str | None) -> bool:
    """The coordinator typed the person's name (spaces and capitals do not count)."""
    return bool(typed) and _folded(typed) == _folded(person.name)


def _check(person: User, by: User, confirmation: str | None) -> None:
    problem = obstacle(person, by=by)
    if problem is not None:
        raise PeopleRuleError(problem, field="confirmation")
    if not confirmation_matches(person, confirmation):
        raise PeopleRuleError(
            _(
                "Per confermare scrivi il nome della persona esattamente come appare: «%(name)s».",
                name=person.name,
            ),
            field="confirmation",
        )


def erase(person: User, *, by: User, confirmation: str | None) -> str:
    """Erase ``person`` in one transaction, audited; returns the neutral label. Raises
    PeopleRuleError (field "confirmation") when it may not happen or was not confirmed; the
    transaction is then rolled back."""
    # The audit chain's lock first, held to the commit: every entry committed before it is
    # read below, and none naming the person can be appended meanwhile (on PostgreSQL the
    # reads would otherwise miss what commits between them and the lock). Two erasures queue
    # here too, so the rules are checked on what the other one committed.
    audit_log.lock_chain()
    if person.profile is not None:
        db.session.refresh(person.profile)
    try:
        _check(person, by, confirmation)
    except PeopleRuleError:
        db.session.rollback()
        raise
    label = neutral_label(person)
    names, addresses = _identities(person)
    taken_names, taken_handles = _others(person)
    own_names = [name for name in names if not _shared(name, taken_names, taken_handles)]
    handles = {handle_of(_Named(name)) for name in names}
    handles |= {f"{handle}.{person.id}" for handle in handles}
    handles -= taken_handles
    new_handle = handle_of(_Named(label))
    groups = _mention_groups(person)

    _rewrite_mentions(groups, names, own_names, handles, label, new_handle)
    _rewrite_quotes(person, groups, names, own_names, handles, label, new_handle)
    _remove_personal_rows(person, addresses)
    _rewrite_invitations(person, addresses, label)
    rewrites = audit_log.erase_person(person.id, names, addresses, label)

    person.name = label
    person.email = placeholder_address(person)
    person.password_hash = None
    person.active = False
    person.end_all_sessions()
    profile = person.profile
    profile.phone = None
    profile.organisation = None
    profile.service_id = None
    profile.erased_at = utcnow()
    # The rewrites (entry ids, field names, hashes of the new texts: nothing personal) let
    # audit-verify tell this erasure from a forged one (workspace.audit.chain).
    audit.record(
        ERASED,
        actor=by,
        target_type="user",
        target_id=person.id,
        label=label,
        detail={"entries": len({entry_id for entry_id, *_ in rewrites}), "rewritten": rewrites},
    )
    db.session.commit()
    return label


class _Named:
    """Just enough of a person for handle_of (a past name, the label)."""

    def __init__(self, name: str, id: int = 0):
        self.name = name
        self.id = id


def _identities(person: User) -> tuple[list[str], list[str]]:
    """Every name and address the person went by: now, in earlier names the audit log
    recorded, and in the invitations that reached them."""
    names = {person.name}
    addresses = {person.email.lower()}
    for detail in db.session.scalars(
        select(AuditEntry.detail).where(
            AuditEntry.action == "person.updated",
            AuditEntry.target_type == "user",
            AuditEntry.target_id == person.id,
        )
    ):
        names |= _names_in(detail)
    for invitation in db.session.scalars(
        select(Invitation).where(
            or_(Invitation.user_id == person.id, func.lower(Invitation.email) == person.email)
        )
    ):
        names.add(invitation.name)
        addresses.add(invitation.email.lower())
    return sorted(name for name in names if name.strip()), sorted(addresses)


def _names_in(detail: str) -> set[str]:
    try:
        change = json.loads(detail).get("name") or {}
    except (ValueError, AttributeError):
        return set()
    return {value for value in (change.get("from"), change.get("to")) if isinstance(value, str)}


def _others(person: User) -> tuple[set[str], set[str]]:
    """The names (folded) and handles (both forms) of everyone else."""
    names, handles = set(), set()
    for user_id, name in db.session.execute(select(User.id, User.name).where(User.id != person.id)):
        names.add(_folded(name))
        handle = handle_of(_Named(name, user_id))
        handles |= {handle, f"{handle}.{user_id}"}
    return names, handles


def _shared(name: str, taken_names: set[str], taken_handles: set[str]) -> bool:
    return _folded(name) in taken_names or handle_of(_Named(name)) in taken_handles


def _mention_groups(person: User) -> set[int] | None:
    """The groups where the person could be @mentioned: where they are or were a member or
    wrote; None for every group (a coordinator, now or before, can be mentioned anywhere)."""
    if person.profile is not None and person.profile.role == Role.COORDINATOR:
        return None
    was_coordinator = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.action == "person.role_changed",
            AuditEntry.target_type == "user",
            AuditEntry.target_id == person.id,
            AuditEntry.detail.contains(f'"{Role.COORDINATOR.value}"'),
        )
    )
    if was_coordinator:
        return None
    groups = set(
        db.session.scalars(select(Membership.group_id).where(Membership.user_id == person.id))
    )
    groups |= set(
        db.session.scalars(
            select(Event.group_id).where(
                Event.subject_id == person.id,
                Event.kind.in_([EventKind.MEMBER_ADDED.value, EventKind.MEMBER_REMOVED.value]),
            )
        )
    )
    groups |= set(
        db.session.scalars(
            select(Thread.group_id)
            .join(Message, Message.thread_id == Thread.id)
            .where(Message.author_id == person.id)
        )
    )
    return groups


def _replace_handles(text: str, handles: set[str], new_handle: str) -> str:
    def swap(match: re.Match) -> str:
        if match.group(1).casefold() in handles:
            return "@" + new_handle
        return match.group(0)

    return MENTION.sub(swap, text)


def _replace_bold_names(
    body: str, html: str, names: list[str], own_names: list[str], handles: set[str], label: str
) -> str:
    """The bold "@Name" each mention of the person rendered to (markdown-it's escaping, not
    markupsafe's). A name someone else has too: only the bold names that stand, in order, for
    one of the person's ``handles`` in the ``body`` (as it was); if the count does not match
    (a handle in code, one nobody had), none."""
    for name in names:
        bold = f"<strong>@{escapeHtml(name)}</strong>"
        if bold not in html:
            continue
        new_bold = f"<strong>@{label}</strong>"
        if name in own_names:
            html = html.replace(bold, new_bold)
            continue
        base = re.escape(handle_of(_Named(name)))
        theirs = [
            match.group(1).casefold() in handles
            for match in MENTION.finditer(body)
            if re.fullmatch(rf"{base}(\.\d+)?", match.group(1).casefold())
        ]
        pieces = html.split(bold)
        if len(pieces) - 1 != len(theirs):
            continue
        html = pieces[0] + "".join(
            (new_bold if mine else bold) + piece
            for mine, piece in zip(theirs, pieces[1:], strict=True)
        )
    return html


def _rewrite_mentions(
    groups: set[int] | None,
    names: list[str],
    own_names: list[str],
    handles: set[str],
    label: str,
    new_handle: str,
) -> None:
    """@mentions of the person in anyone's messages and their earlier versions, in the groups
    where they could be mentioned. Through the ORM for messages, so that the search index
    follows (workspace.search.index)."""
    if not handles or groups == set():
        return
    in_groups = Message.thread_id.in_(
        select(Thread.id).where(true() if groups is None else Thread.group_id.in_(groups))
    )
    found = [func.lower(Message.body).contains("@" + handle, autoescape=True) for handle in handles]
    for message in db.session.scalars(select(Message).where(in_groups, or_(*found))):
        old = message.body
        message.body = _replace_handles(old, handles, new_handle)
        message.html = _replace_bold_names(old, message.html, names, own_names, handles, label)
    found = [
        func.lower(MessageVersion.body).contains("@" + handle, autoescape=True)
        for handle in handles
    ]
    versions = select(MessageVersion).where(
        MessageVersion.message_id.in_(select(Message.id).where(in_groups)), or_(*found)
    )
    for version in db.session.scalars(versions):
        old = version.body
        version.body = _replace_handles(old, handles, new_handle)
        version.html = _replace_bold_names(old, version.html, names, own_names, handles, label)


def _rewrite_quotes(
    person: User,
    groups: set[int] | None,
    names: list[str],
    own_names: list[str],
    handles: set[str],
    label: str,
    new_handle: str,
) -> None:
    """Notifications to others and activity events: the title of a notification the person
    caused starts with their name ("Anna Rossi ti ha menzionato"); an excerpt or an event may
    quote a mention (in a group where they could be mentioned) or their name (one nobody else
    has)."""

    def clean(text: str, group_id: int | None) -> str:
        text = text or ""
        if groups is None or group_id in groups:
            text = _replace_handles(text, handles, new_handle)
        return audit_log.replace_names(text, own_names, label)

    def caused(title: str) -> str:
        for name in sorted(names, key=len, reverse=True):
            if title.startswith(name) and not title[len(name) : len(name) + 1].isalnum():
                return label + title[len(name) :]
        return title

    needles = [*own_names, *("@" + handle for handle in handles)]
    for model, columns in ((Notification, ("title", "excerpt")), (Event, ("title", "summary"))):
        quoting = [
            func.lower(getattr(model, column)).contains(needle.lower(), autoescape=True)
            for column in columns
            for needle in needles
        ]
        if model is Notification:
            quoting.append(Notification.actor_id == person.id)
        if not quoting:
            continue
        table = model.__table__
        rows = db.session.execute(
            select(
                table.c.id, table.c.group_id, table.c.actor_id, *(table.c[c] for c in columns)
            ).where(or_(*quoting))
        )
        for row in rows.all():
            values = {column: clean(getattr(row, column), row.group_id) for column in columns}
            if model is Notification and row.actor_id == person.id:
                values["title"] = clean(caused(row.title), row.group_id)
            if all(values[column] == getattr(row, column) for column in columns):
                continue
            db.session.execute(update(table).where(table.c.id == row.id).values(**values))


def _remove_personal_rows(person: User, addresses: list[str]) -> None:
    from workspace.twofactor.models import RecoveryCode, TwoFactor

    for model in (
        TwoFactor,
        RecoveryCode,
        Notification,
        Subscription,
        MailPreference,
        WeeklySummary,
        Draft,
        Presence,
        GroupVisit,
        ThreadRead,
        CalendarFeed,
        Membership,
        PasswordReset,
    ):
        db.session.execute(
            delete(model)
            .where(model.user_id == person.id)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        delete(LoginAttempt)
        .where(func.lower(LoginAttempt.email).in_(addresses))
        .execution_options(synchronize_session=False)
    )


def _rewrite_invitations(person: User, addresses: list[str], label: str) -> None:
    """Never accepted: removed. Accepted (the invitations' list keeps its history): the name
    and the address replaced."""
    to_them = or_(Invitation.user_id == person.id, func.lower(Invitation.email).in_(addresses))
    for invitation in db.session.scalars(select(Invitation).where(to_them)):
        if invitation.accepted_at is None:
            db.session.delete(invitation)
        else:
            invitation.name = label
            invitation.email = placeholder_address(person)
            invitation.organisation = None
