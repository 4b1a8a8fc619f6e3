"""Rules for attachments: what may be uploaded, where the bytes live, who may read them.

Files are checked all together before anything is stored, so an upload is all or nothing.
The bytes go in the database, or, when ``ATTACHMENTS_FOLDER`` is set, in that folder under
their SHA-256 (written to a temporary file and renamed into place, so a reader on another
server never sees half a file). Rows are added and flushed here; the caller commits them with
the message they belong to.
"""

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import delete, select
from werkzeug.datastructures import FileStorage

from workspace.accounts.models import User
from workspace.attachments import content
from workspace.attachments.models import Attachment
from workspace.clock import utcnow
from workspace.extensions import db

log = logging.getLogger(__name__)

MAX_PER_MESSAGE = 5
TEMPORARY_PREFIX = ".tmp-"
_STORAGE_PATH = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}")


class AttachmentError(Exception):
    """An upload refused, with a message for the person who sent it."""


@dataclass(frozen=True)
class _Checked:
    filename: str
    content_type: str
    data: bytes


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def size_label(size: int) -> str:
    """``850 KB``, ``1,4 MB`` (``1.4 MB`` in English): never ``0 KB`` for a small file."""
    if size < 1024 * 1024:
        return _("%(n)s KB", n=format_decimal(max(1, round(size / 1024)), format="#,##0"))
    return _("%(n)s MB", n=format_decimal(size / (1024 * 1024), format="#,##0.#"))


def kind_label(content_type: str) -> str:
    if content_type == content.PDF:
        return _("PDF")
    if content_type == content.DOCX:
        return _("Word")
    if content_type == content.ODT:
        return _("OpenDocument")
    return _("immagine")


# -- Upload ------------------------------------------------------------------------------------


def store(files: list[FileStorage], *, uploader: User) -> list[Attachment]:
    """Check every file, then store them all: new rows without a message, flushed."""
    chosen = [file for file in files if file and file.filename]
    if len(chosen) > MAX_PER_MESSAGE:
        raise AttachmentError(
            _("Puoi allegare al massimo %(n)s file a un messaggio.", n=MAX_PER_MESSAGE)
        )
    checked = [_check(file) for file in chosen]
    attachments = []
    for item in checked:
        digest = hashlib.sha256(item.data).hexdigest()
        attachment = Attachment(
            uploaded_by_id=uploader.id,
            filename=item.filename,
            content_type=item.content_type,
            size=len(item.data),
            sha256=digest,
        )
        if _folder() is None:
            attachment.data = item.data
        else:
            attachment.storage_path = _write_file(item.data, digest)
        db.session.add(attachment)
        attachments.append(attachment)
    db.session.flush()
    return attachments


def _check(file: FileStorage) -> _Checked:
    shown = content.plain_name(file.filename) or content.DEFAULT_STEM
    if len(shown) > 80:
        shown = shown[:79] + "…"
    limit = max_bytes()
    data = file.stream.read(limit + 1)  # never more than the limit in memory
    if not data:
        raise AttachmentError(_("«%(name)s» è vuoto.", name=shown))
    if len(data) > limit:
        raise AttachmentError(
            _(
                "«%(name)s» è troppo grande: il limite è %(limit)s per file.",
                name=shown,
                limit=size_label(limit),
            )
        )
    content_type = content.detect(data)
    if content_type is None:
        raise AttachmentError(
            _(
                "«%(name)s» non è un tipo di file ammesso: PDF, Word (.docx), "
                "OpenDocument (.odt) o immagini.",
                name=shown,
            )
        )
    return _Checked(content.clean_filename(file.filename, content_type), content_type, data)


def attach(attachments: list[Attachment], message_id: int) -> None:
    for attachment in attachments:
        attachment.message_id = message_id


# -- Reading -----------------------------------------------------------------------------------


def for_messages(message_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """Each message's attachments in upload order (an empty list for none); one query, and
    the bytes stay in the database."""
    ids = list(dict.fromkeys(message_ids))
    found: dict[int, list[Attachment]] = {message_id: [] for message_id in ids}
    if not ids:
        return found
    rows = db.session.scalars(
        select(Attachment)
        .where(Attachment.message_id.in_(ids))
        .order_by(Attachment.message_id, Attachment.id)
    )
    for attachment in rows:
        found[attachment.message_id].append(attachment)
    return found


def read_bytes(attachment: Attachment) -> bytes:
    """The file's bytes, wherever they are. FileNotFoundError when the folder lost them."""
    if attachment.storage_path is None:
        return attachment.data or b""
    return _path_of(attachment.storage_path).read_bytes()


# -- Housekeeping ------------------------------------------------------------------------------


def prune_orphans(older_than: timedelta) -> int:
    """Delete uploads never attached to a message, and the folder's files nobody uses."""
    cutoff = utcnow() - older_than
    removed = db.session.execute(
        delete(Attachment).where(Attachment.message_id.is_(None), Attachment.created_at < cutoff)
    ).rowcount
    db.session.commit()
    # After the commit: a file goes only once no committed row points at it.
    _remove_unused_files(older_than)
    return removed


def _remove_unused_files(older_than: timedelta) -> None:
    """Files no row refers to (their rows deleted, or an upload whose message was never
    saved), and temporary files a crash left. Only files older than ``older_than``: a file
    just written or reused belongs to an upload whose transaction may still be open."""
    folder = _folder()
    if folder is None or not folder.is_dir():
        return
    used = set(
        db.session.scalars(
            select(Attachment.storage_path).where(Attachment.storage_path.is_not(None)).distinct()
        )
    )
    oldest = utcnow().timestamp() - older_than.total_seconds()
    for path in folder.glob("*/*"):
        relative = f"{path.parent.name}/{path.name}"
        if relative in used or not (
            _STORAGE_PATH.fullmatch(relative) or path.name.startswith(TEMPORARY_PREFIX)
        ):
            continue
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < oldest:
                path.unlink()
                log.info("Removed unused attachment file %s", relative)


# -- The folder --------------------------------------------------------------------------------


def _folder() -> Path | None:
    """ATTACHMENTS_FOLDER, relative to the instance folder unless absolute; None: database."""
    setting = current_app.config.get("ATTACHMENTS_FOLDER")
    if not setting:
        return None
    return Path(current_app.instance_path) / Path(str(setting)).expanduser()


def _path_of(storage_path: str) -> Path:
    folder = _folder()
    if folder is None or not _STORAGE_PATH.fullmatch(storage_path):
        raise FileNotFoundError(storage_path)
    return folder / storage_path


def _write_file(data: bytes, digest: str) -> str:
    """Store the bytes under their digest, once; the path relative to the folder."""
    storage_path = f"{digest[:2]}/{digest}"
    target = _path_of(storage_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if target.stat().st_size == len(data):
            # Already there: touch it, so that a prune running now leaves it alone.
            os.utime(target)
            return storage_path
    except FileNotFoundError:
        pass
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=TEMPORARY_PREFIX)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        # Readable by the group too: the app servers sharing the folder may be several users.
        os.chmod(temporary, 0o640)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return storage_path
