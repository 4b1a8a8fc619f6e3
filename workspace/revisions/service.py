"""Rules for versioned texts: save a revision (merging with whatever was saved meanwhile),
rebuild any revision, drafts that survive a closed tab, and who is editing right now.

Each public function is one transaction. The pure work (merge, deltas, rendering) is done by
workspace.texts; this module decides what is stored and in what order. Work that takes time
is done before a transaction writes anything: SQLite has one write lock for the whole
database, and whoever holds it makes every other save, draft and presence wait.
"""

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import defer

from workspace.accounts.models import User
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.revisions.models import Draft, PendingSave, Presence, Revision, VersionedText
from workspace.texts import storage
from workspace.texts.blame import decode_keys, encode_keys, lines_of, resume, step
from workspace.texts.diff import summarise
from workspace.texts.markdown import render
from workspace.texts.merge import MergeResult, merge3

PRESENCE_TIMEOUT = timedelta(seconds=60)
PENDING_SAVE_LIFETIME = timedelta(days=7)
DRAFT_LIFETIME = timedelta(days=30)
_SAVE_ATTEMPTS = 5


class RevisionError(Exception):
    """A request about revisions that cannot be honoured; the subclasses say why."""


class TextTooLarge(RevisionError):
    """The text is over the size limit the caller gave."""


class UnknownRevision(RevisionError):
    """A revision number this text does not have (as a base, or to rebuild)."""


class Busy(RevisionError):
    """The database did not take the write now (others saving at the same moment, or SQLite's
    write lock held too long): nothing was stored, and trying again shortly will do."""


@dataclass
class SaveOutcome:
    status: str  # "saved", "unchanged" or "conflict"
    revision: Revision | None = None
    merge: MergeResult | None = None
    head: int = 0
    base_text: str = ""
    their_text: str = ""

    @property
    def merged(self) -> bool:
        return self.merge is not None and self.merge.took_from_theirs

    def their_sections(self) -> tuple[str, ...]:
        """The sections others changed between the editor's base revision and the head."""
        return summarise(self.base_text, self.their_text).changed_sections


def normalise(text: str) -> str:
    """One newline convention in storage, whatever the browser or the file sent."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def create_text(first: str | None = None, *, author: User | None = None, summary: str = ""):
    """A new versioned text, with ``first`` as its revision 1 when given.

    Added to the session and flushed, not committed: the caller stores whatever owns the text
    in the same transaction. The first revision is rendered before anything is written.
    """
    row = None
    if first is not None:
        first = normalise(first)
        row = _new_revision_row(None, 0, "", "", first)
        row.update(
            number=1,
            author_id=author.id if author is not None else None,
            created_at=utcnow(),
            summary=(summary or "").strip()[:300],
            base_number=0,
        )
    versioned = VersionedText(head=1 if row else 0)
    db.session.add(versioned)
    db.session.flush()
    if row:
        db.session.add(Revision(text_id=versioned.id, **row))
        db.session.flush()
    return versioned


def get_revision(versioned: VersionedText, number: int) -> Revision | None:
    return db.session.scalar(
        select(Revision).where(Revision.text_id == versioned.id, Revision.number == number)
    )


@dataclass(frozen=True)
class Content:
    """A revision's text and its rendering, as stored."""

    text: str
    html: str
    toc: list  # [level, title, anchor, section] per heading


def _pack(text: str) -> str:
    rendered = render(text)
    toc = [[h.level, h.title, h.anchor, h.section] for h in rendered.headings]
    return f"{len(text)}\n{text}{json.dumps(toc, ensure_ascii=False)}\n{rendered.html}"


def _unpack(packed: str) -> Content:
    length, _, rest = packed.partition("\n")
    size = int(length)
    text, rest = rest[:size], rest[size:]
    toc, _, html = rest.partition("\n")
    return Content(text, html, json.loads(toc))


def _text_of(packed: str) -> str:
    """The text alone from a packed revision, without reading its rendering."""
    newline = packed.index("\n")
    start = newline + 1
    return packed[start : start + int(packed[:newline])]


