"""The programme's budget (lines, each with planned and actual costs per month) and the money value of each
KPI's improvement. The plan's currency is Plan.currency."""

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
    from crmproject.kpis.models import Kpi

MONEY = Numeric(14, 2)


class CostCategory(LabelledEnum):
    LICENCES = "licences", _l("Licences and subscriptions")
    PARTNER = "partner", _l("Implementation partner")
    STAFF = "staff", _l("Internal staff")
    INTEGRATION = "integration", _l("Integration and data migration")
    INFRASTRUCTURE = "infrastructure", _l("Hardware and infrastructure")
    TRAINING = "training", _l("Training")
    CHANGE = "change", _l("Change management and communication")
    OTHER = "other", _l("Other")


class BudgetLine(Versioned, TimestampMixin, Base):
    """One line of the programme budget ("CRM licences", "Partner: configuration")."""

    __tablename__ = "budget_lines"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[CostCategory] = mapped_column(enum_column_type(CostCategory), default=CostCategory.OTHER)
    notes: Mapped[str] = mapped_column(Text, default="")

    months: Mapped[list[BudgetMonth]] = relationship(back_populates="line", cascade="all, delete-orphan",
                                                     order_by="BudgetMonth.month")


class BudgetMonth(Base):
    """A budget line's planned and actual cost in one month (`month` is its first day). Empty is not zero:
    an actual left empty is not booked yet."""

    __tablename__ = "budget_months"
    __table_args__ = (UniqueConstraint("line_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id", ondelete="CASCADE"), index=True)
    month: Mapped[date] = mapped_column(Date)
    planned: Mapped[Decimal | None] = mapped_column(MONEY)
    actual: Mapped[Decimal | None] = mapped_column(MONEY)

    line: Mapped[BudgetLine] = relationship(back_populates="months")


class KpiBenefit(Versioned, Base):
    """What one unit of a KPI's improvement is worth per month, in the plan's currency: +1 point of win rate is
    worth 4,000 a month, one day less of sales cycle 2,500."""

    __tablename__ = "kpi_benefits"

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), unique=True)
    value_per_unit: Mapped[Decimal] = mapped_column(MONEY)
    note: Mapped[str] = mapped_column(Text, default="")

    kpi: Mapped[Kpi] = relationship()
