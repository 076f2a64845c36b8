from datetime import date

import pytest

from crmproject.auth.models import Role
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.tasks import services
from crmproject.tasks.models import TaskPriority, TaskStatus


def _values(task, **changes):
    values = services.TaskUpdate(
        title=task.title, category=task.category, owner=task.owner, description=task.description, phase=task.phase,
        department=task.department, start_date=task.start_date, due_date=task.due_date, status=task.status,
        priority=task.priority,
    )
    for k, v in changes.items():
        setattr(values, k, v)
    return values


def test_every_change_of_status_owner_and_due_date_is_kept(make_plan, make_task, make_user):
    plan = make_plan()
    pm, ann, bob = make_user(Role.PROJECT_MANAGER), make_user(name="Ann"), make_user(name="Bob")
    task = make_task(plan, "Announce the pilot", actor=pm, owner=ann, due=date(2026, 3, 1))
    changes = services.update_task(
        task, _values(task, status=TaskStatus.IN_PROGRESS, owner=bob, due_date=date(2026, 3, 15)), actor=pm,
    )
    db.session.commit()
    assert {(c.field, c.old_value, c.new_value) for c in changes} == {
        ("status", "not_started", "in_progress"), ("owner", "Ann", "Bob"), ("due_date", "2026-03-01", "2026-03-15"),
    }
    assert [c.field for c in task.history][0] == "created"
    assert all(c.user_id == pm.id and c.changed_at is not None for c in task.history)
    assert task.version == 2


def test_the_history_since_a_version_is_what_a_page_opened_at_it_did_not_show(make_plan, make_task, make_user):
    """A refused save of the task's form lists it (tests/test_versioned_forms.py)."""
    plan = make_plan()
    first, second = make_user(name="First"), make_user(name="Second")
    task = make_task(plan, "Clean duplicates")
    opened_at = task.version
    services.update_task(task, _values(task, status=TaskStatus.BLOCKED), actor=first)
    services.update_task(task, _values(task, title="Clean duplicates twice"), actor=second)
    db.session.commit()
    assert task.version == opened_at + 2
    assert [(c.field, c.new_value, c.user.name) for c in services.changes_since(task, opened_at)] == [
        ("status", "blocked", "First"), ("title", "Clean duplicates twice", "Second")]
    assert [c.field for c in services.changes_since(task, opened_at + 1)] == ["title"]


def test_a_dependency_cycle_is_refused_naming_it(make_plan, make_task):
    plan = make_plan()
    a, b, c = make_task(plan, "Define goals"), make_task(plan, "Train key users"), make_task(plan, "Go live")
    services.set_dependencies(c, [b])
    services.set_dependencies(b, [a])
    with pytest.raises(ValidationFailed) as exc:
        services.set_dependencies(a, [c])
    assert exc.value.errors["depends_on"] == ["That would make a cycle: Define goals → Go live → Train key users → Define goals."]
    with pytest.raises(ValidationFailed, match="cannot depend on itself"):
        services.set_dependencies(a, [a])


def test_filters_overdue_and_department_scope(make_plan, make_task, make_department, make_user, today):
    plan = make_plan()
    sales, mkt = make_department(code="SALES"), make_department(code="MKT")
    ann = make_user(name="Ann")
    late = make_task(plan, "Late", department=sales, due=date(2026, 6, 1), owner=ann)
    make_task(plan, "Done late", department=sales, due=date(2026, 6, 1), status=TaskStatus.DONE)
    make_task(plan, "Future", department=mkt, due=date(2026, 7, 1), priority=TaskPriority.CRITICAL)
    make_task(plan, "Plan-wide")
    tasks, total = services.find_tasks(plan, services.TaskFilter(overdue=True), today=today)
    assert [t.title for t in tasks] == ["Late"] and total == 1
    tasks, _ = services.find_tasks(plan, services.TaskFilter(), scope=sales.id, today=today)
    assert {t.title for t in tasks} == {"Late", "Done late"}
    tasks, _ = services.find_tasks(plan, services.TaskFilter(sort="priority"), today=today)
    assert tasks[0].title == "Future"
    tasks, _ = services.find_tasks(plan, services.TaskFilter(owner_id=ann.id, search="LAT"), today=today)
    assert tasks == [late]
    counts = services.status_counts(plan, today=today)
    assert counts["done"] == 1 and counts["not_started"] == 3 and counts["overdue"] == 1


def test_bulk_status_records_history(make_plan, make_task, make_user):
    plan = make_plan()
    pm = make_user()
    tasks = [make_task(plan, f"T{i}") for i in range(3)]
    assert services.set_status(tasks, TaskStatus.DONE, actor=pm) == 3
    db.session.commit()
    assert all(t.status == TaskStatus.DONE and t.history[-1].new_value == "done" for t in tasks)
    assert services.set_status(tasks, TaskStatus.DONE, actor=pm) == 0


def test_due_before_start_and_custom_categories(make_plan, make_task, categories):
    plan = make_plan()
    with pytest.raises(ValidationFailed) as exc:
        services.create_task(plan, title="X", category=categories["training"], actor=None, start=date(2026, 5, 1), due=date(2026, 4, 1))
    assert "before the start date" in exc.value.errors["due_date"][0]
    custom = services.create_category("Supplier onboarding")
    assert custom.label == "Supplier onboarding" and not custom.builtin
    with pytest.raises(ValidationFailed, match="already exists"):
        services.create_category("supplier  onboarding")