def _packed_at(text_id: int, number: int) -> str:
    target = db.session.scalar(
        select(Revision.snapshot_number).where(
            Revision.text_id == text_id, Revision.number == number
        )
    )
    if target is None:
        raise UnknownRevision(f"no revision {number}")
    chain = db.session.scalars(
        select(Revision.payload)
        .where(
            Revision.text_id == text_id,
            Revision.number >= target,
            Revision.number <= number,
        )
        .order_by(Revision.number)
    ).all()
    return storage.rebuild(chain[0], chain[1:])


def content_at(versioned: VersionedText, number: int) -> Content:
    """Revision ``number``'s text, HTML and headings (one snapshot and a bounded chain)."""
    if number == 0:
        return Content("", "", [])
    return _unpack(_packed_at(versioned.id, number))


def text_at(versioned: VersionedText, number: int) -> str:
    if number == 0:
        return ""
    return _text_of(_packed_at(versioned.id, number))


@dataclass(frozen=True)
class HistoryEntry:
    """One revision's facts and its full text, as ``history`` gives them."""

    number: int
    author_id: int | None
    author_name: str | None
    created_at: datetime
    summary: str
    base_number: int
    restored_from: int | None
    merged: bool
    text: str


def history(versioned: VersionedText, *, batch_size: int = 200) -> Iterator[HistoryEntry]:
    """Every revision with its text, oldest first, for reading a whole history (an export).

    One pass: each delta is applied once to the text before it, instead of rebuilding every
    revision from its chain's snapshot; rows are read ``batch_size`` at a time, so a long
    history is never in memory at once.
    """
    columns = (
        Revision.number,
        Revision.author_id,
        User.name.label("author_name"),
        Revision.created_at,
        Revision.summary,
        Revision.base_number,
        Revision.restored_from,
        Revision.merged,
        Revision.payload,
    )

    def rows():
        after = 0
        while True:
            batch = db.session.execute(
                select(*columns)
                .outerjoin(User, User.id == Revision.author_id)
                .where(Revision.text_id == versioned.id, Revision.number > after)
                .order_by(Revision.number)
                .limit(batch_size)
            ).all()
            yield from batch
            if len(batch) < batch_size:
                return
            after = batch[-1].number

    held = []

    def payloads():
        for row in rows():
            held.append(row)
            yield row.payload

    # replay takes one payload for each text it gives back: ``held`` has that payload's row.
    for packed in storage.replay(payloads()):
        row = held.pop()
        yield HistoryEntry(
            number=row.number,
            author_id=row.author_id,
            author_name=row.author_name,
            created_at=row.created_at,
            summary=row.summary,
            base_number=row.base_number,
            restored_from=row.restored_from,
            merged=row.merged,
            text=_text_of(packed),
        )


def _store(text_id: int | None, head: int, head_packed: str, packed: str, text: str) -> dict:
    """Snapshot or delta for revision head + 1, following the storage policy.

    A snapshot also keeps the attribution of its lines (see ``attribution``).
    """
    encoded_size = len(packed.encode("utf-8"))
    if head == 0:
        return {
            "is_snapshot": True,
            "snapshot_number": 1,
            "payload": storage.compress_snapshot(packed),
            "line_keys": encode_keys([1] * len(lines_of(text))),
        }
    snapshot_number = db.session.scalar(
        select(Revision.snapshot_number).where(Revision.text_id == text_id, Revision.number == head)
    )
    chain_length = head - snapshot_number + 1
    chain_bytes = db.session.scalar(
        select(func.coalesce(func.sum(func.length(Revision.payload)), 0)).where(
            Revision.text_id == text_id,
            Revision.number > snapshot_number,
            Revision.number <= head,
        )
    )
    if storage.should_snapshot(chain_length, int(chain_bytes), encoded_size):
        lines, keys = _attributed_lines(text_id, head)
        new_lines = lines_of(text)
        return {
            "is_snapshot": True,
            "snapshot_number": head + 1,
            "payload": storage.compress_snapshot(packed),
            "line_keys": encode_keys(step(lines, keys, new_lines, head + 1)),
        }
    return {
        "is_snapshot": False,
        "snapshot_number": snapshot_number,
        "payload": storage.make_delta(head_packed, packed),
    }


