"""A named baseline of a plan ("approved plan", "after the pilot"): its phase, wave and task dates and its KPI
targets as they were when it was saved. A baseline is never edited; a new one is saved instead."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, UTCDateTime, utcnow
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from crmproject.auth.models import User


class BaselineItemKind(LabelledEnum):
    PHASE = "phase", _l("Phase")
    WAVE = "wave", _l("Wave")
    TASK = "task", _l("Change task")
    KPI = "kpi", _l("KPI")


class PlanBaseline(Base):
    __tablename__ = "plan_baselines"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    saved_by: Mapped[User | None] = relationship()
    items: Mapped[list[BaselineItem]] = relationship(back_populates="baseline", cascade="all, delete-orphan")


class BaselineItem(Base):
    """One object as it stood: a phase's start and end, a wave's go-live (end), a task's start and due date
    (end), a KPI's target date (end) and value. `object_id` is the object's id, unchecked: the object may be
    deleted later, and the comparison then says it was removed."""

    __tablename__ = "baseline_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    baseline_id: Mapped[int] = mapped_column(ForeignKey("plan_baselines.id", ondelete="CASCADE"), index=True)
    kind: Mapped[BaselineItemKind] = mapped_column(enum_column_type(BaselineItemKind))
    object_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))

    baseline: Mapped[PlanBaseline] = relationship(back_populates="items")
