"""Adoption per department: reading the daily snapshots, entering them by hand, and the plan's target.

Adoption is the share of licensed seats in use: the users active in the 28
days up to a day (or, where only a daily figure is known, that day's active
users) divided by the department's licensed seats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from crmproject.auth.models import User
from crmproject.db import driver_rows
from crmproject.departments.models import Department
from crmproject.departments.signals import department_deleting
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.kpis.models import GoalFamily, Kpi
from crmproject.plans.models import Plan
from crmproject.adoption.models import (
    EPOCH_MONDAY, AdoptionRules, AdoptionSnapshot, AdoptionWeek, SnapshotSource, UsageEvent, week_number,
)
from crmproject.adoption.shapes import ShapeRules, Verdict, classify

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
    """Each department's daily adoption percent between two days (adoption_percent of each snapshot).

    One query, read as plain rows from the driver: a year of 60 departments is 21,900 snapshots, which cost
    more as ORM objects than the rest of the page.
    """
    if not departments:
        return []
    s = AdoptionSnapshot
    rows = driver_rows(
        select(s.department_id, s.day, s.licensed_seats, func.coalesce(s.monthly_active_users, s.active_users))
        .where(s.department_id.in_([int(d.id) for d in departments]), s.day >= first, s.day <= last)
        .order_by(s.department_id, s.day)
    )
    days: dict[int, list[date]] = defaultdict(list)
    percents: dict[int, list[float | None]] = defaultdict(list)
    as_day: dict[object, date] = {}
    for department_id, day, seats, active in rows:
        found = as_day.get(day)
        if found is None:
            found = as_day[day] = day if isinstance(day, date) else date.fromisoformat(day)
        days[department_id].append(found)
        percents[department_id].append(round(100.0 * active / seats, 1) if seats else None)
    return [Series(d, days[d.id], percents[d.id]) for d in departments if days.get(d.id)]


def weekly_series(departments: Sequence[Department], figures: Mapping[int, Sequence[WeekFigures]]) -> list[Series]:
    """Each department's weekly adoption (weekly_figures) as a series, a point per week on its Monday."""
    return [Series(d, [w.week for w in figures[d.id]], [w.percent for w in figures[d.id]])
            for d in departments if figures.get(d.id)]


def weekly_table(figures: Mapping[int, Sequence[WeekFigures]]) -> tuple[list[date], dict[int, list[float | None]]]:
    """Adoption per department and week (Mondays), for the heat map, from weekly_figures: the weeks with any
    figures, and each department's percent in each of them (None where it has none)."""
    weeks = sorted({w.week for found in figures.values() for w in found})
    table = {}
    for department_id, found in figures.items():
        by_week = {w.week: w.percent for w in found}
        table[department_id] = [by_week.get(week) for week in weeks]
    return weeks, table


def latest(departments: Sequence[Department], *, today: date) -> dict[int, AdoptionSnapshot]:
    """The newest snapshot of each department up to today (looking back 60 days): one each, not 60 days' worth."""
    if not departments:
        return {}
    s = AdoptionSnapshot
    newest = (
        select(s.department_id, func.max(s.day).label("day"))
        .where(s.department_id.in_([int(d.id) for d in departments]), s.day >= today - timedelta(days=60),
               s.day <= today)
        .group_by(s.department_id).subquery()
    )
    return {snap.department_id: snap for snap in db.session.scalars(
        select(s).join(newest, (s.department_id == newest.c.department_id) & (s.day == newest.c.day)))}


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


# --- weekly adoption and its shape ------------------------------------------------------------------


class WeekFigures(NamedTuple):
    """A department's adoption in one week: the sums over the days with seats, so weeks and groups add up.

    A named tuple: the dashboard of a large organisation reads ten thousand of them per request.
    """

    week: date
    active: int  # sum over the days of the 28-day active users (daily where only that is known)
    seats: int  # sum over the days of the licensed seats
    percent: float | None  # active / seats, one decimal

    @classmethod
    def of(cls, week: date, active: int, seats: int) -> WeekFigures:
        return cls(week, active, seats, round(100.0 * active / seats, 1) if seats else None)


