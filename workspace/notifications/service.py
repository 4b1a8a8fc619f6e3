"""The rules of notifications: who is told what, what people follow or mute, how mail goes out.

Other capabilities call ``notify`` and ``retract`` inside their own transaction: nothing here
commits except ``send_pending``, which runs outside any request (``flask send-notifications``)
and commits each claim before it sends, so that two servers running it never send the same
notification twice.
"""

import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from workspace.accounts.models import User
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.groups.models import Group
from workspace.i18n import ROME, locale_of
from workspace.mail import MailError, absolute_url, send_mail
from workspace.notifications.models import (
    Kind,
    MailMode,
    MailPreference,
    Notification,
    State,
    Subscription,
    Target,
)
from workspace.texts.plain import shorten

log = logging.getLogger(__name__)

PAGE_SIZE = 30
MAX_PAGE = 100_000  # beyond any real list; keeps the OFFSET inside what a database accepts
TITLE_LENGTH = 300
EXCERPT_LENGTH = 500
# One mail lists at most this many notifications; the rest are counted, with a link to the list.
MAIL_ITEMS = 50
# After this many mails refused in a row the run stops: the mail server is probably down, and
# the next run will try again (what was not sent is given back).
MAX_FAILURES_IN_A_ROW = 3
DEFAULT_DIGEST_HOUR = 7  # Europe/Rome


class NotificationError(ValueError):
    """A notification that cannot be stored as asked (a link outside Tavolo)."""


def _user_id(person: User | int) -> int:
    return person if isinstance(person, int) else person.id


def _is_local_path(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


# -- Creating and retracting ----------------------------------------------------------------


def notify(
    recipients: Iterable[User | int],
    *,
    kind: Kind,
    actor: User | None,
    group: Group | None,
    title: str,
    excerpt: str,
    url: str,
    source: str,
) -> list[Notification]:
    """One notification per distinct recipient, added to the caller's transaction (no commit).

    Left out: the actor, people whose account is disabled, and anyone who already has a
    notification with this ``source`` (a message that both mentions someone and replies in a
    thread they follow notifies them once: call for mentions first, they are the most telling).
    Muting is the caller's business: subtract ``muters(...)`` from the recipients, and keep to
    people who may see the group; this function does not know who may see what.

    ``title`` is the sentence shown in the list and used as the mail's subject (at most 300
    characters), ``excerpt`` a short plain-text extract (at most 500; white space collapsed),
    ``url`` a path inside Tavolo (as ``url_for`` gives it), ``source`` what the notification is
    about, e.g. ``"message:12"``: ``retract(source)`` removes them all.
    """
    if not _is_local_path(url) or len(url) > 500:
        raise NotificationError(f"not a path inside Tavolo: {url!r}")
    if not source or len(source) > 80:
        raise NotificationError(f"a source is 1 to 80 characters: {source!r}")
    wanted = {_user_id(person) for person in recipients}
    if actor is not None:
        wanted.discard(actor.id)
    if not wanted:
        return []
    active = set(
        db.session.scalars(select(User.id).where(User.id.in_(wanted), User.active.is_(True)))
    )
    already = set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.source == source, Notification.user_id.in_(active)
            )
        )
    )
    now = utcnow()
    created = [
        Notification(
            user_id=user_id,
            kind=Kind(kind).value,
            group_id=group.id if group is not None else None,
            actor_id=actor.id if actor is not None else None,
            title=shorten(title, TITLE_LENGTH),
            excerpt=shorten(excerpt, EXCERPT_LENGTH),
            url=url,
            source=source,
            created_at=now,
        )
        for user_id in sorted(active - already)
    ]
    db.session.add_all(created)
    db.session.flush()
    return created


def retract(source: str) -> int:
    """Delete every notification about ``source`` (a withdrawn message), read or not, so that
    lists and counts stay true. In the caller's transaction; returns how many went."""
    result = db.session.execute(delete(Notification).where(Notification.source == source))
    return result.rowcount or 0


# -- Following and muting -------------------------------------------------------------------


def _subscription(user: User, target: Target, target_id: int) -> Subscription | None:
    return db.session.scalar(
        select(Subscription).where(
            Subscription.user_id == user.id,
            Subscription.target == Target(target).value,
            Subscription.target_id == target_id,
        )
    )


