"""Adoption from usage events: the daily snapshots per department, and events counted again after the roster
changed (names that became known, people who moved department).

    recompute_snapshots(date(2026, 3, 1), date(2026, 3, 31))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Integer, String, bindparam, cast, column, func, select, type_coerce, values

from crmproject.adoption.key_actions import recompute_key_actions
from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource, UsageEvent
from crmproject.adoption.usage_accounts import ExclusionRule, current_rule
from crmproject.adoption.usage_roster import ID_PREFIX, load_roster
from crmproject.adoption.usage_time import as_date
from crmproject.db import driver_rows
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.roster.models import Employee
from crmproject.roster.signals import roster_saved


def adoption_rate(snapshot: AdoptionSnapshot) -> Decimal | None:
    """Adoption in percent (one decimal): users active in the 28 days up to the day / licensed seats.

    Where no 28-day figure is known (a hand-entered day), that day's active
    users stand in, as adoption.services.adoption_percent does. None
    without licensed seats.
    """
    active = snapshot.monthly_active_users if snapshot.monthly_active_users is not None else snapshot.active_users
    return _percent(active, snapshot.licensed_seats)


def daily_adoption_rate(snapshot: AdoptionSnapshot) -> Decimal | None:
    """Daily active users / licensed seats in percent (one decimal); None without licensed seats."""
    return _percent(snapshot.active_users, snapshot.licensed_seats)


def events_per_active_user(snapshot: AdoptionSnapshot) -> Decimal | None:
    """Events / active users that day (one decimal): how much those who use the CRM use it; None if nobody did."""
    if not snapshot.active_users or snapshot.events is None:
        return None
    return (Decimal(snapshot.events) / snapshot.active_users).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _percent(part: int | None, whole: int | None) -> Decimal | None:
    if not whole or part is None:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- events imported before their users were known --------------------------------------------------


def rematch_unknown_events(rule: ExclusionRule | None = None) -> tuple[int, date | None, date | None]:
    """Give the events of once-unknown users to the employees the roster now has under those user names (or
    CRM user ids), unless the excluded accounts rule (`rule`, by default the one in force) keeps them out.

    Returns (events matched, first day, last day), so those days can be
    recomputed. Flushes, does not commit.
    """
    rule = rule or current_rule()
    by_name = select(UsageEvent.id, UsageEvent.username_key, UsageEvent.day).join(
        Employee, Employee.crm_username_key == UsageEvent.username_key).where(UsageEvent.employee_id.is_(None))
    by_id = select(UsageEvent.id, UsageEvent.username_key, UsageEvent.day).join(
        Employee, ID_PREFIX + Employee.crm_user_id_key == UsageEvent.username_key).where(
        UsageEvent.employee_id.is_(None), UsageEvent.username_key.startswith(ID_PREFIX))
    found = [row for row in (*db.session.execute(by_name), *db.session.execute(by_id))
             if not rule.names(row[1].removeprefix(ID_PREFIX))]
    if not found:
        return 0, None, None
    people = load_roster()
    table = UsageEvent.__table__
    db.session.execute(
        table.update().where(table.c.id == bindparam("event_id")).values(
            employee_id=bindparam("new_employee_id"), department_id=bindparam("new_department_id")),
        [{"event_id": event_id, "new_employee_id": people[key].employee_id,
          "new_department_id": people[key].department_on(day)} for event_id, key, day in found],
    )
    days = [day for _id, _key, day in found]
    return len(found), min(days), max(days)


def refresh_after_roster_change(moved_employee_ids: Iterable[int] = ()) -> int:
    """After the roster changed: count the usage already imported as the roster now says.

    Events of user names that were unknown go to the employees who now have
    those names; the events of `moved_employee_ids` go to the department
    each belonged to on the event's day (a move may be dated in the past);
    the adoption of the days touched, and of the 27 after them that have
    figures, is recomputed. Returns the number of events changed. Flushes,
    does not commit.
    """
    rematched, first, last = rematch_unknown_events()
    moved, moved_first, moved_last = _reattribute(sorted(set(moved_employee_ids)))
    if rematched or moved:
        recompute_span(first, last, moved_first, moved_last)
    return rematched + moved


@roster_saved.connect
def _roster_saved(saved, **_extra) -> int:
    """A roster import saved: its new user names and dated moves count the usage already imported again."""
    return refresh_after_roster_change(saved.moved_employee_ids)


def _reattribute(employee_ids: list[int]) -> tuple[int, date | None, date | None]:
    """Set the department of these employees' events to the one they belonged to that day."""
    if not employee_ids:
        return 0, None, None
    people = {person.employee_id: person for person in load_roster().values()}
    events = UsageEvent.__table__
    changes: list[dict] = []
    days: list[date] = []
    for start in range(0, len(employee_ids), 500):
        for event_id, employee_id, day, department_id in db.session.execute(
            select(events.c.id, events.c.employee_id, events.c.day, events.c.department_id)
            .where(events.c.employee_id.in_(employee_ids[start:start + 500]))
        ):
            person = people.get(employee_id)
            if person is None:  # no CRM user name any more: the events stay where they were counted
                continue
            department_id_then = person.department_on(day)
            if department_id_then != department_id:
                changes.append({"event_id": event_id, "new_department_id": department_id_then})
                days.append(day)
    if not changes:
        return 0, None, None
    db.session.execute(
        events.update().where(events.c.id == bindparam("event_id")).values(department_id=bindparam("new_department_id")),
        changes,
    )
    return len(changes), min(days), max(days)


