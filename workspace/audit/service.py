"""The audit log's rules: appending an entry to the chain, reading it, verifying it, pruning it.

Other packages call ``record()`` inside their own transaction, next to the change it describes:
the entry is committed (or rolled back) with the change. ``record_now()`` is for the few places
that have nothing else to commit.

Appending under concurrency: ``record()`` first runs ``UPDATE audit_chain_head`` on the single
head row. On SQLite that statement takes the database write lock at once; on PostgreSQL it
row-locks the head until the transaction ends. Only then is the head's hash read (a new
statement, so it sees the latest commit even under READ COMMITTED), the entry hashed and
inserted, and the head moved to it. Two requests appending at once therefore queue on the head
row, and the chain never forks.

Append-only: the model refuses ORM updates and deletes; the only removal is ``prune()``, which
deletes the oldest entries (a prefix by id) and records itself with the hash its first kept
entry points to, so that the shortened chain still verifies and a removal outside it does not.
The only rewrite is ``erase_person()`` (GDPR): it replaces a person's name and e-mail in the
personal fields with a neutral label, which the chain allows (see workspace.audit.chain).
"""

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import delete, func, select, true, update

from workspace.audit.chain import (
    FIELDS,
    PERSONAL,
    SEALS,
    Break,
    canonical_time,
    entry_hash,
    erase_fields,
    first_break,
    new_salts,
    rewrites_in,
    text_hash,
)
from workspace.audit.models import GENESIS, HEAD_ID, AuditChainHead, AuditEntry
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.i18n import day_start

# Italian practice for administrators' access logs: at least six months.
MIN_RETENTION_DAYS = 183
DEFAULT_RETENTION_DAYS = 365


def _actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def _address() -> str:
    if has_request_context():
        return (request.remote_addr or "")[:64]
    return ""


def _target_label(target) -> str:
    for name in ("name", "title", "email", "label"):
        value = getattr(target, name, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _lock_head(now: datetime) -> str:
    """Take the chain's write lock and return the hash of the newest entry."""
    locked = db.session.execute(
        update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(updated_at=now)
    )
    if locked.rowcount == 0:
        # No head row (a database emptied by hand or by the tests): start it again from the
        # newest entry, if any. Two writers may get here at once: one insert wins, the other
        # does nothing, and both then queue on the row as usual.
        newest = db.session.execute(
            select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
        ).first()
        values = {
            "id": HEAD_ID,
            "hash": newest.hash if newest else GENESIS,
            "entry_id": newest.id if newest else None,
            "updated_at": now,
        }
        if db.session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        db.session.execute(insert(AuditChainHead).values(**values).on_conflict_do_nothing())
        db.session.execute(
            update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(updated_at=now)
        )
    return db.session.execute(
        select(AuditChainHead.hash).where(AuditChainHead.id == HEAD_ID)
    ).scalar_one()


def lock_chain() -> None:
    """Take the chain's write lock for the rest of the transaction (held until its commit or
    rollback): for a rewrite (erase_person) that must see every entry committed before it and
    let none be appended meanwhile."""
    _lock_head(utcnow())


def record(
    action: str,
    *,
    actor=None,
    target=None,
    target_type: str | None = None,
    target_id: int | None = None,
    label: str = "",
    detail: str | dict = "",
    address: str | None = None,
) -> None:
    """Add an entry to the log in the current session; the caller's commit makes it final.

    ``actor`` defaults to the signed-in person; ``target`` (a model instance) fills its type
    (the class name in lower case), id and label unless they are given; a dict ``detail`` is
    stored as JSON. The network address is the request's (behind ProxyFix), "" from the CLI.
    """
    if actor is None:
        actor = _actor()
    if target is not None:
        if getattr(target, "id", None) is None and target in db.session:
            db.session.flush()
        target_type = target_type or type(target).__name__.lower()
        if target_id is None:
            target_id = getattr(target, "id", None)
        label = label or _target_label(target)
    if isinstance(detail, dict):
        detail = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    prev_hash = _lock_head(utcnow())
    now = utcnow()  # read once the lock is held: times follow the chain's order
    fields = {
        "created_at": now,
        "actor_id": getattr(actor, "id", None),
        "actor_label": (getattr(actor, "email", "") or "")[:254],
        "action": action[:60],
        "target_type": (target_type or "")[:40],
        "target_id": target_id,
        "target_label": (label or "")[:300],
        "detail": detail or "",
        "address": (_address() if address is None else address)[:64],
        "salts": new_salts(),
    }
    # The time is hashed as it will come back from the database: microseconds, UTC.
    entry = AuditEntry(**fields, prev_hash=prev_hash, hash=entry_hash(prev_hash, fields))
    db.session.add(entry)
    db.session.flush()
    db.session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(hash=entry.hash, entry_id=entry.id)
    )


