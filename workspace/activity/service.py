"""The rules of activity: recording an event, who sees which, the feed, what is new.

Services call the ``record_*`` functions inside their own transaction, right where the change
happens; nothing here commits except ``visit`` (a page view of a group) and the weekly mail,
which runs outside any request. The feed is read newest first and paginated by key (the
event's id), so the hundredth page costs what the first does.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import and_, false, func, literal, or_, select, true, update

from workspace.accounts.models import User
from workspace.activity.models import Event, EventKind, GroupVisit
from workspace.clock import utcnow
from workspace.database import insert_for
from workspace.extensions import db
from workspace.groups.access import member_group_ids
from workspace.groups.models import Group, Membership
from workspace.people.access import is_coordinator, is_external
from workspace.texts.plain import shorten

PAGE_SIZE = 30
TITLE_LENGTH = 300
SUMMARY_LENGTH = 300
# Moving around a group within this time is one visit: what was new stays marked as new.
VISIT_GAP = timedelta(minutes=30)


# -- Recording ----------------------------------------------------------------------------------


def record(
    kind: EventKind,
    *,
    group: Group | int,
    actor: User | None,
    title: str = "",
    summary: str = "",
    **keys,
) -> Event:
    """Add one event to the caller's transaction. ``keys``: document_id, revision_number,
    thread_id, message_number, meeting_id, action_id, subject_id, size_change."""
    profile = getattr(actor, "profile", None) if actor is not None else None
    event = Event(
        kind=str(kind),
        group_id=group if isinstance(group, int) else group.id,
        actor_id=actor.id if actor is not None else None,
        service_id=getattr(profile, "service_id", None),
        title=shorten(title, TITLE_LENGTH),
        summary=shorten(summary, SUMMARY_LENGTH),
        created_at=utcnow(),
        **keys,
    )
    db.session.add(event)
    return event


def record_revision(document, revision, *, actor: User) -> Event:
    """A saved revision of a document or of a meeting's minutes (told apart by the kind)."""
    from workspace.meetings.models import Meeting

    keys = {
        "document_id": document.id,
        "revision_number": revision.number,
        "size_change": revision.size_change,
    }
    title = document.title
    if document.kind == "minutes":
        meeting = db.session.scalar(
            select(Meeting).where(Meeting.minutes_document_id == document.id)
        )
        if meeting is not None:
            keys["meeting_id"] = meeting.id
            title = meeting.title  # as every other event of the meeting
        kind = EventKind.MINUTES_EDITED
    elif revision.restored_from:
        kind = EventKind.REVISION_RESTORED
    else:
        kind = EventKind.REVISION_SAVED
    return record(
        kind,
        group=document.group_id,
        actor=actor,
        title=title,
        summary=revision.summary,
        **keys,
    )


def retell(*, thread_id: int, message_number: int, summary: str) -> None:
    """A message was edited or withdrawn: the feed quotes what it says now (nothing, once
    withdrawn), never words their author took back."""
    db.session.execute(
        update(Event)
        .where(Event.thread_id == thread_id, Event.message_number == message_number)
        .values(summary=shorten(summary, SUMMARY_LENGTH))
    )


# -- Who sees what --------------------------------------------------------------------------------


def visible(user: User):
    """The condition on events that ``user`` may see.

    Coordinators see every group. Others see the groups they are members of; an external
    participant also sees the events of the joint meetings they take part in (and of nothing
    else in that group).
    """
    if is_coordinator(user):
        return true()
    condition = Event.group_id.in_(member_group_ids(user))
    if is_external(user):
        from workspace.meetings.access import guest_meeting_ids

        condition = or_(condition, Event.meeting_id.in_(guest_meeting_ids(user)))
    return condition


@dataclass(frozen=True)
class Choices:
    groups: list[Group]
    people: list[tuple[int, str]]
    services: list


def filter_choices(user: User, group: Group | None) -> Choices:
    """What the feed's filters offer: the person's groups; as people, everybody for a
    coordinator, otherwise the people of those groups (or of ``group``); every service."""
    from workspace.directory import service as directory
    from workspace.groups import service as groups_service
    from workspace.people.display import person_text

    groups = groups_service.visible_groups(user, include_archived=True)
    query = select(User).order_by(User.name, User.id)
    if group is not None or not is_coordinator(user):
        ids = [group.id] if group is not None else [g.id for g in groups]
        query = query.where(
            User.id.in_(select(Membership.user_id).where(Membership.group_id.in_(ids)))
        )
    people = [(person.id, person_text(person)) for person in db.session.scalars(query)]
    return Choices(groups, people, directory.services(include_retired=True))


# -- The feed -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    group_ids: tuple[int, ...] | None = None
    actor_id: int | None = None
    service_id: int | None = None
    kinds: tuple[str, ...] | None = None
    start: datetime | None = None  # UTC, inclusive
    end: datetime | None = None  # UTC, exclusive


@dataclass
class FeedPage:
    events: list[Event]
    next_before: int | None  # the key of the next (older) page, None at the end


