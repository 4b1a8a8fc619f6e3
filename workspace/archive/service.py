"""A group's archive: everything the group wrote, as Markdown and JSON in one zip file.

The zip is written into a temporary file (kept in memory while small, on disk after that),
member by member: a document's history is read in batches and each revision's text is built
from the one before it (workspace.revisions.service.history), a discussion's messages are read
in batches across the whole group. What is held in memory at any time is one revision, or one
thread's messages, never the whole archive.

Layout (README_TEXT says the same to whoever opens the archive):

    README.md, group.json
    documents/<id>-<title>/document.json, current.md, revisions/0001.md ...
    discussions/<id>-<title>/thread.json, thread.md, attachments/<message>-<id>-<name>
    meetings/<date>-<id>/meeting.json, minutes.md, minutes/revisions/0001.md ...

Attachments: each file goes in as it is, up to ``ATTACHMENTS_MAX_TOTAL`` bytes for the
whole archive (the upload limit bounds each file already); beyond that, and for a file the
storage has lost, only its facts are written, with ``included: false`` and the reason.
Withdrawn messages keep the mark and the time, never their text, earlier versions or files.
"""

import json
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload

from workspace.accounts.models import User
from workspace.attachments import content
from workspace.attachments import service as attachments
from workspace.attachments.models import Attachment
from workspace.clock import utcnow
from workspace.discussions.models import Message, MessageVersion, Thread
from workspace.documents import service as documents
from workspace.documents.models import Document
from workspace.extensions import db
from workspace.groups import service as groups
from workspace.groups.models import Group
from workspace.i18n import ROME
from workspace.meetings import service as meetings
from workspace.meetings.models import Meeting
from workspace.revisions import service as revisions
from workspace.revisions.models import VersionedText

FORMAT_VERSION = 1
# Files of the whole archive beyond this go in as facts only (configurable).
ATTACHMENTS_MAX_TOTAL = 200 * 1024 * 1024
# Kept in memory up to this size, then on disk.
SPOOL_BYTES = 8 * 1024 * 1024
MESSAGE_BATCH = 1000
# Fast deflate: the export runs inside a request, and most of its work is compressing every
# revision of long texts; level 1 is several times faster than the default for a fifth more
# bytes (bench/archive.py).
COMPRESS_LEVEL = 1
REVISION_BATCH = 200
# Formats that are compressed already: stored as they are, deflating them again is wasted work.
_COMPRESSED_TYPES = {content.PDF, content.DOCX, content.ODT, *content.IMAGES}


# -- Names and values --------------------------------------------------------------------------


def ascii_slug(text: str, *, limit: int = 50) -> str:
    """Lower-case ASCII letters, digits and dashes, for a name inside the archive."""
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:limit].rstrip("-")


def _folder(number: int, title: str) -> str:
    slug = ascii_slug(title)
    return f"{number}-{slug}" if slug else str(number)


def _file_name(name: str) -> str:
    """An attachment's name made safe (ASCII, no folders), keeping its extension."""
    stem, dot, extension = (name or "").rpartition(".")
    if not dot:
        stem, extension = name or "", ""
    stem = ascii_slug(stem, limit=80) or "allegato"
    extension = ascii_slug(extension, limit=10)
    return f"{stem}.{extension}" if extension else stem


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601; datetimes in UTC with a Z."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _when(value: datetime | None) -> str:
    """A time for people to read, in Italian time: numbers only, the same in any language, and
    a hundred times faster than Babel's long form over tens of thousands of messages."""
    return f"{value.astimezone(ROME):%d/%m/%Y %H:%M}" if value is not None else ""


def _plain(text: str) -> str:
    """Text typed by people (titles, names) on one line inside the generated Markdown."""
    return "".join(
        "\\" + c if c in "\\`*_{}[]()#+-.!|<>~" else c for c in " ".join((text or "").split())
    )


def filename(group: Group, today: date | None = None) -> str:
    day = today or utcnow().astimezone(ROME).date()
    return f"tavolo-{ascii_slug(group.slug, limit=80) or group.id}-{day:%Y-%m-%d}.zip"


