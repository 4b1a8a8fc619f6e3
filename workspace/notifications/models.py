"""Notifications: what a person should know about, what they follow or mute, how they get mail."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.accounts.models import User
from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db


class Kind(enum.StrEnum):
    MENTION = "mention"
    REPLY = "reply"  # a reply in a followed thread
    NEW_THREAD = "new_thread"  # a new thread in a watched group
    DOCUMENT = "document"  # later events from documents (revision approved, ...)
    MEETING = "meeting"  # and from meetings


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    excerpt: Mapped[str] = mapped_column(String(500), default="")
    url: Mapped[str] = mapped_column(String(500))  # a path inside Tavolo
    # What it is about ("message:12"): withdrawing the message retracts its notifications.
    source: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")


class Target(enum.StrEnum):
    THREAD = "thread"
    GROUP = "group"


class State(enum.StrEnum):
    FOLLOW = "follow"
    MUTE = "mute"


class Subscription(db.Model):
    """A person following or muting a thread or a group."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "target", "target_id"),
        Index("ix_subscriptions_target", "target", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int]
    state: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    NEVER = "never"


class MailPreference(db.Model):
    """How a person wants notifications by mail; the token lets a mail's link change it."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(10), default=MailMode.IMMEDIATE)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