def feed(user: User, filters: Filters, *, before: int | None = None, limit: int = PAGE_SIZE):
    """One page of the feed. The page's ids are found first, on the narrow index columns,
    and only those rows are loaded with their group and people: sorting whole joined rows of
    a long history is what would make the feed slow as it grows."""
    query = select(Event.id).where(visible(user))
    if filters.group_ids is not None:
        query = query.where(Event.group_id.in_(filters.group_ids) if filters.group_ids else false())
    if filters.actor_id is not None:
        query = query.where(Event.actor_id == filters.actor_id)
    if filters.service_id is not None:
        query = query.where(Event.service_id == filters.service_id)
    if filters.kinds:
        query = query.where(Event.kind.in_(filters.kinds))
    if filters.start is not None:
        query = query.where(Event.created_at >= filters.start)
    if filters.end is not None:
        query = query.where(Event.created_at < filters.end)
    if before is not None:
        query = query.where(Event.id < before)
    ids = list(db.session.scalars(query.order_by(Event.id.desc()).limit(limit + 1)))
    more = len(ids) > limit
    ids = ids[:limit]
    rows = (
        list(
            db.session.scalars(select(Event).where(Event.id.in_(ids)).order_by(Event.id.desc()))
            .unique()
            .all()
        )
        if ids
        else []
    )
    return FeedPage(rows, ids[-1] if more and ids else None)


def since_previous(
    user: User, since: datetime | None, *, limit: int = 10, group: Group | None = None
) -> list[Event]:
    """What others did in the person's groups (or in ``group``) since ``since``, newest first."""
    if since is None:
        return []
    query = select(Event).where(visible(user), Event.created_at > since, by_others(user))
    if group is not None:
        query = query.where(Event.group_id == group.id)
    return list(db.session.scalars(query.order_by(Event.id.desc()).limit(limit)))


def by_others(user: User):
    """Events someone else did (or nobody in particular)."""
    return or_(Event.actor_id.is_(None), Event.actor_id != user.id)


def new_counts(user: User, groups: Iterable[Group], fallback: datetime | None) -> dict[int, int]:
    """Per group: events by others since the person last opened that group's page (or, for a
    group never opened, since ``fallback``, their previous sign-in)."""
    ids = [group.id for group in groups]
    if not ids:
        return {}
    # From the last look at the group: once opened, its count is gone from the home page.
    since = func.coalesce(GroupVisit.seen_at, literal(fallback))
    if fallback is None:
        since = GroupVisit.seen_at
    rows = db.session.execute(
        select(Event.group_id, func.count())
        .select_from(Event)
        .outerjoin(
            GroupVisit,
            and_(GroupVisit.group_id == Event.group_id, GroupVisit.user_id == user.id),
        )
        .where(
            Event.group_id.in_(ids),
            visible(user),
            by_others(user),
            since.is_not(None),
            Event.created_at > since,
        )
        .group_by(Event.group_id)
    )
    return {group_id: count for group_id, count in rows}


def previous_visit(group: Group, user: User) -> datetime | None:
    row = db.session.get(GroupVisit, (user.id, group.id))
    return row.previous_at if row is not None else None


def visit(group: Group, user: User) -> datetime | None:
    """Note a visit of the group's page; return the moment after which things are new.

    Within ``VISIT_GAP`` of the last page view it is the same visit, and the mark stays where
    it was; after that the last view becomes the previous visit. Written on a connection of
    its own and committed there: the page being drawn keeps what it has loaded (a commit of
    the request's session would expire it all and load it again, row by row).
    """
    now = utcnow()
    table = GroupVisit.__table__
    key = (table.c.user_id == user.id) & (table.c.group_id == group.id)
    with db.engine.begin() as connection:
        row = connection.execute(select(table.c.seen_at, table.c.previous_at).where(key)).first()
        if row is None:
            # The same person's other tab may insert it at the same moment: theirs stands.
            insert = insert_for(connection.dialect.name)
            connection.execute(
                insert(table)
                .values(user_id=user.id, group_id=group.id, seen_at=now)
                .on_conflict_do_nothing()
            )
            return None
        seen_at, previous = row
        if now - seen_at > VISIT_GAP:
            previous = seen_at
        connection.execute(table.update().where(key).values(seen_at=now, previous_at=previous))
    return previous


# -- Links ----------------------------------------------------------------------------------------


def link(event: Event) -> str | None:
    """Where the event leads: the exact diff, message or meeting (None once it is gone)."""
    slug = event.group.slug
    if event.document_id is not None and event.revision_number is not None:
        if event.kind == EventKind.DOCUMENT_APPROVED or event.revision_number == 1:
            return url_for(
                "documents.revision",
                slug=slug,
                document_id=event.document_id,
                number=event.revision_number,
            )
        return url_for(
            "documents.compare",
            slug=slug,
            document_id=event.document_id,
            da=event.revision_number - 1,
            a=event.revision_number,
        )
    if event.document_id is not None:
        return url_for("documents.show", slug=slug, document_id=event.document_id)
    if event.thread_id is not None:
        if event.message_number:
            from workspace.discussions.service import page_of

            return url_for(
                "discussions.show",
                slug=slug,
                thread_id=event.thread_id,
                pagina=page_of(event.message_number),
                _anchor=f"messaggio-{event.message_number}",
            )
        return url_for("discussions.show", slug=slug, thread_id=event.thread_id)
    if event.meeting_id is not None:
        anchor = f"azione-{event.action_id}" if event.action_id else None
        return url_for("meetings.show", slug=slug, meeting_id=event.meeting_id, _anchor=anchor)
    if event.kind in (EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED):
        return url_for("groups.show", slug=slug, _anchor=f"group-{event.group_id}-members")
    return None
