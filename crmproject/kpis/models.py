"""KPIs of a plan: quantified goals with a baseline and a target, and their measurements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, Versioned
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.departments.models import Department
    from crmproject.plans.models import Phase, Plan

VALUE = Numeric(18, 4)


class GoalFamily(LabelledEnum):
    """The texts' three goal families, Gartner's metrics block, and the rollout's own measures."""

    PROSPECTS = "prospects", _l("Find prospects and new markets")
    EFFICIENCY = "efficiency", _l("Efficiency and lower cost")
    SATISFACTION = "satisfaction", _l("Customer satisfaction and loyalty")
    ADOPTION = "adoption", _l("CRM adoption")
    DATA_QUALITY = "data_quality", _l("Data quality")
    VALUE = "value", _l("Customer value")
    RETENTION = "retention", _l("Retention")
    LOYALTY = "loyalty", _l("Loyalty")
    COST_TO_SERVE = "cost_to_serve", _l("Cost to serve")


class Direction(LabelledEnum):
    HIGHER = "higher", _l("Higher is better")
    LOWER = "lower", _l("Lower is better")


class Frequency(LabelledEnum):
    WEEKLY = "weekly", _l("Weekly")
    MONTHLY = "monthly", _l("Monthly")
    QUARTERLY = "quarterly", _l("Quarterly")


class Kpi(Versioned, TimestampMixin, Base):
    __tablename__ = "kpis"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    goal_family: Mapped[GoalFamily] = mapped_column(enum_column_type(GoalFamily))
    unit: Mapped[str] = mapped_column(String(30), default="")
    direction: Mapped[Direction] = mapped_column(enum_column_type(Direction), default=Direction.HIGHER)
    baseline_value: Mapped[Decimal] = mapped_column(VALUE)
    baseline_date: Mapped[date] = mapped_column(Date)
    target_value: Mapped[Decimal] = mapped_column(VALUE)
    target_date: Mapped[date] = mapped_column(Date)
    # None: the whole plan (measured per department where departments report it)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    frequency: Mapped[Frequency] = mapped_column(enum_column_type(Frequency), default=Frequency.MONTHLY)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # red below red_threshold % of the expected progress, amber below amber_threshold %, else green
    red_threshold: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("60"))
    amber_threshold: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("80"))

    plan: Mapped[Plan] = relationship()
    department: Mapped[Department | None] = relationship()
    owner: Mapped[User | None] = relationship()
    targets: Mapped[list[KpiTarget]] = relationship(
        back_populates="kpi", cascade="all, delete-orphan", order_by="KpiTarget.target_date"
    )


class KpiTarget(Base):
    """An intermediate target: the value the KPI should reach by a date (often a phase's end)."""

    __tablename__ = "kpi_targets"
    __table_args__ = (UniqueConstraint("kpi_id", "target_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), index=True)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phases.id", ondelete="SET NULL"))
    target_date: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(VALUE)

    kpi: Mapped[Kpi] = relationship(back_populates="targets")
    phase: Mapped[Phase | None] = relationship()


class KpiMeasurement(TimestampMixin, Base):
    """A value of a KPI on a date, for one department or for the whole plan (department None)."""

    __tablename__ = "kpi_measurements"
    __table_args__ = (UniqueConstraint("kpi_id", "department_id", "measured_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    measured_on: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(VALUE)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    kpi: Mapped[Kpi] = relationship()
    department: Mapped[Department | None] = relationship()
    entered_by: Mapped[User | None] = relationship()
