"""CRM adoption: usage events read from a CRM's exports, and daily snapshots per department."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.auth.models import User
from crmproject.db import Base, TimestampMixin, UTCDateTime, Versioned
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

# SQLite makes a rowid alias only of INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT for a billion events.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class SnapshotSource(LabelledEnum):
    USAGE = "usage", _l("Computed from usage exports")
    MANUAL = "manual", _l("Entered by hand")


class ImportState(LabelledEnum):
    RUNNING = "running", _l("Running")
    DONE = "done", _l("Done")
    FAILED = "failed", _l("Failed")


class UsageImport(TimestampMixin, Base):
    """One upload of a usage export: what it held, what was new, who was unknown, how it went."""

    __tablename__ = "usage_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    state: Mapped[ImportState] = mapped_column(enum_column_type(ImportState), default=ImportState.RUNNING)
    rows_read: Mapped[int] = mapped_column(default=0)
    events_added: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    unknown_events: Mapped[int] = mapped_column(default=0)
    unknown_usernames: Mapped[str] = mapped_column(Text, default="")  # JSON: {"user name": count}
    # events of service and integration accounts kept out of adoption (roster.models.ExcludedAccounts)
    excluded_events: Mapped[int] = mapped_column(default=0, server_default="0")
    excluded_accounts: Mapped[str] = mapped_column(Text, default="", server_default="")  # JSON: {"account": count}
    progress: Mapped[int] = mapped_column(default=0)  # percent, for the progress bar
    message: Mapped[str] = mapped_column(Text, default="")
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)

    imported_by: Mapped[User | None] = relationship()


class UsageEvent(Base):
    """One row of a CRM usage export, matched to an employee and to their department on that day.

    Unique on (user, time, action, object): importing the same file twice, or
    overlapping files, counts nothing twice.

    The employee, department and import ids carry no foreign key constraints:
    an import writes a million rows, and the database would check each of the
    three once per row (14 s of a 27 s insert on PostgreSQL, measured). The
    import resolves them itself before it writes (employees and departments
    from the roster it loaded, its own import record), and deleting a
    department takes its id off its events (departments.services), as ON
    DELETE SET NULL did; employees and finished imports are never deleted.
    """

    __tablename__ = "usage_events"
    __table_args__ = (
        UniqueConstraint("username_key", "occurred_at", "action", "object"),
        Index("ix_usage_events_employee_day", "employee_id", "day"),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True)
    username_key: Mapped[str] = mapped_column(String(200))
    employee_id: Mapped[int | None] = mapped_column(Integer)  # employees.id, unchecked (see above)
    department_id: Mapped[int | None] = mapped_column(Integer)  # departments.id, unchecked
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    day: Mapped[date] = mapped_column(Date)  # the local day in the import's time zone
    action: Mapped[str] = mapped_column(String(100), default="")
    object: Mapped[str] = mapped_column(String(200), default="")
    is_login: Mapped[bool] = mapped_column(default=False)
    import_id: Mapped[int | None] = mapped_column(Integer, index=True)  # usage_imports.id, unchecked


EPOCH_MONDAY = date(1970, 1, 5)


def week_number(day: date) -> int:
    """Whole weeks from Monday 1970-01-05 to the Monday of the day's week (weeks start on Monday)."""
    return (day - EPOCH_MONDAY).days // 7


def _week_of_row(context) -> int:
    day = context.get_current_parameters()["day"]
    return week_number(day if isinstance(day, date) else date.fromisoformat(day))


