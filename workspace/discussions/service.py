"""Rules for discussions: open a thread, reply, quote, edit, withdraw, moderate, read.

Each public function that writes is one transaction. Who may do what is decided here (routes
only load and check that the person sees the group); notifications are asked for here, once,
when a message is saved or withdrawn.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError

from workspace import audit
from workspace.accounts.models import User
from workspace.activity import service as activity
from workspace.activity.models import EventKind
from workspace.clock import utcnow
from workspace.discussions.models import Message, MessageVersion, Thread, ThreadRead
from workspace.extensions import db
from workspace.groups.access import GroupAccess, group_access
from workspace.groups.models import Group, Membership
from workspace.people.models import Profile, Role
from workspace.texts.markdown import render, slugify

MAX_MESSAGE_CHARS = 50_000
MAX_TITLE_CHARS = 200
THREADS_PER_PAGE = 30
MESSAGES_PER_PAGE = 50
EXCERPT_CHARS = 280


class DiscussionError(Exception):
    """A request that cannot be honoured, with the Italian message and the field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# -- Mentions ---------------------------------------------------------------------------------


def handle_of(user: User) -> str:
    """The @handle people type for someone: their name in lowercase, words joined by dots."""
    return slugify(user.name).replace("-", ".") or f"persona.{user.id}"


def mentionable(group: Group) -> dict[str, User]:
    """Who can be @mentioned in a group: the people who can see it (members and coordinators).

    Two people with the same name get their id after the name, so a handle is never ambiguous.
    """
    members = select(Membership.user_id).where(Membership.group_id == group.id)
    coordinators = select(Profile.user_id).where(Profile.role == Role.COORDINATOR)
    people = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.id.in_(members.union(coordinators)))
        .order_by(User.name)
    ).unique()
    by_handle: dict[str, list[User]] = {}
    for person in people:
        by_handle.setdefault(handle_of(person), []).append(person)
    handles: dict[str, User] = {}
    for handle, same in by_handle.items():
        if len(same) == 1:
            handles[handle] = same[0]
        else:
            for person in same:
                handles[f"{handle}.{person.id}"] = person
    return handles


def _render(body: str, group: Group) -> tuple[str, list[User]]:
    # A mention starts with "@": without one, the group's people need not be loaded.
    people = mentionable(group) if "@" in body else {}
    rendered = render(
        body, anchors=False, mentions={handle: user.name for handle, user in people.items()}
    )
    return rendered.html, [people[handle] for handle in rendered.mentioned]


# -- Reading ----------------------------------------------------------------------------------


@dataclass
class ThreadRow:
    thread: Thread
    unread: int
    participants: list[User]
    last_author: User | None


def _visible_threads(group: Group):
    return select(Thread).where(Thread.group_id == group.id)


def threads_page(
    group: Group,
    user: User,
    page: int = 1,
    per_page: int = THREADS_PER_PAGE,
    *,
    participants: bool = True,
):
    """A page of the group's threads, pinned first, then by last activity; with, for each,
    the person's unread count, who took part (unless ``participants`` is false: the group
    page's short list does not show them) and who wrote last: a fixed number of queries."""
    pagination = db.paginate(
        _visible_threads(group).order_by(
            Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc()
        ),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return pagination, rows_for(pagination.items, user, participants=participants)


def rows_for(threads: list[Thread], user: User, *, participants: bool = True) -> list[ThreadRow]:
    ids = [thread.id for thread in threads]
    unread = unread_counts(user, ids)
    people: dict[int, list[User]] = {thread_id: [] for thread_id in ids}
    last_author: dict[int, User | None] = {}
    if ids and participants:
        # Every message of the threads is read: for a long thread, the costliest query here.
        pairs = db.session.execute(
            select(Message.thread_id, User)
            .join(User, User.id == Message.author_id)
            .where(Message.thread_id.in_(ids))
            .group_by(Message.thread_id, User.id)
            .order_by(Message.thread_id, func.min(Message.number))
        ).all()
        for thread_id, person in pairs:
            people[thread_id].append(person)
    if ids:
        for thread_id, person in db.session.execute(
            select(Message.thread_id, User)
            .join(
                Thread, and_(Thread.id == Message.thread_id, Thread.last_number == Message.number)
            )
            .outerjoin(User, User.id == Message.author_id)
            .where(Message.thread_id.in_(ids))
        ).all():
            last_author[thread_id] = person
    return [
        ThreadRow(thread, unread.get(thread.id, 0), people[thread.id], last_author.get(thread.id))
        for thread in threads
    ]


def unread_counts(user: User, thread_ids: Iterable[int]) -> dict[int, int]:
    """Unread messages per thread (only threads with some): withdrawn ones do not count.

    Messages are numbered 1, 2, ... with no gaps and never deleted, so what is unread is the
    thread's last number less what the person has read, less the withdrawn messages after
    that: two small queries whatever the length of the thread (the withdrawn ones through a
    partial index), instead of counting every unread message.
    """
    ids = list(thread_ids)
    if not ids:
        return {}
    read_number = func.coalesce(ThreadRead.last_read_number, 0)
    positions = db.session.execute(
        select(Thread.id, Thread.last_number, read_number)
        .outerjoin(
            ThreadRead, and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user.id)
        )
        .where(Thread.id.in_(ids))
    ).all()
    withdrawn: dict[int, list[int]] = {}
    for thread_id, number in db.session.execute(
        select(Message.thread_id, Message.number).where(
            Message.thread_id.in_(ids), Message.withdrawn_at.is_not(None)
        )
    ):
        withdrawn.setdefault(thread_id, []).append(number)
    counts = {
        thread_id: last - read - sum(1 for n in withdrawn.get(thread_id, ()) if n > read)
        for thread_id, last, read in positions
    }
    return {thread_id: count for thread_id, count in counts.items() if count > 0}


