"""Weekly adoption: the snapshots' week is set however a snapshot is inserted, and weeks add up day by day."""

from datetime import date, timedelta

from sqlalchemy import insert, select

from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource, week_number
from crmproject.adoption.services import weekly_figures
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
