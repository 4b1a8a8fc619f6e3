"""Stored versioned texts: immutable revisions, private drafts and who is editing right now.

A ``VersionedText`` is what a document (and later a part of the minutes) points at. Its
revisions are append-only rows; each stores either a compressed snapshot or a delta against
the previous revision (see workspace.texts.storage), plus the HTML rendered once at save time.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.accounts.models import User
from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db


class VersionedText(db.Model):
    __tablename__ = "versioned_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The number of the newest revision (0: none yet). Advanced with a compare-and-set, so that
    # two saves racing on several workers can never both become the same revision.
    head: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Revision(db.Model):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("text_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    text_id: Mapped[int] = mapped_column(
        ForeignKey("versioned_texts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[str] = mapped_column(String(300), default="")
    # The revision the author started from (0 for the first); differs from number - 1 when
    # someone else saved meanwhile and the two edits were merged.
    base_number: Mapped[int] = mapped_column(Integer, default=0)
    restored_from: Mapped[int | None] = mapped_column(Integer)
    merged: Mapped[bool] = mapped_column(default=False)
    # Storage: a snapshot, or a delta against revision number - 1 within a chain that starts
    # at snapshot_number. What is stored is the text together with its rendering (the HTML
    # and the table of contents, computed once at save time), so that an edit of one
    # paragraph costs a delta of one paragraph in both, and a reader never renders.
    is_snapshot: Mapped[bool] = mapped_column(default=True)
    snapshot_number: Mapped[int]
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # At snapshots only: for each line of the text, the revision that last changed it
    # (workspace.texts.blame.encode_keys), so that attributing a revision replays at most one
    # chain instead of the whole history. Empty on snapshots stored before it existed.
    line_keys: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)  # characters of the full text
    size_change: Mapped[int] = mapped_column(Integer, default=0)
    lines_added: Mapped[int] = mapped_column(Integer, default=0)
    lines_removed: Mapped[int] = mapped_column(Integer, default=0)
    # Titles of the sections this revision changed, for the review page ("" before a heading).
    changed_sections: Mapped[list] = mapped_column(JSON, default=list)

    author: Mapped[User | None] = relationship(lazy="joined")


class Draft(db.Model):
    """The unsaved text of one person in one editor, kept server-side every few seconds.

    One per editor: each time the editor page is opened it gets a new ``editor_id`` (a random
    string sent back with every autosave and save), so two tabs, or a section edited while an
    older draft waits, never overwrite each other's text.
    """

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("text_id", "user_id", "editor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    text_id: Mapped[int] = mapped_column(
        ForeignKey("versioned_texts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[str] = mapped_column(String(32))
    section: Mapped[int | None] = mapped_column(Integer)
    base_number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Presence(db.Model):
    """Who has an editor open on a text right now, and on which section."""

    __tablename__ = "presences"
    __table_args__ = (UniqueConstraint("text_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    text_id: Mapped[int] = mapped_column(
        ForeignKey("versioned_texts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    section: Mapped[int | None] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User] = relationship(lazy="joined")


class PendingSave(db.Model):
    """Text sent to be saved when the session had expired, kept until its author signs in.

    It is not a revision and not yet anyone's draft: whoever sent it could not be identified.
    The browser that sent it holds the token (a cookie); after signing in, the same browser
    finds the text in the editor and decides whether to save it. Only text from an editor page
    Tavolo issued is kept (``editor_id`` comes from its signed token), one per editor page:
    the newest. Pruned after a week.
    """

    __tablename__ = "pending_saves"
    __table_args__ = (UniqueConstraint("text_id", "editor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), index=True)
    editor_id: Mapped[str] = mapped_column(String(32))
    text_id: Mapped[int] = mapped_column(
        ForeignKey("versioned_texts.id", ondelete="CASCADE"), index=True
    )
    section: Mapped[int | None] = mapped_column(Integer)
    base_number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
