"""Activity: the events worth knowing in a group, each recorded once by the service that made it.

An event is a row written in the same transaction as the change it tells about, so the feed
never has to be reconstructed by querying every table, and never shows a change that was
rolled back. It keeps what the feed shows (titles, summary, size) as they were at that moment,
and the keys needed to link to the exact diff, message or meeting.
"""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.accounts.models import User
from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db
from workspace.groups.models import Group


class EventKind(enum.StrEnum):
    DOCUMENT_CREATED = "document.created"
    REVISION_SAVED = "revision.saved"
    REVISION_RESTORED = "revision.restored"
    DOCUMENT_APPROVED = "document.approved"
    THREAD_OPENED = "thread.opened"
    MESSAGE_POSTED = "message.posted"
    MEETING_SCHEDULED = "meeting.scheduled"
    MEETING_CANCELLED = "meeting.cancelled"
    MINUTES_EDITED = "minutes.edited"
    MINUTES_CIRCULATED = "minutes.circulated"
    MINUTES_APPROVED = "minutes.approved"
    ACTION_ASSIGNED = "action.assigned"
    ACTION_CLOSED = "action.closed"
    MEMBER_ADDED = "member.added"
    MEMBER_REMOVED = "member.removed"


class Event(db.Model):
    __tablename__ = "activity_events"
    __table_args__ = (
        # The feed of one group, newest first, paginated by key.
        Index("ix_activity_events_group_id_id", "group_id", "id"),
        Index("ix_activity_events_meeting_id_id", "meeting_id", "id"),
        Index("ix_activity_events_actor_id_id", "actor_id", "id"),
        # A message edited or withdrawn finds its events (and a thread deleted, its own).
        Index("ix_activity_events_thread_id_message_number", "thread_id", "message_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The actor's service when it happened: the feed filters by service.
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    # What it is about; only the keys that apply are set.
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    revision_number: Mapped[int | None] = mapped_column(Integer)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    message_number: Mapped[int | None] = mapped_column(Integer)
    # Set for everything of a meeting (its minutes and actions too): an external participant
    # who is not a member of the group sees the events of the joint meetings they are in.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_items.id", ondelete="SET NULL"), index=True
    )
    # The person the event is about (a member added or removed, an action's owner).
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # As they were then: the title of the thing, the author's summary or an excerpt.
    title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    # Characters added (positive) or removed (negative) by a revision.
    size_change: Mapped[int | None] = mapped_column(Integer)

    group: Mapped[Group] = relationship(lazy="joined")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id], lazy="joined")


class GroupVisit(db.Model):
    """When a person last opened a group's page: what is new is what came after their
    previous visit (``previous_at``), which stays put while they move around the group."""

    __tablename__ = "group_visits"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    previous_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WeeklySummary(db.Model):
    """Who asked for the weekly mail of what changed in their groups, and when it last went."""

    __tablename__ = "weekly_summaries"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=False)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
