"""Rules for documents: create, edit (whole or one section) with drafts, save, restore,
approve, review."""

import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from workspace import audit
from workspace.accounts.models import User
from workspace.activity import service as activity
from workspace.activity.models import EventKind
from workspace.documents import owners
from workspace.documents.models import Approval, Document
from workspace.extensions import db
from workspace.groups.models import Group
from workspace.revisions import service as revisions
from workspace.revisions.models import Draft, Revision
from workspace.texts.markdown import render
from workspace.texts.sections import replace_section, split_sections

# The largest document, in characters. Saving renders the whole text (Markdown, then the
# HTML cleaner), which takes time in proportion to its size and, more, to how much markup it
# has. On the development machine (2 cores) a document of this size saves in about 0.3 s
# when it reads like the guidelines (paragraphs, lists, some tables), in about 1 s when it is
# one long list of short items, and in about 4 s at worst, when it is nothing but one-word
# list items or table cells, the most markup per character Markdown allows: far from a
# worker's timeout. tests/test_documents.py saves a document at the limit.
MAX_DOCUMENT_CHARS = 500_000
# The live preview renders at every pause in typing: beyond this it asks to save instead, or
# to edit one section at a time (a section is previewed alone).
MAX_PREVIEW_CHARS = 200_000
# How long the editor page's token lets text be kept for later when the session has expired.
EDITOR_TOKEN_LIFETIME = timedelta(days=7)
_EDITOR_ID = re.compile(r"[\w-]{1,32}")  # new_editor_id(), or "draft-<id>" from 0004


class DocumentError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def title_key(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip().casefold()


def documents_of(group: Group) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.group_id == group.id, Document.kind == owners.DOCUMENT)
            .order_by(Document.title)
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


def _duplicate_title() -> DocumentError:
    return DocumentError(_("Nel gruppo c'è già un documento con questo titolo."), "title")


def create_document(
    group: Group,
    *,
    title: str,
    description: str,
    body: str,
    author: User,
    kind: str = owners.DOCUMENT,
    key: str | None = None,
) -> Document:
    """The document with its first revision, committed together: all or nothing.

    A document of another ``kind`` (minutes) is not one of the group's titles: it takes a
    ``key`` of its owner's instead, which no title can fold to (titles are stripped).
    """
    if kind == owners.DOCUMENT:
        _check_title(group, title)
    elif not key or not key.startswith(" "):
        raise ValueError("an owned document needs a key that starts with a space")
    body = revisions.normalise(body)
    if len(body) > MAX_DOCUMENT_CHARS:
        raise DocumentError(too_large_message(), "body")
    try:
        # Rendered before anything is written; then the rows, in one transaction.
        versioned = revisions.create_text(body, author=author, summary=_("Prima versione"))
        document = Document(
            group_id=group.id,
            text_id=versioned.id,
            title=title.strip(),
            title_key=title_key(title) if kind == owners.DOCUMENT else key,
            description=(description or "").strip(),
            kind=kind,
            created_by_id=author.id,
        )
        db.session.add(document)
        if kind == owners.DOCUMENT:
            db.session.flush()
            activity.record(
                EventKind.DOCUMENT_CREATED,
                group=group,
                actor=author,
                title=document.title,
                summary=document.description,
                document_id=document.id,
                revision_number=1 if versioned.head else None,
            )
        db.session.commit()
    except IntegrityError as error:
        # Someone created a document with the same title after the check above.
        db.session.rollback()
        raise _duplicate_title() from error
    return document


def too_large_message() -> str:
    return _(
        "Il testo supera il limite di %(n)s caratteri.",
        n=format_decimal(MAX_DOCUMENT_CHARS, format="#,##0"),
    )


def revision_error_message(error: revisions.RevisionError) -> str:
    """What to tell the person whose save or draft met ``error``."""
    if isinstance(error, revisions.TextTooLarge):
        return too_large_message()
    if isinstance(error, revisions.UnknownRevision):
        return _("La versione di partenza non esiste.")
    return _(
        "In questo momento il documento è occupato da altri salvataggi: il tuo testo non è "
        "stato ancora salvato ed è qui sotto. Riprova tra qualche secondo."
    )


def update_details(document: Document, *, title: str, description: str) -> None:
    _check_title(document.group, title, document=document)
    document.title = title.strip()
    document.title_key = title_key(title)
    document.description = (description or "").strip()
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise _duplicate_title() from error


