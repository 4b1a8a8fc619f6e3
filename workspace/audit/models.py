"""The audit log's rows: append-only entries chained by hash, and the one-row chain head."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.accounts.models import User
from workspace.audit.chain import GENESIS_HASH as GENESIS
from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db

HEAD_ID = 1


class AuditEntry(db.Model):
    """One thing that happened: who (and their e-mail then), when (UTC), from where, to what.

    ``hash`` covers the entry's fields and ``prev_hash``, the hash of the entry before it, so
    that changing or removing a row breaks the chain (see workspace.audit.chain).
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Part of the hash: the database must never change it behind the log's back (a SET NULL
    # on deleting the account would read as tampering). People are deactivated, not deleted.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    # Copied at the time: the account may change its address or be removed later.
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[int | None]
    target_label: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # How the personal fields enter the hash (see workspace.audit.chain): a salt per field,
    # and the digests of the fields erased with a person (GDPR), whose salts are gone.
    salts: Mapped[str | None] = mapped_column(Text)
    erased: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")


class AuditChainHead(db.Model):
    """The single row every append locks first: it serialises writers and holds the last hash
    (so that removing the newest entries is detected too)."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    entry_id: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(_mapper, _connection, target) -> None:
    # The log is append-only: only workspace.audit.service.prune removes rows (in bulk, by age),
    # and only workspace.audit.service.erase_person rewrites a person's name (Core updates).
    raise RuntimeError(f"audit entry {target.id} is append-only")