def _set_state(user: User, target: Target, target_id: int, state: State) -> Subscription:
    subscription = _subscription(user, target, target_id)
    if subscription is None:
        subscription = Subscription(
            user_id=user.id, target=Target(target).value, target_id=target_id, state=state.value
        )
        try:
            with db.session.begin_nested():  # the same person's other tab may insert first
                db.session.add(subscription)
        except IntegrityError:
            subscription = _subscription(user, target, target_id)
    subscription.state = state.value
    db.session.flush()
    return subscription


def follow(user: User, target: Target, target_id: int) -> Subscription:
    """Follow a thread (its replies) or a group (its new threads). No commit."""
    return _set_state(user, target, target_id, State.FOLLOW)


def mute(user: User, target: Target, target_id: int) -> Subscription:
    """Mute a thread or a group: callers leave muters out of ``notify``. No commit."""
    return _set_state(user, target, target_id, State.MUTE)


def reset(user: User, target: Target, target_id: int) -> None:
    """Neither follow nor mute any more: back to the default. No commit."""
    db.session.execute(
        delete(Subscription).where(
            Subscription.user_id == user.id,
            Subscription.target == Target(target).value,
            Subscription.target_id == target_id,
        )
    )


def state_of(user: User, target: Target, target_id: int) -> State | None:
    state = db.session.scalar(
        select(Subscription.state).where(
            Subscription.user_id == user.id,
            Subscription.target == Target(target).value,
            Subscription.target_id == target_id,
        )
    )
    return State(state) if state else None


def _with_state(target: Target, target_id: int, state: State) -> set[int]:
    return set(
        db.session.scalars(
            select(Subscription.user_id).where(
                Subscription.target == Target(target).value,
                Subscription.target_id == target_id,
                Subscription.state == state.value,
            )
        )
    )


def followers(target: Target, target_id: int) -> set[int]:
    """Ids of the people following; whether they still may see it is for the caller to check."""
    return _with_state(target, target_id, State.FOLLOW)


def muters(target: Target, target_id: int) -> set[int]:
    return _with_state(target, target_id, State.MUTE)


@dataclass
class Watched:
    """One thread or group a person follows or muted, as the preferences page lists it."""

    subscription: Subscription
    name: str | None  # None when the person may no longer see it
    group: Group | None
    url: str | None = None  # filled in by the page


def subscriptions_of(user: User) -> list[Watched]:
    """What ``user`` follows or muted, groups first, with names only for what they still see."""
    from workspace.discussions.models import Thread
    from workspace.groups.access import group_access

    subscriptions = list(
        db.session.scalars(
            select(Subscription)
            .where(Subscription.user_id == user.id)
            .order_by(Subscription.target, Subscription.created_at.desc())
        )
    )
    thread_ids = [s.target_id for s in subscriptions if s.target == Target.THREAD]
    threads = {
        thread.id: thread
        for thread in db.session.scalars(select(Thread).where(Thread.id.in_(thread_ids)))
    }
    group_ids = {s.target_id for s in subscriptions if s.target == Target.GROUP}
    group_ids |= {thread.group_id for thread in threads.values()}
    groups = {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(group_ids)))}
    visible = {gid for gid, g in groups.items() if group_access(g, user) is not None}
    watched = []
    for subscription in subscriptions:
        if subscription.target == Target.GROUP:
            group = groups.get(subscription.target_id)
            name = group.name if group is not None else None
        else:
            thread = threads.get(subscription.target_id)
            group = groups.get(thread.group_id) if thread is not None else None
            name = thread.title if thread is not None else None
        if group is None or group.id not in visible:
            name, group = None, None
        watched.append(Watched(subscription, name, group))
    return watched


# -- Reading --------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """One COUNT on the (user, read) index: no notification is loaded."""
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


@dataclass(frozen=True)
class Bell:
    """What the bell shows, and the validator that lets a poll answer 304 when it is unchanged."""

    user_id: int
    unread: int
    newest_id: int

    def etag(self, variant: str) -> str:
        return f"bell-{self.user_id}-{self.unread}-{self.newest_id}-{variant}"