@dataclass
class EditStart:
    """What the editor opens with: the text (whole or one section) and the revision it is of."""

    body: str
    base_number: int
    section: int | None
    section_title: str | None


def start_edit(document: Document, section: int | None, base: int | None = None) -> EditStart:
    """The text to edit, as of revision ``base`` (the one the person was reading) or the newest.

    A section index is one of that revision's sections: a link from a page that was read a
    while ago still opens the section it showed, and the save merges whatever changed since.
    """
    head = document.text.head
    if base is None:
        base = head
    if not (1 if head else 0) <= base <= head:
        raise DocumentError(_("La versione di partenza non esiste."))
    text = revisions.text_at(document.text, base)
    if section is None:
        return EditStart(text, base, None, None)
    sections = split_sections(text)
    if section < 0 or section >= len(sections):
        raise DocumentError(_("Questa sezione non esiste più: apri il documento intero."))
    return EditStart(sections[section].text, base, section, sections[section].title)


def section_title(document: Document, number: int, section: int | None) -> str | None:
    if section is None:
        return None
    sections = split_sections(revisions.text_at(document.text, number))
    return sections[section].title if 0 <= section < len(sections) else None


def section_titles(
    document: Document, head_content: revisions.Content | None = None
) -> dict[int, str]:
    """Section index to heading title in the newest revision, for "who edits what".

    ``head_content`` is that revision's content when the caller has already built it.
    """
    if head_content is None:
        head_content = revisions.content_at(document.text, document.text.head)
    toc = head_content.toc
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
    editor_id: str | None = None,
) -> revisions.SaveOutcome:
    if base_number < 0 or base_number > document.text.head:
        raise DocumentError(_("La versione di partenza non esiste."))
    full = compose(document, body=body, base_number=base_number, section=section)
    if len(full) > MAX_DOCUMENT_CHARS:
        raise DocumentError(too_large_message(), "body")
    return revisions.save(
        document.text,
        author=author,
        text=full,
        base_number=base_number,
        summary=summary,
        editor_id=editor_id,
        before_commit=lambda revision: activity.record_revision(document, revision, actor=author),
    )


# -- The editor -------------------------------------------------------------------------------
#
# Every opening of the editor page is an editor of its own, with a random id. The page carries
# it in a signed token (``editor_token``) sent back with every autosave and save: the autosave
# keeps that editor's draft and no other, a save deletes that editor's draft and no other, and
# text that arrives after the session expired is kept only if it carries a token an editor
# page of this document issued in the last week (a page elsewhere cannot make one).


def _editor_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="editor")


def editor_token(document: Document, editor_id: str) -> str:
    """The token an editor page sends back: the document, the editor and when it was issued."""
    return _editor_serializer().dumps([document.id, editor_id])


def editor_of(document_id: int, token: str | None, *, max_age: timedelta | None = None):
    """The editor id in ``token`` if an editor page of this document issued it, else None.

    ``max_age`` bounds how old the token may be (a signed-in save accepts any age: the
    session already says who is writing).
    """
    if not token:
        return None
    try:
        payload = _editor_serializer().loads(
            token, max_age=int(max_age.total_seconds()) if max_age else None
        )
    except BadData:
        return None
    if not (isinstance(payload, list) and len(payload) == 2):
        return None
    issued_for, editor_id = payload
    if issued_for != document_id or not isinstance(editor_id, str):
        return None
    return editor_id if _EDITOR_ID.fullmatch(editor_id) else None


@dataclass
class DraftOffer:
    """An unsaved draft the editor offers to resume or discard."""

    draft: Draft
    section_title: str | None


@dataclass
class Editor:
    """An editor page: what it opens with, who it is, and the other drafts it offers."""

    body: str
    base_number: int
    section: int | None
    section_title: str | None
    editor_id: str
    summary: str = ""
    resumed: bool = False
    drafts: list[DraftOffer] = field(default_factory=list)


def _offers(document: Document, drafts: list[Draft]) -> list[DraftOffer]:
    return [
        DraftOffer(draft, section_title(document, draft.base_number, draft.section))
        for draft in drafts
    ]


