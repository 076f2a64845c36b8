"""The comments' world: a plan with a task, a draft and a submitted status report of Sales, a KPI and a gate
decision; another plan's task; an administrator, a project manager, the heads of Sales and Service, an executive
(named in Latin, Cyrillic, Chinese and Persian letters)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.gates import services as gates
from crmproject.gates.models import GateOutcome
from crmproject.kpis import services as kpis
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import Direction, GoalFamily
from crmproject.plans.services import add_wave
from crmproject.reports import services as reports
from crmproject.tasks import services as tasks


@pytest.fixture
def world(make_plan, make_department, make_user):
    plan = make_plan()
    other_plan = make_plan(name="Other rollout")
    sales, service = make_department("Sales", "SALES"), make_department("Service", "SERVICE")
    people = {
        "admin": make_user(Role.ADMIN, email="admin@example.com", name="Ada Admin"),
        "pm": make_user(Role.PROJECT_MANAGER, email="pm@example.com", name="Paula PM"),
        "head_a": make_user(Role.DEPARTMENT_HEAD, sales, email="head.sales@example.com", name="Анна Ли"),
        "head_b": make_user(Role.DEPARTMENT_HEAD, service, email="head.service@example.com", name="王芳"),
        "exec": make_user(Role.EXECUTIVE, email="exec@example.com", name="رضا کریمی"),
    }
    category = tasks.ensure_categories()[0]
    task_a = tasks.create_task(plan, title="Train Sales", category=category, actor=None, department=sales)
    other_task = tasks.create_task(other_plan, title="Elsewhere", category=category, actor=None, department=sales)
    draft_a = reports.start_report(plan, sales, reports.Period(date(2026, 3, 1), date(2026, 3, 31)), author=None)
    submitted_a = reports.start_report(plan, sales, reports.Period(date(2026, 2, 1), date(2026, 2, 28)), author=None)
    reports.submit(submitted_a, reports.ReportContent(overall_rag=Rag.GREEN, achievements="A", next_steps="B", values={}),
                   author=None, due_kpis=[])
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Adoption", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, baseline_value=Decimal(0),
        baseline_date=date(2026, 1, 1), target_value=Decimal(80), target_date=date(2027, 6, 30)))
    wave = add_wave(plan, name="Pilot", go_live=date(2026, 6, 1), departments=[sales])
    gate = gates.create_gate(plan, name="Pilot may go live", wave=wave)
    decision = gates.record_decision(gate, outcome=GateOutcome.GO, decided_on=date(2026, 6, 1), decided_by="SC",
                                     reasoning="", conditions=[], recorded_by=None, today=date(2026, 6, 1))
    db.session.commit()
    return {"plan": plan, "other_plan": other_plan, "sales": sales, "service": service, "task_a": task_a,
            "other_task": other_task, "draft_a": draft_a, "submitted_a": submitted_a, "kpi": kpi, "gate": gate,
            "decision": decision, **people}