def record_now(action: str, **kwargs) -> None:
    """``record()`` and commit at once, for a caller with no transaction of its own (an event
    that changes nothing else). Anything else pending in the session is committed too."""
    record(action, **kwargs)
    db.session.commit()


# Reading -----------------------------------------------------------------------------------


@dataclass
class Filters:
    action: str = ""
    actor_id: int | None = None
    since: date | None = None  # local (Europe/Rome) days, both included
    until: date | None = None


def _filtered(query, filters: Filters):
    if filters.action:
        if filters.action.endswith("."):
            query = query.where(AuditEntry.action.startswith(filters.action))
        else:
            query = query.where(AuditEntry.action == filters.action)
    if filters.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= day_start(filters.since))
    if filters.until is not None:
        query = query.where(AuditEntry.created_at < day_start(filters.until + timedelta(days=1)))
    return query


@dataclass
class Page:
    entries: list[AuditEntry]
    next_before: int | None  # the id to pass as ``before`` for the following (older) page


def entries(filters: Filters, *, before: int | None = None, limit: int = 50) -> Page:
    """Newest first, ``limit`` at a time; keyset pagination on the id."""
    query = _filtered(select(AuditEntry), filters).order_by(AuditEntry.id.desc())
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def actors() -> list[tuple[int, str]]:
    """People who appear in the log, for the filter: (id, e-mail as last recorded)."""
    from workspace.accounts.models import User

    rows = db.session.execute(
        select(User.id, User.email)
        .where(User.id.in_(select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None))))
        .order_by(User.email)
    )
    return [(row.id, row.email) for row in rows]


CSV_HEADER = (
    "id",
    "created_at_utc",
    "actor_id",
    "actor",
    "action",
    "target_type",
    "target_id",
    "target",
    "detail",
    "address",
    "prev_hash",
    "hash",
)


def _safe_cell(value) -> str:
    """No spreadsheet formula from a label someone typed (=, +, -, @ at the start)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_lines(filters: Filters) -> Iterator[str]:
    """The filtered log as CSV, oldest first, times in UTC, hashes included."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(CSV_HEADER)
    yield flush()
    query = _filtered(select(AuditEntry), filters).order_by(AuditEntry.id)
    for entry in db.session.scalars(query.execution_options(yield_per=500)):
        writer.writerow(
            [
                entry.id,
                canonical_time(entry.created_at),
                entry.actor_id if entry.actor_id is not None else "",
                _safe_cell(entry.actor_label),
                entry.action,
                entry.target_type,
                entry.target_id if entry.target_id is not None else "",
                _safe_cell(entry.target_label),
                _safe_cell(entry.detail),
                entry.address,
                entry.prev_hash,
                entry.hash,
            ]
        )
        yield flush()


# Verifying and pruning ---------------------------------------------------------------------

PRUNED = "audit.pruned"
ERASED = "person.erased"


@dataclass
class Verification:
    count: int
    head: str
    broken: Break | None = None


def _pruned_anchors() -> set[str]:
    anchors = set()
    for detail in db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == PRUNED)):
        try:
            anchor = json.loads(detail).get("anchor")
        except (ValueError, AttributeError):
            continue
        if anchor:
            anchors.add(anchor)
    return anchors


def _vouchers(upto) -> dict[tuple[int, str], tuple[str, int]]:
    """What every erasure up to the head rewrote (see workspace.audit.chain.unvouched); the
    latest erasure of a field wins. Erasures are few, each listing a person's entries."""
    vouchers = {}
    rows = db.session.execute(
        select(AuditEntry.id, AuditEntry.detail)
        .where(AuditEntry.action == ERASED, upto)
        .order_by(AuditEntry.id)
    )
    for row in rows:
        for entry_id, field, hashed in rewrites_in(row.detail):
            vouchers[(entry_id, field)] = (hashed, row.id)
    return vouchers


def verify() -> Verification:
    """Walk the chain from the oldest kept entry to the head.

    Only as far as the head read at the start: entries appended meanwhile (the app keeps
    running) are checked by the next run, instead of looking like a head that does not match.
    An entry with an erased field must be vouched for by a later erasure (see
    workspace.audit.chain); the erasures' entries are themselves checked in the walk.
    """
    columns = [getattr(AuditEntry, name) for name in ("id", "prev_hash", "hash")]
    columns += [getattr(AuditEntry, name) for name in (*FIELDS, *SEALS)]
    head = db.session.execute(
        select(AuditChainHead.hash, AuditChainHead.entry_id).where(AuditChainHead.id == HEAD_ID)
    ).first()
    upto = true()
    if head is not None and head.entry_id is not None:
        upto = AuditEntry.id <= head.entry_id
    count = db.session.scalar(select(func.count()).select_from(AuditEntry).where(upto))
    head_hash = head.hash if head else GENESIS
    first = db.session.execute(
        select(AuditEntry.id, AuditEntry.prev_hash).order_by(AuditEntry.id).limit(1)
    ).first()
    if first is None:
        if head is not None and head.hash != GENESIS:
            return Verification(0, head_hash, Break(head.entry_id or 0, "truncated"))
        return Verification(0, head_hash)
    if first.prev_hash != GENESIS and first.prev_hash not in _pruned_anchors():
        # The oldest entries went, but not through prune().
        return Verification(count, head_hash, Break(first.id, "gap"))
    rows = db.session.execute(
        select(*columns).where(upto).order_by(AuditEntry.id).execution_options(yield_per=1000)
    )
    last = {}

    def remember(stream):
        for row in stream:
            last["row"] = row
            yield row

    broken = first_break(remember(rows), start=first.prev_hash, vouchers=_vouchers(upto))
    if broken is not None:
        return Verification(count, head_hash, broken)
    newest = last["row"]
    if head is not None and head.hash != newest.hash:
        # The newest entries went (or the head was tampered with).
        return Verification(count, head_hash, Break(head.entry_id or newest.id, "truncated"))
    return Verification(count, head_hash)


