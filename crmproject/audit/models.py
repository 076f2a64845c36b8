"""The audit trail's one table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.auth.models import User
from crmproject.db import Base, UTCDateTime, utcnow
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

EntryId = BigInteger().with_variant(Integer(), "sqlite")


class AuditAction(LabelledEnum):
    CREATE = "create", _l("Created")
    UPDATE = "update", _l("Changed")
    DELETE = "delete", _l("Deleted")
    BULK_INSERT = "bulk_insert", _l("Added in bulk")
    LOGIN = "login", _l("Logged in")
    LOGIN_FAILED = "login_failed", _l("Failed login")
    LOGOUT = "logout", _l("Logged out")
    REFUSED = "refused", _l("Refused: no permission")
    EXPORT = "export", _l("Exported")
    PRUNE = "prune", _l("Old entries removed")


CHANGES = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE, AuditAction.BULK_INSERT)


class AuditSource(LabelledEnum):
    WEB = "web", _l("web")
    CLI = "cli", _l("command line")
    JOB = "job", _l("background job")
    SYSTEM = "system", _l("system")


class AuditEntry(Base):
    """One change of one object, or one security event.

    `changes` maps a field to {"before": value, "after": value} (only "after" when the object was created, only
    "before" when it was deleted; {"hidden": true} for a secret such as a password hash, whose values are never
    kept). Values are JSON: dates in ISO 8601, decimals as strings, enumerations by their value. Who is kept twice:
    the user's id (the account, while it exists) and their e-mail address as it was (`user_label`)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id"),
        Index("ix_audit_entries_parent", "parent_type", "parent_id"),
        Index("ix_audit_entries_user_at", "user_id", "at"),
        Index("ix_audit_entries_action_at", "action", "at"),
        Index("ix_audit_entries_plan_at", "plan_id", "at"),
    )

    id: Mapped[int] = mapped_column(EntryId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[AuditAction] = mapped_column(enum_column_type(AuditAction, 20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_label: Mapped[str] = mapped_column(String(254), default="")
    source: Mapped[AuditSource] = mapped_column(enum_column_type(AuditSource, 16), default=AuditSource.SYSTEM)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    object_label: Mapped[str] = mapped_column(String(300), default="")
    # the object a child row belongs to (a KPI's value, a wave's department), so the parent's history shows it
    parent_type: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    # the plan the object belongs to (its own plan_id, or its parent's...), for the plan's activity feed; no foreign
    # key: the trail outlives the plan
    plan_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    address: Mapped[str] = mapped_column(String(64), default="")  # the client's address, for a request
    request: Mapped[str] = mapped_column(String(500), default="")  # "POST /plans/1/edit"

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action.value} {self.object_type}:{self.object_id}>"
