"""The data generation and the cache that hangs on it: any committed write makes cached pages stale."""

from __future__ import annotations

from sqlalchemy import select, text, update

from crmproject.auth.models import User
from crmproject.cache import GenerationCache, current_generation
from crmproject.extensions import db


def test_a_committed_write_bumps_the_generation_a_rollback_does_not(make_department):
    before = current_generation()
    db.session.commit()
    make_department(name="Sales", code="SALES")  # the factory commits an INSERT
    after_insert = current_generation()
    assert after_insert == before + 1
    db.session.execute(text("UPDATE departments SET headcount = headcount + 1"))
    db.session.rollback()
    assert current_generation() == after_insert
    db.session.execute(text("UPDATE departments SET headcount = headcount + 1"))  # text SQL counts too
    db.session.commit()
    assert current_generation() == after_insert + 1
    db.session.commit()  # a commit that wrote nothing
    assert current_generation() == after_insert + 1


def test_logins_and_import_progress_do_not_make_pages_stale(make_user):
    user = make_user()
    before = current_generation()
    db.session.execute(update(User).where(User.id == user.id).values(name="Renamed"))
    db.session.commit()
    assert current_generation() == before


def test_the_cache_serves_a_value_until_the_data_changes(make_department):
    cache = GenerationCache(max_entries=2)
    computed = []

    def compute(value):
        computed.append(value)
        return value

    assert cache.get_or_compute("a", lambda: compute(1)) == 1
    assert cache.get_or_compute("a", lambda: compute(2)) == 1  # served from the cache
    make_department(name="Sales", code="SALES")
    assert cache.get_or_compute("a", lambda: compute(3)) == 3  # the data changed
    cache.get_or_compute("b", lambda: compute(4))
    cache.get_or_compute("c", lambda: compute(5))  # at most two entries: "a" goes
    assert cache.get_or_compute("a", lambda: compute(6)) == 6
    assert cache.get_or_compute("x", lambda: compute(7), enabled=False) == 7
    assert computed == [1, 3, 4, 5, 6, 7]


def test_entries_expire_even_when_nothing_was_written(app, monkeypatch):
    cache = GenerationCache(ttl=60)
    clock = [1000.0]
    monkeypatch.setattr("crmproject.cache.time.monotonic", lambda: clock[0])
    assert cache.get_or_compute("a", lambda: 1) == 1
    clock[0] += 59
    assert cache.get_or_compute("a", lambda: 2) == 1
    clock[0] += 2
    assert cache.get_or_compute("a", lambda: 3) == 3


def test_a_value_kept_for_some_tables_outlives_writes_to_others(make_department):
    from crmproject.cache import generations

    cache = GenerationCache()
    db.session.commit()
    before = generations()
    assert cache.get_or_compute("weeks", lambda: "from snapshots", tables=("adoption_snapshots",)) == "from snapshots"
    sales = make_department(name="Sales", code="SALES")
    after = generations()
    assert after["departments"] == before.get("departments", 0) + 1
    assert after.get("adoption_snapshots", 0) == before.get("adoption_snapshots", 0)
    assert cache.get_or_compute("weeks", lambda: "again", tables=("adoption_snapshots",)) == "from snapshots"
    assert cache.get_or_compute("page", lambda: "page") == "page"
    db.session.execute(text("INSERT INTO adoption_snapshots (department_id, day, week, licensed_seats, active_users, logins, "
                            "events, source) VALUES (:d, '2026-03-02', 2930, 10, 5, 5, 5, 'manual')"), {"d": sales.id})
    db.session.commit()
    assert cache.get_or_compute("weeks", lambda: "recomputed", tables=("adoption_snapshots",)) == "recomputed"


def test_a_commit_that_flushes_by_itself_still_bumps(make_department):
    from crmproject.cache import generations

    sales = make_department(name="Sales", code="SALES")
    before = generations().get("departments", 0)
    sales.headcount = 99  # no flush: commit() flushes after its own hooks began
    db.session.commit()
    assert generations()["departments"] == before + 1


