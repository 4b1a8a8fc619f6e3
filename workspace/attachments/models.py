"""Files attached to messages: stored in the database or in a shared folder."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db


class Attachment(db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The message it belongs to; None between the upload and the message being saved.
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))  # as shown and offered for download
    content_type: Mapped[str] = mapped_column(String(100))  # detected from the content
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Either the bytes (ATTACHMENTS_FOLDER unset) or a path relative to that folder.
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    storage_path: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
