from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.plans import services
from crmproject.plans.models import PhaseStatus, WaveDepartment, WaveKind


def messages(exc: pytest.ExceptionInfo, field: str) -> str:
    return " ".join(exc.value.errors.get(field, []))


def test_plan_end_before_start_is_refused_at_the_end_field(app):
    with pytest.raises(ValidationFailed) as exc:
        services.create_plan(name="Rollout", start=date(2026, 5, 1), end=date(2026, 4, 1))
    assert "before the start date" in messages(exc, "end_date")


def test_plan_names_are_unique_ignoring_case(make_plan):
    make_plan(name="CRM rollout")
    with pytest.raises(ValidationFailed) as exc:
        services.create_plan(name="crm ROLLOUT", start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert "already exists" in messages(exc, "name")


def test_phase_outside_its_plan_is_refused(make_plan):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    with pytest.raises(ValidationFailed) as exc:
        services.add_phase(plan, name="Late", start=date(2026, 11, 1), end=date(2027, 2, 1))
    assert "inside the plan" in messages(exc, "end_date")
    with pytest.raises(ValidationFailed) as exc:
        services.add_phase(plan, name="Early", start=date(2025, 12, 1), end=date(2026, 2, 1))
    assert "inside the plan" in messages(exc, "start_date")
    assert plan.phases == []


def test_phase_end_before_start_and_duplicate_name(make_plan):
    plan = make_plan()
    services.add_phase(plan, name="Pilot", start=date(2026, 2, 1), end=date(2026, 4, 30))
    with pytest.raises(ValidationFailed) as exc:
        services.add_phase(plan, name="pilot", start=date(2026, 5, 1), end=date(2026, 4, 1))
    assert "already has a phase named" in messages(exc, "name")
    assert "before the start date" in messages(exc, "end_date")


def test_phases_keep_their_order_when_moved_and_deleted(make_plan):
    plan = make_plan()
    a = services.add_phase(plan, name="A", start=date(2026, 1, 1), end=date(2026, 2, 1))
    b = services.add_phase(plan, name="B", start=date(2026, 2, 1), end=date(2026, 3, 1))
    c = services.add_phase(plan, name="C", start=date(2026, 3, 1), end=date(2026, 4, 1))
    services.move_phase(c, -1)
    db.session.commit()
    db.session.expire_all()
    assert [p.name for p in services.load_plan(plan.id).phases] == ["A", "C", "B"]
    services.delete_phase(a)
    db.session.commit()
    db.session.expire_all()
    reloaded = services.load_plan(plan.id)
    assert [(p.name, p.position) for p in reloaded.phases] == [("C", 1), ("B", 2)]
    assert b.status == PhaseStatus.PLANNED


def test_a_department_cannot_be_in_two_waves_of_one_plan(make_plan, make_department):
    plan = make_plan()
    sales = make_department(name="Sales", code="SALES")
    services.add_wave(plan, name="Pilot", kind=WaveKind.PILOT, go_live=date(2026, 4, 1), departments=[sales])
    with pytest.raises(ValidationFailed) as exc:
        services.add_wave(plan, name="Wave 2", go_live=date(2026, 8, 1), departments=[sales])
    assert "Sales is already in Pilot" in messages(exc, "department_ids")


def test_the_database_itself_refuses_a_department_twice_in_a_plan(make_plan, make_department):
    plan = make_plan()
    sales = make_department(code="SALES")
    pilot = services.add_wave(plan, name="Pilot", go_live=date(2026, 4, 1), departments=[sales])
    wave2 = services.add_wave(plan, name="Wave 2", go_live=date(2026, 8, 1))
    db.session.commit()
    db.session.add(WaveDepartment(plan_id=plan.id, wave_id=wave2.id, department_id=sales.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert pilot.id is not None


def test_the_same_department_may_be_in_waves_of_different_plans(make_plan, make_department):
    sales = make_department(code="SALES")
    first = make_plan(name="First")
    second = make_plan(name="Second")
    services.add_wave(first, name="Pilot", go_live=date(2026, 4, 1), departments=[sales])
    services.add_wave(second, name="Pilot", go_live=date(2026, 4, 1), departments=[sales])
    db.session.commit()
    assert [w.plan.name for w in services.department_waves(sales)] == ["First", "Second"]


def test_moving_a_department_between_waves_by_editing(make_plan, make_department):
    plan = make_plan()
    sales, mkt = make_department(code="SALES"), make_department(code="MKT")
    pilot = services.add_wave(plan, name="Pilot", go_live=date(2026, 4, 1), departments=[sales, mkt])
    wave2 = services.add_wave(plan, name="Wave 2", go_live=date(2026, 8, 1))
    services.update_wave(pilot, name="Pilot", go_live=date(2026, 4, 1), kind=WaveKind.PILOT, departments=[sales], modules=[], notes="")
    services.update_wave(wave2, name="Wave 2", go_live=date(2026, 8, 1), kind=WaveKind.WAVE, departments=[mkt], modules=[], notes="")
    db.session.commit()
    assert [d.code for d in pilot.departments] == ["SALES"]
    assert [d.code for d in wave2.departments] == ["MKT"]


def test_go_live_outside_the_plan_is_refused(make_plan):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    with pytest.raises(ValidationFailed) as exc:
        services.add_wave(plan, name="Late", go_live=date(2027, 3, 1))
    assert "inside the plan" in messages(exc, "go_live_date")


def test_shrinking_a_plan_may_not_strand_its_phases(make_plan):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    services.add_phase(plan, name="Rollout", start=date(2026, 9, 1), end=date(2026, 12, 1))
    with pytest.raises(ValidationFailed) as exc:
        services.update_plan(plan, name=plan.name, start=plan.start_date, end=date(2026, 10, 31), vision="", horizon_years=3)
    assert "Rollout" in messages(exc, "end_date")


def test_wave_modules_and_standard_modules_are_idempotent(app, make_plan):
    first = services.ensure_standard_modules()
    second = services.ensure_standard_modules()
    assert [m.id for m in first] == [m.id for m in second]
    assert {"SFA", "MA", "CSS"} <= {m.code for m in services.list_modules()}
    plan = make_plan()
    sfa = services.get_module_by_code("sfa")
    wave = services.add_wave(plan, name="Pilot", go_live=date(2026, 3, 1), modules=[sfa])
    assert [m.code for m in wave.modules] == ["SFA"]
    with pytest.raises(ValidationFailed) as exc:
        services.create_module(code="sfa", name="Again")
    assert "already exists" in messages(exc, "code")


def test_plan_summary_names_the_current_phase_and_next_go_live(make_plan, make_department):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    services.add_phase(plan, name="Prepare", start=date(2026, 1, 1), end=date(2026, 3, 31))
    services.add_phase(plan, name="Pilot", start=date(2026, 4, 1), end=date(2026, 6, 30))
    services.add_wave(plan, name="Pilot", go_live=date(2026, 4, 15), departments=[make_department()])
    services.add_wave(plan, name="Wave 2", go_live=date(2026, 9, 1), departments=[make_department(), make_department()])
    (summary,) = services.plan_summaries([plan], today=date(2026, 5, 1))
    assert summary.current_phase.name == "Pilot"
    assert summary.next_wave.name == "Wave 2"
    assert summary.days_to_next_go_live == 123
    assert summary.department_count == 3