def open_editor(
    document: Document,
    user: User,
    *,
    section: int | None = None,
    base: int | None = None,
    resume: str | None = None,
) -> Editor:
    """The editor a person opens: a new one on the text, or the one of a draft they resume.

    ``resume`` is the editor id of one of their drafts ("riprendi": the newest). Resuming
    continues that editor, from the revision the draft started from; any other draft is
    offered, newest first. Opening marks the person as editing (presence).
    """
    drafts = revisions.drafts_of(document.text, user)
    chosen = None
    if resume == "riprendi":
        chosen = drafts[0] if drafts else None
    elif resume:
        chosen = next((draft for draft in drafts if draft.editor_id == resume), None)
    if chosen is not None:
        editor = Editor(
            body=chosen.body,
            base_number=chosen.base_number,
            section=chosen.section,
            section_title=section_title(document, chosen.base_number, chosen.section),
            editor_id=chosen.editor_id,
            summary=chosen.summary,
            resumed=True,
        )
    else:
        start = start_edit(document, section, base)
        editor = Editor(
            body=start.body,
            base_number=start.base_number,
            section=start.section,
            section_title=start.section_title,
            editor_id=revisions.new_editor_id(),
        )
    editor.drafts = _offers(document, [draft for draft in drafts if draft is not chosen])
    revisions.touch_presence(document.text, user, editor.section)
    return editor


def claim_pending(document: Document, user: User, token: str | None) -> list[Draft]:
    """The texts this browser sent after its session expired, now drafts of ``user``."""
    return revisions.claim_pending(document.text, user, token)


def keep_draft(
    document: Document,
    user: User,
    *,
    editor_id: str,
    body: str,
    base_number: int,
    section: int | None,
    summary: str,
) -> Draft:
    """The autosave of one editor. Raises ``revisions.Busy`` when the database is busy."""
    if len(body) > MAX_DOCUMENT_CHARS:
        raise DocumentError(too_large_message(), "body")
    try:
        draft = revisions.keep_draft(
            document.text,
            user,
            editor_id=editor_id,
            body=body,
            base_number=base_number,
            section=section,
            summary=summary,
        )
    except revisions.UnknownRevision as error:
        raise DocumentError(_("La versione di partenza non esiste.")) from error
    revisions.touch_presence(document.text, user, section)
    return draft


def save_from_editor(
    document: Document,
    user: User,
    *,
    editor_id: str,
    body: str,
    base_number: int,
    section: int | None,
    summary: str,
) -> revisions.SaveOutcome:
    """Save what an editor sent; never lose it.

    A conflict stores nothing and keeps the merged text (with the conflict's two sides) as the
    editor's draft, to be resolved on the whole text from the newest revision. A save or an
    unchanged text ends the editor: its draft goes, and the person is no longer editing.
    Raises ``DocumentError`` and ``revisions.RevisionError`` with nothing stored.
    """
    outcome = save(
        document,
        author=user,
        body=body,
        base_number=base_number,
        section=section,
        summary=summary,
        editor_id=editor_id,
    )
    if outcome.status == "conflict":
        # Busy: the conflict screen shows the text in its editor all the same.
        with suppress(revisions.Busy):
            revisions.keep_draft(
                document.text,
                user,
                editor_id=editor_id,
                body=outcome.merge.text,
                base_number=outcome.head,
                section=None,
                summary=summary,
            )
        return outcome
    if outcome.status == "unchanged":
        # The draft has nothing the saved text has not; if the database is busy it stays, to
        # be discarded from the list later.
        try:
            revisions.discard_draft(document.text, user, editor_id)
        except OperationalError:
            db.session.rollback()
    revisions.leave(document.text, user)
    return outcome


@dataclass(frozen=True)
class Preview:
    html: str
    too_long: bool = False


def preview(body: str) -> Preview:
    """The editor's live preview of ``body`` (the whole text, or the section being edited)."""
    body = revisions.normalise(body)
    if len(body) > MAX_PREVIEW_CHARS:
        return Preview("", too_long=True)
    return Preview(render(body).html)


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
        before_commit=lambda revision: activity.record_revision(document, revision, actor=author),
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
    activity.record(
        EventKind.DOCUMENT_APPROVED,
        group=document.group_id,
        actor=by,
        title=document.title,
        summary=approval.note,
        document_id=document.id,
        revision_number=number,
    )
    audit.record(
        "document.approved",
        actor=by,
        target=document,
        detail={"revision": number, "group_id": document.group_id},
    )
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
