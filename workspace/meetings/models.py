"""Meetings of a group: series, agenda, attendance, minutes, decisions and actions.

A recurring series is stored as an RFC 5545 rule and materialised as one ``Meeting`` per
occurrence, because each occurrence has its own agenda, attendance and minutes; moving or
cancelling one changes that row only. The minutes are a ``Document`` of kind "minutes"
(workspace.documents), so that they have the documents' history, compare, attribution,
merge, drafts and presence; their lifecycle (draft, circulated, approved) lives here.
"""

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.accounts.models import User
from workspace.clock import UTCDateTime, utcnow
from workspace.documents.models import Document
from workspace.extensions import db
from workspace.groups.models import Group


def _enum(kind):
    return Enum(kind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class MinutesStatus(enum.StrEnum):
    DRAFT = "draft"
    CIRCULATED = "circulated"  # "in visione ai partecipanti", open for comments
    APPROVED = "approved"  # locked: a change is a correction with a reason


class Attendance(enum.StrEnum):
    INVITED = "invited"  # not recorded yet
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class MeetingSeries(db.Model):
    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    # RFC 5545, without DTSTART: e.g. FREQ=MONTHLY;BYDAY=2TU;COUNT=12
    rule: Mapped[str] = mapped_column(String(300))
    # The first meeting in Rome's wall-clock time (naive): every occurrence keeps its time.
    first_local: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Meeting(db.Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_series.id", ondelete="SET NULL"), index=True
    )
    # For a meeting of a series: when the rule put it (Rome, naive), even after it was moved.
    occurrence_local: Mapped[datetime | None]
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    # Joint with the foster-care coordination: external participants may be invited, and
    # see this meeting (and nothing else of the group).
    is_joint: Mapped[bool] = mapped_column(default=False)
    moved: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    # Bumped on every change of the details, for the calendar (SEQUENCE) and for edits.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    minutes_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), unique=True
    )
    minutes_status: Mapped[MinutesStatus] = mapped_column(
        _enum(MinutesStatus), default=MinutesStatus.DRAFT
    )
    circulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The meeting at which the minutes were approved (usually the next one).
    approved_at_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL")
    )
    approved_revision: Mapped[int | None] = mapped_column(Integer)

    group: Mapped[Group] = relationship()
    series: Mapped[MeetingSeries | None] = relationship()
    minutes: Mapped[Document | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    approved_at_meeting: Mapped["Meeting | None"] = relationship(
        remote_side=[id], foreign_keys=[approved_at_meeting_id]
    )
    participants: Mapped[list["Participant"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    guests: Mapped[list["Guest"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Guest.id"
    )
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="AgendaItem.position",
        foreign_keys="AgendaItem.meeting_id",
    )

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def minutes_locked(self) -> bool:
        return self.minutes_status == MinutesStatus.APPROVED


class Participant(db.Model):
    """An invited person with an account, and whether they came."""

    __tablename__ = "meeting_participants"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    attendance: Mapped[Attendance] = mapped_column(_enum(Attendance), default=Attendance.INVITED)

    meeting: Mapped[Meeting] = relationship(back_populates="participants")
    user: Mapped[User] = relationship(lazy="joined")


class Guest(db.Model):
    """Someone present without an account: a name and the organisation they came for."""

    __tablename__ = "meeting_guests"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(200), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="guests")


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not reached: carried to the next meeting of the series (this item stays, marked).
    carried_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL")
    )
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL")
    )

    meeting: Mapped[Meeting] = relationship(back_populates="items", foreign_keys=[meeting_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    carried_to: Mapped[Meeting | None] = relationship(foreign_keys=[carried_to_id])
    carried_from: Mapped[Meeting | None] = relationship(foreign_keys=[carried_from_id])


class Decision(db.Model):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    # "Linee guida approvate, versione 14": the document then shows the meeting.
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    revision_number: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    item: Mapped[AgendaItem] = relationship()
    document: Mapped[Document | None] = relationship()


class ActionItem(db.Model):
    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus), default=ActionStatus.OPEN)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closing_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    item: Mapped[AgendaItem | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])


class CalendarFeed(db.Model):
    """A person's secret calendar address; only the hash of its token is stored. Revoking
    replaces the row, so the old address stops working at once."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MinutesComment(db.Model):
    """A remark on the minutes while they are in view: plain text, kept after the approval
    with the minutes' history. Changes go in the text itself; a comment says what to change."""

    __tablename__ = "minutes_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")