def bell_of(user: User) -> Bell:
    """The unread count and the newest notification's id, in one round trip."""
    unread = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    newest = (
        select(func.max(Notification.id)).where(Notification.user_id == user.id).scalar_subquery()
    )
    count, newest_id = db.session.execute(select(unread, newest)).one()
    return Bell(user.id, count or 0, newest_id or 0)


def page_for(user: User, page: int):
    """A page (Flask-SQLAlchemy ``Pagination``) of the person's notifications, newest first."""
    page = max(1, min(page or 1, MAX_PAGE))
    query = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False, count=True)


def groups_of(notifications: Iterable[Notification]) -> dict[int, Group]:
    """The groups the notifications are about, in one query (names for the list and the mail)."""
    ids = {n.group_id for n in notifications if n.group_id is not None}
    if not ids:
        return {}
    return {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(ids)))}


def notification_of(user: User, notification_id: int) -> Notification | None:
    """The person's own notification; None for anyone else's (the route answers 404)."""
    if not 1 <= notification_id <= 2**31 - 1:
        return None
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the person's notifications read: these ``ids`` (others' are ignored), or all of
    them when ``ids`` is None. No commit; returns how many changed."""
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        ids = [i for i in ids if isinstance(i, int)]
        if not ids:
            return 0
        statement = statement.where(Notification.id.in_(ids))
    result = db.session.execute(statement.values(read_at=utcnow()))
    return result.rowcount or 0


def mark_read_for_url(user: User, url: str) -> int:
    """The person opened ``url`` (a thread's path): their notifications pointing at it, or at
    an anchor or a page of it (``url#...``, ``url?...``), are read. No commit."""
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
            or_(
                Notification.url == url,
                Notification.url.startswith(url + "#", autoescape=True),
                Notification.url.startswith(url + "?", autoescape=True),
            ),
        )
        .values(read_at=utcnow())
    )
    return result.rowcount or 0


def kind_label(kind: str) -> str:
    labels = {
        Kind.MENTION: _("Menzione"),
        Kind.REPLY: _("Risposta"),
        Kind.NEW_THREAD: _("Nuova discussione"),
        Kind.DOCUMENT: _("Documento"),
        Kind.MEETING: _("Incontro"),
    }
    return labels.get(kind, _("Notifica"))


# -- Mail preference ------------------------------------------------------------------------


def _preference(user_id: int) -> MailPreference:
    preference = db.session.get(MailPreference, user_id)
    if preference is not None:
        return preference
    preference = MailPreference(
        user_id=user_id, mode=MailMode.IMMEDIATE.value, token=secrets.token_urlsafe(32)
    )
    try:
        with db.session.begin_nested():  # another request or server may create it first
            db.session.add(preference)
    except IntegrityError:
        preference = db.session.get(MailPreference, user_id, populate_existing=True)
    return preference


def preference_of(user: User) -> MailPreference:
    """The person's mail preference, created (immediate, with a fresh token) on first use.
    No commit: the caller commits, or the new row simply goes with the request."""
    return _preference(user.id)


def set_mode(user: User, mode: MailMode) -> MailPreference:
    """Change how the person gets mail. No commit."""
    preference = preference_of(user)
    preference.mode = MailMode(mode).value
    return preference


def preference_by_token(token: str) -> MailPreference | None:
    if not token or len(token) > 64 or not re.fullmatch(r"[\w-]+", token):
        return None
    return db.session.scalar(select(MailPreference).where(MailPreference.token == token))


# -- Mail -----------------------------------------------------------------------------------


@dataclass
class SendReport:
    """What a run of ``send_pending`` did, for the command to print."""

    mails: list[tuple[str, str, int]] = field(default_factory=list)  # (address, kind, count)
    retired: int = 0  # never mailed: "never" mode, read already, account disabled
    failed: list[str] = field(default_factory=list)
    stopped: bool = False

    def as_dict(self) -> dict:
        return {
            "immediate": sum(1 for _a, kind, _n in self.mails if kind == "immediate"),
            "digests": sum(1 for _a, kind, _n in self.mails if kind == "digest"),
            "notifications": sum(n for _a, _k, n in self.mails),
            "retired": self.retired,
            "failed": list(self.failed),
            "stopped": self.stopped,
            "mails": list(self.mails),
        }


