"""How hard the rollout hits each department: for every CRM module its wave brings, a rating from 1 (hardly
changes) to 5 (changes completely) of its processes, its tools and its people's roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, SmallInteger, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, Versioned

if TYPE_CHECKING:
    from crmproject.departments.models import Department
    from crmproject.plans.models import CrmModule

DIMENSIONS = ("processes", "tools", "roles")


class ImpactRating(Versioned, TimestampMixin, Base):
    """One cell of a plan's impact grid: a department against one module of its wave."""

    __tablename__ = "impact_ratings"
    __table_args__ = (UniqueConstraint("plan_id", "department_id", "crm_module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    crm_module_id: Mapped[int] = mapped_column(ForeignKey("crm_modules.id", ondelete="CASCADE"), index=True)
    processes: Mapped[int] = mapped_column(SmallInteger)
    tools: Mapped[int] = mapped_column(SmallInteger)
    roles: Mapped[int] = mapped_column(SmallInteger)
    note: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship()
    crm_module: Mapped[CrmModule] = relationship()

    @property
    def level(self) -> int:
        """The cell's impact: the highest of its three dimensions (one thing changing completely is enough to hurt)."""
        return max(self.processes, self.tools, self.roles)
