"""Departments of the organisation that the CRM is rolled out to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, Versioned

if TYPE_CHECKING:
    from crmproject.auth.models import User


class Department(Versioned, TimestampMixin, Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    headcount: Mapped[int] = mapped_column(default=0)
    licensed_seats: Mapped[int] = mapped_column(default=0)

    members: Mapped[list[User]] = relationship(back_populates="department", foreign_keys="User.department_id")
    heads: Mapped[list[User]] = relationship(
        primaryjoin="and_(User.department_id == Department.id, User.role == 'department_head', User.active)",
        viewonly=True,
        order_by="User.name",
    )

    def __repr__(self) -> str:
        return f"<Department {self.code}>"
