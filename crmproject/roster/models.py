"""The employees whose CRM use is measured, which department each belonged to when, and the CRM accounts
that are not people (service and integration accounts, kept out of adoption)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import re

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, Versioned

if TYPE_CHECKING:
    from crmproject.departments.models import Department


def username_key(name: str) -> str:
    """CRM user names are matched ignoring case and spaces: ' J.Smith ' is 'j.smith'."""
    return "".join(name.split()).casefold()


_SALESFORCE_ID = re.compile(r"[0-9A-Za-z]{18}")
_GUID = re.compile(r"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?")


def user_id_key(user_id: str) -> str:
    """CRM user ids are matched as the CRM means them.

    A Salesforce id of 18 characters is the 15-character id (case-sensitive)
    followed by a 3-character checksum: both forms of one user give the
    15-character id, case kept. A GUID (Dynamics, SuiteCRM) ignores case and
    braces. Any other id is matched as written, spaces removed.
    """
    text = "".join(user_id.split())
    if _SALESFORCE_ID.fullmatch(text):
        return text[:15]
    if _GUID.fullmatch(text):
        return text.strip("{}").casefold()
    return text


class Employee(TimestampMixin, Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    crm_username: Mapped[str | None] = mapped_column(String(200))
    # username_key(crm_username): what usage events are matched on
    crm_username_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # the person's user id in the CRM (a Salesforce 005... id), for exports that give no user name
    crm_user_id: Mapped[str | None] = mapped_column(String(100))
    # user_id_key(crm_user_id): what events without a user name are matched on
    crm_user_id_key: Mapped[str | None] = mapped_column(String(100), unique=True)
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


class ExcludedAccounts(Versioned, TimestampMixin, Base):
    """Which CRM accounts are not people: their events are kept out of adoption (one row, the whole site's rule).

    `patterns` holds one pattern a line, matched on the user name or the
    user id of an event (* for any text, letter case ignored); with
    `vendor_markers`, what the export itself says marks an account as a
    service (Salesforce user type Automated Process, Dynamics SYSTEM...)
    counts too. crmproject/adoption/usage_accounts.py applies the rule.
    """

    __tablename__ = "excluded_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    patterns: Mapped[str] = mapped_column(Text, default="")
    vendor_markers: Mapped[bool] = mapped_column(Boolean, default=True)
