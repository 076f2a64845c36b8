"""The project team of a plan: role seats, who held them when, and the RACI matrix."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, Versioned
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.departments.models import Department
    from crmproject.plans.models import CrmModule, Phase, Plan


class TeamRoleKind(LabelledEnum):
    """The role kinds the texts name for a CRM project team."""

    EXECUTIVE_SPONSOR = "executive_sponsor", _l("Executive sponsor")
    STEERING_COMMITTEE = "steering_committee", _l("Steering committee member")
    PROJECT_MANAGER = "project_manager", _l("Project manager")
    MODULE_LEAD = "module_lead", _l("Module lead")
    TECHNICAL_SUPPORT = "technical_support", _l("Technical support")
    IMPLEMENTATION_PARTNER = "implementation_partner", _l("External implementation partner")
    KEY_USER = "key_user", _l("Key user")
    IT = "it", _l("IT")


class RaciCode(LabelledEnum):
    RESPONSIBLE = "R", _l("Responsible: does the work")
    ACCOUNTABLE = "A", _l("Accountable: owns the result, exactly one")
    CONSULTED = "C", _l("Consulted: asked before")
    INFORMED = "I", _l("Informed: told after")


class TeamRole(Versioned, TimestampMixin, Base):
    """A seat on the project team; people come and go, the seat stays."""

    __tablename__ = "team_roles"
    __table_args__ = (UniqueConstraint("plan_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TeamRoleKind] = mapped_column(enum_column_type(TeamRoleKind))
    title: Mapped[str] = mapped_column(String(200))
    crm_module_id: Mapped[int | None] = mapped_column(ForeignKey("crm_modules.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    required: Mapped[bool] = mapped_column(default=True)
    responsibilities: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    plan: Mapped[Plan] = relationship()
    crm_module: Mapped[CrmModule | None] = relationship()
    department: Mapped[Department | None] = relationship()
    assignments: Mapped[list[TeamAssignment]] = relationship(
        back_populates="team_role", cascade="all, delete-orphan", order_by="TeamAssignment.start_date"
    )

    def holder_on(self, day: date) -> TeamAssignment | None:
        return next((a for a in self.assignments if a.covers(day)), None)


class TeamAssignment(TimestampMixin, Base):
    """Someone held a team role from start_date to end_date (open-ended while current)."""

    __tablename__ = "team_assignments"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR person_name <> ''", name="holder_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_role_id: Mapped[int] = mapped_column(ForeignKey("team_roles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    person_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    team_role: Mapped[TeamRole] = relationship(back_populates="assignments")
    user: Mapped[User | None] = relationship()

    @property
    def holder_name(self) -> str:
        return self.user.name if self.user is not None else self.person_name

    @property
    def is_outside_person(self) -> bool:
        return self.user_id is None

    def covers(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class Deliverable(Versioned, Base):
    """A deliverable or workstream of a plan: a row of the RACI matrix."""

    __tablename__ = "deliverables"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phases.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    phase: Mapped[Phase | None] = relationship()
    raci: Mapped[list[RaciAssignment]] = relationship(back_populates="deliverable", cascade="all, delete-orphan")


class RaciAssignment(Base):
    """One cell of the RACI matrix."""

    __tablename__ = "raci_assignments"

    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverables.id", ondelete="CASCADE"), primary_key=True)
    team_role_id: Mapped[int] = mapped_column(ForeignKey("team_roles.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[RaciCode] = mapped_column(enum_column_type(RaciCode, length=1))

    deliverable: Mapped[Deliverable] = relationship(back_populates="raci")
    team_role: Mapped[TeamRole] = relationship()
