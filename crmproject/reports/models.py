"""Periodic department status reports, with revisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, UTCDateTime, Versioned
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import VALUE

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.departments.models import Department
    from crmproject.kpis.models import Kpi


class ReportStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")
    SUPERSEDED = "superseded", _l("Superseded by an amendment")


class StatusReport(Versioned, TimestampMixin, Base):
    """A department's report for one period. Submitted reports are read-only; an amendment is a new revision."""

    __tablename__ = "status_reports"
    __table_args__ = (UniqueConstraint("plan_id", "department_id", "period_start", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(default=1)
    status: Mapped[ReportStatus] = mapped_column(enum_column_type(ReportStatus), default=ReportStatus.DRAFT)
    overall_rag: Mapped[Rag | None] = mapped_column(enum_column_type(Rag))
    achievements: Mapped[str] = mapped_column(Text, default="")
    blockers: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    help_needed: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    department: Mapped[Department] = relationship()
    author: Mapped[User | None] = relationship()
    values: Mapped[list[ReportKpiValue]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportKpiValue.kpi_id"
    )


class ReportKpiValue(Base):
    """A KPI value given in a report; it becomes a measurement when the report is submitted."""

    __tablename__ = "report_kpi_values"

    report_id: Mapped[int] = mapped_column(ForeignKey("status_reports.id", ondelete="CASCADE"), primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[Decimal] = mapped_column(VALUE)

    report: Mapped[StatusReport] = relationship(back_populates="values")
    kpi: Mapped[Kpi] = relationship()
