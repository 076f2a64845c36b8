"""Adoption per department: reading the daily snapshots, entering them by hand, and the plan's target.

Adoption is the share of licensed seats in use: the users active in the 28
days up to a day (or, where only a daily figure is known, that day's active
users) divided by the department's licensed seats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from crmproject.auth.models import User
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.kpis.models import GoalFamily, Kpi
from crmproject.plans.models import Plan
from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource

DEFAULT_TARGET = Decimal(80)


def adoption_percent(snapshot: AdoptionSnapshot) -> float | None:
    """Active (28-day where known, else daily) users as a percent of licensed seats; None without seats."""
    if not snapshot.licensed_seats:
        return None
    active = snapshot.monthly_active_users if snapshot.monthly_active_users is not None else snapshot.active_users
    return round(100.0 * active / snapshot.licensed_seats, 1)


def adoption_target(plan: Plan) -> Decimal:
    """The target of the plan's adoption KPI (the first one), else 80%."""
    kpi = db.session.scalar(
        select(Kpi).where(Kpi.plan_id == plan.id, Kpi.goal_family == GoalFamily.ADOPTION).order_by(Kpi.id)
    )
    return kpi.target_value if kpi is not None and kpi.unit.strip() in ("%", "") else DEFAULT_TARGET


def snapshots(department_ids: Sequence[int], *, first: date, last: date) -> list[AdoptionSnapshot]:
    if not department_ids:
        return []
    return list(db.session.scalars(
        select(AdoptionSnapshot)
        .where(AdoptionSnapshot.department_id.in_(list(department_ids)), AdoptionSnapshot.day >= first,
               AdoptionSnapshot.day <= last)
        .order_by(AdoptionSnapshot.department_id, AdoptionSnapshot.day)
    ))


@dataclass(frozen=True)
class Series:
    department: Department
    days: list[date]
    percent: list[float | None]


def series(departments: Sequence[Department], *, first: date, last: date) -> list[Series]:
    """Each department's daily adoption percent between two days (one query)."""
    by_department: dict[int, list[AdoptionSnapshot]] = defaultdict(list)
    for snap in snapshots([d.id for d in departments], first=first, last=last):
        by_department[snap.department_id].append(snap)
    return [
        Series(d, [s.day for s in by_department[d.id]], [adoption_percent(s) for s in by_department[d.id]])
        for d in departments if by_department[d.id]
    ]


def weekly(all_series: Sequence[Series]) -> tuple[list[date], dict[int, list[float | None]]]:
    """Mean adoption per department and week (weeks start on Monday), for the heat map."""
    weeks = sorted({d - timedelta(days=d.weekday()) for s in all_series for d in s.days})
    index = {w: n for n, w in enumerate(weeks)}
    table: dict[int, list[float | None]] = {}
    for s in all_series:
        sums: dict[int, list[float]] = defaultdict(list)
        for day, value in zip(s.days, s.percent):
            if value is not None:
                sums[index[day - timedelta(days=day.weekday())]].append(value)
        table[s.department.id] = [round(sum(v) / len(v), 1) if (v := sums.get(n)) else None for n in range(len(weeks))]
    return weeks, table


def latest(departments: Sequence[Department], *, today: date) -> dict[int, AdoptionSnapshot]:
    """The newest snapshot of each department up to today (looking back 60 days)."""
    found: dict[int, AdoptionSnapshot] = {}
    for snap in snapshots([d.id for d in departments], first=today - timedelta(days=60), last=today):
        found[snap.department_id] = snap  # ordered by day: the last one wins
    return found


def enter_snapshot(
    department: Department, *, day: date, active_users: int, logins: int = 0, records_created: int | None = None,
    required_fields_share: Decimal | None = None, duplicate_share: Decimal | None = None, entered_by: User | None,
    licensed_seats: int | None = None,
) -> AdoptionSnapshot:
    """A department head's figures for a day, for CRMs that give no export. A computed day is not overwritten."""
    seats = department.licensed_seats if licensed_seats is None else licensed_seats
    errors: dict[str, str] = {}
    if active_users < 0 or logins < 0 or (records_created or 0) < 0:
        errors["active_users"] = _("Counts cannot be negative.")
    if seats and active_users > seats:
        errors["active_users"] = _("%(n)s active users is more than the %(seats)s licensed seats.", n=active_users, seats=seats)
    for name, share in (("required_fields_share", required_fields_share), ("duplicate_share", duplicate_share)):
        if share is not None and not Decimal(0) <= share <= Decimal(100):
            errors[name] = _("A share is a percent from 0 to 100.")
    existing = db.session.scalar(select(AdoptionSnapshot).where(
        AdoptionSnapshot.department_id == department.id, AdoptionSnapshot.day == day))
    if existing is not None and existing.source == SnapshotSource.USAGE:
        errors["day"] = _("Adoption on %(day)s was computed from the CRM's usage export; it is not entered by hand.", day=day.isoformat())
    if errors:
        raise ValidationFailed(errors)
    snap = existing or AdoptionSnapshot(department_id=department.id, day=day)
    snap.licensed_seats, snap.active_users, snap.logins = seats, active_users, logins
    snap.records_created, snap.required_fields_share, snap.duplicate_share = records_created, required_fields_share, duplicate_share
    snap.source, snap.entered_by = SnapshotSource.MANUAL, entered_by
    db.session.add(snap)
    db.session.flush()
    return snap
