"""The search index: one row per searchable thing, derived from the business tables.

A row says what it is (``kind`` and ``source_id``), where it lives (group, meeting, thread:
for the permission filter and the link) and what it says (``title``, ``body``). Rows are
removed with their group, meeting or thread by the database itself.

The matching itself is the backend's: on PostgreSQL the ``terms`` column is a ``tsvector``
(Italian configuration, GIN index); on SQLite it stays empty and the stems live in the FTS5
table ``search_fts`` (rowid = this row's id), which is outside the ORM (see
workspace.search.backends).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db


class Kind:
    DOCUMENT = "document"
    MINUTES = "minutes"
    MESSAGE = "message"
    AGENDA_ITEM = "agenda_item"
    ACTION = "action"

    ALL = (DOCUMENT, MINUTES, MESSAGE, AGENDA_ITEM, ACTION)
    # What an external participant invited to a joint meeting may see of that meeting.
    OF_MEETINGS = (MINUTES, AGENDA_ITEM, ACTION)


class SearchEntry(db.Model):
    __tablename__ = "search_entries"
    __table_args__ = (
        UniqueConstraint("kind", "source_id"),
        Index("ix_search_entries_terms", "terms", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int] = mapped_column(Integer)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    # A message's number in its thread (for its page and anchor).
    number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    # Where it sits, in words: the meeting of an agenda item, action or minutes.
    context: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
