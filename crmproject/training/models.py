"""Training: courses, sessions and who is enrolled in what."""

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
    from crmproject.plans.models import CrmModule
    from crmproject.roster.models import Employee


class EnrolmentStatus(LabelledEnum):
    NOT_STARTED = "not_started", _l("Not started")
    IN_PROGRESS = "in_progress", _l("In progress")
    COMPLETED = "completed", _l("Completed")
    WAIVED = "waived", _l("Waived")
    NOT_APPLICABLE = "not_applicable", _l("Not applicable")
    # left after the course started (a drop-out): counted apart, so drop-outs are visible and do not
    # pass for people who have yet to start
    WITHDRAWN = "withdrawn", _l("Withdrawn")

    @property
    def counts(self) -> bool:
        """Waived, not applicable and withdrawn leave the denominator of completion."""
        return self not in (EnrolmentStatus.WAIVED, EnrolmentStatus.NOT_APPLICABLE, EnrolmentStatus.WITHDRAWN)


class Course(Versioned, TimestampMixin, Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    crm_module_id: Mapped[int | None] = mapped_column(ForeignKey("crm_modules.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(200), default="")
    mandatory: Mapped[bool] = mapped_column(default=False)
    length_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    # months a completion stays valid (a certification to renew); None: it never expires
    validity_months: Mapped[int | None] = mapped_column()
    description: Mapped[str] = mapped_column(Text, default="")

    crm_module: Mapped[CrmModule | None] = relationship()
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="TrainingSession.day"
    )


class TrainingSession(Versioned, Base):
    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    trainer: Mapped[str] = mapped_column(String(200), default="")
    location: Mapped[str] = mapped_column(String(300), default="")  # a room or a link
    capacity: Mapped[int | None] = mapped_column()

    course: Mapped[Course] = relationship(back_populates="sessions")


class Enrolment(Versioned, TimestampMixin, Base):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("employee_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id", ondelete="SET NULL"))
    status: Mapped[EnrolmentStatus] = mapped_column(enum_column_type(EnrolmentStatus), default=EnrolmentStatus.NOT_STARTED)
    completed_on: Mapped[date | None] = mapped_column(Date)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))

    employee: Mapped[Employee] = relationship()
    course: Mapped[Course] = relationship()
    session: Mapped[TrainingSession | None] = relationship()