class AdoptionSnapshot(Base):
    """Adoption of one department on one day, computed from usage events or entered by hand."""

    __tablename__ = "adoption_snapshots"
    __table_args__ = (
        UniqueConstraint("department_id", "day"),
        # weekly adoption (the dashboard, the shapes) is read from this index alone, in order, without a sort
        Index("ix_adoption_snapshots_weekly", "department_id", "week", "licensed_seats", "monthly_active_users",
              "active_users"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    # the day's week (week_number), set from `day` on every insert however it is made; a day never changes
    week: Mapped[int] = mapped_column(default=_week_of_row)
    licensed_seats: Mapped[int] = mapped_column(default=0)
    active_users: Mapped[int] = mapped_column(default=0)  # distinct users with an event that day
    weekly_active_users: Mapped[int | None] = mapped_column()  # in the 7 days ending that day
    monthly_active_users: Mapped[int | None] = mapped_column()  # in the 28 days ending that day
    logins: Mapped[int] = mapped_column(default=0)
    events: Mapped[int] = mapped_column(default=0)
    records_created: Mapped[int | None] = mapped_column()
    required_fields_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # percent
    duplicate_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # percent
    source: Mapped[SnapshotSource] = mapped_column(enum_column_type(SnapshotSource), default=SnapshotSource.USAGE)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    entered_by: Mapped[User | None] = relationship()


class AdoptionWeek(Base):
    """A department's adoption summed over one week's snapshots that have seats: what weekly adoption and the
    adoption shapes read (a tenth of the rows of the daily snapshots, and no GROUP BY per request).

    Kept by the database itself: triggers on adoption_snapshots (migration b8f2d4e6a913) add and subtract
    every inserted, updated and deleted snapshot in the same transaction, however it was written (ORM, Core,
    an import's bulk SQL). Nothing in the application writes these rows.
    """

    __tablename__ = "adoption_weeks"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[int] = mapped_column(primary_key=True)  # week_number of the Monday
    days: Mapped[int] = mapped_column(default=0)  # snapshots with seats in the week
    active: Mapped[int] = mapped_column(BigInteger, default=0)  # sum of 28-day active users (daily where only that)
    seats: Mapped[int] = mapped_column(BigInteger, default=0)  # sum of licensed seats


class AdoptionRules(Versioned, Base):
    """A plan's thresholds for telling adoption shapes apart (see adoption/shapes.py); defaults until set."""

    __tablename__ = "adoption_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), unique=True)
    min_weeks: Mapped[int] = mapped_column(default=8)
    effect_level: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal(40))
    fade_points: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal(15))
    fade_weeks: Mapped[int] = mapped_column(default=4)


class KeyActionMapping(Versioned, Base):
    """A plan's choice of the actions that show real work in the CRM (crmproject/adoption/key_actions.py);
    the defaults until a project manager saves a mapping."""

    __tablename__ = "key_action_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), unique=True)

    rules: Mapped[list[KeyActionRule]] = relationship(
        back_populates="mapping", cascade="all, delete-orphan", order_by="KeyActionRule.position")


class KeyActionRule(Base):
    """An event is a key action when its action matches `action_pattern` and, where one is given, its object
    matches `object_pattern` (comma-separated alternatives, * for any text, letter case ignored)."""

    __tablename__ = "key_action_rules"
    __table_args__ = (UniqueConstraint("mapping_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mapping_id: Mapped[int] = mapped_column(ForeignKey("key_action_mappings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    action_pattern: Mapped[str] = mapped_column(String(300))
    object_pattern: Mapped[str] = mapped_column(String(300), default="")

    mapping: Mapped[KeyActionMapping] = relationship(back_populates="rules")


class KeyActionWeek(Base):
    """Key actions of one department in one week (weeks as week_number), under one plan's mapping: how many,
    by how many people, beside how many people used the CRM at all that week and the licensed seats."""

    __tablename__ = "key_action_weeks"
    __table_args__ = (UniqueConstraint("plan_id", "department_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    week: Mapped[int] = mapped_column()
    key_actions: Mapped[int] = mapped_column(default=0)
    people: Mapped[int] = mapped_column(default=0)  # distinct people with a key action that week
    active_people: Mapped[int] = mapped_column(default=0)  # distinct people with any event that week
    licensed_seats: Mapped[int] = mapped_column(default=0)
