"""Documents of a group (the guidelines under revision, ...) and their approvals."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.accounts.models import User
from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db
from workspace.groups.models import Group
from workspace.revisions.models import VersionedText


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("group_id", "title_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    text_id: Mapped[int] = mapped_column(ForeignKey("versioned_texts.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # The title folded for the "one title per group" rule (case and spacing do not count).
    title_key: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # "document" for the group's documents; another kind belongs to another capability (the
    # minutes of a meeting), which says who reads and changes it (documents.owners).
    kind: Mapped[str] = mapped_column(String(20), default="document", server_default="document")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship()
    text: Mapped[VersionedText] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()


class Approval(db.Model):
    """A revision marked as the approved version, with who, when and why."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    revision_number: Mapped[int] = mapped_column(Integer)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    approved_by: Mapped[User | None] = relationship(lazy="joined")
