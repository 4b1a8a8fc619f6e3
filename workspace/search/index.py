"""Keeping the search index current: one session hook, a refresh, and the full rebuild.

Why a hook and not explicit calls in each service: "every write" means every path that
changes a document's current text (save, merge, restore, the minutes written from the
meeting page, an agenda item appended to the minutes), posts, edits and withdraws a message,
adds, renames, carries or removes an agenda item or an action; those paths live in four
packages and grow each month. One place that sees what the transaction flushed cannot forget
a path. The hook only notes *which* things were touched (after each flush) and, just before
the transaction commits, recomputes their index rows from the database as it then is; it
never changes business data, and it writes only search_entries (and SQLite's FTS5 table), in
the same transaction as the change, so the index and the data commit or roll back together.

What the hook cannot see: Core ``insert``/``update``/``delete`` statements on the indexed
tables (none of the services write them that way; bulk loaders and benchmarks do), and
changes made outside the application. ``flask search-reindex`` rebuilds the whole index.

Decisions: a withdrawn message leaves the index. An archived group's content stays
searchable for those who may see the group (its pages stay readable too). Deleting a group,
meeting or thread removes its rows through foreign keys.
"""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, event, func, inspect, select

from workspace.clock import utcnow
from workspace.database import insert_for
from workspace.discussions.models import Message, Thread
from workspace.documents.models import Document
from workspace.extensions import db
from workspace.meetings.models import ActionItem, AgendaItem, Meeting
from workspace.revisions import service as revisions
from workspace.revisions.models import Revision, VersionedText
from workspace.search.backends import backend_for
from workspace.search.models import Kind, SearchEntry

PENDING = "tavolo.search_pending"
CHUNK = 500
MINUTES = "minutes"  # workspace.meetings.service.MINUTES: the kind of the minutes' documents


def _refs_of(obj) -> Iterable[tuple[str, int]]:
    """What to recompute because this object was written."""
    if isinstance(obj, Document):
        yield ("document", obj.id)
    elif isinstance(obj, Revision):
        yield ("text", obj.text_id)
    elif isinstance(obj, Message):
        yield ("message", obj.id)
    elif isinstance(obj, Thread):
        # Its title is shown with (and searched in) its messages; pins and locks change nothing.
        state = inspect(obj)
        if not state.pending and state.attrs.title.history.has_changes():
            yield ("thread", obj.id)
    elif isinstance(obj, Meeting):
        # Its title is the context of its entries and its being joint decides who sees them;
        # attendance, times or the minutes' status change nothing indexed.
        state = inspect(obj)
        if not state.pending and any(
            state.attrs[name].history.has_changes()
            for name in ("title", "is_joint", "minutes_document_id")
        ):
            yield ("meeting", obj.id)
    elif isinstance(obj, AgendaItem):
        yield ("agenda_item", obj.id)
    elif isinstance(obj, ActionItem):
        yield ("action", obj.id)


def _after_flush(session, _flush_context) -> None:
    pending = session.info.setdefault(PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        for kind, ident in _refs_of(obj):
            if ident is not None:
                pending.add((kind, ident))


def _before_commit(session) -> None:
    if session.new or session.deleted or session.dirty:
        session.flush()  # the commit would flush them after this hook: see them now
    refs = session.info.pop(PENDING, None)
    if refs:
        refresh(session, refs)


def _after_soft_rollback(session, previous_transaction) -> None:
    # A savepoint rolled back leaves the outer transaction's notes; refreshing something
    # that did not change in the end only rewrites the same row.
    if not previous_transaction.nested:
        session.info.pop(PENDING, None)


def install() -> None:
    """Listen on the application's session, once per process (apps share ``db.session``)."""
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)
        event.listen(db.session, "before_commit", _before_commit)
        event.listen(db.session, "after_soft_rollback", _after_soft_rollback)


# Recomputing rows


