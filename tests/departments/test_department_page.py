"""The department page: everything about one department, as each role may see it, in a bounded number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import event

from crmproject.adoption.models import AdoptionSnapshot
from crmproject.adoption.shapes import Shape
from crmproject.auth.models import Role, User
from crmproject.department_page import services
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import Direction, GoalFamily
from crmproject.plans import services as plans
from crmproject.plans.models import Plan, WaveKind
from crmproject.reports import services as reports
from crmproject.reports.models import ReportStatus, StatusReport
from crmproject.roster.models import Employee
from crmproject.tasks import services as tasks
from crmproject.teams import services as teams
from crmproject.teams.models import TeamRoleKind
from crmproject.training import services as training
from crmproject.training.models import EnrolmentStatus

TODAY = date.today()
GO_LIVE = TODAY - timedelta(days=100)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


@dataclass
class World:
    plan: Plan
    sales: Department
    head: User
    other_head: User
    pm: User
    executive: User
    submitted: StatusReport
    draft: StatusReport


@pytest.fixture
def world(make_plan, make_department, make_user) -> World:
    """Sales, live for 100 days in the pilot, with a red KPI, a team, an overdue task, reports, training and adoption."""
    plan = make_plan(name="CRM rollout", start=TODAY - timedelta(days=200), end=TODAY + timedelta(days=400))
    sales = make_department(name="Sales", code="SALES", headcount=30, licensed_seats=20)
    marketing = make_department(name="Marketing", code="MKT")
    head = make_user(Role.DEPARTMENT_HEAD, department=sales, name="Hanna Head")
    other_head = make_user(Role.DEPARTMENT_HEAD, department=marketing, name="Otto Other")
    pm = make_user(Role.PROJECT_MANAGER, name="Paula Planner")
    executive = make_user(Role.EXECUTIVE, name="Erik Executive")
    analyst = make_user(Role.PROJECT_MANAGER, department=sales, name="Sam Salesanalyst")
    plans.add_wave(plan, name="Pilot", go_live=GO_LIVE, kind=WaveKind.PILOT, departments=[sales])
    plans.add_wave(plan, name="Wave 2", go_live=TODAY + timedelta(days=60), departments=[marketing])

    # KPIs: plan-wide, measured for Sales far behind its path (red) and for Marketing; Marketing's own.
    adoption = kpis.create_kpi(plan, kpis.KpiValues(
        name="Active users share", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, unit="%",
        baseline_value=D(0), baseline_date=plan.start_date, target_value=D(80), target_date=plan.end_date))
    leads = kpis.create_kpi(plan, kpis.KpiValues(
        name="Marketing qualified leads", goal_family=GoalFamily.PROSPECTS, direction=Direction.HIGHER,
        department=marketing, baseline_value=D(10), baseline_date=plan.start_date, target_value=D(50),
        target_date=plan.end_date))
    kpis.record_measurement(adoption, measured_on=TODAY - timedelta(days=3), value=D(2), department=sales, entered_by=pm)
    kpis.record_measurement(adoption, measured_on=TODAY - timedelta(days=3), value=D(70), department=marketing, entered_by=pm)
    kpis.record_measurement(leads, measured_on=TODAY - timedelta(days=3), value=D(40), department=None, entered_by=pm)

    # Team: the key user seat of the pilot department, held by an outside person; a Sales user holds IT.
    teams.add_standard_roles(plan)
    roles = {r.title: r for r in teams.list_roles(plan)}
    teams.assign(roles["Key user SALES"], start=GO_LIVE - timedelta(days=30), person_name="Kim Keyuser",
                 organisation="Sales floor")
    teams.assign(roles["IT"], start=GO_LIVE - timedelta(days=60), user=analyst)
    teams.assign(roles["Project manager"], start=plan.start_date, user=make_user(Role.PROJECT_MANAGER, name="Olga Outsider"))

    # Tasks: one overdue and in progress, one done, one of Marketing.
    category = tasks.ensure_categories()[0]
    tasks.create_task(plan, title="Train the sales reps", category=category, actor=None, department=sales,
                      due=TODAY - timedelta(days=2), status=tasks.TaskStatus.IN_PROGRESS)
    tasks.create_task(plan, title="Clean the account list", category=category, actor=None, department=sales,
                      status=tasks.TaskStatus.DONE)
    tasks.create_task(plan, title="Marketing secret", category=category, actor=None, department=marketing)

    # Reports: last period submitted on time; this period a draft.
    previous, current = reports.periods(plan, until=TODAY, count=2)
    submitted = reports.start_report(plan, sales, previous, author=head)
    due = reports.kpis_due(plan, sales, previous)
    reports.submit(submitted, reports.ReportContent(
        overall_rag=Rag.AMBER, achievements="Pilot users trained", next_steps="Wave 2",
        values={k.id: D(1) for k in due}), author=head, due_kpis=due, now=_noon(previous.end))
    draft = reports.start_report(plan, sales, current, author=head)
    reports.save_draft(draft, reports.ReportContent(overall_rag=Rag.RED, achievements="Half-written draft"), author=head)
    # Sales' own KPI, added after the report (which gave values for the KPIs due then): not measured yet.
    kpis.create_kpi(plan, kpis.KpiValues(
        name="Sales cycle days", goal_family=GoalFamily.EFFICIENCY, direction=Direction.LOWER, department=sales,
        baseline_value=D(90), baseline_date=plan.start_date, target_value=D(60), target_date=plan.end_date))

    # Training: one Sales employee completed a mandatory course.
    course = training.create_course(training.CourseValues(code="SFA-101", name="SFA basics", mandatory=True,
                                                          length_hours=D(2)))
    ann = Employee(name="Ann Lee", department=sales)
    db.session.add(ann)
    db.session.flush()
    training.set_status(training.enrol(ann, course), EnrolmentStatus.COMPLETED, completed_on=TODAY - timedelta(days=20))

    # Adoption: 60% of the seats every day since the go-live: a lasting success.
    for n in range(100):
        db.session.add(AdoptionSnapshot(department_id=sales.id, day=GO_LIVE + timedelta(days=n), licensed_seats=20,
                                        active_users=10, monthly_active_users=12))
    db.session.commit()
    return World(plan, sales, head, other_head, pm, executive, submitted, draft)


def _page(client, login, user: User, department: Department) -> str:
    login(user)
    response = client.get(f"/departments/{department.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_overview_gathers_the_department_for_its_head(world):
    overview = services.department_overview(world.sales, viewer=world.head, today=TODAY)
    assert [(g.wave.name, g.days, g.is_live) for g in overview.go_lives] == [("Pilot", -100, True)]
    assert [h.name for h in overview.heads] == ["Hanna Head"]
    seats = {s.role.title: s.holder.holder_name for s in overview.team}
    assert seats == {"Key user SALES": "Kim Keyuser", "IT": "Sam Salesanalyst"}
    assert overview.tasks.open_total == 1 and overview.tasks.overdue == 1
    assert overview.tasks.by_status[tasks.TaskStatus.IN_PROGRESS] == 1
    assert overview.tasks.by_status[tasks.TaskStatus.DONE] == 1
    by_name = {r.kpi.name: r.latest for r in overview.kpis}
    assert set(by_name) == {"Active users share", "Sales cycle days"}  # Marketing's KPI is not Sales'
    assert by_name["Active users share"].result.status == Rag.RED and by_name["Active users share"].result.actual == D(2)
    assert by_name["Sales cycle days"] is None
    assert overview.adoption_shape.verdict.shape == Shape.LASTING
    (plan_reports,) = overview.reports
    newest, previous = plan_reports.periods[:2]
    assert newest.state == reports.Submission.DRAFT and newest.current == world.draft
    assert previous.state == reports.Submission.ON_TIME and previous.current == world.submitted
    assert [c.course_code for c in overview.training_cells] == ["SFA-101"]


def test_the_pm_sees_everything_about_the_department(client, login, world):
    page = _page(client, login, world.pm, world.sales)
    assert GO_LIVE.isoformat() in page and "100 days since go-live" in page
    assert "Kim Keyuser" in page and "Sam Salesanalyst" in page and "Hanna Head" in page
    assert "Olga Outsider" not in page  # on the team, but not of Sales
    assert "Train the sales reps" in page and "Overdue: 1" in page and "In progress: 1" in page
    assert "Active users share" in page and '<span class="badge red">Red</span>' in page and "not measured yet" in page
    assert f'/plans/{world.plan.id}/kpis/' in page and "Marketing qualified leads" not in page
    assert "Lasting success" in page and "<summary>" in page and "No effect: adoption never reached 40%" in page
    assert "SFA-101" in page
    assert f'/plans/{world.plan.id}/reports/{world.submitted.id}"' in page
    assert f'/plans/{world.plan.id}/reports/department/{world.sales.id}"' in page
    assert f'/plans/{world.plan.id}/reports/{world.draft.id}"' in page  # planners read drafts


def test_the_department_head_sees_their_tasks_and_their_draft(client, login, world):
    page = _page(client, login, world.head, world.sales)
    assert "Train the sales reps" in page and "Marketing secret" not in page
    assert "Lasting success" in page and '<span class="badge red">Red</span>' in page
    assert f'/reports/{world.draft.id}"' in page and "Draft, not submitted" in page
    assert "Enter figures by hand" in page


def test_another_head_sees_the_page_but_not_the_tasks_nor_the_draft(client, login, world):
    page = _page(client, login, world.other_head, world.sales)
    assert GO_LIVE.isoformat() in page and "Kim Keyuser" in page and "Lasting success" in page
    assert "Train the sales reps" not in page and "Overdue:" not in page and "Change tasks" not in page
    assert f'/reports/{world.submitted.id}"' in page
    assert f'/reports/{world.draft.id}"' not in page and "Draft, not submitted" not in page
    assert "Enter figures by hand" not in page


def test_the_executive_reads_everything_but_drafts(client, login, world):
    page = _page(client, login, world.executive, world.sales)
    assert "Train the sales reps" in page and "Kim Keyuser" in page and '<span class="badge red">Red</span>' in page
    assert f'/reports/{world.submitted.id}"' in page and f'/reports/{world.draft.id}"' not in page
    assert "this period&#39;s report" not in page and "this period's report" not in page


def test_a_department_in_no_wave_still_has_a_page(client, login, make_user, make_department):
    lonely = make_department(name="Legal", code="LEGAL")
    page = _page(client, login, make_user(Role.EXECUTIVE), lonely)
    assert "This department is not in any wave yet." in page and "not planned" in page
    assert "A department reports once it is in a wave of a plan." in page


# --- queries ------------------------------------------------------------------------------------

def _fill(plan: Plan, department: Department, n: int, pm: User) -> None:
    """n KPIs with values, tasks, reports, team seats and courses for a department."""
    category = tasks.ensure_categories()[0]
    months = reports.periods(plan, until=TODAY)
    for i in range(n):
        kpi = kpis.create_kpi(plan, kpis.KpiValues(
            name=f"{department.code} KPI {i}", goal_family=GoalFamily.EFFICIENCY, direction=Direction.HIGHER,
            baseline_value=D(0), baseline_date=plan.start_date, target_value=D(100), target_date=plan.end_date,
            department=department))
        kpis.set_target(kpi, target_date=TODAY + timedelta(days=30), value=D(50))
        kpis.record_measurement(kpi, measured_on=TODAY - timedelta(days=1), value=D(i), department=department,
                                entered_by=pm)
        tasks.create_task(plan, title=f"{department.code} task {i}", category=category, actor=None,
                          department=department, due=TODAY - timedelta(days=i), owner=pm)
        period = months[-1 - i]
        db.session.add(StatusReport(plan_id=plan.id, department_id=department.id, period_start=period.start,
                                    period_end=period.end, status=ReportStatus.SUBMITTED, overall_rag=Rag.GREEN,
                                    submitted_at=_noon(period.end), author=pm))
        role = teams.create_role(plan, kind=TeamRoleKind.KEY_USER, title=f"Key user {department.code} {i}",
                                 department=department)
        teams.assign(role, start=plan.start_date, person_name=f"Person {department.code} {i}")
        course = training.create_course(training.CourseValues(code=f"{department.code}-{i}", name=f"Course {i}",
                                                              length_hours=D(1)))
        employee = Employee(name=f"Employee {department.code} {i}", department=department)
        db.session.add(employee)
        db.session.flush()
        training.enrol(employee, course)
        db.session.add(AdoptionSnapshot(department_id=department.id, day=TODAY - timedelta(days=i), licensed_seats=10,
                                        active_users=5))
    db.session.commit()


def test_the_number_of_queries_does_not_grow_with_the_department(client, login, make_plan, make_department, make_user):
    plan = make_plan(start=TODAY - timedelta(days=400), end=TODAY + timedelta(days=400))
    pm = make_user(Role.PROJECT_MANAGER)
    small, large = make_department(name="Small", code="S"), make_department(name="Large", code="L")
    plans.add_wave(plan, name="Pilot", go_live=TODAY - timedelta(days=90), kind=WaveKind.PILOT, departments=[small, large])
    _fill(plan, small, 1, pm)
    _fill(plan, large, 10, pm)
    ids = small.id, large.id
    login(pm)

    def count(department_id: int) -> int:
        db.session.remove()  # a fresh session, as in production: nothing served from an earlier request's objects
        statements: list[str] = []

        def listener(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.get(f"/departments/{department_id}")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return len(statements)

    counts = [count(i) for i in ids]
    page = client.get(f"/departments/{ids[1]}").get_data(as_text=True)
    assert "L task 9" in page and "L KPI 9" in page and "Person L 9" in page and "L-9" in page
    assert counts[0] == counts[1], counts
    assert counts[1] < 60, counts
