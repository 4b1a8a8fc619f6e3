"""Rules for documents: create, save (whole or one section), restore, approve, review."""

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from workspace.accounts.models import User
from workspace.documents.models import Approval, Document
from workspace.extensions import db
from workspace.groups.models import Group
from workspace.revisions import service as revisions
from workspace.revisions.models import Revision
from workspace.texts.sections import replace_section, split_sections

MAX_DOCUMENT_CHARS = 2_000_000


class DocumentError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def title_key(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip().casefold()


def documents_of(group: Group) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document).where(Document.group_id == group.id).order_by(Document.title)
        ).unique()
    )


def _check_title(group: Group, title: str, *, document: Document | None = None) -> None:
    if not title.strip():
        raise DocumentError(_("Questo campo è obbligatorio."), "title")
    clash = select(Document.id).where(
        Document.group_id == group.id, Document.title_key == title_key(title)
    )
    if document is not None:
        clash = clash.where(Document.id != document.id)
    if db.session.scalar(clash) is not None:
        raise DocumentError(_("Nel gruppo c'è già un documento con questo titolo."), "title")


def create_document(
    group: Group, *, title: str, description: str, body: str, author: User
) -> Document:
    _check_title(group, title)
    if len(body) > MAX_DOCUMENT_CHARS:
        raise DocumentError(too_large_message(), "body")
    versioned = revisions.create_text()
    document = Document(
        group_id=group.id,
        text_id=versioned.id,
        title=title.strip(),
        title_key=title_key(title),
        description=(description or "").strip(),
        created_by_id=author.id,
    )
    db.session.add(document)
    db.session.flush()
    # The first revision, in the same transaction as the document: all or nothing.
    outcome = revisions.save(
        versioned, author=author, text=body, base_number=0, summary=_("Prima versione")
    )
    if outcome.status != "saved":  # pragma: no cover - a new text cannot conflict
        db.session.rollback()
        raise DocumentError(_("Il documento non è stato creato."))
    return document


def too_large_message() -> str:
    return _("Il testo supera il limite di %(n)s caratteri.", n="2.000.000")


def update_details(document: Document, *, title: str, description: str) -> None:
    _check_title(document.group, title, document=document)
    document.title = title.strip()
    document.title_key = title_key(title)
    document.description = (description or "").strip()
    db.session.commit()


@dataclass
class EditStart:
    """What the editor opens with: the text (whole or one section) and the revision it is of."""

    body: str
    base_number: int
    section: int | None
    section_title: str | None


def start_edit(document: Document, section: int | None) -> EditStart:
    head = document.text.head
    text = revisions.text_at(document.text, head)
    if section is None:
        return EditStart(text, head, None, None)
    sections = split_sections(text)
    if section < 0 or section >= len(sections):
        raise DocumentError(_("Questa sezione non esiste più: apri il documento intero."))
    return EditStart(sections[section].text, head, section, sections[section].title)


def section_title(document: Document, number: int, section: int | None) -> str | None:
    if section is None:
        return None
    sections = split_sections(revisions.text_at(document.text, number))
    return sections[section].title if 0 <= section < len(sections) else None


def section_titles(document: Document) -> dict[int, str]:
    """Section index to heading title in the newest revision, for "who edits what"."""
    toc = revisions.content_at(document.text, document.text.head).toc
    return {section: title for _level, title, _anchor, section in toc}


def compose(document: Document, *, body: str, base_number: int, section: int | None) -> str:
    """The whole text to save: the body, or the base text with one section replaced."""
    body = revisions.normalise(body)
    if section is None:
        return body
    base_text = revisions.text_at(document.text, base_number)
    try:
        if body and not body.endswith("\n") and section < len(split_sections(base_text)) - 1:
            body += "\n"
        return replace_section(base_text, section, body)
    except IndexError as error:
        raise DocumentError(
            _("Questa sezione non esiste più: apri il documento intero.")
        ) from error


def save(
    document: Document,
    *,
    author: User,
    body: str,
    base_number: int,
    section: int | None,
    summary: str,
) -> revisions.SaveOutcome:
    if base_number < 0 or base_number > document.text.head:
        raise DocumentError(_("La versione di partenza non esiste."))
    full = compose(document, body=body, base_number=base_number, section=section)
    if len(full) > MAX_DOCUMENT_CHARS:
        raise DocumentError(too_large_message(), "body")
    return revisions.save(
        document.text, author=author, text=full, base_number=base_number, summary=summary
    )