# -- People -------------------------------------------------------------------------------------


class _People:
    """Names of people by id, read once each: the same few people write most of a group."""

    def __init__(self):
        self._names: dict[int, str] = {}

    def name(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self._names:
            self._names[user_id] = db.session.scalar(select(User.name).where(User.id == user_id))
        return self._names[user_id]

    def person(self, user_id: int | None) -> dict | None:
        if user_id is None:
            return None
        return {"id": user_id, "name": self.name(user_id)}


# -- The zip ------------------------------------------------------------------------------------


@dataclass
class _Writer:
    zip: zipfile.ZipFile
    people: _People = field(default_factory=_People)
    attachment_bytes: int = 0
    attachments_limit: int = ATTACHMENTS_MAX_TOTAL
    names: set[str] = field(default_factory=set)

    def text(self, name: str, body: str) -> None:
        self.bytes(name, body.encode("utf-8"))

    def json(self, name: str, data) -> None:
        self.text(name, json.dumps(data, ensure_ascii=False, indent=2) + "\n")

    def bytes(self, name: str, data: bytes, *, compress: bool = True) -> None:
        if name in self.names:  # never two members with one name (a reader keeps either)
            raise ValueError(f"duplicate archive member {name}")
        self.names.add(name)
        info = zipfile.ZipInfo(name, date_time=_zip_time())
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        self.zip.writestr(info, data, compresslevel=COMPRESS_LEVEL if compress else None)


def _zip_time() -> tuple:
    now = utcnow().astimezone(ROME)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def export(group: Group) -> tempfile.SpooledTemporaryFile:
    """The group's archive, in a temporary file positioned at its start; the caller closes it
    (sending it does)."""
    # Not a context manager: the file outlives this function, the response closes it.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, suffix=".zip")  # noqa: SIM115
    try:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            writer = _Writer(
                archive,
                attachments_limit=int(
                    current_app.config.get("ARCHIVE_ATTACHMENTS_MAX_TOTAL", ATTACHMENTS_MAX_TOTAL)
                ),
            )
            writer.text("README.md", readme(group, attachments_limit=writer.attachments_limit))
            writer.json("group.json", _group_data(group))
            minutes_ids = set(
                db.session.scalars(
                    select(Meeting.minutes_document_id).where(
                        Meeting.group_id == group.id, Meeting.minutes_document_id.is_not(None)
                    )
                )
            )
            for document in _documents(group, minutes_ids):
                _write_document(writer, document)
            _write_discussions(writer, group)
            for meeting in _meetings(group):
                _write_meeting(writer, meeting)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def readme(group: Group, *, attachments_limit: int = ATTACHMENTS_MAX_TOTAL) -> str:
    return (
        "\n".join(
            [
                "# " + _("Archivio del gruppo «%(name)s»", name=group.name),
                "",
                _(
                    "Esportato da Tavolo il %(when)s. Contiene i documenti con tutte le loro "
                    "versioni, le discussioni, gli incontri e i verbali del gruppo.",
                    when=_when(utcnow()),
                ),
                "",
                "## " + _("Come è organizzato"),
                "",
                "- `group.json`: "
                + _("nome, finalità, componenti del gruppo con ruolo e servizio."),
                "- `documents/<numero>-<titolo>/`: "
                + _(
                    "un documento: `document.json` (titolo, descrizione, approvazioni, elenco "
                    "delle versioni con autore, data e nota di modifica), `current.md` (il testo "
                    "attuale) e `revisions/0001.md`, `0002.md`... (il testo di ogni versione)."
                ),
                "- `discussions/<numero>-<titolo>/`: "
                + _(
                    "una discussione: `thread.md` (i messaggi in ordine, da leggere), "
                    "`thread.json` (gli stessi dati, con le versioni precedenti dei messaggi "
                    "modificati) e `attachments/` (gli allegati)."
                ),
                "- `meetings/<data>-<numero>/`: "
                + _(
                    "un incontro: `meeting.json` (data, luogo, ordine del giorno, presenze, "
                    "ospiti, decisioni, compiti, stato del verbale), `minutes.md` (il verbale "
                    "completo, se è stato scritto) e `minutes/revisions/` (tutte le versioni del "
                    "testo del verbale)."
                ),
                "",
                "## " + _("Da sapere"),
                "",
                "- "
                + _(
                    "I file `.json` sono in UTF-8; gli orari sono in UTC, nel formato ISO 8601 "
                    "(per esempio 2030-01-14T16:00:00Z). Nei file `.md` gli orari sono quelli "
                    "italiani."
                ),
                "- "
                + _(
                    "Dei messaggi ritirati restano solo l'autore e l'ora del ritiro: il testo, "
                    "le versioni precedenti e gli allegati non sono inclusi."
                ),
                "- "
                + _(
                    "Gli allegati sono inclusi fino a %(mb)d MB in tutto; oltre, e per un file "
                    "non più disponibile, `thread.json` ne riporta i dati con "
                    '`"included": false` e il motivo.',
                    mb=attachments_limit // (1024 * 1024),
                ),
                "- "
                + _(
                    "I numeri nei nomi delle cartelle sono quelli usati da Tavolo: le versioni "
                    "dei documenti, i messaggi e gli incontri si possono citare così."
                ),
                "",
            ]
        )
        + "\n"
    )


# -- The group ----------------------------------------------------------------------------------


def _group_data(group: Group) -> dict:
    members = []
    for membership in groups.members(group):
        user = membership.user
        profile = user.profile
        service = profile.service if profile is not None else None
        members.append(
            {
                "id": user.id,
                "name": user.name,
                "email": user.email,
                "group_role": str(membership.role),
                "table_role": str(profile.role) if profile is not None else None,
                "service": (
                    {
                        "name": service.name,
                        "district": service.district,
                        "health_authority": service.health_authority,
                        "scope": str(service.scope),
                    }
                    if service is not None
                    else None
                ),
                "organisation": profile.organisation if profile is not None else None,
                "member_since": iso(membership.created_at),
            }
        )
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": iso(utcnow()),
        "id": group.id,
        "slug": group.slug,
        "name": group.name,
        "purpose": group.purpose,
        "is_joint": group.is_joint,
        "created_at": iso(group.created_at),
        "archived_at": iso(group.archived_at),
        "members": members,
    }


