"""Rules for versioned texts: save a revision (merging with whatever was saved meanwhile),
rebuild any revision, drafts that survive a closed tab, and who is editing right now.

Each public function is one transaction. The pure work (merge, deltas, rendering) is done by
workspace.texts; this module decides what is stored and in what order.
"""

import json
from collections.abc import Iterator
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
from workspace.texts.blame import blame
from workspace.texts.diff import summarise
from workspace.texts.markdown import render
from workspace.texts.merge import MergeResult, merge3

PRESENCE_TIMEOUT = timedelta(seconds=60)
PENDING_SAVE_LIFETIME = timedelta(days=7)
_SAVE_ATTEMPTS = 5


class RevisionError(Exception):
    """A request about revisions that cannot be honoured (bad number, text too large)."""


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


def create_text() -> VersionedText:
    versioned = VersionedText(head=0)
    db.session.add(versioned)
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


def _packed_at(versioned: VersionedText, number: int) -> str:
    target = db.session.scalar(
        select(Revision.snapshot_number).where(
            Revision.text_id == versioned.id, Revision.number == number
        )
    )
    if target is None:
        raise RevisionError(f"no revision {number}")
    chain = db.session.scalars(
        select(Revision.payload)
        .where(
            Revision.text_id == versioned.id,
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
    return _unpack(_packed_at(versioned, number))


def text_at(versioned: VersionedText, number: int) -> str:
    return content_at(versioned, number).text


def iter_texts(versioned: VersionedText, upto: int | None = None) -> Iterator[tuple[Revision, str]]:
    """Every revision with its text, oldest first, applying each delta once."""
    query = select(Revision).where(Revision.text_id == versioned.id).order_by(Revision.number)
    if upto is not None:
        query = query.where(Revision.number <= upto)
    packed = ""
    for revision in db.session.scalars(query):
        if revision.is_snapshot:
            packed = storage.decompress_snapshot(revision.payload)
        else:
            packed = storage.apply_delta(packed, revision.payload)
        yield revision, _unpack(packed).text


def _store(versioned: VersionedText, head: int, head_packed: str, packed: str) -> dict:
    """Snapshot or delta for revision head + 1, following the storage policy."""
    encoded_size = len(packed.encode("utf-8"))
    if head == 0:
        return {
            "is_snapshot": True,
            "snapshot_number": 1,
            "payload": storage.compress_snapshot(packed),
        }
    previous = get_revision(versioned, head)
    chain_length = head - previous.snapshot_number + 1
    chain_bytes = db.session.scalar(
        select(func.coalesce(func.sum(func.length(Revision.payload)), 0)).where(
            Revision.text_id == versioned.id,
            Revision.number > previous.snapshot_number,
            Revision.number <= head,
        )
    )
    if storage.should_snapshot(chain_length, int(chain_bytes), encoded_size):
        return {
            "is_snapshot": True,
            "snapshot_number": head + 1,
            "payload": storage.compress_snapshot(packed),
        }
    return {
        "is_snapshot": False,
        "snapshot_number": previous.snapshot_number,
        "payload": storage.make_delta(head_packed, packed),
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
) -> SaveOutcome:
    """Save ``text``, written from revision ``base_number``, as the next revision.

    If others saved after ``base_number`` the three texts are merged: edits that do not
    overlap are combined (and said so); overlapping ones come back as a conflict and nothing
    is stored. Unchanged text stores nothing. Never a partial revision.
    """
    text = normalise(text)
    if max_chars is not None and len(text) > max_chars:
        raise RevisionError("too large")
    for _attempt in range(_SAVE_ATTEMPTS):
        db.session.refresh(versioned)
        head = versioned.head
        if base_number < 0 or base_number > head:
            raise RevisionError(f"unknown base revision {base_number}")
        head_packed = _packed_at(versioned, head) if head else ""
        head_text = _unpack(head_packed).text if head else ""
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
        try:
            moved = db.session.execute(
                update(VersionedText)
                .where(VersionedText.id == versioned.id, VersionedText.head == head)
                .values(head=head + 1)
            ).rowcount
            if moved != 1:
                db.session.rollback()
                continue
            change = summarise(head_text, to_save)
            added, removed = change.stats
            revision = Revision(
                text_id=versioned.id,
                number=head + 1,
                author_id=author.id,
                created_at=utcnow(),
                summary=(summary or "").strip()[:300],
                base_number=base_number,
                restored_from=restored_from,
                merged=merge is not None and merge.took_from_theirs,
                size=len(to_save),
                size_change=len(to_save) - len(head_text),
                lines_added=added,
                lines_removed=removed,
                changed_sections=list(change.changed_sections),
                **_store(versioned, head, head_packed, _pack(to_save)),
            )
            db.session.add(revision)
            db.session.execute(
                Draft.__table__.delete().where(
                    Draft.text_id == versioned.id, Draft.user_id == author.id
                )
            )
            db.session.commit()
        except (IntegrityError, OperationalError):
            # Another worker wrote first (or SQLite refused the upgrade to a write lock):
            # start again from the new head.
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
    raise RevisionError("too many concurrent saves")


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


def attribution(versioned: VersionedText, number: int) -> list[BlameBlock]:
    """Who last changed each paragraph of revision ``number``, and in which revision.

    Blank lines separate blocks and are not attributed: nobody "wrote" an empty line.
    """
    lines = blame((revision.number, text) for revision, text in iter_texts(versioned, number))
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


def get_draft(versioned: VersionedText, user: User) -> Draft | None:
    return db.session.scalar(
        select(Draft).where(Draft.text_id == versioned.id, Draft.user_id == user.id)
    )


def keep_draft(
    versioned: VersionedText,
    user: User,
    *,
    body: str,
    base_number: int,
    section: int | None,
    summary: str = "",
) -> Draft:
    body = normalise(body)
    for _attempt in range(3):
        draft = get_draft(versioned, user)
        if draft is None:
            draft = Draft(text_id=versioned.id, user_id=user.id)
            db.session.add(draft)
        draft.body = body
        draft.base_number = base_number
        draft.section = section
        draft.summary = (summary or "")[:300]
        draft.updated_at = utcnow()
        try:
            db.session.commit()
            return draft
        except IntegrityError:
            db.session.rollback()  # the same person's other tab created it first
    raise RevisionError("draft not saved")


def discard_draft(versioned: VersionedText, user: User) -> None:
    db.session.execute(
        Draft.__table__.delete().where(Draft.text_id == versioned.id, Draft.user_id == user.id)
    )
    db.session.commit()


# -- Text sent after the session expired --------------------------------------------------------


def stash_pending(
    versioned: VersionedText,
    *,
    token: str,
    body: str,
    base_number: int,
    section: int | None,
    summary: str,
) -> None:
    """Keep text that arrived without a valid session; the newest per browser and text wins."""
    db.session.execute(
        PendingSave.__table__.delete().where(
            PendingSave.token == token, PendingSave.text_id == versioned.id
        )
    )
    db.session.add(
        PendingSave(
            token=token,
            text_id=versioned.id,
            body=normalise(body),
            base_number=max(0, min(base_number, versioned.head)),
            section=section,
            summary=(summary or "")[:300],
        )
    )
    db.session.commit()


def claim_pending(versioned: VersionedText, user: User, token: str | None) -> Draft | None:
    """Turn the text this browser sent while signed out into the person's draft."""
    if not token:
        return None
    pending = db.session.scalar(
        select(PendingSave).where(
            PendingSave.token == token,
            PendingSave.text_id == versioned.id,
            PendingSave.created_at >= utcnow() - PENDING_SAVE_LIFETIME,
        )
    )
    if pending is None:
        return None
    body, base, section, summary = (
        pending.body,
        pending.base_number,
        pending.section,
        pending.summary,
    )
    db.session.delete(pending)
    return keep_draft(
        versioned, user, body=body, base_number=base, section=section, summary=summary
    )


def prune_pending(now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - PENDING_SAVE_LIFETIME
    removed = db.session.execute(
        PendingSave.__table__.delete().where(PendingSave.created_at < cutoff)
    ).rowcount
    db.session.commit()
    return removed


# -- Presence ---------------------------------------------------------------------------------


def touch_presence(versioned: VersionedText, user: User, section: int | None) -> None:
    for _attempt in range(3):
        presence = db.session.scalar(
            select(Presence).where(Presence.text_id == versioned.id, Presence.user_id == user.id)
        )
        if presence is None:
            presence = Presence(text_id=versioned.id, user_id=user.id)
            db.session.add(presence)
        presence.section = section
        presence.seen_at = utcnow()
        try:
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()


def leave(versioned: VersionedText, user: User) -> None:
    db.session.execute(
        Presence.__table__.delete().where(
            Presence.text_id == versioned.id, Presence.user_id == user.id
        )
    )
    db.session.commit()


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
