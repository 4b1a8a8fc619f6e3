"""Discussions of a group: threads, their messages, earlier versions, and who read how far."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.accounts.models import User
from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db
from workspace.groups.models import Group


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_group_activity", "group_id", "last_activity_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The number of the newest message (messages are numbered 1, 2, ... in their thread).
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    # The message that resolved the thread (its number in the thread), when resolved.
    resolved_number: Mapped[int | None] = mapped_column(Integer)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the thread is about: a document, and optionally one of its sections (its anchor
    # and its title as they were when the thread was opened).
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    section_anchor: Mapped[str | None] = mapped_column(String(200))
    section_title: Mapped[str | None] = mapped_column(String(300))

    group: Mapped[Group] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("thread_id", "number"),
        # A form submitted twice carries the same token: the second is not a new message.
        UniqueConstraint("author_id", "client_token"),
        # The few withdrawn messages, for the unread counts (discussions.service.unread_counts).
        Index(
            "ix_messages_withdrawn",
            "thread_id",
            "number",
            sqlite_where=text("withdrawn_at IS NOT NULL"),
            postgresql_where=text("withdrawn_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)  # rendered once, at save time
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quoted_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    client_token: Mapped[str | None] = mapped_column(String(64))

    thread: Mapped[Thread] = relationship()
    author: Mapped[User | None] = relationship(lazy="joined")
    quoted: Mapped["Message | None"] = relationship(remote_side=[id])


class MessageVersion(db.Model):
    """A message as it was before an edit: append-only, read by leads and coordinators."""

    __tablename__ = "message_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when this version was written
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThreadRead(db.Model):
    """How far one person has read one thread: unread messages are those after it."""

    __tablename__ = "thread_reads"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_read_number: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