# -- Documents ----------------------------------------------------------------------------------


def _documents(group: Group, minutes_ids: set[int]) -> list[Document]:
    """The group's documents; minutes go with their meeting instead."""
    found = db.session.scalars(
        select(Document).where(Document.group_id == group.id).order_by(Document.id)
    ).unique()
    return [document for document in found if document.id not in minutes_ids]


def _write_history(writer: _Writer, versioned: VersionedText, folder: str) -> tuple[list, str]:
    """Each revision's text in ``folder``/revisions/; its facts, and the newest text."""
    facts, text = [], ""
    for entry in revisions.history(versioned, batch_size=REVISION_BATCH):
        path = f"revisions/{entry.number:04d}.md"
        writer.text(f"{folder}/{path}", entry.text)
        text = entry.text
        facts.append(
            {
                "number": entry.number,
                "author": writer.people.person(entry.author_id),
                "created_at": iso(entry.created_at),
                "summary": entry.summary,
                "base_number": entry.base_number,
                "restored_from": entry.restored_from,
                "merged": entry.merged,
                "file": path,
            }
        )
    return facts, text


def _write_document(writer: _Writer, document: Document) -> None:
    folder = "documents/" + _folder(document.id, document.title)
    history, text = _write_history(writer, document.text, folder)
    writer.text(f"{folder}/current.md", text)
    writer.json(
        f"{folder}/document.json",
        {
            "id": document.id,
            "title": document.title,
            "description": document.description,
            "kind": document.kind,
            "created_by": writer.people.person(document.created_by_id),
            "created_at": iso(document.created_at),
            "current_revision": document.text.head,
            "approvals": [
                {
                    "revision_number": approval.revision_number,
                    "approved_by": writer.people.person(approval.approved_by_id),
                    "approved_at": iso(approval.approved_at),
                    "note": approval.note,
                }
                for approval in reversed(documents.approvals(document))
            ],
            "revisions": history,
        },
    )


