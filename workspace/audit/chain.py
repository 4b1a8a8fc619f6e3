"""The hash chain of the audit log, without Flask or a database: what an entry's hash covers
and how a sequence of entries is checked.

hash = sha256(prev_hash + canonical JSON of the entry's fields), the JSON with sorted keys, no
spaces, and the time as ISO 8601 UTC with microseconds, so that every database and Python
version computes the same bytes.

The fields that may name a person (PERSONAL: the actor's e-mail, the target's label, the
detail) enter the JSON as a salted digest, sha256(salt + text), not as text; each entry keeps
its own random salt per field (``salts``, JSON). Erasing a person (GDPR) replaces such a text
with a neutral label, moves the field's digest to ``erased`` (JSON) and deletes its salt: the
chain still verifies, and what is left no longer links to the person (without the salt, a
guessed e-mail cannot be checked against the digest). A field with neither a salt nor an
erased digest breaks its entry, as any other change does.

An erased field's new text is not in its entry's hash, so each erasure vouches for it: the
"person.erased" entry that closes an erasure lists in its detail (hashed in the chain like any
detail, and free of personal data) every ``[entry id, field, sha256(new text)]`` it rewrote.
An entry with an erased field is accepted only if a later erasure lists that entry and field
with the hash of the text it has now (the latest listing counts, when two erasures rewrote the
same field). Popping a salt, keeping its digest and writing another text, or changing an erased
text afterwards, therefore still reads as an alteration.
"""

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
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
PERSONAL = ("actor_label", "target_label", "detail")
# Stored next to the fields; they decide how the personal fields enter the hash.
SEALS = ("salts", "erased")


def canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_salts() -> str:
    return dumps({name: secrets.token_hex(16) for name in PERSONAL})


def dumps(values: dict) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"))


def loads(text: str | None) -> dict:
    """A seal column as a dict; anything unreadable counts as empty (and breaks the entry)."""
    if not text:
        return {}
    try:
        values = json.loads(text)
    except ValueError:
        return {}
    return values if isinstance(values, dict) else {}


def digest(salt: str, text: str | None) -> str:
    try:
        salt_bytes = bytes.fromhex(salt)
    except (TypeError, ValueError):
        return "unreadable salt"
    return hashlib.sha256(salt_bytes + (text or "").encode("utf-8")).hexdigest()


def canonical(fields: dict) -> str:
    values = {name: fields.get(name) for name in FIELDS}
    values["created_at"] = canonical_time(values["created_at"])
    salts = loads(fields.get("salts"))
    erased = loads(fields.get("erased"))
    for name in PERSONAL:
        if name in salts:
            values[name] = digest(salts[name], values[name])
        else:
            values[name] = erased.get(name)  # None when both are missing: never the hash
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def text_hash(text: str | None) -> str:
    """What an erasure records of a text it wrote (unsalted: the text is a neutral label)."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def rewrites_in(detail: str | None) -> list[tuple[int, str, str]]:
    """The ``(entry id, field, text hash)`` an erasure's detail lists; [] if unreadable."""
    try:
        listed = json.loads(detail or "").get("rewritten") or []
    except (ValueError, AttributeError):
        return []
    found = []
    for item in listed if isinstance(listed, list) else []:
        if (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], int)
            and item[1] in PERSONAL
            and isinstance(item[2], str)
        ):
            found.append((item[0], item[1], item[2]))
    return found


# (entry id, field) -> (hash of the text the erasure wrote, id of the erasure's entry)
Vouchers = Mapping[tuple[int, str], tuple[str, int]]


def unvouched(entry, vouchers: Vouchers) -> bool:
    """Whether an erased field of ``entry`` (one without its salt) lacks a later erasure that
    wrote its current text."""
    salts = loads(entry.salts)
    for name in loads(entry.erased):
        if name not in PERSONAL or name in salts:
            continue  # a salted field is covered by the hash itself
        voucher = vouchers.get((entry.id, name))
        if (
            voucher is None
            or voucher[1] <= entry.id
            or voucher[0] != text_hash(getattr(entry, name))
        ):
            return True
    return False


def entry_hash(prev_hash: str, fields: dict) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode("utf-8")).hexdigest()


def fields_of(entry) -> dict:
    return {name: getattr(entry, name) for name in (*FIELDS, *SEALS)}


def erase_fields(entry, replacements: dict[str, str]) -> dict:
    """The new values of an entry whose personal ``replacements`` (field -> new text) are
    erased: the texts, and the seals with each replaced field's digest kept, its salt gone.
    The caller lists each rewrite in its "person.erased" entry (see ``rewrites_in``)."""
    salts = loads(entry.salts)
    erased = loads(entry.erased)
    values = {}
    for name, text in replacements.items():
        if name not in PERSONAL:
            raise ValueError(f"{name} is not a personal field")
        if name in salts:
            erased[name] = digest(salts.pop(name), getattr(entry, name))
        values[name] = text
    values["salts"] = dumps(salts)
    values["erased"] = dumps(erased) if erased else None
    return values


@dataclass
class Break:
    entry_id: int
    reason: str  # "altered": its fields no longer give its hash; "gap": the link is broken


def first_break(
    entries: Iterable, start: str | None = None, vouchers: Vouchers | None = None
) -> Break | None:
    """The first entry, in id order, that does not follow from the one before it.

    ``start`` is the prev_hash the first entry must carry; None accepts whatever it carries
    (the log was pruned: the oldest kept entry starts the chain). ``vouchers``: what the
    erasures among ``entries`` rewrote (see ``unvouched``); an erasure's own entry comes later
    in the walk, so a forged one is found there, as any altered entry.
    """
    vouchers = vouchers or {}
    previous = start
    for entry in entries:
        if previous is not None and entry.prev_hash != previous:
            return Break(entry.id, "gap")
        if entry_hash(entry.prev_hash, fields_of(entry)) != entry.hash:
            return Break(entry.id, "altered")
        if entry.erased and unvouched(entry, vouchers):
            return Break(entry.id, "altered")
        previous = entry.hash
    return None
