"""The timeline and the board's moves, as the server sees them: what is drawn (phases, go-lives, tasks, their
dependencies and a baseline), and a dragged bar or card saved with its version and dependencies checked."""

from __future__ import annotations

import json
import re
from datetime import date
from html import unescape

import pytest

from crmproject.auth.models import Role
from crmproject.baselines.services import save_baseline
from crmproject.extensions import db
from crmproject.plans import services as plan_services
from crmproject.tasks import services as tasks
from crmproject.tasks.models import ChangeTask, TaskStatus

JSON = {"Accept": "application/json"}


@pytest.fixture
def world(make_plan, make_department):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    sales = make_department(name="Sales")
    pilot = plan_services.add_phase(plan, name="Pilot", start=date(2026, 1, 1), end=date(2026, 6, 30))
    plan_services.add_wave(plan, name="Pilot wave", go_live=date(2026, 5, 1), departments=[sales])
    category = tasks.ensure_categories()[0]
    clean = tasks.create_task(plan, title="Clean data", category=category, actor=None, phase=pilot,
                              start=date(2026, 2, 1), due=date(2026, 2, 28))
    train = tasks.create_task(plan, title="Train Sales", category=category, actor=None, phase=pilot, department=sales,
                              start=date(2026, 3, 1), due=date(2026, 3, 20))
    tasks.set_dependencies(train, [clean])
    tasks.create_task(plan, title="Someday", category=category, actor=None)
    db.session.commit()
    return {"plan": plan, "clean": clean, "train": train, "sales": sales, "pilot": pilot}


def _rows(html: str) -> list[dict]:
    return json.loads(unescape(re.search(r'data-rows="([^"]*)"', html).group(1)))


def test_the_timeline_draws_phases_go_lives_and_tasks_with_their_dependencies_and_a_baseline(world, make_user, login):
    plan, clean, train = world["plan"], world["clean"], world["train"]
    baseline = save_baseline(plan, name="approved plan", saved_by=None)
    train.due_date = date(2026, 3, 27)
    db.session.commit()
    client = login(make_user(Role.EXECUTIVE))
    html = client.get(f"/plans/{plan.id}/timeline/?baseline={baseline.id}").get_data(as_text=True)
    rows = {r["id"]: r for r in _rows(html)}
    assert list(rows) == [f"phase-{world['pilot'].id}", f"wave-{plan.waves[0].id}", f"task-{clean.id}", f"task-{train.id}"]
    assert rows[f"task-{train.id}"]["dependencies"] == f"task-{clean.id}"
    assert rows[f"task-{train.id}"]["baseline"] == {"start": "2026-03-01", "end": "2026-03-20"}
    assert "moved" in rows[f"task-{train.id}"]["classes"] and "moved" not in rows[f"task-{clean.id}"]["classes"]
    # an executive reads every bar and moves none: phases, go-lives and tasks are all locked
    assert all("locked" in row["classes"] for row in rows.values())
    assert "1 task has no dates and is not drawn." in html


def test_a_department_head_sees_on_the_timeline_only_the_tasks_they_may_open(world, make_user, login, make_department):
    plan = world["plan"]
    hr = tasks.create_task(plan, title="<b>Reorganise HR</b>", category=tasks.ensure_categories()[0], actor=None,
                           department=make_department(name="HR"), due=date(2026, 4, 1))
    db.session.commit()
    head = login(make_user(Role.DEPARTMENT_HEAD, department=world["sales"]))
    rows = _rows(head.get(f"/plans/{plan.id}/timeline/").get_data(as_text=True))
    assert [r["name"] for r in rows if r["kind"] == "task"] == ["Train Sales"]  # not the plan-wide one, not HR's
    assert "locked" not in rows[-1]["classes"]  # their department's: they may move it
    assert head.get(f"/plans/{plan.id}/tasks/{hr.id}").status_code == 403
    head.post("/logout")
    manager = login(make_user(Role.PROJECT_MANAGER))
    page = manager.get(f"/plans/{plan.id}/timeline/").get_data(as_text=True)
    assert hr.title in [r["name"] for r in _rows(page)] and "<b>Reorganise" not in page  # the title only as data