def last_read(thread: Thread, user: User) -> int:
    return (
        db.session.scalar(
            select(ThreadRead.last_read_number).where(
                ThreadRead.thread_id == thread.id, ThreadRead.user_id == user.id
            )
        )
        or 0
    )


def page_of(number: int, per_page: int = MESSAGES_PER_PAGE) -> int:
    return max(1, (number - 1) // per_page + 1)


def messages_page(thread: Thread, page: int, per_page: int = MESSAGES_PER_PAGE):
    return db.paginate(
        select(Message).where(Message.thread_id == thread.id).order_by(Message.number),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def messages_after(thread: Thread, number: int, limit: int = MESSAGES_PER_PAGE) -> list[Message]:
    return list(
        db.session.scalars(
            select(Message)
            .where(Message.thread_id == thread.id, Message.number > number)
            .order_by(Message.number)
            .limit(limit)
        ).unique()
    )


def get_message(thread: Thread, number: int) -> Message | None:
    return db.session.scalar(
        select(Message).where(Message.thread_id == thread.id, Message.number == number)
    )


def mark_read(thread: Thread, user: User, number: int, *, notifications: bool = True) -> None:
    """Remember that ``user`` has read ``thread`` up to message ``number`` (never backwards),
    and (unless told not to) that the notifications pointing into the thread are read."""
    number = min(number, thread.last_number)
    for _attempt in range(3):
        read = db.session.scalar(
            select(ThreadRead).where(
                ThreadRead.thread_id == thread.id, ThreadRead.user_id == user.id
            )
        )
        if read is None:
            read = ThreadRead(thread_id=thread.id, user_id=user.id, last_read_number=0)
            db.session.add(read)
        if read.last_read_number >= number:
            db.session.rollback()
            break
        read.last_read_number = number
        read.updated_at = utcnow()
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # the same person's other tab wrote first
            continue
        break
    if notifications:
        _notifications().mark_read_for_url(user, thread_url(thread))
        db.session.commit()


def threads_about(document) -> list[Thread]:
    return list(
        db.session.scalars(
            select(Thread)
            .where(Thread.document_id == document.id)
            .order_by(Thread.last_activity_at.desc())
        ).unique()
    )


def versions_of(message: Message) -> list[MessageVersion]:
    return list(
        db.session.scalars(
            select(MessageVersion)
            .where(MessageVersion.message_id == message.id)
            .order_by(MessageVersion.id.desc())
        )
    )


# -- Writing ----------------------------------------------------------------------------------


def _notifications():
    from workspace.notifications import service

    return service


def thread_url(thread: Thread) -> str:
    return url_for("discussions.show", slug=thread.group.slug, thread_id=thread.id, _external=False)


def message_url(thread: Thread, message: Message) -> str:
    return url_for(
        "discussions.show",
        slug=thread.group.slug,
        thread_id=thread.id,
        pagina=page_of(message.number),
        _anchor=f"messaggio-{message.number}",
        _external=False,
    )


def _check_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise DiscussionError(_("Scrivi il messaggio."), "body")
    if len(body) > MAX_MESSAGE_CHARS:
        raise DiscussionError(
            _("Il messaggio supera il limite di %(n)s caratteri.", n="50.000"), "body"
        )
    return body


def _excerpt(body: str) -> str:
    plain = re.sub(r"\s+", " ", re.sub(r"[#>*_`~|\[\]()]", " ", body)).strip()
    return plain if len(plain) <= EXCERPT_CHARS else plain[: EXCERPT_CHARS - 1] + "…"


def sent_before(author: User, client_token: str | None) -> Message | None:
    """The message this form already made, when the same form is sent twice."""
    if not client_token:
        return None
    return db.session.scalar(
        select(Message).where(Message.author_id == author.id, Message.client_token == client_token)
    )


def open_thread(
    group: Group,
    *,
    author: User,
    title: str,
    body: str,
    document=None,
    section_anchor: str | None = None,
    section_title: str | None = None,
    client_token: str | None = None,
) -> Thread:
    """A new thread with its first message; people watching the group are told."""
    duplicate = sent_before(author, client_token)
    if duplicate is not None:
        return duplicate.thread
    title = " ".join((title or "").split())
    if not title:
        raise DiscussionError(_("Questo campo è obbligatorio."), "title")
    if len(title) > MAX_TITLE_CHARS:
        raise DiscussionError(_("Al massimo %(n)d caratteri.", n=MAX_TITLE_CHARS), "title")
    body = _check_body(body)
    if document is not None and document.group_id != group.id:
        document = None
    now = utcnow()
    thread = Thread(
        group_id=group.id,
        group=group,
        title=title,
        created_by_id=author.id,
        created_at=now,
        last_activity_at=now,
        last_number=1,
        document_id=document.id if document is not None else None,
        section_anchor=section_anchor if document is not None else None,
        section_title=(section_title or None) if document is not None else None,
    )
    db.session.add(thread)
    db.session.flush()
    html, mentioned = _render(body, group)
    message = Message(
        thread_id=thread.id,
        number=1,
        author_id=author.id,
        body=body,
        html=html,
        created_at=now,
        client_token=client_token,
    )
    db.session.add(message)
    db.session.flush()
    _announce(thread, message, author, mentioned, new_thread=True)
    activity.record(
        EventKind.THREAD_OPENED,
        group=group,
        actor=author,
        title=title,
        summary=_excerpt(body),
        thread_id=thread.id,
        message_number=1,
    )
    read = ThreadRead(thread_id=thread.id, user_id=author.id, last_read_number=1)
    db.session.add(read)
    db.session.commit()
    return thread


def reply(
    thread: Thread,
    *,
    author: User,
    body: str,
    quoted: Message | None = None,
    client_token: str | None = None,
) -> Message:
    """The next message of the thread. A form sent twice gives back the first message."""
    duplicate = sent_before(author, client_token)
    if duplicate is not None:
        return duplicate
    if thread.locked:
        raise DiscussionError(_("La discussione è chiusa: non si può più rispondere."), "body")
    body = _check_body(body)
    if quoted is not None and quoted.thread_id != thread.id:
        quoted = None
    html, mentioned = _render(body, thread.group)
    for _attempt in range(5):
        db.session.refresh(thread)
        number = thread.last_number + 1
        now = utcnow()
        moved = db.session.execute(
            update(Thread)
            .where(Thread.id == thread.id, Thread.last_number == number - 1)
            .values(last_number=number, last_activity_at=now)
        ).rowcount
        if moved != 1:
            db.session.rollback()
            continue
        message = Message(
            thread_id=thread.id,
            number=number,
            author_id=author.id,
            body=body,
            html=html,
            created_at=now,
            quoted_id=quoted.id if quoted is not None else None,
            client_token=client_token,
        )
        db.session.add(message)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            duplicate = sent_before(author, client_token)
            if duplicate is not None:
                return duplicate
            continue
        _announce(thread, message, author, mentioned, new_thread=False)
        activity.record(
            EventKind.MESSAGE_POSTED,
            group=thread.group_id,
            actor=author,
            title=thread.title,
            summary=_excerpt(body),
            thread_id=thread.id,
            message_number=number,
        )
        db.session.commit()
        db.session.refresh(thread)
        mark_read(thread, author, number)
        return message
    raise DiscussionError(_("Troppi messaggi nello stesso momento: riprova."), "body")


def _may_see(group: Group, user_ids: Iterable[int]) -> list[User]:
    ids = set(user_ids)
    if not ids:
        return []
    people = db.session.scalars(
        select(User).where(User.id.in_(ids), User.active.is_(True))
    ).unique()
    return [person for person in people if group_access(group, person) is not None]


def _announce(
    thread: Thread, message: Message, author: User, mentioned: list[User], *, new_thread: bool
) -> None:
    """Who is told about a new message: the people mentioned, then the thread's followers
    (or, for a new thread, the group's watchers); nobody who muted it, never the author."""
    from workspace.notifications.models import Kind, Target

    notifications = _notifications()
    group = thread.group
    url = message_url(thread, message)
    source = f"message:{message.id}"
    excerpt = _excerpt(message.body)
    muted = notifications.muters(Target.THREAD, thread.id) | notifications.muters(
        Target.GROUP, group.id
    )
    mentioned_ids = {person.id for person in mentioned} - {author.id}
    notifications.notify(
        _may_see(group, mentioned_ids - notifications.muters(Target.THREAD, thread.id)),
        kind=Kind.MENTION,
        actor=author,
        group=group,
        title=_("%(name)s ti ha menzionato in «%(title)s»", name=author.name, title=thread.title),
        excerpt=excerpt,
        url=url,
        source=source,
    )
    if new_thread:
        watchers = notifications.followers(Target.GROUP, group.id)
        notifications.notify(
            _may_see(group, watchers - muted - mentioned_ids - {author.id}),
            kind=Kind.NEW_THREAD,
            actor=author,
            group=group,
            title=_(
                "Nuova discussione in %(group)s: «%(title)s»", group=group.name, title=thread.title
            ),
            excerpt=excerpt,
            url=url,
            source=source,
        )
    else:
        followers = notifications.followers(Target.THREAD, thread.id)
        notifications.notify(
            _may_see(group, followers - muted - mentioned_ids - {author.id}),
            kind=Kind.REPLY,
            actor=author,
            group=group,
            title=_("%(name)s ha risposto in «%(title)s»", name=author.name, title=thread.title),
            excerpt=excerpt,
            url=url,
            source=source,
        )
    thread_muters = notifications.muters(Target.THREAD, thread.id)
    for person in [author, *mentioned]:
        if (
            person.id not in thread_muters
            and notifications.state_of(person, Target.THREAD, thread.id) is None
        ):
            notifications.follow(person, Target.THREAD, thread.id)


def edit_message(message: Message, *, by: User, body: str) -> bool:
    """Change one's own message, keeping the earlier version. False when nothing changed."""
    if message.author_id != by.id:
        raise DiscussionError(_("Puoi modificare solo i tuoi messaggi."))
    if message.withdrawn_at is not None:
        raise DiscussionError(_("Il messaggio è stato ritirato."))
    body = _check_body(body)
    if body == message.body:
        return False
    db.session.add(
        MessageVersion(
            message_id=message.id,
            body=message.body,
            html=message.html,
            written_at=message.edited_at or message.created_at,
        )
    )
    message.body = body
    message.html, _mentioned = _render(body, message.thread.group)
    message.edited_at = utcnow()
    activity.retell(
        thread_id=message.thread_id, message_number=message.number, summary=_excerpt(body)
    )
    db.session.commit()
    return True


def withdraw(message: Message, *, by: User) -> None:
    """Withdraw one's own message: the thread stays readable, its notifications go."""
    if message.author_id != by.id:
        raise DiscussionError(_("Puoi ritirare solo i tuoi messaggi."))
    if message.withdrawn_at is not None:
        return
    message.withdrawn_at = utcnow()
    _notifications().retract(f"message:{message.id}")
    activity.retell(thread_id=message.thread_id, message_number=message.number, summary="")
    audit.record(
        "message.withdrawn",
        actor=by,
        target=message,
        label=message.thread.title,
        detail={"thread_id": message.thread_id, "number": message.number},
    )
    db.session.commit()


def set_pinned(thread: Thread, access: GroupAccess, pinned: bool) -> None:
    _check_moderator(access)
    thread.pinned = pinned
    db.session.commit()


def set_locked(thread: Thread, access: GroupAccess, locked: bool) -> None:
    _check_moderator(access)
    thread.locked = locked
    db.session.commit()


def resolve(thread: Thread, access: GroupAccess, *, by: User, number: int | None) -> None:
    """Mark the thread resolved by message ``number``, or not resolved (None)."""
    _check_moderator(access)
    if number is not None:
        message = get_message(thread, number)
        if message is None or message.withdrawn_at is not None:
            raise DiscussionError(_("Quel messaggio non esiste."))
    thread.resolved_number = number
    thread.resolved_by_id = by.id if number is not None else None
    db.session.commit()


def _check_moderator(access: GroupAccess) -> None:
    if not access.can_manage:
        raise PermissionError
