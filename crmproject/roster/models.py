"""The employees whose CRM use is measured, and which department each belonged to when."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin

if TYPE_CHECKING:
    from crmproject.departments.models import Department


def username_key(name: str) -> str:
    """CRM user names are matched ignoring case and spaces: ' J.Smith ' is 'j.smith'."""
    return "".join(name.split()).casefold()


class Employee(TimestampMixin, Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    crm_username: Mapped[str | None] = mapped_column(String(200))
    # username_key(crm_username): what usage events are matched on
    crm_username_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"), index=True)
    job_role: Mapped[str] = mapped_column(String(200), default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)

    department: Mapped[Department | None] = relationship()
    department_history: Mapped[list[EmployeeDepartment]] = relationship(
        back_populates="employee", cascade="all, delete-orphan", order_by="EmployeeDepartment.valid_from"
    )


class EmployeeDepartment(Base):
    """An employee belonged to a department from valid_from to valid_to (open while current)."""

    __tablename__ = "employee_departments"
    __table_args__ = (Index("ix_employee_departments_employee_from", "employee_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    employee: Mapped[Employee] = relationship(back_populates="department_history")
    department: Mapped[Department] = relationship()
