"""Personal API tokens: what a script or a CRM presents instead of a password."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.auth.models import User
from crmproject.db import Base, UTCDateTime, utcnow
from crmproject.enums import LabelledEnum
from crmproject.i18n import lazy_gettext as _l


class TokenScope(LabelledEnum):
    READ = "read", _l("Read")
    WRITE = "write", _l("Write tasks, KPI values and status reports")
    INGEST = "ingest", _l("Push CRM usage events")


class ApiToken(Base):
    """One personal token. Only the SHA-256 of its secret is kept (the token is shown once, when made); its
    first characters (`prefix`) tell the owner which token a row is without revealing it."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(64))  # space-separated TokenScope values
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"audit": "ignore"})  # each use is no change
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def scope_list(self) -> list[TokenScope]:
        return [TokenScope(s) for s in self.scopes.split()]

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