def merge_message(document: Document, outcome: revisions.SaveOutcome, base_number: int) -> str:
    """Says whose work was merged into a save, and where."""
    names = ", ".join(
        user.name
        for user in revisions.authors_between(document.text, base_number, outcome.head - 1)
    )
    sections = ", ".join(
        f"«{title}»" if title else _("l'inizio del documento") for title in outcome.their_sections()
    )
    return _(
        "Nel frattempo %(names)s aveva salvato modifiche in altri punti (%(sections)s): "
        "sono state unite alle tue senza perdere nulla.",
        names=names or _("qualcuno"),
        sections=sections,
    )


def restore(document: Document, number: int, *, author: User) -> revisions.SaveOutcome:
    text = revisions.text_at(document.text, number)
    head = document.text.head
    return revisions.save(
        document.text,
        author=author,
        text=text,
        base_number=head,
        summary=_("Ripristinata la versione %(n)d", n=number),
        restored_from=number,
    )


def approve(document: Document, number: int, *, by: User, note: str) -> Approval:
    if revisions.get_revision(document.text, number) is None:
        raise DocumentError(_("La versione non esiste."))
    approval = Approval(
        document_id=document.id,
        revision_number=number,
        approved_by_id=by.id,
        note=(note or "").strip(),
    )
    db.session.add(approval)
    db.session.commit()
    return approval


def latest_approval(document: Document) -> Approval | None:
    return db.session.scalar(
        select(Approval)
        .where(Approval.document_id == document.id)
        .order_by(Approval.approved_at.desc(), Approval.id.desc())
        .limit(1)
    )


def approvals(document: Document) -> list[Approval]:
    return list(
        db.session.scalars(
            select(Approval)
            .where(Approval.document_id == document.id)
            .order_by(Approval.approved_at.desc(), Approval.id.desc())
        ).unique()
    )


def approved_numbers(document: Document) -> set[int]:
    return set(
        db.session.scalars(
            select(Approval.revision_number).where(Approval.document_id == document.id)
        )
    )


def revisions_since(document: Document, number: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Revision)
        .where(Revision.text_id == document.text_id, Revision.number > number)
    )


# -- Review -----------------------------------------------------------------------------------

MAX_REVIEW_REVISIONS = 1000


@dataclass
class AuthorChanges:
    author: User | None
    revisions: list[Revision]


@dataclass
class SectionChanges:
    title: str  # the heading as written; "" for the text before the first heading
    authors: list[AuthorChanges]


@dataclass
class Review:
    approval: Approval | None
    since: int  # the approved revision, or 0 when nothing was ever approved
    head: int
    revisions: list[Revision]  # the changes since, newest first
    sections: list[SectionChanges]
    truncated: bool


def review(document: Document) -> Review:
    """The changes since the last approval, grouped by section and then by author."""
    approval = latest_approval(document)
    since = approval.revision_number if approval else 0
    head = document.text.head
    changes = list(
        db.session.scalars(
            revisions.history_query(document.text)
            .where(Revision.number > since)
            .limit(MAX_REVIEW_REVISIONS + 1)
        ).unique()
    )
    truncated = len(changes) > MAX_REVIEW_REVISIONS
    changes = changes[:MAX_REVIEW_REVISIONS]
    grouped: dict[str, dict[int | None, AuthorChanges]] = {}
    for revision in reversed(changes):
        for title in revision.changed_sections or []:
            by_author = grouped.setdefault(title, {})
            entry = by_author.setdefault(revision.author_id, AuthorChanges(revision.author, []))
            entry.revisions.append(revision)
    order = {
        section.title: index
        for index, section in enumerate(split_sections(revisions.text_at(document.text, head)))
    }
    sections = [
        SectionChanges(title, list(by_author.values()))
        for title, by_author in sorted(
            grouped.items(), key=lambda item: order.get(item[0], len(order))
        )
    ]
    return Review(approval, since, head, changes, sections, truncated)


def as_docx(document: Document, revision: Revision) -> bytes:
    from workspace.i18n import date_filter
    from workspace.texts.docx import markdown_to_docx

    author = revision.author.name if revision.author else ""
    subtitle = " · ".join(
        part
        for part in (
            _("Versione %(n)d", n=revision.number),
            date_filter(revision.created_at),
            author,
        )
        if part
    )
    return markdown_to_docx(
        revisions.text_at(document.text, revision.number), title=document.title, subtitle=subtitle
    )