def recompute_span(*days: date | None) -> None:
    """Recompute adoption from the first to the last of `days` (those given)."""
    span = [day for day in days if day is not None]
    first, last = min(span), max(span)
    # The 7- and 28-day figures of the 27 days after the last one see these events too: recompute
    # those that have figures already (from a later export), without making up days to come.
    later = db.session.scalar(select(func.max(AdoptionSnapshot.day)).where(
        AdoptionSnapshot.day > last, AdoptionSnapshot.day <= last + timedelta(days=27)))
    last_recomputed = as_date(later) if later is not None else last
    recompute_snapshots(first, last_recomputed)
    recompute_key_actions(first, last_recomputed)


# --- adoption snapshots --------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotUpdate:
    """What recompute_snapshots wrote."""

    first_day: date
    last_day: date
    department_ids: tuple[int, ...]
    rows: int


def recompute_snapshots(first_day: date, last_day: date) -> SnapshotUpdate:
    """Daily adoption per department from the usage events, for every day from first_day to last_day.

    Per department and day: active users (distinct employees with an event
    that day, counted in the department they belonged to that day), logins,
    events, and the distinct users active in the 7 and the 28 days ending
    that day; licensed seats from the department. Every department with an
    event in the range, or in the 27 days before it (which its 28-day
    figures see), gets a row for every day of the range, zeros included.

    Computed rows replace computed rows. A row entered by hand stays, unless
    the department has usage events that day: then the computed figures
    replace its counts (its hand-entered data quality figures are kept).

    How: SQL groups the events into activity days (department, employee,
    day, events, logins): one pass over the range's events. Read in
    employee and day order, an employee active on day d counts in the 7-day
    figure from d until d+6 or their next active day, whichever comes
    first; so each activity day adds +1 where its run starts and -1 where it
    ends, and a running sum per department gives the distinct count. No
    join over the window, linear in the activity days.
    Flushes, does not commit.

    Over 60 lines with this note; its code (about 45 lines) is one pass kept whole, the running sums and the
    closing of each employee's runs side by side.
    """
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    events = UsageEvent.__table__
    window_start = first_day - timedelta(days=27)
    base = window_start.toordinal()
    size = (last_day - window_start).days + 1
    activity = (
        select(events.c.employee_id, type_coerce(events.c.day, String), events.c.department_id, func.count(),
               func.sum(cast(events.c.is_login, Integer)))
        .where(events.c.day >= window_start, events.c.day <= last_day,
               events.c.department_id.is_not(None), events.c.employee_id.is_not(None))
        # the same order for grouping and sorting: SQLite sorts once (the index gives employee and day)
        .group_by(events.c.employee_id, events.c.day, events.c.department_id)
        .order_by(events.c.employee_id, events.c.day, events.c.department_id)
    )
    # per department: active, events, logins, change of the 7-day and of the 28-day count (index: day - base)
    figures: dict[int, tuple[list[int], list[int], list[int], list[int], list[int]]] = {}
    day_index: dict[object, int] = {}
    last_active: dict[int, int] = {}  # this employee's last active day in each department
    employee = None

    def close_runs() -> None:
        for department_id, previous in last_active.items():
            arrays = figures[department_id]
            arrays[3][min(previous + 7, size)] -= 1
            arrays[4][min(previous + 28, size)] -= 1
        last_active.clear()

    for employee_id, day, department_id, count, logins in driver_rows(activity, name="usage_activity"):
        if employee_id != employee:
            close_runs()
            employee = employee_id
        index = day_index.get(day)
        if index is None:
            index = day_index[day] = as_date(day).toordinal() - base
        arrays = figures.get(department_id)
        if arrays is None:
            arrays = figures[department_id] = ([0] * size, [0] * size, [0] * size, [0] * (size + 1), [0] * (size + 1))
        arrays[0][index] += 1
        arrays[1][index] += count
        arrays[2][index] += logins or 0
        previous = last_active.get(department_id)
        if previous is not None:
            arrays[3][min(previous + 7, index)] -= 1
            arrays[4][min(previous + 28, index)] -= 1
        arrays[3][index] += 1
        arrays[4][index] += 1
        last_active[department_id] = index
    close_runs()
    return _write_snapshots(first_day, last_day, base, figures)