def test_what_a_statement_may_change():
    from crmproject.cache import ANY_TABLE, tables_written

    assert tables_written("SELECT * FROM departments") == set()
    assert tables_written("UPDATE departments SET headcount = 1") == {"departments"}
    assert tables_written('INSERT INTO "kpis" (name) VALUES (?)') == {"kpis"}
    assert tables_written("DELETE FROM plans WHERE id = 1") == {"plans", ANY_TABLE}  # its cascades too
    assert tables_written("WITH x AS (SELECT 1) UPDATE departments SET headcount = 2") == {ANY_TABLE}
    assert tables_written("/* fix */ UPDATE departments SET headcount = 3") == {ANY_TABLE}
    assert tables_written("TRUNCATE departments, plans") == {ANY_TABLE}
    assert tables_written("UPDATE users SET last_login_at = ?") == set()


def test_a_bump_the_database_refuses_is_not_an_error_and_is_tried_again(make_department, monkeypatch):
    import crmproject.cache as cache_module

    cache = GenerationCache()
    assert cache.get_or_compute("a", lambda: "old") == "old"
    real = cache_module.bump_generations
    calls = []

    def refuse(engine, tables):
        calls.append(set(tables))
        raise RuntimeError("database is locked")

    monkeypatch.setattr(cache_module, "bump_generations", refuse)
    before = cache_module.generations().get("departments", 0)
    make_department(name="Sales", code="SALES")  # committed; the bump fails quietly
    assert calls and "departments" in calls[0]
    monkeypatch.setattr(cache_module, "bump_generations", real)
    assert cache.get_or_compute("a", lambda: "new") == "new"  # what this process cached was forgotten
    assert cache_module.generations()["departments"] == before + 1  # and the bump was made on the next read


def test_rows_written_in_bulk_keep_their_order_and_their_types_and_make_pages_stale(make_plan):
    """db.insert_rows (the task import's bulk write: COPY on PostgreSQL, executemany on SQLite) returns each row's
    id in the order given, stores dates, enums and UTC timestamps as the ORM would, and counts as a write."""
    from datetime import UTC, date, datetime

    from crmproject.cache import generations
    from crmproject.db import insert_rows
    from crmproject.tasks.models import ChangeTask, TaskCategory, TaskChange, TaskPriority, TaskStatus
    from crmproject.tasks.services import ensure_categories

    plan = make_plan()
    category: TaskCategory = ensure_categories()[0]
    db.session.commit()
    before = generations()
    stamp = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    rows = [{"plan_id": plan.id, "title": f"Task {n}", "description": "", "category_id": category.id,
             "start_date": date(2026, 3, 1 + n % 5), "due_date": None,
             "status": (TaskStatus.DONE, TaskStatus.IN_PROGRESS)[n % 2], "priority": TaskPriority.HIGH,
             "outline": str(n), "version": 1, "created_at": stamp, "updated_at": stamp} for n in range(30)]
    ids = insert_rows(ChangeTask.__table__, rows)
    insert_rows(TaskChange.__table__, [{"task_id": i, "user_id": None, "changed_at": stamp, "version": 1,
                                        "field": "created", "old_value": "", "new_value": "x"} for i in ids], ids=False)
    db.session.commit()
    tasks = {t.id: t for t in db.session.scalars(select(ChangeTask).where(ChangeTask.id.in_(ids)))}
    assert [tasks[i].title for i in ids] == [f"Task {n}" for n in range(30)]
    seventh = tasks[ids[7]]
    assert (seventh.start_date, seventh.status, seventh.priority, seventh.created_at) == (
        date(2026, 3, 3), TaskStatus.IN_PROGRESS, TaskPriority.HIGH, stamp)
    assert [c.field for c in seventh.history] == ["created"]
    after = generations()
    assert after["change_tasks"] > before.get("change_tasks", 0)
    assert after["task_changes"] > before.get("task_changes", 0)
