"""A steering committee meeting of a plan and the action items it gave out (each followed as a change task)."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Date, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.dates import localised
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


def agenda_text(recorded: str) -> str:
    """A meeting's agenda as its audit history shows it: the day it was built and its items' texts, not the JSON
    it is kept in (each item's page is on the meeting's own page). Raises ValueError on a text that is not that
    JSON (the audit trail may have cut a very long one)."""
    agenda = json.loads(recorded)
    sections = agenda.get("sections", {}) if isinstance(agenda, dict) else None
    if not isinstance(sections, dict) or not all(isinstance(items, list) for items in sections.values()):
        raise ValueError("not a meeting's agenda")
    texts = [str(item.get("text", "")) for items in sections.values() for item in items if isinstance(item, dict)]
    day = agenda.get("built_on")
    day = localised(day, shown=True) if isinstance(day, str) else ""
    text = "; ".join(texts)
    return f"{day}: {text}" if day and text else (day or text)


class SteeringMeeting(Versioned, TimestampMixin, Base):
    """A meeting of the project leadership group. Its agenda is built from the plan's figures when the meeting
    is planned (and rebuilt on request until it is held) and kept as it was, with the minutes."""

    __tablename__ = "steering_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[str] = mapped_column(Text, default="")
    agenda_json: Mapped[str] = mapped_column(Text, default="{}", info={"audit_text": agenda_text})
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