_COMPUTED = ("licensed_seats", "active_users", "weekly_active_users", "monthly_active_users", "logins", "events",
             "source")
_UPDATE_BATCH = 4000  # rows an UPDATE ... FROM (VALUES ...) carries on PostgreSQL: 8 parameters each, under 65,535


def _update_snapshots(snapshots, updates: list[dict]) -> None:
    """Set the computed columns of existing snapshots. On PostgreSQL in a few statements (UPDATE ... FROM VALUES):
    an executemany is a statement a row, and each statement runs the triggers that keep adoption_weeks over its
    transition tables (three times the update's own time). SQLite's row triggers cost the same either way."""
    if db.engine.dialect.name != "postgresql":
        db.session.execute(
            snapshots.update().where(snapshots.c.id == bindparam("snapshot_id"))
            .values({name: bindparam(name) for name in _COMPUTED}),
            updates,
        )
        return
    columns = [column("snapshot_id", Integer), *(column(name, snapshots.c[name].type) for name in _COMPUTED)]
    for start in range(0, len(updates), _UPDATE_BATCH):
        rows = values(*columns, name="computed").data(
            [(u["snapshot_id"], *(u[name] for name in _COMPUTED)) for u in updates[start:start + _UPDATE_BATCH]])
        db.session.execute(snapshots.update().where(snapshots.c.id == rows.c.snapshot_id)
                           .values({name: rows.c[name] for name in _COMPUTED}))


def _write_snapshots(first_day: date, last_day: date, base: int,
                     figures: dict[int, tuple[list[int], list[int], list[int], list[int], list[int]]]) -> SnapshotUpdate:
    """Insert or update a computed row per department and day; computed rows no longer produced go.

    Updates only the computed columns, so figures entered by hand on a day
    (records created, data quality) stay when usage takes the day over.
    """
    snapshots = AdoptionSnapshot.__table__
    hand_entered = (snapshots.c.records_created, snapshots.c.required_fields_share, snapshots.c.duplicate_share)
    existing: dict[tuple[int, date], tuple[int, SnapshotSource, bool]] = {}
    for snapshot_id, department_id, day, source, *hand in db.session.execute(
        select(snapshots.c.id, snapshots.c.department_id, snapshots.c.day, snapshots.c.source, *hand_entered)
        .where(snapshots.c.day >= first_day, snapshots.c.day <= last_day)
    ):
        existing[(department_id, day)] = (snapshot_id, source, any(value is not None for value in hand))
    seats = {department_id: licensed for department_id, licensed in db.session.execute(
        select(Department.id, Department.licensed_seats).where(Department.id.in_(list(figures))))}
    inserts: list[dict] = []
    updates: list[dict] = []
    produced: set[int] = set()
    first_index = first_day.toordinal() - base
    for department_id, (active, count, logins, weekly_change, monthly_change) in figures.items():
        weekly = monthly = 0
        for index in range(len(active)):
            weekly += weekly_change[index]
            monthly += monthly_change[index]
            if index < first_index:
                continue
            day = date.fromordinal(base + index)
            row = {
                "department_id": department_id, "day": day, "licensed_seats": seats.get(department_id, 0),
                "active_users": active[index], "weekly_active_users": weekly, "monthly_active_users": monthly,
                "logins": logins[index], "events": count[index], "source": SnapshotSource.USAGE,
            }
            found = existing.get((department_id, day))
            if found is None:
                inserts.append(row)
            elif found[1] == SnapshotSource.USAGE or count[index]:  # a hand-entered day stays unless used that day
                produced.add(found[0])
                updates.append({**row, "snapshot_id": found[0]})
    stale = [snapshot_id for snapshot_id, source, hand in existing.values()
             if source == SnapshotSource.USAGE and snapshot_id not in produced and not hand]
    if stale:
        db.session.execute(snapshots.delete().where(snapshots.c.id.in_(stale)))
    if inserts:
        db.session.execute(snapshots.insert(), inserts)
    if updates:
        _update_snapshots(snapshots, updates)
    db.session.flush()
    return SnapshotUpdate(first_day, last_day, tuple(sorted(figures)), len(inserts) + len(updates))