# -- Discussions --------------------------------------------------------------------------------


@dataclass
class _MessageRow:
    id: int
    thread_id: int
    number: int
    author_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None
    withdrawn_at: datetime | None
    quoted_number: int | None
    versions: list = field(default_factory=list)
    attachments: list = field(default_factory=list)


def _message_rows(group: Group) -> Iterator[_MessageRow]:
    """The group's messages, thread by thread and in order, read ``MESSAGE_BATCH`` at a time
    (keyset on thread and number), with their earlier versions and attachments."""
    quoted = aliased(Message)
    columns = (
        Message.id,
        Message.thread_id,
        Message.number,
        Message.author_id,
        Message.body,
        Message.created_at,
        Message.edited_at,
        Message.withdrawn_at,
        quoted.number.label("quoted_number"),
    )
    after = (0, 0)
    while True:
        query = (
            select(*columns)
            .join(Thread, Thread.id == Message.thread_id)
            .outerjoin(quoted, quoted.id == Message.quoted_id)
            .where(Thread.group_id == group.id)
            .where(
                (Message.thread_id > after[0])
                | ((Message.thread_id == after[0]) & (Message.number > after[1]))
            )
            .order_by(Message.thread_id, Message.number)
            .limit(MESSAGE_BATCH)
        )
        batch = [_MessageRow(**row._asdict()) for row in db.session.execute(query)]
        shown = {row.id: row for row in batch if row.withdrawn_at is None}
        if shown:
            for version in db.session.execute(
                select(
                    MessageVersion.message_id,
                    MessageVersion.body,
                    MessageVersion.written_at,
                    MessageVersion.replaced_at,
                )
                .where(MessageVersion.message_id.in_(shown))
                .order_by(MessageVersion.id)
            ):
                shown[version.message_id].versions.append(
                    {
                        "body": version.body,
                        "written_at": iso(version.written_at),
                        "replaced_at": iso(version.replaced_at),
                    }
                )
            for message_id, files in attachments.for_messages(shown).items():
                shown[message_id].attachments = files
        yield from batch
        if len(batch) < MESSAGE_BATCH:
            return
        after = (batch[-1].thread_id, batch[-1].number)


def _write_discussions(writer: _Writer, group: Group) -> None:
    threads = db.session.scalars(
        select(Thread).where(Thread.group_id == group.id).order_by(Thread.id)
    ).all()
    titles = {
        row.id: row.title
        for row in db.session.execute(
            select(Document.id, Document.title).where(Document.group_id == group.id)
        )
    }
    by_thread = groupby(_message_rows(group), key=lambda row: row.thread_id)
    pending = next(by_thread, None)
    for thread in threads:
        rows: list[_MessageRow] = []
        if pending is not None and pending[0] == thread.id:
            rows = list(pending[1])
            pending = next(by_thread, None)
        _write_thread(writer, thread, rows, titles)


def _attachment_facts(writer: _Writer, folder: str, row: _MessageRow, file: Attachment) -> dict:
    facts = {
        "id": file.id,
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "sha256": file.sha256,
        "uploaded_at": iso(file.created_at),
        "included": False,
        "file": None,
        "reason": None,
    }
    if writer.attachment_bytes + file.size > writer.attachments_limit:
        facts["reason"] = "archive-size-limit"
        return facts
    try:
        data = attachments.read_bytes(file)
    except FileNotFoundError:
        facts["reason"] = "missing-file"
        return facts
    finally:
        # The bytes of a file kept in the database are deferred: let them go once written.
        db.session.expire(file, ["data"])
    path = f"attachments/{row.number:05d}-{file.id}-{_file_name(file.filename)}"
    writer.bytes(f"{folder}/{path}", data, compress=file.content_type not in _COMPRESSED_TYPES)
    writer.attachment_bytes += len(data)
    facts.update(included=True, file=path)
    return facts