def _new_revision_row(
    text_id: int | None, head: int, head_packed: str, head_text: str, text: str
) -> dict:
    """The columns of revision head + 1 that take work: rendering, storage, the summary."""
    change = summarise(head_text, text)
    added, removed = change.stats
    return {
        "size": len(text),
        "size_change": len(text) - len(head_text),
        "lines_added": added,
        "lines_removed": removed,
        "changed_sections": list(change.changed_sections),
        **_store(text_id, head, head_packed, _pack(text), text),
    }


def save(
    versioned: VersionedText,
    *,
    author: User,
    text: str,
    base_number: int,
    summary: str = "",
    restored_from: int | None = None,
    max_chars: int | None = None,
    editor_id: str | None = None,
    before_commit: Callable[[Revision], object] | None = None,
) -> SaveOutcome:
    """Save ``text``, written from revision ``base_number``, as the next revision.

    If others saved after ``base_number`` the three texts are merged: edits that do not
    overlap are combined (and said so); overlapping ones come back as a conflict and nothing
    is stored. Unchanged text stores nothing. Never a partial revision. A save deletes the
    author's draft of the editor it came from (``editor_id``), and no other.

    The merge, the rendering, the diff and the delta are worked out first, from the newest
    revision as it is then, without writing; the transaction that stores the result is only
    a compare-and-set of the text's head, the revision's insert, the draft's delete and the
    commit. If someone saved in between, the compare-and-set fails and the work is done again
    on their revision. ``before_commit`` is given the new revision inside that transaction
    (the owner records the event of the save with it: both are stored, or neither).
    """
    text = normalise(text)
    if max_chars is not None and len(text) > max_chars:
        raise TextTooLarge(f"{len(text)} characters")
    text_id = versioned.id
    prepared: tuple[int, str, dict] | None = None  # head, text, row: kept if the write failed
    for attempt in range(_SAVE_ATTEMPTS):
        if attempt == 0:
            db.session.refresh(versioned)
        else:
            try:
                _lock_for_retry(versioned)
            except OperationalError:
                db.session.rollback()
                continue
        head = versioned.head
        if base_number < 0 or base_number > head:
            raise UnknownRevision(f"unknown base revision {base_number}")
        head_packed = _packed_at(text_id, head) if head else ""
        head_text = _text_of(head_packed) if head else ""
        merge = None
        base_text = ""
        to_save = text
        if base_number != head:
            base_text = text_at(versioned, base_number)
            merge = merge3(base_text, text, head_text)
            if not merge.clean:
                db.session.rollback()
                return SaveOutcome(
                    "conflict", merge=merge, head=head, base_text=base_text, their_text=head_text
                )
            to_save = merge.text
        if head > 0 and to_save == head_text:
            db.session.rollback()
            return SaveOutcome("unchanged", head=head, merge=merge)
        if prepared is None or prepared[:2] != (head, to_save):
            prepared = (
                head,
                to_save,
                _new_revision_row(text_id, head, head_packed, head_text, to_save),
            )
        row = prepared[2]
        try:
            moved = db.session.execute(
                update(VersionedText)
                .where(VersionedText.id == text_id, VersionedText.head == head)
                .values(head=head + 1)
            ).rowcount
            if moved != 1:
                db.session.rollback()
                continue
            revision = Revision(
                text_id=text_id,
                number=head + 1,
                author_id=author.id,
                created_at=utcnow(),
                summary=(summary or "").strip()[:300],
                base_number=base_number,
                restored_from=restored_from,
                merged=merge is not None and merge.took_from_theirs,
                **row,
            )
            db.session.add(revision)
            if editor_id:
                db.session.execute(
                    Draft.__table__.delete().where(
                        Draft.text_id == text_id,
                        Draft.user_id == author.id,
                        Draft.editor_id == editor_id,
                    )
                )
            if before_commit is not None:
                db.session.flush()
                before_commit(revision)
            db.session.commit()
        except (IntegrityError, OperationalError):
            # Another worker wrote first (or SQLite refused the write lock): start again from
            # the new head.
            db.session.rollback()
            continue
        return SaveOutcome(
            "saved",
            revision=revision,
            merge=merge,
            head=head + 1,
            base_text=base_text if merge is not None else "",
            their_text=head_text if merge is not None else "",
        )
    raise Busy("too many concurrent saves")


