"""Baselines: the plan kept under a name, and the plan now against it (phases, go-lives, tasks, KPI targets)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.baselines import services
from crmproject.baselines.models import BaselineItem, PlanBaseline
from crmproject.demo.services import demo_plan, load_demo
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.plans import services as plan_services
from crmproject.tasks.models import ChangeTask
from crmproject.tasks.services import create_task, delete_task, ensure_categories

TODAY = date.today()


@pytest.fixture
def plan(make_plan):
    plan = make_plan()
    plan_services.add_phase(plan, name="Pilot", start=date(2026, 1, 1), end=date(2026, 3, 31))
    plan_services.add_phase(plan, name="Rollout", start=date(2026, 4, 1), end=date(2026, 12, 31))
    plan_services.add_wave(plan, name="Pilot wave", go_live=date(2026, 3, 1))
    category = ensure_categories()[0]
    for n in range(3):
        create_task(plan, title=f"Task {n}", category=category, actor=None, due=date(2026, 2, 1) + timedelta(days=n))
    db.session.commit()
    return plan


def test_a_saved_baseline_keeps_every_phase_wave_and_task(plan):
    create_task(plan, title="Undated task", category=ensure_categories()[0], actor=None)  # unchanged, not "removed"
    baseline = services.save_baseline(plan, name="approved plan", saved_by=None)
    db.session.commit()
    kinds = db.session.execute(select(BaselineItem.kind, func.count()).where(BaselineItem.baseline_id == baseline.id)
                               .group_by(BaselineItem.kind)).all()
    assert {kind.value: n for kind, n in kinds} == {"phase": 2, "wave": 1, "task": 4}
    comparison = services.compare(plan, baseline)
    assert [p.end_slip for p in comparison.phases] == [0, 0] and comparison.waves[0].end_slip == 0
    assert comparison.tasks == [] and comparison.worst_phase is None and comparison.tasks_compared == 4


def test_the_comparison_shows_what_slipped_was_added_and_was_removed(plan):
    baseline = services.save_baseline(plan, name="approved plan", saved_by=None)
    rollout = plan.phases[1]
    rollout.end_date += timedelta(days=31)
    plan.waves[0].go_live_date -= timedelta(days=7)
    tasks = db.session.scalars(select(ChangeTask).where(ChangeTask.plan_id == plan.id).order_by(ChangeTask.id)).all()
    tasks[0].due_date += timedelta(days=10)
    delete_task(tasks[1])
    create_task(plan, title="New task", category=ensure_categories()[0], actor=None, due=date(2026, 5, 1))
    db.session.commit()

    comparison = services.compare(plan, baseline)
    assert comparison.worst_phase.name == "Rollout" and comparison.worst_phase.end_slip == 31
    assert comparison.phases[1].start_slip == 0
    assert comparison.waves[0].end_slip == -7
    moved = {t.name: t for t in comparison.tasks}
    assert set(moved) == {"Task 0", "Task 1", "New task"}  # Task 2 did not move: not listed
    assert moved["Task 0"].end_slip == 10 and not moved["Task 0"].added
    assert moved["Task 1"].removed and moved["New task"].added
    assert comparison.tasks_late == 1 and comparison.tasks_compared == 4
    assert [t.name for t in comparison.tasks] == ["Task 0", "New task", "Task 1"]  # slips, then added, then removed


def test_names_are_required_and_unique_within_a_plan(plan, make_plan):
    services.save_baseline(plan, name="approved plan", saved_by=None)
    for name in ("  ", "approved plan"):
        with pytest.raises(ValidationFailed) as refused:
            services.save_baseline(plan, name=name, saved_by=None)
        assert "name" in refused.value.errors
    other = make_plan(name="Other rollout")
    assert services.save_baseline(other, name="approved plan", saved_by=None).plan_id == other.id


def test_deleting_a_baseline_deletes_its_items_and_nothing_of_the_plan(plan):
    baseline = services.save_baseline(plan, name="approved plan", saved_by=None)
    db.session.commit()
    services.delete_baseline(baseline)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(BaselineItem)) == 0
    assert len(plan.phases) == 2


@pytest.fixture
def demo(load_demo_copy):
    load_demo_copy(today=TODAY)
    return demo_plan()


def test_the_demos_approved_plan_shows_the_enterprise_slip_and_the_lowered_target(demo):
    baseline, = services.list_baselines(demo)
    assert baseline.name == "approved plan"
    comparison = services.compare(demo, baseline)
    assert comparison.worst_phase.name.startswith("Enterprise") and comparison.worst_phase.end_slip == 30
    enterprise_wave = next(w for w in comparison.waves if w.name.startswith("Enterprise"))
    assert enterprise_wave.end_slip == 21
    assert sorted(t.end_slip for t in comparison.tasks if not t.added) == [14, 30, 45]
    added = {t.name for t in comparison.tasks if t.added}  # the committee's conditions and actions came later
    assert added and all(name.startswith(("Gate condition", "Steering action")) for name in added), added
    kpi, = comparison.kpis
    assert kpi.name == "Required fields filled" and kpi.then_value == Decimal(95) and kpi.now_value == Decimal(90)
    load_demo(today=TODAY)  # loading again keeps the one baseline
    assert db.session.scalar(select(func.count()).select_from(PlanBaseline)) == 1


def test_a_project_manager_saves_a_baseline_and_sees_the_plan_against_it(demo, make_user, login):
    client = login(make_user(Role.PROJECT_MANAGER))
    page = client.get(f"/plans/{demo.id}/baselines/").get_data(as_text=True)
    assert "approved plan" in page and 'name="name"' in page
    response = client.post(f"/plans/{demo.id}/baselines/", data={"name": "after the pilot", "note": "Re-planned"})
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The plan now against after the pilot" in shown and "No task moved." in shown
    assert "No KPI target changed." in shown
    approved = client.get(f"/plans/{demo.id}/baselines/").get_data(as_text=True)
    href = re.search(r'href="(/plans/\d+/baselines/\d+)">approved plan<', approved).group(1)
    against_approved = client.get(href).get_data(as_text=True)
    assert '<span class="badge red">+30</span>' in against_approved and "Required fields filled" in against_approved

    again = client.post(f"/plans/{demo.id}/baselines/", data={"name": "after the pilot"})
    assert again.status_code == 400 and "already has a baseline named after the pilot" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PlanBaseline)) == 2


def test_a_department_head_reads_baselines_but_cannot_save_or_delete(demo, make_user, login):
    client = login(make_user(Role.DEPARTMENT_HEAD))
    page = client.get(f"/plans/{demo.id}/baselines/").get_data(as_text=True)
    assert "approved plan" in page and 'name="name"' not in page
    assert client.post(f"/plans/{demo.id}/baselines/", data={"name": "mine"}).status_code == 403
    baseline, = services.list_baselines(demo)
    shown = client.get(f"/plans/{demo.id}/baselines/{baseline.id}").get_data(as_text=True)
    assert "Delete baseline" not in shown
    assert client.post(f"/plans/{demo.id}/baselines/{baseline.id}/delete").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(PlanBaseline)) == 1