def _write_thread(writer: _Writer, thread: Thread, rows: list[_MessageRow], titles: dict) -> None:
    folder = "discussions/" + _folder(thread.id, thread.title)
    people = writer.people
    messages = []
    for row in rows:
        withdrawn = row.withdrawn_at is not None
        messages.append(
            {
                "number": row.number,
                "author": people.person(row.author_id),
                "created_at": iso(row.created_at),
                "edited_at": iso(row.edited_at),
                "withdrawn_at": iso(row.withdrawn_at),
                "withdrawn": withdrawn,
                "quoted_number": row.quoted_number,
                "body": None if withdrawn else row.body,
                "earlier_versions": [] if withdrawn else row.versions,
                "attachments": [
                    _attachment_facts(writer, folder, row, file) for file in row.attachments
                ],
            }
        )
    document = None
    if thread.document_id is not None:
        document = {"id": thread.document_id, "title": titles.get(thread.document_id)}
    data = {
        "id": thread.id,
        "title": thread.title,
        "created_by": people.person(thread.created_by_id),
        "created_at": iso(thread.created_at),
        "last_activity_at": iso(thread.last_activity_at),
        "pinned": thread.pinned,
        "locked": thread.locked,
        "resolved_number": thread.resolved_number,
        "resolved_by": people.person(thread.resolved_by_id),
        "document": document,
        "section_anchor": thread.section_anchor,
        "section_title": thread.section_title,
        "messages": messages,
    }
    writer.json(f"{folder}/thread.json", data)
    writer.text(f"{folder}/thread.md", thread_markdown(data))


def thread_markdown(data: dict) -> str:
    out = ["# " + _plain(data["title"]), ""]
    creator = data["created_by"]["name"] if data["created_by"] else _("persona rimossa")
    out.append(
        "- "
        + _plain(
            _(
                "Aperta da %(name)s il %(when)s",
                name=creator,
                when=_when(_parse(data["created_at"])),
            )
        )
    )
    if data["document"]:
        line = _("Documento: %(title)s", title=data["document"]["title"] or "")
        if data["section_title"]:
            line += " · " + _("sezione «%(title)s»", title=data["section_title"])
        out.append("- " + _plain(line))
    if data["locked"]:
        out.append("- " + _("Discussione chiusa."))
    if data["resolved_number"]:
        out.append("- " + _("Risolta dal messaggio %(n)d.", n=data["resolved_number"]))
    out.append("")
    for message in data["messages"]:
        author = message["author"]["name"] if message["author"] else _("persona rimossa")
        written = _when(_parse(message["created_at"]))
        out += [f"## {message['number']}. {_plain(author)}, {written}", ""]
        if message["withdrawn"]:
            out += [
                "_"
                + _(
                    "Messaggio ritirato dall'autore il %(when)s.",
                    when=_when(_parse(message["withdrawn_at"])),
                )
                + "_",
                "",
            ]
            continue
        if message["quoted_number"]:
            reply_to = _("In risposta al messaggio %(n)d.", n=message["quoted_number"])
            out += ["_" + reply_to + "_", ""]
        out += [message["body"].rstrip(), ""]
        if message["edited_at"]:
            out += [
                "_"
                + _(
                    "Modificato il %(when)s (versioni precedenti: %(n)d, in thread.json).",
                    when=_when(_parse(message["edited_at"])),
                    n=len(message["earlier_versions"]),
                )
                + "_",
                "",
            ]
        for file in message["attachments"]:
            if file["included"]:
                out.append(f"- {_('Allegato')}: [{_plain(file['filename'])}]({file['file']})")
            else:
                out.append(f"- {_('Allegato non incluso')}: {_plain(file['filename'])}")
        if message["attachments"]:
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


