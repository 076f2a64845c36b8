"""Change-management tasks, their dependencies and history, and the communication plan."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.dates import localised
from crmproject.db import Base, TimestampMixin, UTCDateTime, Versioned, utcnow
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.departments.models import Department
    from crmproject.plans.models import Phase, Plan


class TaskStatus(LabelledEnum):
    NOT_STARTED = "not_started", _l("Not started")
    IN_PROGRESS = "in_progress", _l("In progress")
    BLOCKED = "blocked", _l("Blocked")
    DONE = "done", _l("Done")
    CANCELLED = "cancelled", _l("Cancelled")

    @property
    def is_closed(self) -> bool:
        return self in (TaskStatus.DONE, TaskStatus.CANCELLED)


class TaskPriority(LabelledEnum):
    LOW = "low", _l("Low")
    MEDIUM = "medium", _l("Medium")
    HIGH = "high", _l("High")
    CRITICAL = "critical", _l("Critical")


PRIORITY_RANK = {TaskPriority.LOW: 1, TaskPriority.MEDIUM: 2, TaskPriority.HIGH: 3, TaskPriority.CRITICAL: 4}

# The change-management work the texts name; an administrator may add others.
STANDARD_CATEGORIES = (
    ("communication", _l("Communication")),
    ("process_redesign", _l("Process redesign")),
    ("training", _l("Training")),
    ("data_quality", _l("Data quality and migration")),
    ("integration", _l("Integration")),
    ("leadership", _l("Leadership engagement")),
    ("resistance", _l("Resistance management")),
)


class TaskCategory(Base):
    __tablename__ = "task_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    builtin: Mapped[bool] = mapped_column(default=False)

    @property
    def label(self) -> str:
        """Built-in names are translated; names an administrator typed are shown as typed."""
        from crmproject.i18n import gettext

        return gettext(self.name) if self.builtin else self.name


class TaskDependency(Base):
    """`task` cannot finish before `depends_on` (finish-to-start)."""

    __tablename__ = "task_dependencies"
    __table_args__ = (CheckConstraint("task_id <> depends_on_id", name="not_self"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("change_tasks.id", ondelete="CASCADE"), primary_key=True)
    depends_on_id: Mapped[int] = mapped_column(ForeignKey("change_tasks.id", ondelete="CASCADE"), primary_key=True, index=True)


class ChangeTask(Versioned, TimestampMixin, Base):
    __tablename__ = "change_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phases.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("change_tasks.id", ondelete="SET NULL"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("task_categories.id", ondelete="RESTRICT"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[TaskStatus] = mapped_column(enum_column_type(TaskStatus), default=TaskStatus.NOT_STARTED, index=True)
    priority: Mapped[TaskPriority] = mapped_column(enum_column_type(TaskPriority), default=TaskPriority.MEDIUM)
    outline: Mapped[str] = mapped_column(String(50), default="")

    plan: Mapped[Plan] = relationship()
    phase: Mapped[Phase | None] = relationship()
    department: Mapped[Department | None] = relationship()
    category: Mapped[TaskCategory] = relationship()
    owner: Mapped[User | None] = relationship()
    parent: Mapped[ChangeTask | None] = relationship(remote_side=[id])
    depends_on: Mapped[list[ChangeTask]] = relationship(
        secondary="task_dependencies",
        primaryjoin="ChangeTask.id == TaskDependency.task_id",
        secondaryjoin="ChangeTask.id == TaskDependency.depends_on_id",
        order_by="ChangeTask.id",
    )
    history: Mapped[list[TaskChange]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskChange.id"
    )

    def is_overdue(self, today: date) -> bool:
        return self.due_date is not None and self.due_date < today and not self.status.is_closed


class TaskChange(Base):
    """One change of one field of a task: who, when, from, to."""

    __tablename__ = "task_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("change_tasks.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(50))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")

    task: Mapped[ChangeTask] = relationship(back_populates="history")
    user: Mapped[User | None] = relationship()

    @property
    def field_label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))

    def shown(self, value: str) -> str:
        """A stored value as people read it: status and priority by their label, dates in the reader's form."""
        kind = {"status": TaskStatus, "priority": TaskPriority}.get(self.field)
        if kind is not None and value in kind._value2member_map_:
            return str(kind(value).label)
        if self.field in ("due_date", "start_date") and value:
            return localised(value, shown=True)
        return value


FIELD_LABELS = {
    "created": _l("created"), "title": _l("Title"), "description": _l("Description"), "status": _l("Status"),
    "priority": _l("Priority"), "owner": _l("Owner"), "due_date": _l("Due"), "start_date": _l("Start"),
    "phase": _l("Phase"), "department": _l("Department"), "category": _l("Category"),
}


class CommunicationChannel(LabelledEnum):
    EMAIL = "email", _l("E-mail")
    MEETING = "meeting", _l("Meeting")
    TOWN_HALL = "town_hall", _l("Town hall")
    INTRANET = "intranet", _l("Intranet")
    NEWSLETTER = "newsletter", _l("Newsletter")
    TRAINING = "training", _l("Training session")
    OTHER = "other", _l("Other")


class CommunicationStatus(LabelledEnum):
    PLANNED = "planned", _l("Planned")
    SENT = "sent", _l("Sent")
    CANCELLED = "cancelled", _l("Cancelled")


class Communication(Versioned, TimestampMixin, Base):
    """One item of the communication plan: who hears what, how, when, from whom."""

    __tablename__ = "communications"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(200))
    channel: Mapped[CommunicationChannel] = mapped_column(enum_column_type(CommunicationChannel))
    message: Mapped[str] = mapped_column(Text)
    planned_date: Mapped[date] = mapped_column(Date)
    status: Mapped[CommunicationStatus] = mapped_column(enum_column_type(CommunicationStatus), default=CommunicationStatus.PLANNED)

    department: Mapped[Department | None] = relationship()
    owner: Mapped[User | None] = relationship()


