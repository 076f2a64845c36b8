"""Gates judged on the plan's own figures: each kind of criterion met and not met, the recommendation, and the
steering committee's decisions (evidence kept, conditions followed as tasks, never edited)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crmproject.adoption.services import enter_snapshot
from crmproject.auth.models import Role
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.gates import services
from crmproject.gates.criteria import CriterionStatus
from crmproject.gates.models import CriterionKind, GateDecision, GateOutcome
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily
from crmproject.plans import services as plans
from crmproject.roster.models import Employee
from crmproject.tasks.models import ChangeTask, TaskPriority, TaskStatus
from crmproject.tasks.services import create_task, ensure_categories
from crmproject.teams import services as teams
from crmproject.teams.models import TeamRoleKind
from crmproject.training import services as training
from crmproject.training.models import EnrolmentStatus

TODAY = date(2026, 9, 1)
PILOT_LIVE = date(2026, 3, 2)  # a Monday, 26 weeks before TODAY


@pytest.fixture
def world(app, make_department, make_user, make_plan):
    """A pilot department live since March with lasting adoption, a wave 2 department going live in October,
    a gate before wave 2's go-live."""
    pilot = make_department(name="Sales", code="SALES", licensed_seats=10)
    second = make_department(name="Marketing", code="MKT", licensed_seats=10)
    plan = make_plan(start=date(2026, 1, 1), end=date(2027, 12, 31))
    phase1 = plans.add_phase(plan, name="Pilot", start=date(2026, 1, 1), end=date(2026, 6, 30))
    phase2 = plans.add_phase(plan, name="Wave 2", start=date(2026, 7, 1), end=date(2026, 12, 31))
    pilot_wave = plans.add_wave(plan, name="Pilot wave", go_live=PILOT_LIVE, departments=[pilot])
    wave2 = plans.add_wave(plan, name="Wave 2", go_live=date(2026, 10, 1), departments=[second])
    gate = services.create_gate(plan, name="Wave 2 may go live", wave=wave2)
    for week in range(26):
        enter_snapshot(pilot, day=PILOT_LIVE + timedelta(weeks=week), active_users=9, entered_by=None)
    db.session.commit()
    return {"plan": plan, "pilot": pilot, "second": second, "gate": gate, "phase1": phase1, "phase2": phase2,
            "pilot_wave": pilot_wave, "wave2": wave2, "exec": make_user(Role.EXECUTIVE, name="Eve Exec"),
            "pm": make_user(Role.PROJECT_MANAGER)}


def judge(world, kind: CriterionKind, threshold=None, blocking=True):
    criterion = services.add_criterion(world["gate"], kind=kind, threshold=threshold, blocking=blocking)
    evaluation = services.evaluate_gate(world["gate"], today=TODAY)
    return next(r for r in evaluation.results if r.criterion_id == criterion.id), evaluation


def _enrol(department, done: int, not_done: int):
    course = training.get_course_by_code("SFA-101") or training.create_course(
        training.CourseValues(code="SFA-101", name="SFA basics", mandatory=True))
    for n in range(done + not_done):
        person = Employee(name=f"{department.code} {n}", department=department)
        db.session.add(person)
        enrolment = training.enrol(person, course)
        if n < done:
            training.set_status(enrolment, EnrolmentStatus.COMPLETED, completed_on=date(2026, 8, 1))


def test_training_is_measured_over_the_gates_departments(world):
    _enrol(world["second"], 9, 1)
    _enrol(world["pilot"], 0, 10)  # not the wave's: not counted at wave 2's gate
    result, evaluation = judge(world, CriterionKind.TRAINING, Decimal(90))
    assert (result.status, result.measured) == (CriterionStatus.MET, Decimal("90.0"))
    assert evaluation.recommendation == GateOutcome.GO
    _enrol(world["second"], 0, 1)
    result, evaluation = judge(world, CriterionKind.TRAINING, Decimal(90))
    assert result.status == CriterionStatus.NOT_MET and result.measured == Decimal("81.8")
    assert "Marketing 81.8%" in result.detail
    assert evaluation.recommendation == GateOutcome.NO_GO


