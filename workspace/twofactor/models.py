"""A person's second factor: the TOTP secret (encrypted) and the single-use recovery codes."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from workspace.clock import UTCDateTime, utcnow
from workspace.extensions import db


class TwoFactor(db.Model):
    """One row per person who has started enrolment.

    ``secret`` is the confirmed secret (None until the first correct code); ``pending_secret``
    the one being enrolled, which replaces it only once a code made with it is typed, so that
    re-enrolling never leaves the person without a working factor. Both are AES-256-GCM
    ciphertexts bound to the person's id (``g1:`` and the URL-safe base64 of nonce, ciphertext
    and tag: 83 characters for pyotp's 32-character secrets; see service._encrypt).
    ``last_step`` is the newest TOTP time step accepted: a code is never accepted twice.
    """

    __tablename__ = "two_factors"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str | None] = mapped_column(String(255))
    pending_secret: Mapped[str | None] = mapped_column(String(255))
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def enabled(self) -> bool:
        return self.secret is not None and self.enabled_at is not None


class RecoveryCode(db.Model):
    """A code for signing in without the phone; only its SHA-256 is kept (118 random bits)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
