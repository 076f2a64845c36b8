"""Weekly adoption: the snapshots' week is set however a snapshot is inserted, and weeks add up day by day."""

from datetime import date, timedelta

from sqlalchemy import delete, insert, select, text

from crmproject.adoption.models import AdoptionSnapshot, AdoptionWeek, SnapshotSource, week_number
from crmproject.adoption.services import weekly_figures
from crmproject.db import upsert
from crmproject.departments.models import Department
from crmproject.extensions import db

MONDAY = date(2026, 3, 2)


def test_week_numbers_start_on_monday():
    assert week_number(MONDAY) == week_number(MONDAY + timedelta(days=6)) == week_number(MONDAY - timedelta(days=1)) + 1
    assert week_number(date(1970, 1, 5)) == 0 and week_number(date(1969, 12, 31)) == -1


def test_every_way_of_inserting_a_snapshot_sets_its_week(make_department):
    sales = make_department()
    db.session.add(AdoptionSnapshot(department_id=sales.id, day=MONDAY, licensed_seats=10, active_users=5))
    db.session.execute(insert(AdoptionSnapshot), [
        dict(department_id=sales.id, day=MONDAY + timedelta(days=n), licensed_seats=10, active_users=5,
             source=SnapshotSource.USAGE) for n in range(1, 8)])
    db.session.execute(AdoptionSnapshot.__table__.insert(), [
        dict(department_id=sales.id, day=MONDAY + timedelta(days=8), licensed_seats=10, active_users=5, logins=0,
             events=0, source=SnapshotSource.USAGE)])
    db.session.commit()
    weeks = dict(db.session.execute(select(AdoptionSnapshot.day, AdoptionSnapshot.week)).all())
    assert all(week == week_number(day) for day, week in weeks.items())
    assert len(weeks) == 9


def test_weekly_figures_sum_each_week_of_each_department(make_department):
    sales, service = make_department(name="Sales", code="S"), make_department(name="Service", code="C")
    rows = []
    for n in range(14):  # two weeks: 4 of 10 seats active, then 8 of 10
        rows.append(dict(department_id=sales.id, day=MONDAY + timedelta(days=n), licensed_seats=10,
                         active_users=1, monthly_active_users=4 if n < 7 else 8, source=SnapshotSource.USAGE))
    rows.append(dict(department_id=service.id, day=MONDAY + timedelta(days=3), licensed_seats=0, active_users=0,
                     source=SnapshotSource.USAGE))  # no seats: no figure
    db.session.execute(insert(AdoptionSnapshot), rows)
    db.session.commit()
    found = weekly_figures([sales.id, service.id], first=MONDAY + timedelta(days=2), last=MONDAY + timedelta(days=20))
    assert [(w.week, w.active, w.seats, w.percent) for w in found[sales.id]] == [
        (MONDAY, 28, 70, 40.0), (MONDAY + timedelta(weeks=1), 56, 70, 80.0)]
    assert service.id not in found


def _summed_from_snapshots() -> dict[tuple[int, int], tuple[int, int, int]]:
    """(department, week) -> (days, active, seats) summed from the daily snapshots, as a GROUP BY would."""
    found: dict[tuple[int, int], tuple[int, int, int]] = {}
    for s in db.session.scalars(select(AdoptionSnapshot)):
        if s.licensed_seats > 0:
            days, active, seats = found.get((s.department_id, s.week), (0, 0, 0))
            active_users = s.monthly_active_users if s.monthly_active_users is not None else s.active_users
            found[(s.department_id, s.week)] = (days + 1, active + active_users, seats + s.licensed_seats)
    return found


def _kept_weeks() -> dict[tuple[int, int], tuple[int, int, int]]:
    return {(w.department_id, w.week): (w.days, w.active, w.seats) for w in db.session.scalars(select(AdoptionWeek))}


def test_the_database_keeps_the_weekly_sums_through_every_kind_of_write(make_department):
    """adoption_weeks follows inserts (ORM, Core, upsert), updates (seats to none and back, figures) and deletes
    (one day, a whole department), so weekly adoption never differs from the daily snapshots it sums."""
    sales, service = make_department(name="Sales", code="S"), make_department(name="Service", code="C")
    db.session.add(AdoptionSnapshot(department_id=sales.id, day=MONDAY, licensed_seats=10, active_users=3))
    db.session.execute(insert(AdoptionSnapshot), [
        dict(department_id=d.id, day=MONDAY + timedelta(days=n), licensed_seats=10 + n, active_users=n,
             monthly_active_users=None if n % 3 else 2 * n, source=SnapshotSource.USAGE)
        for d in (sales, service) for n in range(1, 20)])
    db.session.commit()
    assert _kept_weeks() == _summed_from_snapshots() and len(_kept_weeks()) == 6

    first = db.session.scalar(select(AdoptionSnapshot).where(AdoptionSnapshot.department_id == sales.id,
                                                             AdoptionSnapshot.day == MONDAY))
    first.licensed_seats = 0  # a day without seats leaves the week
    db.session.commit()
    assert _kept_weeks()[(sales.id, week_number(MONDAY))][0] == 6
    first.licensed_seats, first.monthly_active_users = 40, 30  # and comes back with other figures
    db.session.commit()
    assert _kept_weeks() == _summed_from_snapshots()

    table = AdoptionSnapshot.__table__
    statement = upsert(table, db.engine.dialect.name)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["department_id", "day"],
        set_={"licensed_seats": statement.excluded.licensed_seats, "active_users": statement.excluded.active_users,
              "monthly_active_users": None}), [
        dict(department_id=service.id, day=MONDAY + timedelta(days=n), licensed_seats=5, active_users=5, logins=0,
             events=0, source=SnapshotSource.USAGE) for n in (18, 19, 20)])  # two days replaced, one new
    db.session.commit()
    assert _kept_weeks() == _summed_from_snapshots()

    db.session.execute(delete(AdoptionSnapshot).where(AdoptionSnapshot.department_id == sales.id,
                                                      AdoptionSnapshot.day >= MONDAY + timedelta(days=14)))
    db.session.commit()
    assert _kept_weeks() == _summed_from_snapshots() and (sales.id, week_number(MONDAY) + 2) not in _kept_weeks()
    summed = _summed_from_snapshots()
    assert [(w.week, w.percent) for w in weekly_figures([sales.id], first=MONDAY, last=MONDAY + timedelta(days=30))[sales.id]] \
        == [(MONDAY + timedelta(weeks=n), round(100 * summed[(sales.id, week_number(MONDAY) + n)][1]
                                                / summed[(sales.id, week_number(MONDAY) + n)][2], 1)) for n in (0, 1)]

    db.session.delete(db.session.get(Department, service.id))
    db.session.commit()
    assert _kept_weeks() == _summed_from_snapshots() and {d for d, _w in _kept_weeks()} == {sales.id}

    if db.engine.dialect.name == "sqlite":  # a REPLACE removes the row it replaces: the weeks follow
        db.session.execute(text(
            "INSERT OR REPLACE INTO adoption_snapshots (department_id, day, week, licensed_seats, active_users, logins,"
            " events, source) VALUES (:department, :day, :week, 50, 25, 0, 0, 'usage')"),
            {"department": sales.id, "day": MONDAY, "week": week_number(MONDAY)})
        db.session.commit()
        assert _kept_weeks() == _summed_from_snapshots()
    else:  # a TRUNCATE, which no row trigger sees, empties the weeks too
        db.session.execute(text("TRUNCATE adoption_snapshots"))
        db.session.commit()
        assert _kept_weeks() == {}
