"""The gate criteria of readiness: the highest open risk score (a vacant sponsor seat raises a risk above the
threshold) and people's readiness from the ADKAR pulse (a barrier point fails the gate)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from crmproject.extensions import db
from crmproject.gates import criteria
from crmproject.gates import services as gates
from crmproject.gates.criteria import CriterionStatus
from crmproject.gates.models import CriterionKind
from crmproject.plans import services as plan_services
from crmproject.pulse import services as pulse
from crmproject.pulse.models import AdkarElement, SurveyKind
from crmproject.risks import services as risks

TODAY = date.today()


@pytest.fixture
def wave_gate(make_plan, make_department):
    """Service and Finance go live in a month; Legal is in no wave."""
    plan = make_plan(start=TODAY - timedelta(days=100), end=TODAY + timedelta(days=300))
    service, finance, legal = (make_department(name=n, code=n.upper()) for n in ("Service", "Finance", "Legal"))
    wave = plan_services.add_wave(plan, name="Wave 2", go_live=TODAY + timedelta(days=30), departments=[service, finance])
    gate = gates.create_gate(plan, name="Wave 2 may go live", wave=wave)
    db.session.commit()
    return {"plan": plan, "gate": gate, "service": service, "finance": finance, "legal": legal}


def judge(world, kind: CriterionKind, threshold: Decimal | None = None):
    criterion = gates.add_criterion(world["gate"], kind=kind, threshold=threshold)
    db.session.commit()
    evidence = criteria.gather(plan_services.load_plan(world["plan"].id), today=TODAY)
    return next(r for r in criteria.evaluate(world["gate"], evidence).results if r.criterion_id == criterion.id)


def test_a_vacant_sponsor_seat_raises_no_executive_support_above_the_gates_threshold(wave_gate):
    result = judge(wave_gate, CriterionKind.RISKS)
    assert result.threshold == Decimal(15)
    assert result.status == CriterionStatus.NOT_MET and result.measured == Decimal(20)  # 2 x 5 raised to 4 x 5
    assert "No executive support 20" in result.detail and "sponsor" in result.detail


def test_only_plan_wide_risks_and_those_of_the_gates_departments_count(wave_gate):
    plan = wave_gate["plan"]
    for risk in risks.list_risks(plan):
        risks.close_risk(risk, note="Handled")
    risks.create_risk(plan, risks.RiskValues(title="Legal blocks the data transfer", likelihood=5, impact=5,
                                             department=wave_gate["legal"]))
    db.session.commit()
    calm = judge(wave_gate, CriterionKind.RISKS)
    assert calm.status == CriterionStatus.MET and calm.measured == Decimal(0)
    risks.create_risk(plan, risks.RiskValues(title="Finance's ERP export breaks", likelihood=4, impact=4,
                                             department=wave_gate["finance"]))
    db.session.commit()
    evidence = criteria.gather(plan_services.load_plan(plan.id), today=TODAY)
    result = criteria.evaluate(wave_gate["gate"], evidence).results[0]
    assert result.status == CriterionStatus.NOT_MET and result.measured == Decimal(16)
    assert "Finance's ERP export breaks 16" in result.detail and "Legal" not in result.detail


def _survey(world, department, means: dict[AdkarElement, str], respondents: int = 6):
    survey = pulse.create_survey(world["plan"], pulse.SurveyValues(
        department=department, kind=SurveyKind.BEFORE, title=f"{department.name} before go-live",
        opens_on=TODAY - timedelta(days=10), closes_on=TODAY + timedelta(days=5)), actor=None)
    pulse.open_survey(survey, today=TODAY)
    pulse.enter_results(survey, pulse.EnteredValues(respondents=respondents, invited=8,
                                                    means={e: Decimal(v) for e, v in means.items()}), by=None)
    db.session.commit()
    return survey


def test_readiness_names_the_barrier_point_and_the_departments_without_figures(wave_gate):
    assert judge(wave_gate, CriterionKind.READINESS).status == CriterionStatus.NO_DATA
    # high desire, low knowledge: the barrier point is knowledge
    _survey(wave_gate, wave_gate["service"], {AdkarElement.AWARENESS: "4.2", AdkarElement.DESIRE: "4.6",
                                              AdkarElement.KNOWLEDGE: "2.4", AdkarElement.ABILITY: "2.1",
                                              AdkarElement.REINFORCEMENT: "3.5"})
    evidence = criteria.gather(plan_services.load_plan(wave_gate["plan"].id), today=TODAY)
    result = criteria.evaluate(wave_gate["gate"], evidence).results[0]
    assert result.status == CriterionStatus.NOT_MET and result.measured == Decimal("2.1")
    assert "Service: barrier point Knowledge (2.40)" in result.detail
    assert "No readiness figures yet: Finance" in result.detail


def test_readiness_is_met_only_when_every_department_is_measured_at_the_threshold(wave_gate):
    ready = {e: "3.4" for e in AdkarElement}
    _survey(wave_gate, wave_gate["service"], ready)
    waiting = judge(wave_gate, CriterionKind.READINESS)
    assert waiting.status == CriterionStatus.NO_DATA and waiting.measured == Decimal("3.4")  # Finance not measured
    _survey(wave_gate, wave_gate["finance"], ready)
    evidence = criteria.gather(plan_services.load_plan(wave_gate["plan"].id), today=TODAY)
    assert criteria.evaluate(wave_gate["gate"], evidence).results[0].status == CriterionStatus.MET


def test_a_risk_threshold_is_a_whole_score_up_to_25(wave_gate):
    from crmproject.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        gates.add_criterion(wave_gate["gate"], kind=CriterionKind.RISKS, threshold=Decimal("12.5"))
    with pytest.raises(ValidationFailed):
        gates.add_criterion(wave_gate["gate"], kind=CriterionKind.RISKS, threshold=Decimal(26))
    assert gates.add_criterion(wave_gate["gate"], kind=CriterionKind.READINESS, threshold=Decimal("3.5")).threshold \
        == Decimal("3.5")