def test_a_dragged_bar_is_saved_with_its_history(world, make_user, login):
    plan, train = world["plan"], world["train"]
    client = login(make_user(Role.PROJECT_MANAGER))
    answer = client.post(f"/plans/{plan.id}/tasks/{train.id}/dates", headers=JSON,
                         data={"start": "2026-03-08", "due": "2026-03-27", "version": str(train.version)})
    assert answer.status_code == 200 and answer.json["ok"] and answer.json["due"] == "2026-03-27"
    db.session.expire_all()
    assert (train.start_date, train.due_date, train.version) == (date(2026, 3, 8), date(2026, 3, 27), 2)
    assert [(c.field, c.old_value, c.new_value) for c in train.history[1:]] == [
        ("due_date", "2026-03-20", "2026-03-27"), ("start_date", "2026-03-01", "2026-03-08")]


def test_a_move_that_breaks_a_dependency_or_comes_from_a_stale_page_changes_nothing(world, make_user, login):
    plan, clean, train = world["plan"], world["clean"], world["train"]
    client = login(make_user(Role.PROJECT_MANAGER))
    early = client.post(f"/plans/{plan.id}/tasks/{train.id}/dates", headers=JSON,
                        data={"start": "2026-02-20", "due": "2026-03-20", "version": "1"})
    assert early.status_code == 400 and early.json["messages"] == [
        "It depends on Clean data, due 2026-02-28: it cannot start before that."]
    late = client.post(f"/plans/{plan.id}/tasks/{clean.id}/dates", headers=JSON,
                       data={"start": "2026-02-10", "due": "2026-03-05", "version": "1"})
    assert late.status_code == 400 and "Train Sales depends on it and starts 2026-03-01" in late.json["messages"][0]
    backwards = client.post(f"/plans/{plan.id}/tasks/{train.id}/dates", headers=JSON,
                            data={"start": "2026-03-20", "due": "2026-03-01", "version": "1"})
    assert backwards.status_code == 400 and "before the start date" in backwards.json["messages"][0]
    stale = client.post(f"/plans/{plan.id}/tasks/{train.id}/dates", headers=JSON,
                        data={"start": "2026-03-02", "due": "2026-03-21", "version": "0"})
    assert stale.status_code == 409 and "Someone else saved this task" in stale.json["messages"][0]
    assert stale.json["start"] == "2026-03-01"  # what the page goes back to
    garbled = client.post(f"/plans/{plan.id}/tasks/{train.id}/dates", headers=JSON,
                          data={"start": "soon", "due": "2026-03-21", "version": "1"})
    assert garbled.status_code == 400 and garbled.json["messages"] == ["Start: Not a valid date value."]
    db.session.expire_all()
    assert (train.start_date, train.due_date, train.version) == (date(2026, 3, 1), date(2026, 3, 20), 1)


def test_a_card_moves_with_its_menu_without_javascript_and_others_may_not_move_it(world, make_user, login, make_department):
    plan, train = world["plan"], world["train"]
    client = login(make_user(Role.DEPARTMENT_HEAD, department=world["sales"]))
    moved = client.post(f"/plans/{plan.id}/tasks/{train.id}/move", data={"status": "in_progress", "version": "1"})
    assert moved.status_code == 302 and moved.location.endswith(f"/plans/{plan.id}/tasks/board")
    db.session.expire_all()
    assert train.status == TaskStatus.IN_PROGRESS and train.version == 2
    again = client.post(f"/plans/{plan.id}/tasks/{train.id}/move", data={"status": "done", "version": "1"},
                        headers=JSON)
    assert again.status_code == 409 and again.json["status"] == "in_progress"
    other = login(make_user(Role.DEPARTMENT_HEAD, department=make_department(name="Finance")))
    assert other.post(f"/plans/{plan.id}/tasks/{world['clean'].id}/move",
                      data={"status": "done", "version": "1"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(ChangeTask, world["clean"].id).status == TaskStatus.NOT_STARTED