def test_training_without_enrolments_has_no_data_and_cannot_be_a_plain_go(world):
    result, evaluation = judge(world, CriterionKind.TRAINING)
    assert result.status == CriterionStatus.NO_DATA
    assert evaluation.recommendation == GateOutcome.GO_WITH_CONDITIONS
    assert evaluation.reasons and "mandatory course" in evaluation.reasons[0]


def test_adoption_of_the_wave_before_lasting_passes_and_fading_fails(world):
    result, _evaluation = judge(world, CriterionKind.ADOPTION)
    assert result.threshold == Decimal(80)  # the plan's adoption target by default
    assert (result.status, result.measured) == (CriterionStatus.MET, Decimal(90))
    assert "Pilot wave" in result.detail
    # the last eight weeks fall to 30%: a strong start that fades
    for week in range(18, 26):
        enter_snapshot(world["pilot"], day=PILOT_LIVE + timedelta(weeks=week), active_users=3, entered_by=None)
    result, evaluation = judge(world, CriterionKind.ADOPTION)
    assert result.status == CriterionStatus.NOT_MET
    assert "Sales: Strong start, then fading" in result.detail
    assert evaluation.recommendation == GateOutcome.NO_GO
    assert any("fading" in reason for reason in evaluation.reasons)


def test_adoption_too_early_to_tell_is_no_data(world):
    wave3 = plans.add_wave(world["plan"], name="Wave 3", go_live=date(2027, 3, 1), departments=[])
    gate = services.create_gate(world["plan"], name="Wave 3 may go live", wave=wave3)
    services.add_criterion(gate, kind=CriterionKind.ADOPTION)
    evaluation = services.evaluate_gate(gate, today=TODAY)
    # the wave before wave 3 is wave 2, not live yet
    assert evaluation.results[0].status == CriterionStatus.NO_DATA
    pilot_gate = services.create_gate(world["plan"], name="Pilot may go live", wave=world["pilot_wave"])
    services.add_criterion(pilot_gate, kind=CriterionKind.ADOPTION)
    assert services.evaluate_gate(pilot_gate, today=TODAY).results[0].status == CriterionStatus.NOT_APPLICABLE


def test_kpis_on_path_counts_the_latest_figures(world):
    kpi = kpis.create_kpi(world["plan"], kpis.KpiValues(
        name="Adoption", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, unit="%", baseline_value=Decimal(0),
        baseline_date=date(2026, 1, 1), target_value=Decimal(80), target_date=date(2026, 12, 31)))
    kpis.record_measurement(kpi, measured_on=date(2026, 8, 1), value=Decimal(70), department=world["second"], entered_by=None)
    result, _evaluation = judge(world, CriterionKind.KPIS_ON_PATH, Decimal(60), blocking=False)
    assert (result.status, result.measured) == (CriterionStatus.MET, Decimal(100))
    kpis.record_measurement(kpi, measured_on=date(2026, 8, 20), value=Decimal(5), department=world["second"], entered_by=None)
    result, evaluation = judge(world, CriterionKind.KPIS_ON_PATH, Decimal(60), blocking=False)
    assert (result.status, result.measured) == (CriterionStatus.NOT_MET, Decimal(0))
    assert "1 red" in result.detail
    assert evaluation.recommendation == GateOutcome.GO_WITH_CONDITIONS  # not blocking