def digest_slot(now: datetime) -> datetime:
    """The latest moment a daily digest became due: today's digest hour in Rome, or
    yesterday's before that hour."""
    hour = int(current_app.config.get("NOTIFICATIONS_DIGEST_HOUR", DEFAULT_DIGEST_HOUR))
    local = now.astimezone(ROME)
    slot = datetime.combine(local.date(), time(hour=hour), ROME)
    if slot > local:
        slot = datetime.combine(local.date() - timedelta(days=1), time(hour=hour), ROME)
    return slot


def _pending(now: datetime):
    return (Notification.emailed_at.is_(None), Notification.created_at <= now)


def _retire_unmailable(now: datetime) -> int:
    """Mark as mailed what will never be mailed, so that it does not wait for a later switch
    of preference: notifications already read, of people who chose "never" or whose account is
    disabled."""
    never = select(MailPreference.user_id).where(MailPreference.mode == MailMode.NEVER.value)
    disabled = select(User.id).where(User.active.is_(False))
    result = db.session.execute(
        update(Notification)
        .where(
            *_pending(now),
            or_(
                Notification.read_at.is_not(None),
                Notification.user_id.in_(never),
                Notification.user_id.in_(disabled),
            ),
        )
        .values(emailed_at=now)
    )
    db.session.commit()
    return result.rowcount or 0


def _claim(user_id: int, now: datetime) -> list[int]:
    """Take this person's pending notifications for this run: whatever another server claimed
    first is not returned (UPDATE ... WHERE emailed_at IS NULL, then RETURNING)."""
    return list(
        db.session.scalars(
            update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
                *_pending(now),
            )
            .values(emailed_at=now)
            .returning(Notification.id)
        )
    )


