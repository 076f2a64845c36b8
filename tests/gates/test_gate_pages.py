"""Gates as people use them: the demo's gates judged on its figures, the gate page, a decision recorded through
the form, and `crmproject gates evaluate`."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.demo.services import demo_plan, load_demo
from crmproject.extensions import db
from crmproject.gates import services
from crmproject.gates.models import CriterionKind, GateDecision
from crmproject.tasks.models import ChangeTask

TODAY = date.today()  # the pages and the command judge on the plan's today; the demo is built around it


@pytest.fixture
def demo(load_demo_copy):
    load_demo_copy(today=TODAY)
    plan = demo_plan()
    return {g.name: g for g in services.list_gates(plan)} | {"plan": plan}


def test_the_demo_pilot_gate_reads_go_with_the_figures_behind_it(demo):
    evaluation = services.evaluate_gate(demo["Pilot proven"], today=TODAY)
    assert evaluation.recommendation.value == "go"
    figures = {r.kind.value: r for r in evaluation.results}
    assert figures["training"].measured >= 90 and figures["adoption"].measured >= 80
    assert "Pilot - SFA in Sales" in figures["adoption"].detail


def test_the_gate_after_a_fading_wave_reads_no_go_and_says_why(demo):
    evaluation = services.evaluate_gate(demo["Wave 3 may go live"], today=TODAY)
    assert evaluation.recommendation.value == "no_go"
    adoption = next(r for r in evaluation.results if r.kind.value == "adoption")
    assert adoption.status.value == "not_met"
    assert "Marketing: Strong start, then fading" in adoption.detail and "Telesales: No effect" in adoption.detail
    assert any("Marketing" in reason for reason in evaluation.reasons)


def test_the_demo_records_one_decision_whose_conditions_became_tasks(demo):
    decision, = demo["Pilot proven"].decisions
    assert decision.outcome.value == "go_with_conditions" and decision.recommendation.value == "go"
    assert decision.reasoning and decision.evidence["criteria"]
    tasks = [c.task for c in decision.conditions]
    assert len(tasks) == 2 and all(t.plan_id == demo["plan"].id and t.owner is not None for t in tasks)
    load_demo(today=TODAY)  # loading again adds nothing
    assert db.session.scalar(select(func.count()).select_from(GateDecision)) == 1


def test_gates_evaluate_prints_each_gates_criteria_as_json(demo, runner):
    result = runner("gates", "evaluate", "--plan", str(demo["plan"].id), "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    gates = {g["name"]: g for g in printed["gates"]}
    assert gates["Pilot proven"]["recommendation"] == "go"
    assert gates["Wave 3 may go live"]["recommendation"] == "no_go"
    criterion = gates["Pilot proven"]["criteria"][0]
    assert set(criterion) >= {"kind", "measured", "threshold", "status", "blocking", "detail"}
    text = runner("gates", "evaluate", "--plan", str(demo["plan"].id))
    assert "Pilot proven" in text.output and "[Met] Mandatory training completed" in text.output
    missing = runner("gates", "evaluate", "--plan", "999")
    assert missing.exit_code != 0 and "There is no plan with the id 999" in missing.output


def test_the_gate_page_shows_each_criterion_with_its_evidence(demo, client, login, make_user):
    login(make_user(Role.DEPARTMENT_HEAD))
    plan, gate = demo["plan"], demo["Wave 3 may go live"]
    html = client.get(f"/plans/{plan.id}/gates/{gate.id}").get_data(as_text=True)
    assert 'id="recommendation">No-go<' in html
    assert "Strong start, then fading" in html
    assert f'href="/plans/{plan.id}/tasks/?overdue=1&amp;priority=critical"' in html or \
        f'href="/plans/{plan.id}/tasks?overdue=1&amp;priority=critical"' in html
    assert f'href="/plans/{plan.id}/adoption"' in html
    assert "Record a decision" not in html  # a department head reads, the committee decides
    listing = client.get(f"/plans/{plan.id}/gates/").get_data(as_text=True)
    assert listing.count('class="badge no_go"') >= 2 and "Go with conditions" in listing


def test_the_committee_records_a_decision_through_the_form(demo, client, login, make_user):
    plan, gate = demo["plan"], demo["Wave 3 may go live"]
    pm = make_user(Role.PROJECT_MANAGER, name="Pia Manager")
    login(make_user(Role.EXECUTIVE))
    url = f"/plans/{plan.id}/gates/{gate.id}/decisions"
    due = TODAY + timedelta(days=14)
    data = {"outcome": "go_with_conditions", "decided_on": (TODAY - timedelta(days=3)).isoformat(),
            "decided_by": "Steering committee", "reasoning": "", "condition_1_text": "Marketing retrained",
            "condition_1_owner_id": str(pm.id), "condition_1_due": due.isoformat()}
    refused = client.post(url, data=data)
    assert refused.status_code == 400
    assert "The decision differs from the recommendation (No-go): say why." in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(GateDecision).where(GateDecision.gate_id == gate.id)) == 0
    response = client.post(url, data={**data, "reasoning": "Service cannot wait; Marketing retrains in parallel."})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The committee decided otherwise." in page and "Marketing retrained" in page
    task = db.session.scalar(select(ChangeTask).where(ChangeTask.title == "Gate condition: Marketing retrained"))
    assert task.owner_id == pm.id and task.due_date == due


def test_a_new_gate_starts_with_every_kind_of_criterion(demo, client, login, make_user):
    login(make_user(Role.PROJECT_MANAGER))
    plan = demo["plan"]
    phase = plan.phases[-1]
    response = client.post(f"/plans/{plan.id}/gates/new", data={"name": "Evaluated", "target": f"phase:{phase.id}"})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(re.findall(r'<tr id="criterion-\d+">', html)) == len(CriterionKind)  # every kind, hypercare included
    again = client.post(f"/plans/{plan.id}/gates/new", data={"name": "Twice", "target": f"phase:{phase.id}"})
    assert again.status_code == 200 and "already has a gate" in again.get_data(as_text=True)
    bad = client.post(f"/plans/{plan.id}/gates/new", data={"name": "Nowhere", "target": "phase:999999"})
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)
