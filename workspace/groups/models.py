"""Working groups (the spaces of Tavolo) and who belongs to them, with which role."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.accounts.models import User
from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db


class GroupRole(enum.StrEnum):
    """A person's role in one group; in this order in the forms (the usual one first)."""

    MEMBER = "member"
    LEAD = "lead"


class Group(db.Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    purpose: Mapped[str] = mapped_column(Text, default="")
    # A joint group works with the foster-care coordination ("Incontro congiunto").
    is_joint: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Group {self.slug}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[GroupRole] = mapped_column(
        Enum(
            GroupRole, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        ),
        default=GroupRole.MEMBER,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_lead(self) -> bool:
        return self.role == GroupRole.LEAD
