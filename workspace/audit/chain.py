"""The hash chain of the audit log, without Flask or a database: what an entry's hash covers
and how a sequence of entries is checked.

hash = sha256(prev_hash + canonical JSON of the entry's fields), the JSON with sorted keys, no
spaces, and the time as ISO 8601 UTC with microseconds, so that every database and Python
version computes the same bytes.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

# The "previous hash" of the very first entry.
GENESIS_HASH = "0" * 64

FIELDS = (
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "detail",
    "address",
)


def canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: dict) -> str:
    values = {name: fields.get(name) for name in FIELDS}
    values["created_at"] = canonical_time(values["created_at"])
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, fields: dict) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode("utf-8")).hexdigest()


def fields_of(entry) -> dict:
    return {name: getattr(entry, name) for name in FIELDS}


@dataclass
class Break:
    entry_id: int
    reason: str  # "altered": its fields no longer give its hash; "gap": the link is broken


def first_break(entries: Iterable, start: str | None = None) -> Break | None:
    """The first entry, in id order, that does not follow from the one before it.

    ``start`` is the prev_hash the first entry must carry; None accepts whatever it carries
    (the log was pruned: the oldest kept entry starts the chain).
    """
    previous = start
    for entry in entries:
        if previous is not None and entry.prev_hash != previous:
            return Break(entry.id, "gap")
        if entry_hash(entry.prev_hash, fields_of(entry)) != entry.hash:
            return Break(entry.id, "altered")
        previous = entry.hash
    return None