def test_critical_tasks_overdue_in_the_gates_phase_or_departments(world):
    category = ensure_categories()[0]
    create_task(world["plan"], title="Minor", category=category, actor=None, phase=world["phase2"],
                due=date(2026, 8, 1), priority=TaskPriority.HIGH)
    late = create_task(world["plan"], title="Integration", category=category, actor=None, phase=world["phase2"],
                       due=date(2026, 8, 1), priority=TaskPriority.CRITICAL)
    create_task(world["plan"], title="Elsewhere", category=category, actor=None, phase=world["phase1"],
                due=date(2026, 5, 1), priority=TaskPriority.CRITICAL)
    create_task(world["plan"], title="Marketing data", category=category, actor=None, department=world["second"],
                due=date(2026, 8, 1), priority=TaskPriority.CRITICAL, status=TaskStatus.DONE)
    result, evaluation = judge(world, CriterionKind.CRITICAL_TASKS)
    assert (result.status, result.measured) == (CriterionStatus.NOT_MET, Decimal(1))
    assert result.evidence_args == {"overdue": "1", "priority": "critical"}
    late.status = TaskStatus.DONE
    result, evaluation = judge(world, CriterionKind.CRITICAL_TASKS)
    assert (result.status, result.measured) == (CriterionStatus.MET, Decimal(0))


def test_team_seats_filled(world):
    role = teams.create_role(world["plan"], kind=TeamRoleKind.IT, title="IT lead")
    teams.create_role(world["plan"], kind=TeamRoleKind.IT, title="Optional helper", required=False)
    result, _evaluation = judge(world, CriterionKind.TEAM_SEATS)
    assert (result.status, result.measured) == (CriterionStatus.NOT_MET, Decimal(0))
    assert "IT lead" in result.detail
    teams.assign(role, person_name="Ivan", start=date(2026, 1, 1))
    result, _evaluation = judge(world, CriterionKind.TEAM_SEATS)
    assert (result.status, result.measured) == (CriterionStatus.MET, Decimal(100))


def test_reports_in_for_the_last_due_period(world):
    from crmproject.reports import services as reports
    from crmproject.kpis.attainment import Rag

    result, _evaluation = judge(world, CriterionKind.REPORTS_IN)
    assert result.status == CriterionStatus.NOT_MET and "Missing: Marketing" in result.detail
    period = reports.period_for(world["plan"], date(2026, 7, 15))  # August's is not due until its grace days are over
    report = reports.start_report(world["plan"], world["second"], period, author=None)
    reports.submit(report, reports.ReportContent(overall_rag=Rag.GREEN, achievements="A", next_steps="B", values={}),
                   author=None, due_kpis=[])
    result, _evaluation = judge(world, CriterionKind.REPORTS_IN)
    assert (result.status, result.measured) == (CriterionStatus.MET, Decimal(100))


def test_a_gate_without_criteria_recommends_nothing(world):
    assert services.evaluate_gate(world["gate"], today=TODAY).recommendation is None


def test_a_gate_judges_one_phase_or_wave_and_each_has_one_gate(world):
    with pytest.raises(ValidationFailed) as refused:
        services.create_gate(world["plan"], name="Again", wave=world["wave2"])
    assert "already has a gate" in refused.value.errors["target"][0]
    with pytest.raises(ValidationFailed) as refused:
        services.create_gate(world["plan"], name="Both", wave=world["pilot_wave"], phase=world["phase1"])
    assert "target" in refused.value.errors
    with pytest.raises(ValidationFailed):
        services.add_criterion(world["gate"], kind=CriterionKind.TRAINING, threshold=Decimal(101))
    with pytest.raises(ValidationFailed):
        services.add_criterion(world["gate"], kind=CriterionKind.CRITICAL_TASKS, threshold=Decimal("0.5"))


def decide(world, **overrides):
    values = dict(outcome=GateOutcome.GO, decided_on=date(2026, 8, 30), decided_by="Steering committee", reasoning="",
                  conditions=[], recorded_by=world["exec"], today=TODAY)
    values.update(overrides)
    return services.record_decision(world["gate"], **values)