# -- Meetings -----------------------------------------------------------------------------------


def _meetings(group: Group) -> Iterable[Meeting]:
    # What each meeting's files show, loaded for all of them in a few queries (not per meeting).
    return db.session.scalars(
        select(Meeting)
        .where(Meeting.group_id == group.id)
        .options(
            selectinload(Meeting.items),
            selectinload(Meeting.participants),
            selectinload(Meeting.guests),
            selectinload(Meeting.series),
            selectinload(Meeting.minutes),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).unique()


def _write_meeting(writer: _Writer, meeting: Meeting) -> None:
    people = writer.people
    folder = f"meetings/{meeting.starts_at.astimezone(ROME):%Y-%m-%d}-{meeting.id}"
    record = meetings.record_of(meeting)
    positions = {item.id: n for n, item in enumerate(meeting.items, start=1)}
    minutes = None
    if meeting.minutes is not None:
        history, _text = _write_history(writer, meeting.minutes.text, f"{folder}/minutes")
        minutes = {
            "document_id": meeting.minutes.id,
            "title": meeting.minutes.title,
            "status": str(meeting.minutes_status),
            "circulated_at": iso(meeting.circulated_at),
            "approved_at": iso(meeting.approved_at),
            "approved_by": people.person(meeting.approved_by_id),
            "approved_at_meeting_id": meeting.approved_at_meeting_id,
            "approved_revision": meeting.approved_revision,
            "current_revision": meeting.minutes.text.head,
            "revisions": history,
            "comments": [
                {
                    "author": people.person(comment.author_id),
                    "created_at": iso(comment.created_at),
                    "body": comment.body,
                }
                for comment in meetings.comments_of(meeting)
            ],
        }
        writer.text(f"{folder}/minutes.md", meetings.record_markdown(record))
    data = {
        "id": meeting.id,
        "title": meeting.title,
        "starts_at": iso(meeting.starts_at),
        "ends_at": iso(meeting.ends_at),
        "place": meeting.place,
        "online_url": meeting.online_url,
        "is_joint": meeting.is_joint,
        "series": (
            {"id": meeting.series.id, "rule": meeting.series.rule}
            if meeting.series is not None
            else None
        ),
        "moved": meeting.moved,
        "status": "cancelled" if meeting.is_cancelled else "scheduled",
        "cancelled_at": iso(meeting.cancelled_at),
        "cancel_reason": meeting.cancel_reason,
        "agenda": [
            {
                "position": n,
                "title": item.title,
                "owner": people.person(item.owner_id),
                "duration_minutes": item.duration_minutes,
                "carried_to_meeting_id": item.carried_to_id,
                "carried_from_meeting_id": item.carried_from_id,
            }
            for n, item in enumerate(meeting.items, start=1)
        ],
        "attendance": [
            {"person": people.person(p.user_id), "attendance": str(p.attendance)}
            for p in sorted(meeting.participants, key=lambda p: p.user.name.casefold())
        ],
        "guests": [{"name": g.name, "organisation": g.organisation} for g in meeting.guests],
        "decisions": [
            {
                "agenda_position": positions.get(decision.item_id),
                "text": decision.text,
                "document": (
                    {"id": decision.document_id, "title": decision.document.title}
                    if decision.document is not None
                    else None
                ),
                "revision_number": decision.revision_number,
                "created_by": people.person(decision.created_by_id),
                "created_at": iso(decision.created_at),
            }
            for decision in record.decisions
        ],
        "actions": [
            {
                "title": action.title,
                "owner": people.person(action.owner_id),
                "due_on": iso(action.due_on),
                "agenda_position": positions.get(action.item_id),
                "status": str(action.status),
                "closed_at": iso(action.closed_at),
                "closed_by": people.person(action.closed_by_id),
                "closing_note": action.closing_note,
                "created_by": people.person(action.created_by_id),
                "created_at": iso(action.created_at),
            }
            for action in record.actions
        ],
        "minutes": minutes,
    }
    writer.json(f"{folder}/meeting.json", data)