def retention_days(requested: int | None = None) -> tuple[int, bool]:
    """The days to keep, and whether the request was raised to the legal minimum."""
    days = requested
    if days is None:
        days = int(current_app.config.get("AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    if days < MIN_RETENTION_DAYS:
        return MIN_RETENTION_DAYS, True
    return days, False


def prune(days: int) -> int:
    """Delete the entries older than ``days`` (never fewer than MIN_RETENTION_DAYS), as a
    prefix of the chain, and record the removal; commits. Returns how many went."""
    days = max(days, MIN_RETENTION_DAYS)
    now = utcnow()
    _lock_head(now)
    cutoff = now - timedelta(days=days)
    last_old = db.session.execute(
        select(AuditEntry.id, AuditEntry.hash)
        .where(AuditEntry.created_at < cutoff)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if last_old is None:
        db.session.rollback()
        return 0
    removed = db.session.execute(
        delete(AuditEntry)
        .where(AuditEntry.id <= last_old.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    record(
        PRUNED,
        detail={
            "deleted": removed,
            "before": canonical_time(cutoff),
            "anchor": last_old.hash,
            "days": days,
        },
    )
    db.session.commit()
    return removed


# Erasing a person (GDPR) ---------------------------------------------------------------------


def replace_names(text: str, names: list[str], label: str) -> str:
    """``text`` with every one of ``names`` (in any case, as whole words: "Al" is not in
    "Altro") replaced by ``label``."""
    for name in sorted(names, key=len, reverse=True):  # "anna.rossi@..." before "anna rossi"
        pattern = rf"(?<!\w){re.escape(name)}(?!\w)"
        text = re.sub(pattern, lambda _match: label, text, flags=re.IGNORECASE)
    return text


def erase_person(user_id: int, names: list[str], addresses: list[str], label: str) -> list[list]:
    """Replace a person with ``label`` in the entries about them, in the caller's transaction
    (which should hold ``lock_chain()`` from before it read anything about the person).

    Only where the entry says it is them: the actor's label where they acted, the target's
    label and the detail's ``names`` where they are the target (their name, past names). Their
    e-mail ``addresses`` are unique to them, so they are replaced in every entry, wherever they
    appear. A name elsewhere (another person's entry, a group's) is left alone: someone else
    may have the same name.

    Returns the rewrites, ``[entry id, field, sha256 of the new text]``, for the detail of the
    "person.erased" entry that must close the erasure (without it the chain no longer
    verifies: see workspace.audit.chain)."""
    from sqlalchemy import and_, or_

    names = [name for name in names if name]
    addresses = [address for address in addresses if address]
    quoting = [
        func.lower(getattr(AuditEntry, field)).contains(address.lower(), autoescape=True)
        for field in PERSONAL
        for address in addresses
    ]
    is_target = and_(AuditEntry.target_type == "user", AuditEntry.target_id == user_id)
    query = select(AuditEntry).where(or_(AuditEntry.actor_id == user_id, is_target, *quoting))
    rewrites = []
    for entry in db.session.scalars(query.order_by(AuditEntry.id)).all():
        about_them = entry.target_type == "user" and entry.target_id == user_id
        replacements = {}
        for field in PERSONAL:
            text = getattr(entry, field) or ""
            new = replace_names(text, [*names, *addresses] if about_them else addresses, label)
            if (field == "actor_label" and entry.actor_id == user_id) or (
                field == "target_label" and about_them
            ):
                new = label
            if new != text:
                replacements[field] = new
        if not replacements:
            continue
        db.session.execute(
            update(AuditEntry)
            .where(AuditEntry.id == entry.id)
            .values(**erase_fields(entry, replacements))
            .execution_options(synchronize_session=False)
        )
        rewrites += [[entry.id, field, text_hash(new)] for field, new in replacements.items()]
        db.session.expire(entry)
    return rewrites
