"""Maturity assessments: who assessed the organisation or a department on which day, each assessor's level per
building block and the level they agreed on with a note, and the plan's target level per block."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, Versioned
from crmproject.enums import enum_column_type
from crmproject.maturity.blocks import Block

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.departments.models import Department

LEVEL_RANGE = "level BETWEEN 0 AND 6"


class MaturityAssessment(Versioned, TimestampMixin, Base):
    """One assessment of the organisation (no department) or of one department, on one day."""

    __tablename__ = "maturity_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    assessed_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    assessors: Mapped[list[MaturityAssessor]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="MaturityAssessor.position")
    agreed: Mapped[list[AgreedLevel]] = relationship(back_populates="assessment", cascade="all, delete-orphan")

    def agreed_levels(self) -> dict[Block, int]:
        return {a.block: a.level for a in self.agreed}


class MaturityAssessor(Base):
    """A person who rated the blocks (staff need no account: a name)."""

    __tablename__ = "maturity_assessors"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("maturity_assessments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))

    assessment: Mapped[MaturityAssessment] = relationship(back_populates="assessors")
    ratings: Mapped[list[AssessorRating]] = relationship(back_populates="assessor", cascade="all, delete-orphan")


class AssessorRating(Base):
    __tablename__ = "maturity_ratings"
    __table_args__ = (UniqueConstraint("assessor_id", "block"), CheckConstraint(LEVEL_RANGE, name="level_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("maturity_assessors.id", ondelete="CASCADE"), index=True)
    block: Mapped[Block] = mapped_column(enum_column_type(Block))
    level: Mapped[int] = mapped_column()

    assessor: Mapped[MaturityAssessor] = relationship(back_populates="ratings")


class AgreedLevel(Base):
    """The level the assessors agreed on for a block, and why."""

    __tablename__ = "maturity_agreed_levels"
    __table_args__ = (UniqueConstraint("assessment_id", "block"), CheckConstraint(LEVEL_RANGE, name="level_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("maturity_assessments.id", ondelete="CASCADE"), index=True)
    block: Mapped[Block] = mapped_column(enum_column_type(Block))
    level: Mapped[int] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[MaturityAssessment] = relationship(back_populates="agreed")


class MaturityTarget(Versioned, Base):
    """The level a plan aims at on one block (the maturity-uplift seed plan: 3 everywhere)."""

    __tablename__ = "maturity_targets"
    __table_args__ = (UniqueConstraint("plan_id", "block"), CheckConstraint(LEVEL_RANGE, name="level_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    block: Mapped[Block] = mapped_column(enum_column_type(Block))
    level: Mapped[int] = mapped_column()
