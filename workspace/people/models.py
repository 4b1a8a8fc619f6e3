"""What the table knows about a person besides sign-in: role, service, contacts, language."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.accounts.models import User
from workspace.clock import UTCDateTime
from workspace.directory.models import Service
from workspace.extensions import db


class Role(enum.StrEnum):
    """A person's role at the table (roles inside a group are on the membership)."""

    COORDINATOR = "coordinator"
    OPERATOR = "operator"
    EXTERNAL = "external"


class Profile(db.Model):
    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.OPERATOR,
    )
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    # For external participants: the coordination they come from ("Coordinamento affidi").
    organisation: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(5), default="it")
    # Set when a coordinator erased the person (workspace.people.erasure): the account stays,
    # under a neutral label, so that their contributions keep an author.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(
        backref=db.backref("profile", uselist=False, lazy="joined", cascade="all, delete-orphan")
    )
    service: Mapped[Service | None] = relationship(lazy="joined")

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def is_external(self) -> bool:
        return self.role == Role.EXTERNAL

    @property
    def affiliation(self) -> str:
        """Where the person comes from, as shown next to their name."""
        if self.service is not None:
            return self.service.label
        return self.organisation or ""