def _claim_digest(preference: MailPreference, slot: datetime, now: datetime) -> bool:
    result = db.session.execute(
        update(MailPreference)
        .where(
            MailPreference.user_id == preference.user_id,
            MailPreference.mode == MailMode.DAILY.value,
            or_(MailPreference.last_digest_at.is_(None), MailPreference.last_digest_at < slot),
        )
        .values(last_digest_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def _digest_due(user_id: int, preference: MailPreference, slot: datetime) -> bool:
    """A slot has passed since the last digest and something waiting is older than it (what
    came after today's slot waits for tomorrow's, so digests stay a day apart)."""
    if preference.last_digest_at is not None and preference.last_digest_at >= slot:
        return False
    oldest = db.session.scalar(
        select(func.min(Notification.created_at)).where(
            Notification.user_id == user_id,
            Notification.emailed_at.is_(None),
            Notification.read_at.is_(None),
        )
    )
    return oldest is not None and oldest <= slot


def send_pending(now: datetime | None = None) -> dict:
    """The mail run (``flask send-notifications``, from cron every few minutes).

    - immediate: one mail per person per run; a single notification gets a mail of its own,
      several that arrived since the previous run one mail listing them, grouped by group;
    - daily: one digest a day, at the first run after NOTIFICATIONS_DIGEST_HOUR (7:00 Rome),
      of everything not mailed yet, grouped by group, newest first; what arrives after that
      hour waits for the next day's digest (``last_digest_at`` says when the last one left);
    - never: nothing is sent, and the notifications are marked mailed so that a later switch
      to "immediate" does not send a flood of old news. The same for notifications read in the
      app before the run and for disabled accounts.

    Each person's notifications are claimed (``emailed_at`` set) and committed before the mail
    is sent, so several servers may run it at once without sending anything twice. A mail the
    server refuses gives its notifications back for the next run. If the process dies between
    claim and send, those notifications are not mailed: at most once rather than twice.
    """
    now = now or utcnow()
    report = SendReport()
    report.retired = _retire_unmailable(now)
    user_ids = list(
        db.session.scalars(
            select(Notification.user_id)
            .where(*_pending(now))
            .distinct()
            .order_by(Notification.user_id)
        )
    )
    slot = digest_slot(now)
    failures_in_a_row = 0
    for user_id in user_ids:
        preference = _preference(user_id)
        db.session.commit()
        previous_digest = preference.last_digest_at
        daily = preference.mode == MailMode.DAILY
        if daily:
            due = _digest_due(user_id, preference, slot)
            if not due or not _claim_digest(preference, slot, now):
                db.session.rollback()
                continue
        elif preference.mode != MailMode.IMMEDIATE:
            continue  # switched to "never" during the run: retired by the next run
        claimed = _claim(user_id, now)
        db.session.commit()
        user = db.session.get(User, user_id)
        if not claimed or user is None:
            _give_back(claimed, user_id, now, daily=daily, previous_digest=previous_digest)
            continue
        try:
            _mail(user, preference, claimed, digest=daily)
        except MailError:
            _give_back(claimed, user_id, now, daily=daily, previous_digest=previous_digest)
            report.failed.append(user.email)
            failures_in_a_row += 1
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                report.stopped = True
                break
            continue
        failures_in_a_row = 0
        report.mails.append((user.email, "digest" if daily else "immediate", len(claimed)))
    return report.as_dict()


def _give_back(
    ids: list[int],
    user_id: int,
    now: datetime,
    *,
    daily: bool,
    previous_digest: datetime | None,
) -> None:
    """Undo this run's claim (nothing was sent): the next run tries again."""
    if ids:
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.emailed_at == now)
            .values(emailed_at=None)
        )
    if daily:
        db.session.execute(
            update(MailPreference)
            .where(MailPreference.user_id == user_id, MailPreference.last_digest_at == now)
            .values(last_digest_at=previous_digest)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


@dataclass
class MailSection:
    """The notifications of one group in a mail (group None: not about a group)."""

    group: Group | None
    items: list[tuple[Notification, str]]  # (notification, absolute link)


def absolute_link(path: str) -> str:
    """A notification's path as a link for mail, on PUBLIC_URL's host (never the request's).

    The path comes from ``url_for`` in a request, so it already carries the script root of a
    deployment under a prefix; only the scheme and host are taken from PUBLIC_URL.
    """
    root = urlsplit(absolute_url("home.index"))
    return f"{root.scheme}://{root.netloc}{path}"


def compose(notifications: list[Notification]) -> list[MailSection]:
    """Notifications grouped by group: the group with the newest first, newest first inside
    each group; those about no group come last."""
    groups = groups_of(notifications)
    ordered = sorted(notifications, key=lambda n: (n.created_at, n.id), reverse=True)
    sections: dict[int | None, MailSection] = {}
    for notification in ordered:
        key = notification.group_id if notification.group_id in groups else None
        section = sections.setdefault(key, MailSection(groups.get(key), []))
        section.items.append((notification, absolute_link(notification.url)))
    return sorted(sections.values(), key=lambda s: s.group is None)


def _mail(user: User, preference: MailPreference, ids: list[int], *, digest: bool) -> None:
    notifications = list(
        db.session.scalars(select(Notification).where(Notification.id.in_(ids))).unique()
    )
    shown = sorted(notifications, key=lambda n: (n.created_at, n.id), reverse=True)[:MAIL_ITEMS]
    locale = locale_of(user)
    with force_locale(locale):
        context = {
            "user": user,
            "digest": digest,
            "single": shown[0] if len(notifications) == 1 and not digest else None,
            "sections": compose(shown),
            "total": len(notifications),
            "more": len(notifications) - len(shown),
            "list_link": absolute_url("notifications.index"),
            "preference_link": absolute_url("notifications.by_token", token=preference.token),
            "kind_label": kind_label,
        }
        if context["single"] is not None:
            subject = _("Tavolo: %(title)s", title=context["single"].title)
        elif digest:
            subject = ngettext(
                "Tavolo: riepilogo giornaliero (%(num)d notifica)",
                "Tavolo: riepilogo giornaliero (%(num)d notifiche)",
                len(notifications),
            )
        else:
            subject = _("Tavolo: %(n)d nuove notifiche", n=len(notifications))
        body = render_template("notifications/mail/notifications.txt", **context)
        html = render_template("notifications/mail/notifications.html", **context)
    send_mail(user.email, subject, body, html=html)


def prune_read(older_than: datetime) -> int:
    """Delete notifications read and made before ``older_than`` (NOTIFICATION_RETENTION_DAYS,
    by ``flask prune``); unread ones stay. Commits; returns how many went."""
    removed = db.session.execute(
        delete(Notification).where(
            Notification.read_at.is_not(None), Notification.created_at < older_than
        )
    ).rowcount
    db.session.commit()
    return removed