def _lock_for_retry(versioned: VersionedText) -> None:
    """Read the head again, holding the lock that the compare-and-set will need.

    A save that was overtaken redoes its work under the lock, so that under a burst of saves
    each one gets through in turn instead of losing the compare-and-set again and again. On
    PostgreSQL the text's row only (FOR NO KEY UPDATE: drafts and presence of the text do not
    wait); on SQLite the database's write lock, which has no finer grain.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    db.session.refresh(versioned, with_for_update={"key_share": True})


def history_query(
    versioned: VersionedText,
    *,
    author_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
):
    query = (
        select(Revision)
        .where(Revision.text_id == versioned.id)
        .options(defer(Revision.payload))
        .order_by(Revision.number.desc())
    )
    if author_id:
        query = query.where(Revision.author_id == author_id)
    if since:
        query = query.where(Revision.created_at >= since)
    if until:
        query = query.where(Revision.created_at < until)
    return query


def authors(versioned: VersionedText) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Revision, Revision.author_id == User.id)
            .where(Revision.text_id == versioned.id)
            .distinct()
            .order_by(User.name)
        ).unique()
    )


def revisions_by_number(versioned: VersionedText, numbers) -> dict[int, Revision]:
    return {
        revision.number: revision
        for revision in db.session.scalars(
            select(Revision)
            .where(Revision.text_id == versioned.id, Revision.number.in_(set(numbers)))
            .options(defer(Revision.payload))
        ).unique()
    }


@dataclass
class BlameBlock:
    """Consecutive lines of one paragraph last changed by the same revision."""

    revision: Revision
    first_line: int
    lines: list[str]


def _attributed_lines(text_id: int, number: int) -> tuple[list[str], list[int]]:
    """The lines of revision ``number`` and, for each, the revision that last changed it.

    Snapshots keep the attribution of their lines, so the work starts from the newest one at
    or before ``number`` and replays only the revisions after it: at most one chain
    (``storage.MAX_CHAIN_LENGTH`` revisions) whatever the length of the history. Texts stored
    before snapshots kept it are replayed from the newest snapshot that has it, or from the
    first revision.
    """
    start = db.session.scalar(
        select(func.max(Revision.number)).where(
            Revision.text_id == text_id,
            Revision.number <= number,
            Revision.line_keys.is_not(None),
        )
    )
    rows = db.session.execute(
        select(Revision.number, Revision.payload, Revision.line_keys)
        .where(
            Revision.text_id == text_id,
            Revision.number >= (start or 1),
            Revision.number <= number,
        )
        .order_by(Revision.number)
    ).all()
    if not rows or rows[-1].number != number:
        raise UnknownRevision(f"no revision {number}")
    texts = storage.replay(row.payload for row in rows)
    first = rows[0]
    lines = lines_of(_text_of(next(texts)))
    keys = decode_keys(first.line_keys) if first.line_keys else [first.number] * len(lines)
    if len(keys) != len(lines):
        raise storage.CorruptRevision(f"revision {first.number}: attribution of other lines")
    for row, packed in zip(rows[1:], texts, strict=True):
        new_lines = lines_of(_text_of(packed))
        keys = step(lines, keys, new_lines, row.number)
        lines = new_lines
    return lines, keys


def attribution(versioned: VersionedText, number: int) -> list[BlameBlock]:
    """Who last changed each paragraph of revision ``number``, and in which revision.

    Blank lines separate blocks and are not attributed: nobody "wrote" an empty line.
    """
    lines = resume(*_attributed_lines(versioned.id, number), ())
    by_number = revisions_by_number(versioned, {line.key for line in lines})
    blocks: list[BlameBlock] = []
    previous_key = None
    for line in lines:
        if not line.text.strip():
            previous_key = None
            continue
        if line.key == previous_key:
            blocks[-1].lines.append(line.text)
        else:
            blocks.append(BlameBlock(by_number[line.key], line.number, [line.text]))
        previous_key = line.key
    return blocks


# -- Drafts -----------------------------------------------------------------------------------


def new_editor_id() -> str:
    """A random id for one opening of the editor (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def drafts_of(versioned: VersionedText, user: User) -> list[Draft]:
    """The person's unsaved drafts of this text, newest first."""
    return list(
        db.session.scalars(
            select(Draft)
            .where(Draft.text_id == versioned.id, Draft.user_id == user.id)
            .order_by(Draft.updated_at.desc(), Draft.id.desc())
        )
    )


def get_draft(versioned: VersionedText, user: User, editor_id: str) -> Draft | None:
    return db.session.scalar(
        select(Draft).where(
            Draft.text_id == versioned.id,
            Draft.user_id == user.id,
            Draft.editor_id == editor_id,
        )
    )


def keep_draft(
    versioned: VersionedText,
    user: User,
    *,
    editor_id: str,
    body: str,
    base_number: int,
    section: int | None,
    summary: str = "",
) -> Draft:
    """Keep the text of one editor (``editor_id``), replacing that editor's previous draft only.

    Raises ``UnknownRevision`` for a base the text does not have, and ``Busy`` when the
    database does not take the write now (the editor says so and tries again).
    """
    body = normalise(body)
    for _attempt in range(3):
        try:
            head = db.session.scalar(
                select(VersionedText.head).where(VersionedText.id == versioned.id)
            )
            if not 0 <= base_number <= (head or 0):
                raise UnknownRevision(f"unknown base revision {base_number}")
            draft = get_draft(versioned, user, editor_id)
            if draft is None:
                draft = Draft(text_id=versioned.id, user_id=user.id, editor_id=editor_id)
                db.session.add(draft)
            draft.body = body
            draft.base_number = base_number
            draft.section = section
            draft.summary = (summary or "")[:300]
            draft.updated_at = utcnow()
            db.session.commit()
            return draft
        except IntegrityError:
            db.session.rollback()  # the same editor's previous autosave created it first
        except OperationalError as error:
            db.session.rollback()
            raise Busy("draft not saved") from error
    raise Busy("draft not saved")


def discard_draft(versioned: VersionedText, user: User, editor_id: str) -> bool:
    removed = db.session.execute(
        Draft.__table__.delete().where(
            Draft.text_id == versioned.id,
            Draft.user_id == user.id,
            Draft.editor_id == editor_id,
        )
    ).rowcount
    db.session.commit()
    return bool(removed)


def prune_drafts(now: datetime | None = None) -> int:
    """Delete drafts nobody has touched for ``DRAFT_LIFETIME``."""
    cutoff = (now or utcnow()) - DRAFT_LIFETIME
    removed = db.session.execute(Draft.__table__.delete().where(Draft.updated_at < cutoff)).rowcount
    db.session.commit()
    return removed


# -- Text sent after the session expired --------------------------------------------------------


def stash_pending(
    versioned: VersionedText,
    *,
    token: str,
    editor_id: str,
    body: str,
    base_number: int,
    section: int | None,
    summary: str,
) -> None:
    """Keep text that arrived without a valid session: the newest one per editor page.

    ``editor_id`` must come from a token the editor page issued (the caller checks it), so
    that what can be kept is bounded by the editors opened by people who may edit.
    """
    for _attempt in range(3):
        db.session.execute(
            PendingSave.__table__.delete().where(
                PendingSave.text_id == versioned.id, PendingSave.editor_id == editor_id
            )
        )
        db.session.add(
            PendingSave(
                token=token,
                editor_id=editor_id,
                text_id=versioned.id,
                body=normalise(body),
                base_number=max(0, min(base_number, versioned.head)),
                section=section,
                summary=(summary or "")[:300],
            )
        )
        try:
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()  # the same editor page sent it twice at once
    raise Busy("pending text not kept")


def claim_pending(versioned: VersionedText, user: User, token: str | None) -> list[Draft]:
    """Turn the texts this browser sent while signed out into drafts of the person.

    Each becomes a draft of its own, with a new editor id: it never replaces a draft the
    person already has, it is offered next to them.
    """
    if not token:
        return []
    pending = db.session.scalars(
        select(PendingSave)
        .where(
            PendingSave.token == token,
            PendingSave.text_id == versioned.id,
            PendingSave.created_at >= utcnow() - PENDING_SAVE_LIFETIME,
        )
        .order_by(PendingSave.created_at, PendingSave.id)
    ).all()
    drafts = []
    for item in pending:
        draft = Draft(
            text_id=versioned.id,
            user_id=user.id,
            editor_id=new_editor_id(),
            body=item.body,
            base_number=item.base_number,
            section=item.section,
            summary=item.summary,
            updated_at=item.created_at,
        )
        db.session.add(draft)
        db.session.delete(item)
        drafts.append(draft)
    if drafts:
        db.session.commit()
    return drafts


def prune_pending(now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - PENDING_SAVE_LIFETIME
    removed = db.session.execute(
        PendingSave.__table__.delete().where(PendingSave.created_at < cutoff)
    ).rowcount
    db.session.commit()
    return removed


# -- Presence ---------------------------------------------------------------------------------


def touch_presence(versioned: VersionedText, user: User, section: int | None) -> None:
    """Mark the person as editing now. Best effort: a busy database skips it (the next poll,
    20 seconds later, tries again) rather than failing the page."""
    for _attempt in range(3):
        try:
            presence = db.session.scalar(
                select(Presence).where(
                    Presence.text_id == versioned.id, Presence.user_id == user.id
                )
            )
            if presence is None:
                presence = Presence(text_id=versioned.id, user_id=user.id)
                db.session.add(presence)
            presence.section = section
            presence.seen_at = utcnow()
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()
        except OperationalError:
            db.session.rollback()
            return


def leave(versioned: VersionedText, user: User) -> None:
    """The person closed the editor. Best effort, as ``touch_presence``: a busy database skips
    it, and the presence goes stale after a minute anyway."""
    try:
        db.session.execute(
            Presence.__table__.delete().where(
                Presence.text_id == versioned.id, Presence.user_id == user.id
            )
        )
        db.session.commit()
    except OperationalError:
        db.session.rollback()


def present(versioned: VersionedText, *, besides: User | None = None) -> list[Presence]:
    """Who has an editor open now (seen within the last minute)."""
    query = select(Presence).where(
        Presence.text_id == versioned.id, Presence.seen_at >= utcnow() - PRESENCE_TIMEOUT
    )
    if besides is not None:
        query = query.where(Presence.user_id != besides.id)
    return list(db.session.scalars(query.order_by(Presence.seen_at.desc())).unique())


def prune_presence(now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - timedelta(days=1)
    removed = db.session.execute(
        Presence.__table__.delete().where(Presence.seen_at < cutoff)
    ).rowcount
    db.session.commit()
    return removed


def authors_between(versioned: VersionedText, after: int, upto: int) -> list[User]:
    """Who saved revisions after ``after`` up to ``upto``: those whose work was merged."""
    return list(
        db.session.scalars(
            select(User)
            .join(Revision, Revision.author_id == User.id)
            .where(
                Revision.text_id == versioned.id,
                Revision.number > after,
                Revision.number <= upto,
            )
            .distinct()
            .order_by(User.name)
        ).unique()
    )
