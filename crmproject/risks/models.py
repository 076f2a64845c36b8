"""A plan's risks: what may make the rollout fail, how likely and how bad, who owns it, what is done about it
(the change tasks that mitigate it) and when it is looked at again. Every plan starts with the failure factors
the source texts name (crmproject.risks.catalogue); a risk's `factor` is the catalogue's key."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, UTCDateTime, Versioned
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.departments.models import Department
    from crmproject.tasks.models import ChangeTask


class RiskStatus(LabelledEnum):
    OPEN = "open", _l("Open")
    MITIGATING = "mitigating", _l("Being mitigated")
    CLOSED = "closed", _l("Closed")

    @property
    def is_closed(self) -> bool:
        return self is RiskStatus.CLOSED


# A risk's mitigations that are change tasks: the work is followed on the task list and the board.
risk_tasks = Table(
    "risk_tasks", Base.metadata,
    Column("risk_id", ForeignKey("risks.id", ondelete="CASCADE"), primary_key=True),
    Column("task_id", ForeignKey("change_tasks.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Risk(Versioned, TimestampMixin, Base):
    """One risk of a plan: plan-wide, or of one department. Its score is likelihood x impact (1-25); the
    indicators (crmproject.risks.indicators) may raise the likelihood from the plan's figures."""

    __tablename__ = "risks"
    __table_args__ = (
        UniqueConstraint("plan_id", "factor"),  # a catalogue factor once per plan; custom risks have none
        CheckConstraint("likelihood BETWEEN 1 AND 5", name="likelihood_range"),
        CheckConstraint("impact BETWEEN 1 AND 5", name="impact_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    factor: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    mitigations: Mapped[str] = mapped_column(Text, default="")  # the typical mitigations, in words
    likelihood: Mapped[int] = mapped_column(default=3)
    impact: Mapped[int] = mapped_column(default=3)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[RiskStatus] = mapped_column(enum_column_type(RiskStatus), default=RiskStatus.OPEN, index=True)
    review_date: Mapped[date | None] = mapped_column(Date)
    closed_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    department: Mapped[Department | None] = relationship()
    owner: Mapped[User | None] = relationship()
    tasks: Mapped[list[ChangeTask]] = relationship(secondary=risk_tasks, order_by="ChangeTask.id")

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def is_open(self) -> bool:
        return not self.status.is_closed

    def review_overdue(self, today: date) -> bool:
        return self.is_open and self.review_date is not None and self.review_date < today
