"""The large demo organisation, built small: counts, the mix of adoption shapes, logins and refusals."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource
from crmproject.adoption.services import department_shapes, weekly_figures
from crmproject.adoption.shapes import Shape, ShapeRules
from crmproject.auth.models import Role, User
from crmproject.demo.large import LARGE_PLAN_NAME, LargeDemoRefused, load_large_demo
from crmproject.demo.services import DEMO_PASSWORD
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.kpis.models import Kpi, KpiMeasurement
from crmproject.plans.models import Plan
from crmproject.reports.models import ReportStatus, StatusReport
from crmproject.reports.services import periods
from crmproject.roster.models import Employee, EmployeeDepartment
from crmproject.tasks.models import ChangeTask, TaskChange
from crmproject.teams.models import TeamAssignment
from crmproject.training.models import Enrolment

TODAY = date(2026, 11, 23)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def small(app):
    summary = load_large_demo(today=TODAY, departments=6, employees=200, tasks=100, kpis=3, years=1)
    db.session.commit()
    return summary


def test_small_large_demo_has_what_was_asked_for(small):
    plan = db.session.scalar(select(Plan).where(Plan.name == LARGE_PLAN_NAME))
    assert small.plan_id == plan.id
    assert TODAY - timedelta(days=366) <= plan.start_date <= TODAY - timedelta(days=364)
    assert [w.kind.value for w in plan.waves] == ["pilot", "wave", "wave"]
    assert sum(len(w.assignments) for w in plan.waves) == 6
    assert count(Department) == 6 and sum(d.headcount for d in db.session.scalars(select(Department))) == 200
    assert count(Employee) == 200 and count(Employee, Employee.crm_username_key.is_not(None)) == 200
    assert count(EmployeeDepartment) == 200 + small.created["moves"]
    assert count(User) == 3 + 6 and count(User, User.role == Role.DEPARTMENT_HEAD) == 6
    assert count(AdoptionSnapshot, AdoptionSnapshot.source == SnapshotSource.USAGE) == 6 * 365
    assert count(ChangeTask) == 100 == count(TaskChange)
    assert any(t.is_overdue(TODAY) for t in db.session.scalars(select(ChangeTask)))
    assert count(Kpi) == 3 and count(KpiMeasurement) == small.created["measurements"] > 0
    submitted = count(StatusReport, StatusReport.status == ReportStatus.SUBMITTED)
    assert submitted == small.created["reports"] > 0
    assert submitted + small.created["missing reports"] == 6 * len(periods(plan, until=TODAY)[:-1])
    assert count(Enrolment) == small.created["enrolments"] > 200
    assert count(TeamAssignment) >= 4
    assert any("Department head" in role for _email, role in small.accounts)


def test_small_large_demo_tells_every_adoption_story(small):
    plan = db.session.get(Plan, small.plan_id)
    go_lives = {a.department_id: w.go_live_date for w in plan.waves for a in w.assignments}
    weekly = weekly_figures(list(go_lives), first=plan.start_date, last=TODAY)
    shapes = {v.shape for v in department_shapes(go_lives, weekly, today=TODAY, rules=ShapeRules()).values()}
    assert shapes == {Shape.LASTING, Shape.FADING, Shape.NO_EFFECT, Shape.TOO_EARLY}


def test_demo_accounts_log_in_with_the_demo_password(small, client):
    head = db.session.scalar(select(User).where(User.role == Role.DEPARTMENT_HEAD).order_by(User.id))
    for email in ("exec@example.com", head.email):
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        client.post("/logout")


def test_large_demo_refuses_a_database_with_departments(small):
    with pytest.raises(LargeDemoRefused):
        load_large_demo(today=TODAY, departments=6, employees=200, tasks=100, kpis=3, years=1)


def test_demo_command_keeps_the_two_scales_apart(runner, small):
    standard = runner("demo", "--no-serve")
    assert standard.exit_code != 0 and "large demo" in standard.output
    large = runner("demo", "--no-serve", "--scale", "large")
    assert large.exit_code != 0 and "fresh database" in large.output
    assert count(Department) == 6
