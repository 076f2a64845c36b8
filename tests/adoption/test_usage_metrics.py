"""Daily, 7-day and 28-day active users per department, computed from usage events."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource, UsageEvent
from crmproject.adoption.usage import adoption_rate, daily_adoption_rate, events_per_active_user, recompute_snapshots
from crmproject.extensions import db
from crmproject.roster.models import Employee, username_key

DAY1 = date(2026, 3, 1)


def day(n: int) -> date:
    """Day n of the hand-made month (day 1 is 1 March 2026)."""
    return DAY1 + timedelta(days=n - 1)


@pytest.fixture
def team(make_department):
    alpha = make_department(name="Alpha", code="A", licensed_seats=4)
    beta = make_department(name="Beta", code="B", licensed_seats=2)
    people = {}
    for key, department in (("a1", alpha), ("a2", alpha), ("a3", alpha), ("b1", beta)):
        people[key] = Employee(name=key, crm_username=key, crm_username_key=username_key(key), department=department)
        db.session.add(people[key])
    db.session.commit()
    return {"alpha": alpha, "beta": beta, **people}


def _event(person: Employee, department_id: int, on: date, *, minute: int = 0, login: bool = False) -> UsageEvent:
    return UsageEvent(
        username_key=person.crm_username_key, employee_id=person.id, department_id=department_id,
        occurred_at=datetime.combine(on, time(9, minute), tzinfo=UTC), day=on,
        action="Login" if login else "Update", object="", is_login=login,
    )


def _figures(department_id: int) -> dict[date, tuple]:
    return {
        s.day: (s.active_users, s.weekly_active_users, s.monthly_active_users, s.logins, s.events)
        for s in db.session.scalars(select(AdoptionSnapshot).where(AdoptionSnapshot.department_id == department_id))
    }


def test_daily_weekly_and_28_day_active_users_on_a_known_month(team):
    alpha, a1, a2, a3, b1 = team["alpha"].id, team["a1"], team["a2"], team["a3"], team["b1"]
    db.session.add_all([
        _event(a1, alpha, day(1), login=True), _event(a1, alpha, day(2)), _event(a1, alpha, day(10)),
        _event(a2, alpha, day(3), login=True), _event(a2, alpha, day(3), minute=5),
        _event(a3, alpha, day(30)),
        _event(b1, team["beta"].id, day(5)),
    ])
    db.session.commit()
    update = recompute_snapshots(day(1), day(31))
    assert update.department_ids == tuple(sorted((alpha, team["beta"].id)))
    figures = _figures(alpha)
    assert len(figures) == 31  # every day of the range, zeros included
    #        day: (active, 7-day, 28-day, logins, events)
    expected = {
        1: (1, 1, 1, 1, 1),
        2: (1, 1, 1, 0, 1),
        3: (1, 2, 2, 1, 2),
        8: (0, 2, 2, 0, 0),   # days 2..8: a1 (day 2) and a2 (day 3)
        9: (0, 1, 2, 0, 0),   # days 3..9: a2
        10: (1, 1, 2, 0, 1),  # days 4..10: a1
        16: (0, 1, 2, 0, 0),  # days 10..16: a1
        17: (0, 0, 2, 0, 0),
        28: (0, 0, 2, 0, 0),  # days 1..28: a1, a2
        29: (0, 0, 2, 0, 0),  # days 2..29: a1 (days 2 and 10), a2
        30: (1, 1, 3, 0, 1),  # days 3..30: a1 (day 10), a2 (day 3), a3
        31: (0, 1, 2, 0, 0),  # days 4..31: a1, a3
    }
    for n, values in expected.items():
        assert figures[day(n)] == values, n
    beta = _figures(team["beta"].id)
    assert beta[day(5)] == (1, 1, 1, 0, 1) and beta[day(11)] == (0, 1, 1, 0, 0) and beta[day(12)] == (0, 0, 1, 0, 0)
    snapshot = db.session.scalar(select(AdoptionSnapshot).where(
        AdoptionSnapshot.department_id == alpha, AdoptionSnapshot.day == day(30)))
    assert (snapshot.licensed_seats, snapshot.source) == (4, SnapshotSource.USAGE)
    assert adoption_rate(snapshot) == D("75.0")  # 3 users active in 28 days / 4 seats
    assert daily_adoption_rate(snapshot) == D("25.0")
    busy = db.session.scalar(select(AdoptionSnapshot).where(
        AdoptionSnapshot.department_id == alpha, AdoptionSnapshot.day == day(3)))
    assert events_per_active_user(busy) == D("2.0")
    assert events_per_active_user(db.session.scalar(select(AdoptionSnapshot).where(
        AdoptionSnapshot.department_id == alpha, AdoptionSnapshot.day == day(8)))) is None


def test_an_employee_counts_in_each_department_for_the_days_they_belonged_to_it(team):
    alpha, beta, a1 = team["alpha"].id, team["beta"].id, team["a1"]
    db.session.add_all([_event(a1, alpha, day(5)), _event(a1, beta, day(12))])
    db.session.commit()
    recompute_snapshots(day(1), day(20))
    old, new = _figures(alpha), _figures(beta)
    assert old[day(11)][:3] == (0, 1, 1) and old[day(12)][:3] == (0, 0, 1)
    assert new[day(12)][:3] == (1, 1, 1) and new[day(11)][:3] == (0, 0, 0)


def test_recomputing_replaces_computed_rows_and_respects_hand_entered_ones(team):
    alpha, a1 = team["alpha"].id, team["a1"]
    db.session.add_all([
        _event(a1, alpha, day(10)),
        AdoptionSnapshot(department_id=alpha, day=day(10), active_users=3, required_fields_share=D("91.5"),
                         source=SnapshotSource.MANUAL),
        AdoptionSnapshot(department_id=alpha, day=day(20), active_users=2, source=SnapshotSource.MANUAL),
    ])
    db.session.commit()
    recompute_snapshots(day(1), day(31))
    first = _figures(alpha)
    recompute_snapshots(day(1), day(31))
    assert _figures(alpha) == first
    assert db.session.scalar(select(db.func.count()).select_from(AdoptionSnapshot)) == 31
    with_usage = db.session.scalar(select(AdoptionSnapshot).where(AdoptionSnapshot.day == day(10)))
    assert (with_usage.source, with_usage.active_users, with_usage.required_fields_share) == (
        SnapshotSource.USAGE, 1, D("91.5"))
    without_usage = db.session.scalar(select(AdoptionSnapshot).where(AdoptionSnapshot.day == day(20)))
    assert (without_usage.source, without_usage.active_users) == (SnapshotSource.MANUAL, 2)


def test_events_without_a_department_or_employee_do_not_count(team):
    a1 = team["a1"]
    db.session.add_all([
        _event(a1, team["alpha"].id, day(3)),
        UsageEvent(username_key="ghost", occurred_at=datetime(2026, 3, 3, 9, tzinfo=UTC), day=day(3),
                   action="", object=""),
    ])
    db.session.commit()
    recompute_snapshots(day(3), day(3))
    assert _figures(team["alpha"].id) == {day(3): (1, 1, 1, 0, 1)}


def test_rolling_counts_match_a_brute_force_count_on_random_activity(team):
    rng = random.Random(5)
    people = [team[k] for k in ("a1", "a2", "a3", "b1")]
    home = {p.id: p.department_id for p in people}
    seen: set[tuple[int, date, int]] = set()
    for n in range(200):
        person = rng.choice(people)
        on = day(rng.randint(1, 70))
        db.session.add(_event(person, home[person.id], on, minute=n % 60, login=n % 3 == 0))
        seen.add((person.id, on, n % 60))
    db.session.commit()
    first, last = day(20), day(75)
    recompute_snapshots(first, last)
    activity = {(home[p], p, d) for p, d, _m in seen}
    for department in (team["alpha"], team["beta"]):
        figures = _figures(department.id)
        current = first
        while current <= last:
            expected = tuple(_distinct(activity, department.id, current, window) for window in (1, 7, 28))
            assert figures[current][:3] == expected, current
            current += timedelta(days=1)


def _distinct(activity: set[tuple[int, int, date]], department_id: int, on: date, window: int) -> int:
    """Brute force: the employees of the department active in the `window` days ending `on`."""
    start = on - timedelta(days=window - 1)
    return len({person for department, person, active_on in activity
                if department == department_id and start <= active_on <= on})


def test_rates_need_licensed_seats():
    assert adoption_rate(AdoptionSnapshot(licensed_seats=0, active_users=3, monthly_active_users=3)) is None
    assert adoption_rate(AdoptionSnapshot(licensed_seats=3, active_users=1, monthly_active_users=None)) == D("33.3")
    assert daily_adoption_rate(AdoptionSnapshot(licensed_seats=3, active_users=2)) == D("66.7")
