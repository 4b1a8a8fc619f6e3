"""The network: the Spazio Neutro services that belong to the coordination table."""

import enum
from datetime import datetime

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db


class Scope(enum.StrEnum):
    PROVINCIAL = "provincial"
    EXTRA_PROVINCIAL = "extra_provincial"


class Service(db.Model):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "Servizio di riferimento": not unique on its own (one cooperative runs several districts).
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(120))
    health_authority: Mapped[str | None] = mapped_column(String(80))
    scope: Mapped[Scope] = mapped_column(
        Enum(Scope, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.district})"

    def __repr__(self) -> str:
        return f"<Service {self.id} {self.label}>"
