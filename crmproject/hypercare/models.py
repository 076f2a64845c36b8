"""The weeks after a department goes live: the issues its people raise (what, how severe, when reported, first
answered and resolved, by whom), and the plan's hypercare policy: how long it lasts, the response and resolution
targets per severity and when a department may leave it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, UTCDateTime, Versioned
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.departments.models import Department


class IssueSeverity(LabelledEnum):
    """Most severe first; the order is the order of the members."""

    CRITICAL = "critical", _l("Critical")
    HIGH = "high", _l("High")
    MEDIUM = "medium", _l("Medium")
    LOW = "low", _l("Low")


SEVERITY_HELP = {
    IssueSeverity.CRITICAL: _l("Work has stopped: nobody can use the CRM for a main process."),
    IssueSeverity.HIGH: _l("A main process is impaired and there is no workaround."),
    IssueSeverity.MEDIUM: _l("Something does not work as it should, but there is a workaround."),
    IssueSeverity.LOW: _l("A question, a cosmetic fault or a wish."),
}


class IssueCategory(LabelledEnum):
    DEFECT = "defect", _l("Defect")
    DATA = "data", _l("Data")
    ACCESS = "access", _l("Access and rights")
    HOW_TO = "how_to", _l("How do I…? (training)")
    INTEGRATION = "integration", _l("Integration")
    CHANGE_REQUEST = "change_request", _l("Change request")


class HypercareIssue(Versioned, TimestampMixin, Base):
    """One issue raised by a department's people after its go-live. Its state follows from its times: open
    until the first response, in hand until resolved."""

    __tablename__ = "hypercare_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[IssueSeverity] = mapped_column(enum_column_type(IssueSeverity))
    category: Mapped[IssueCategory] = mapped_column(enum_column_type(IssueCategory), default=IssueCategory.DEFECT)
    reported_by: Mapped[str] = mapped_column(String(200), default="")  # whoever raised it: staff need no account
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str] = mapped_column(Text, default="")
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    department: Mapped[Department] = relationship()
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class HypercarePolicy(Versioned, Base):
    """A plan's hypercare: how many weeks it lasts after each go-live at least, and the exit criteria a
    department must meet to leave it. A plan without a row has the defaults (crmproject.hypercare.services)."""

    __tablename__ = "hypercare_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), unique=True)
    weeks: Mapped[int] = mapped_column(Integer, default=4)
    # exit: resolved within target for at least this share of the issues due, in percent
    resolution_attainment: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal(90))
    # exit: at most this many new issues in the last seven days
    max_weekly_new: Mapped[int] = mapped_column(Integer, default=5)

    targets: Mapped[list[HypercareTarget]] = relationship(cascade="all, delete-orphan", order_by="HypercareTarget.id")


class HypercareTarget(Base):
    """The response and resolution targets for one severity, in hours on the clock (hypercare is staffed
    around the clock, or the targets are set long enough to span nights)."""

    __tablename__ = "hypercare_targets"
    __table_args__ = (UniqueConstraint("policy_id", "severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("hypercare_policies.id", ondelete="CASCADE"), index=True)
    severity: Mapped[IssueSeverity] = mapped_column(enum_column_type(IssueSeverity))
    response_hours: Mapped[Decimal] = mapped_column(Numeric(7, 1))
    resolution_hours: Mapped[Decimal] = mapped_column(Numeric(7, 1))