def test_a_decision_keeps_the_evidence_and_its_conditions_become_tasks(world):
    services.add_criterion(world["gate"], kind=CriterionKind.ADOPTION)
    condition = services.ConditionValues("Publish the pilot's results", world["pm"], date(2026, 9, 20))
    decision = decide(world, outcome=GateOutcome.GO_WITH_CONDITIONS, reasoning="Publish first.",
                      conditions=[condition, services.ConditionValues("", None, None)])
    db.session.commit()
    assert decision.recommendation == GateOutcome.GO and decision.overrides
    evidence = decision.evidence
    assert evidence["recommendation"] == "go" and evidence["criteria"][0]["measured"] == 90.0
    assert [c.text for c in decision.conditions] == ["Publish the pilot's results"]
    task = decision.conditions[0].task
    assert (task.owner, task.due_date, task.phase) == (world["pm"], date(2026, 9, 20), world["phase2"])
    assert task.title == "Gate condition: Publish the pilot's results"
    # the figures change afterwards; the decision still shows those it was taken on
    for week in range(18, 26):
        enter_snapshot(world["pilot"], day=PILOT_LIVE + timedelta(weeks=week), active_users=3, entered_by=None)
    db.session.commit()
    assert services.evaluate_gate(world["gate"], today=TODAY).recommendation == GateOutcome.NO_GO
    assert json.loads(db.session.get(GateDecision, decision.id).evidence_json)["recommendation"] == "go"


def test_a_decisions_history_shows_its_evidence_as_figures_not_json(world, client, login):
    services.add_criterion(world["gate"], kind=CriterionKind.ADOPTION)
    decide(world)
    db.session.commit()
    login(world["pm"])
    page = client.get(f"/plans/{world['plan'].id}/gates/{world['gate'].id}").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    label = str(CriterionKind.ADOPTION.label)
    assert f"{label} 90% (Met)" in history
    assert '"criteria"' not in history and "&#34;criteria&#34;" not in history


def test_a_changed_decision_is_a_new_entry(world):
    services.add_criterion(world["gate"], kind=CriterionKind.ADOPTION)
    first = decide(world)
    second = decide(world, outcome=GateOutcome.HOLD, reasoning="Wait for the integration.")
    db.session.commit()
    db.session.expire_all()
    assert [d.id for d in world["gate"].decisions] == [second.id, first.id]
    with pytest.raises(ValidationFailed):
        services.delete_gate(world["gate"])


@pytest.mark.parametrize(("overrides", "field"), [
    ({"outcome": GateOutcome.NO_GO}, "reasoning"),  # against the recommendation, unexplained
    ({"outcome": GateOutcome.HOLD}, "reasoning"),
    ({"outcome": GateOutcome.GO_WITH_CONDITIONS, "reasoning": "x"}, "condition_1_text"),
    ({"decided_on": date(2026, 9, 2)}, "decided_on"),  # after today
    ({"decided_by": " "}, "decided_by"),
    ({"conditions": [services.ConditionValues("Train", None, None)]}, "condition_1_due"),
    ({"conditions": [services.ConditionValues("", None, date(2026, 9, 9))]}, "condition_1_text"),
    ({"conditions": [services.ConditionValues("Train", None, date(2026, 8, 1))]}, "condition_1_due"),
])
def test_a_decision_that_does_not_hold_together_saves_nothing(world, overrides, field):
    services.add_criterion(world["gate"], kind=CriterionKind.ADOPTION)
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        decide(world, **overrides)
    assert field in refused.value.errors
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(GateDecision)) == 0
    assert db.session.scalar(select(func.count()).select_from(ChangeTask)) == 0


def test_a_wave_or_phase_whose_gate_holds_decisions_is_not_deleted(world, login, client):
    decide(world)
    db.session.commit()
    wave = world["wave2"]
    with pytest.raises(ValidationFailed) as refused:
        plans.delete_wave(wave)
    assert "decisions at its gate Wave 2 may go live are kept for good" in refused.value.errors[""][0]
    db.session.rollback()
    login(world["pm"])
    page = client.post(f"/plans/{world['plan'].id}/waves/{wave.id}/delete", follow_redirects=True)
    assert "cannot be deleted: the steering committee" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(GateDecision)) == 1
    assert len(world["plan"].waves) == 2
    # a phase without a decided gate goes as before
    assert client.post(f"/plans/{world['plan'].id}/phases/{world['phase2'].id}/delete").status_code == 302
    db.session.expire_all()
    assert [p.name for p in world["plan"].phases] == [world["phase1"].name]
