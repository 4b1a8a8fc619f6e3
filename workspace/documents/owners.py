"""Documents that belong to another capability (the minutes of a meeting).

Such a document has the documents' pages (history, compare, attribution, editor with drafts,
merge and presence), but its owner decides who may read it, whether and how it may change,
and where it sits in the navigation. The documents package knows nothing about meetings: the
owner registers itself here for its kind.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

DOCUMENT = "document"


@dataclass(frozen=True)
class ChangeRule:
    """Whether a person may change an owned document now.

    ``allowed`` False: refused with ``message``. ``reason_required``: allowed as a correction,
    the edit summary being its reason (approved minutes).
    """

    allowed: bool = True
    reason_required: bool = False
    message: str = ""


@dataclass(frozen=True)
class Owner:
    kind: str
    # (document, user) -> GroupAccess | None: None when the person may not read it.
    access: Callable
    # (document, user) -> ChangeRule
    change_rule: Callable
    # (document) -> [(label, url)]: the trail up to, and including, the document itself.
    trail: Callable
    # Extra things the document page shows, by name (e.g. "lifecycle" for minutes).
    extras: dict = field(default_factory=dict)


def register_owner(app: Flask, owner: Owner) -> None:
    app.extensions.setdefault("tavolo.document_owners", {})[owner.kind] = owner


def owner_of(document) -> Owner | None:
    if document.kind == DOCUMENT:
        return None
    owner = current_app.extensions.get("tavolo.document_owners", {}).get(document.kind)
    if owner is None:
        raise LookupError(f"no owner registered for documents of kind {document.kind!r}")
    return owner


# Callables that add notes to a document's page: (document) -> [dict(text=, url=)], e.g.
# "approved at the meeting of 12 January" from the meetings.
def register_note_source(app: Flask, source: Callable) -> None:
    app.extensions.setdefault("tavolo.document_notes", []).append(source)


def notes_about(document) -> list[dict]:
    notes = []
    for source in current_app.extensions.get("tavolo.document_notes", []):
        notes.extend(source(document))
    return notes