def _chunks(ids: Iterable[int], size: int = CHUNK) -> Iterable[list[int]]:
    ids = sorted(set(ids))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _document_rows(session, ids: list[int]) -> list[dict]:
    found = session.execute(
        select(
            Document.id,
            Document.group_id,
            Document.kind,
            Document.title,
            Document.description,
            Document.text_id,
            VersionedText.head,
        )
        .join(VersionedText, Document.text_id == VersionedText.id)
        .where(Document.id.in_(ids))
    ).all()
    meetings = {
        document_id: (meeting_id, title)
        for meeting_id, document_id, title in session.execute(
            select(Meeting.id, Meeting.minutes_document_id, Meeting.title).where(
                Meeting.minutes_document_id.in_(ids)
            )
        )
    }
    rows = []
    for doc_id, group_id, kind, title, description, text_id, head in found:
        if kind not in (Kind.DOCUMENT, MINUTES):
            continue
        meeting_id, meeting_title = meetings.get(doc_id, (None, ""))
        if kind == MINUTES and meeting_id is None:
            continue  # minutes being started: indexed once their meeting points at them
        versioned = session.get(VersionedText, text_id)
        body = revisions.text_at(versioned, head) if head else ""
        if description:
            body = description + "\n\n" + body
        rows.append(
            {
                "kind": Kind.MINUTES if kind == MINUTES else Kind.DOCUMENT,
                "source_id": doc_id,
                "group_id": group_id,
                "meeting_id": meeting_id,
                "title": title,
                "context": meeting_title,
                "body": body,
            }
        )
    return rows


def _message_rows(session, ids: list[int]) -> list[dict]:
    found = session.execute(
        select(
            Message.id,
            Message.number,
            Message.body,
            Message.thread_id,
            Thread.title,
            Thread.group_id,
        )
        .join(Thread, Message.thread_id == Thread.id)
        .where(Message.id.in_(ids), Message.withdrawn_at.is_(None))
    ).all()
    return [
        {
            "kind": Kind.MESSAGE,
            "source_id": message_id,
            "group_id": group_id,
            "thread_id": thread_id,
            "number": number,
            # The thread's title is searched in its first message only: a title word should
            # find the thread once, not once per reply.
            "title": thread_title if number == 1 else "",
            "context": thread_title,
            "body": body,
        }
        for message_id, number, body, thread_id, thread_title, group_id in found
    ]


def _agenda_rows(session, ids: list[int]) -> list[dict]:
    found = session.execute(
        select(AgendaItem.id, AgendaItem.title, Meeting.id, Meeting.group_id, Meeting.title)
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.id.in_(ids))
    ).all()
    return [
        {
            "kind": Kind.AGENDA_ITEM,
            "source_id": item_id,
            "group_id": group_id,
            "meeting_id": meeting_id,
            "title": title,
            "context": meeting_title,
            "body": "",
        }
        for item_id, title, meeting_id, group_id, meeting_title in found
    ]


def _action_rows(session, ids: list[int]) -> list[dict]:
    found = session.execute(
        select(
            ActionItem.id,
            ActionItem.title,
            ActionItem.closing_note,
            ActionItem.group_id,
            Meeting.id,
            Meeting.title,
        )
        .join(Meeting, ActionItem.meeting_id == Meeting.id)
        .where(ActionItem.id.in_(ids))
    ).all()
    return [
        {
            "kind": Kind.ACTION,
            "source_id": action_id,
            "group_id": group_id,
            "meeting_id": meeting_id,
            "title": title,
            "context": meeting_title,
            "body": note or "",
        }
        for action_id, title, note, group_id, meeting_id, meeting_title in found
    ]


def _upsert(session, rows: list[dict]):
    """Insert or update the entries of ``rows`` (one statement), returning their ids in order.

    An upsert, not a delete and an insert: two transactions reindexing the same thing at once
    (two people adding to one meeting's agenda) then wait for each other instead of both
    inserting the same (kind, source_id) and one failing.
    """
    entries = SearchEntry.__table__
    dialect = session.connection().dialect.name
    statement = insert_for(dialect)(entries)
    statement = statement.on_conflict_do_update(
        index_elements=[entries.c.kind, entries.c.source_id],
        set_={
            name: statement.excluded[name]
            for name in (
                "group_id",
                "meeting_id",
                "thread_id",
                "number",
                "title",
                "context",
                "body",
                "indexed_at",
            )
        },
    )
    return session.execute(
        statement.returning(entries.c.id, sort_by_parameter_order=True), rows
    ).scalars()


