"""A steering committee meeting of a plan and the action items it gave out (each followed as a change task)."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Date, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, Versioned

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.tasks.models import ChangeTask

meeting_attendees = Table(
    "meeting_attendees",
    Base.metadata,
    Column("meeting_id", ForeignKey("steering_meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class SteeringMeeting(Versioned, TimestampMixin, Base):
    """A meeting of the project leadership group. Its agenda is built from the plan's figures when the meeting
    is planned (and rebuilt on request until it is held) and kept as it was, with the minutes."""

    __tablename__ = "steering_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[str] = mapped_column(Text, default="")
    agenda_json: Mapped[str] = mapped_column(Text, default="{}")
    agenda_built_on: Mapped[date | None] = mapped_column(Date)

    attendees: Mapped[list[User]] = relationship(secondary=meeting_attendees, order_by="User.name")
    actions: Mapped[list[MeetingAction]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingAction.id")

    @property
    def agenda(self) -> dict[str, Any]:
        return json.loads(self.agenda_json or "{}")


class MeetingAction(Base):
    """An action item of a meeting, with one owner and a due date, followed as a change task."""

    __tablename__ = "meeting_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("steering_meetings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[date] = mapped_column(Date)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("change_tasks.id", ondelete="SET NULL"))

    meeting: Mapped[SteeringMeeting] = relationship(back_populates="actions")
    owner: Mapped[User | None] = relationship()
    task: Mapped[ChangeTask | None] = relationship()
