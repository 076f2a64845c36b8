"""Rollout plans: a plan, its ordered phases, and the waves that take CRM modules live in departments."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, Versioned
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.departments.models import Department


class PhaseStatus(LabelledEnum):
    PLANNED = "planned", _l("Planned")
    IN_PROGRESS = "in_progress", _l("In progress")
    AT_RISK = "at_risk", _l("At risk")
    COMPLETED = "completed", _l("Completed")
    ON_HOLD = "on_hold", _l("On hold")


class WaveKind(LabelledEnum):
    PILOT = "pilot", _l("Pilot")
    WAVE = "wave", _l("Wave")
    ENTERPRISE = "enterprise", _l("Enterprise")


class ReportingPeriod(LabelledEnum):
    WEEKLY = "weekly", _l("Weekly")
    BIWEEKLY = "biweekly", _l("Every two weeks")
    MONTHLY = "monthly", _l("Monthly")


class CrmModule(Base):
    """A CRM module or functional area a wave brings (SFA, MA, CSS, ...)."""

    __tablename__ = "crm_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class Plan(Versioned, TimestampMixin, Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    vision: Mapped[str] = mapped_column(Text, default="")
    horizon_years: Mapped[int] = mapped_column(default=3)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    template_key: Mapped[str | None] = mapped_column(String(100))
    # Set by a loader that must find its plan again under any name (the demo); never shown or edited.
    seed_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    # naive timestamps in usage exports are read in this zone (an IANA name such as Europe/Moscow)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # ISO 4217 code of the programme's costs and benefits (crmproject.business_case sets it)
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    reporting_period: Mapped[ReportingPeriod] = mapped_column(
        enum_column_type(ReportingPeriod), default=ReportingPeriod.MONTHLY, server_default=ReportingPeriod.MONTHLY.value
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship()
    phases: Mapped[list[Phase]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Phase.position"
    )
    waves: Mapped[list[Wave]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Wave.position"
    )


class Phase(Versioned, Base):
    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[PhaseStatus] = mapped_column(enum_column_type(PhaseStatus), default=PhaseStatus.PLANNED)
    exit_criteria: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[Plan] = relationship(back_populates="phases")


wave_modules = Table(
    "wave_modules",
    Base.metadata,
    Column("wave_id", ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True),
    Column("crm_module_id", ForeignKey("crm_modules.id", ondelete="CASCADE"), primary_key=True),
)


class Wave(Versioned, Base):
    """A group of departments that go live together; position 1 is the pilot."""

    __tablename__ = "waves"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[WaveKind] = mapped_column(enum_column_type(WaveKind), default=WaveKind.WAVE)
    go_live_date: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[Plan] = relationship(back_populates="waves")
    modules: Mapped[list[CrmModule]] = relationship(secondary=wave_modules, order_by="CrmModule.code")
    assignments: Mapped[list[WaveDepartment]] = relationship(
        back_populates="wave", cascade="all, delete-orphan"
    )

    @property
    def departments(self) -> list[Department]:
        return sorted((a.department for a in self.assignments), key=lambda d: d.name)


class WaveDepartment(Base):
    """A department's place in one wave. plan_id is repeated so the database
    itself refuses a department in two waves of one plan."""

    __tablename__ = "wave_departments"
    __table_args__ = (UniqueConstraint("plan_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)

    wave: Mapped[Wave] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship()