def _replace(session, kinds: tuple[str, ...], ids: list[int], rows: list[dict]) -> None:
    """The entries of these sources, as computed now (none for a source that is gone)."""
    entries = SearchEntry.__table__
    kept = {(row["kind"], row["source_id"]) for row in rows}
    gone = [i for i in ids if not any((kind, i) in kept for kind in kinds)]
    if gone:
        session.execute(
            delete(entries).where(entries.c.kind.in_(kinds), entries.c.source_id.in_(gone))
        )
    if not rows:
        return
    now = utcnow()
    for row in rows:
        for name in ("meeting_id", "thread_id", "number"):
            row.setdefault(name, None)
        row["indexed_at"] = now
    new_ids = _upsert(session, rows)
    backend_for(session).store_terms(
        session, [(i, row["title"], row["body"]) for i, row in zip(new_ids, rows, strict=True)]
    )


def refresh(session, refs: Iterable[tuple[str, int]]) -> None:
    """Recompute the index rows of the things named (kind, id), in the session's transaction.

    Kinds: "document", "text" (a versioned text: its document), "message", "thread" (its
    messages), "meeting" (its minutes, agenda items and actions), "agenda_item", "action".
    """
    wanted: dict[str, set[int]] = defaultdict(set)
    for kind, ident in refs:
        wanted[kind].add(ident)
    for chunk in _chunks(wanted.pop("text", ())):
        wanted["document"].update(
            session.scalars(select(Document.id).where(Document.text_id.in_(chunk)))
        )
    for chunk in _chunks(wanted.pop("thread", ())):
        wanted["message"].update(
            session.scalars(select(Message.id).where(Message.thread_id.in_(chunk)))
        )
    for chunk in _chunks(wanted.pop("meeting", ())):
        wanted["document"].update(
            i
            for i in session.scalars(
                select(Meeting.minutes_document_id).where(Meeting.id.in_(chunk))
            )
            if i is not None
        )
        wanted["agenda_item"].update(
            session.scalars(select(AgendaItem.id).where(AgendaItem.meeting_id.in_(chunk)))
        )
        wanted["action"].update(
            session.scalars(select(ActionItem.id).where(ActionItem.meeting_id.in_(chunk)))
        )
    sources = (
        ("document", (Kind.DOCUMENT, Kind.MINUTES), _document_rows),
        ("message", (Kind.MESSAGE,), _message_rows),
        ("agenda_item", (Kind.AGENDA_ITEM,), _agenda_rows),
        ("action", (Kind.ACTION,), _action_rows),
    )
    for name, kinds, rows_of in sources:
        for chunk in _chunks(wanted.get(name, ())):
            _replace(session, kinds, chunk, rows_of(session, chunk))


def rebuild(session) -> dict[str, int]:
    """Throw the index away and build it again from every document, message, agenda item and
    action; committed. Returns the number of entries per kind."""
    session.execute(delete(SearchEntry.__table__))
    backend_for(session).clear(session)
    everything = (
        ("document", select(Document.id)),
        ("message", select(Message.id).where(Message.withdrawn_at.is_(None))),
        ("agenda_item", select(AgendaItem.id)),
        ("action", select(ActionItem.id)),
    )
    for name, query in everything:
        for chunk in _chunks(session.scalars(query).all(), 2_000):
            refresh(session, [(name, ident) for ident in chunk])
    session.info.pop(PENDING, None)
    session.commit()
    counts = dict.fromkeys(Kind.ALL, 0)
    for kind, count in session.execute(
        select(SearchEntry.kind, func.count()).group_by(SearchEntry.kind)
    ):
        counts[kind] = count
    return counts