def weekly_figures(department_ids: Sequence[int], *, first: date, last: date) -> dict[int, list[WeekFigures]]:
    """Department id -> its weeks with figures, from the week of `first` to the week of `last`, oldest first.

    Read from adoption_weeks, which the database keeps summed per week (ten thousand rows of numbers for a large
    organisation, straight from the driver, in the primary key's order).
    """
    if not department_ids:
        return {}
    w = AdoptionWeek
    rows = driver_rows(
        select(w.department_id, w.week, w.active, w.seats)
        .where(w.department_id.in_([int(i) for i in department_ids]), w.week >= week_number(first),
               w.week <= week_number(last), w.seats > 0)
        .order_by(w.department_id, w.week)
    )
    found: dict[int, list[WeekFigures]] = defaultdict(list)
    mondays: dict[int, date] = {}
    for department_id, number, active, seats in rows:
        monday = mondays.get(number)
        if monday is None:
            monday = mondays[number] = EPOCH_MONDAY + timedelta(weeks=number)
        active, seats = int(active or 0), int(seats or 0)
        found[department_id].append(WeekFigures(monday, active, seats, round(100.0 * active / seats, 1) if seats else None))
    return found


def shape_rules(plan: Plan) -> ShapeRules:
    """The plan's thresholds for adoption shapes (the defaults until a project manager changes them)."""
    row = db.session.scalar(select(AdoptionRules).where(AdoptionRules.plan_id == plan.id))
    if row is None:
        return ShapeRules()
    return ShapeRules(min_weeks=row.min_weeks, effect_level=float(row.effect_level), fade_points=float(row.fade_points),
                      fade_weeks=row.fade_weeks)


def stored_rules(plan: Plan) -> AdoptionRules:
    """The plan's row of thresholds; until a project manager saves one, an unsaved row of the defaults at
    version 0, so a form opened on the defaults is stale once someone has saved the first thresholds."""
    row = db.session.scalar(select(AdoptionRules).where(AdoptionRules.plan_id == plan.id))
    if row is not None:
        return row
    defaults = ShapeRules()
    return AdoptionRules(plan_id=plan.id, min_weeks=defaults.min_weeks, effect_level=Decimal(str(defaults.effect_level)),
                         fade_points=Decimal(str(defaults.fade_points)), fade_weeks=defaults.fade_weeks, version=0)


def save_shape_rules(plan: Plan, rules: ShapeRules) -> None:
    """Store the plan's thresholds; ValidationFailed names the fields that make no sense. Flushes."""
    errors = rules.problems()
    if errors:
        raise ValidationFailed(errors)
    row = db.session.scalar(select(AdoptionRules).where(AdoptionRules.plan_id == plan.id))
    if row is None:
        row = AdoptionRules(plan_id=plan.id)
        db.session.add(row)
    row.min_weeks, row.fade_weeks = rules.min_weeks, rules.fade_weeks
    row.effect_level, row.fade_points = Decimal(str(rules.effect_level)), Decimal(str(rules.fade_points))
    db.session.flush()


def department_shapes(go_lives: Mapping[int, date | None], weekly: Mapping[int, Sequence[WeekFigures]], *,
                      today: date, rules: ShapeRules) -> dict[int, Verdict]:
    """Department id -> the shape of its adoption since its go-live (None: not in a wave)."""
    return {
        department_id: classify([(w.week, w.percent) for w in weekly.get(department_id, ())], go_live=go_live,
                                today=today, rules=rules)
        for department_id, go_live in go_lives.items()
    }


@department_deleting.connect
def _department_deleting(department, **_extra) -> None:
    """Usage events carry their department's id unchecked (a foreign key would slow the import): a department
    deleted is taken off its events, as ON DELETE SET NULL would."""
    events = UsageEvent.__table__
    db.session.execute(events.update().where(events.c.department_id == department.id).values(department_id=None))
