"""What each user was told (a notification: one event, once) and how each user wants to be told, per kind.

A notification row is the "already sent" record too: (user, kind, event key) is unique, so a second `notify send`
(or two at once, on another host) cannot record the same event again, and only the run whose insert won sends its
e-mail. The rows and their read marks are bookkeeping, left out of the audit trail (`__audit__ = False`); a
preference is the user's own choice, recorded there like any change a user makes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.auth.models import User
from crmproject.db import Base, UTCDateTime, utcnow
from crmproject.notifications.kinds import Channel, EmailStatus, Kind
from crmproject.enums import enum_column_type


class Notification(Base):
    """One event told to one user: in the application (`in_app`), by e-mail (`email_status`), or neither (the user
    wants none of this kind: the row only says the event was handled, so choosing it later does not bring back
    old events)."""

    __tablename__ = "notifications"
    __audit__ = False  # bookkeeping: what was sent and read
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "event_key", name="uq_notifications_user_kind_event"),
        # the header's unread count and the list, newest first
        Index("ix_notifications_user_unread", "user_id", "in_app", "read_at"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_email_status", "email_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(enum_column_type(Kind, 32))
    # what happened, so the same event is never told twice: "report:1:7:2026-11-01", "task:12:overdue:2026-12-01"
    event_key: Mapped[str] = mapped_column(String(200))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    # what the message says, as values (names, ISO dates, figures): the text is written in each reader's language
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(500), default="")  # the object's page, an address inside the app
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    in_app: Mapped[bool] = mapped_column(default=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_status: Mapped[EmailStatus] = mapped_column(enum_column_type(EmailStatus, 16), default=EmailStatus.NONE)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind.value} {self.event_key} to {self.user_id}>"


class NotificationPreference(Base):
    """How one user wants one kind of notification (a kind without a row: its default, kinds.DEFAULTS)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_preferences_user_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[Kind] = mapped_column(enum_column_type(Kind, 32))
    channel: Mapped[Channel] = mapped_column(enum_column_type(Channel, 16))
