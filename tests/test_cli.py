import json
from datetime import date

import pytest
from sqlalchemy import func, select

from crmproject.auth.models import Role, User
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.plans.models import Plan


def test_plans_templates_lists_every_template(runner):
    result = runner("plans", "templates")
    assert result.exit_code == 0, result.output
    assert "pilot-then-waves" in result.output and "eight-stages" in result.output
    listed = json.loads(runner("plans", "templates", "--json").output)
    assert {t["key"] for t in listed} >= {"eight-stages", "pilot-then-waves", "small-company-quick-start"}


def test_plans_create_from_a_template(runner):
    result = runner("plans", "create", "--template", "small-company-quick-start", "--start", "2027-01-04", "--name", "Quick")
    assert result.exit_code == 0, result.output
    plan = db.session.scalar(select(Plan).where(Plan.name == "Quick"))
    assert plan.start_date == date(2027, 1, 4)
    assert f"Created plan {plan.id}" in result.output


def test_plans_create_with_bad_input_says_what_is_wrong(runner):
    result = runner("plans", "create", "--template", "nope", "--start", "2027-01-04")
    assert result.exit_code != 0 and "no plan template named nope" in result.output
    result = runner("plans", "create", "--template", "eight-stages", "--start", "04/01/2027")
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 0


def test_plans_create_in_a_language(runner, app):
    result = runner("plans", "create", "--template", "small-company-quick-start", "--start", "2027-01-04", "--lang", "ru")
    assert result.exit_code == 0, result.output
    plan = db.session.scalar(select(Plan))
    assert plan.name == "Быстрый старт для небольшой компании"
    assert [p.name for p in plan.phases][:2] == ["Цели, команда и данные о клиентах", "Запуск SFA в продажах"]
    assert plan.phases[1].goal.startswith("Выстроить процесс продаж")
    result = runner("plans", "create", "--template", "small-company-quick-start", "--start", "2027-01-04", "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Plan).where(Plan.name == "小型企业快速启动")).phases[0].name == "目标、团队与客户数据"
    result = runner("plans", "create", "--template", "eight-stages", "--start", "2027-01-04", "--lang", "de")
    assert result.exit_code != 0 and "--lang" in result.output


def test_plans_create_takes_the_instances_language_by_default(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOCALE", "fa")
    result = runner("plans", "create", "--template", "small-company-quick-start", "--start", "2027-01-04")
    assert result.exit_code == 0, result.output
    plan = db.session.scalar(select(Plan))
    assert (plan.name, plan.phases[0].name) == ("شروع سریع برای شرکت کوچک", "اهداف، تیم و داده‌های مشتری")
    listed = json.loads(runner("plans", "templates", "--json").output)
    quick = next(t for t in listed if t["key"] == "small-company-quick-start")
    assert (quick["name"], quick["language"]) == ("شروع سریع برای شرکت کوچک", "fa")
    assert quick["languages"] == ["en", "ru", "zh_Hans", "fa"]
    assert "Small company quick start" in runner("plans", "templates", "--lang", "en").output


def test_users_create(runner, make_department):
    make_department(name="Sales", code="SALES")
    result = runner("users", "create", "--email", "h@example.com", "--name", "H", "--role", "department_head",
                    "--department", "sales", "--password", "amber-lantern-42")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "h@example.com"))
    assert user.role == Role.DEPARTMENT_HEAD and user.department.code == "SALES"
    again = runner("users", "create", "--email", "H@example.com", "--name", "H", "--role", "executive", "--password", "amber-lantern-42")
    assert again.exit_code != 0 and "already exists" in again.output


@pytest.fixture
def demo_from_copy(monkeypatch, load_demo_copy):
    """The `demo` command loads the tests' copy of the demo (load_demo_copy: what load_demo makes on an empty
    database, built once per worker), for the tests of what the demo holds; a load on a database that holds
    anything is load_demo's own. test_demo_loads_the_organisation_once runs the command as it is."""
    monkeypatch.setattr("crmproject.demo.services.load_demo", load_demo_copy)


def test_demo_loads_the_organisation_once(runner):
    first = runner("demo", "--no-serve")
    assert first.exit_code == 0, first.output
    for account in ("admin@example.com", "pm@example.com", "exec@example.com", "head.sales@example.com"):
        assert account in first.output
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (User, Department, Plan)]
    assert counts[1] >= 10 and counts[2] == 1
    second = runner("demo", "--no-serve", "--lang", "ru")  # a demo already loaded keeps its language
    assert second.exit_code == 0, second.output
    assert "nothing added" in second.output
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (User, Department, Plan)] == counts
    head = db.session.scalar(select(User).where(User.email == "head.sales@example.com"))
    assert head.role == Role.DEPARTMENT_HEAD and head.department.name == "Sales" and head.name == "Olga Petrova"
    assert head.language is None  # in English the browser's language decides, as for any user
    plan = db.session.scalar(select(Plan))
    assert plan.waves[0].kind.value == "pilot" and any(d.code == "SALES" for d in plan.waves[0].departments)


def test_demo_is_not_loaded_again_after_its_plan_is_renamed(runner, demo_from_copy):
    assert runner("demo", "--no-serve").exit_code == 0
    plan = db.session.scalar(select(Plan))
    plan.name = "Our CRM rollout"
    db.session.commit()
    again = runner("demo", "--no-serve")
    assert again.exit_code == 0, again.output
    assert "nothing added" in again.output
    assert db.session.scalars(select(Plan.name)).all() == ["Our CRM rollout"]


def test_demo_plan_has_a_staffed_team_raci_and_change_tasks(runner, demo_from_copy):
    from datetime import date

    from crmproject.tasks.models import ChangeTask
    from crmproject.teams import services as teams

    assert runner("demo", "--no-serve").exit_code == 0
    plan = db.session.scalar(select(Plan))
    overview = teams.team_overview(plan, today=date.today())
    assert overview.turnover >= 2  # the project manager and a key user changed hands
    assert any(r.role.title == "Project manager" and r.holder.user.email == "pm@example.com" for r in overview.roles)
    deliverables = teams.list_deliverables(plan)
    assert deliverables and all(teams.raci_problem(teams.raci_matrix(deliverables)[d.id]) is None for d in deliverables)
    tasks = db.session.scalars(select(ChangeTask).where(ChangeTask.plan_id == plan.id)).all()
    assert len({t.phase_id for t in tasks}) >= 4 and len({t.department_id for t in tasks}) >= 5
    assert any(t.is_overdue(date.today()) for t in tasks)


def test_demo_has_kpi_history_and_status_reports_with_this_period_still_open(runner, demo_from_copy):
    from datetime import date

    from crmproject.kpis.services import latest_attainment, list_kpis
    from crmproject.reports.services import period_for, reporting_matrix, reports_of

    assert runner("demo", "--no-serve").exit_code == 0
    plan = db.session.scalar(select(Plan))
    statuses = {a.result.status.value for a in latest_attainment(list_kpis(plan), today=date.today())}
    assert statuses == {"red", "amber", "green"}
    states = {c.state.value for c in reporting_matrix(plan, today=date.today()).cells.values()}
    assert {"on_time", "late", "missing"} <= states
    sales = db.session.scalar(select(Department).where(Department.code == "SALES"))
    assert reports_of(plan, sales, period_for(plan, date.today())) == []  # for head.sales to write in the demo


def test_demo_has_a_roster_with_crm_user_names_and_department_moves(runner, demo_from_copy):
    from crmproject.roster.models import Employee, EmployeeDepartment

    assert runner("demo", "--no-serve").exit_code == 0
    employees = db.session.scalars(select(Employee)).all()
    seats = sum(d.licensed_seats for d in db.session.scalars(select(Department)))
    assert len(employees) > seats and all(e.crm_username_key for e in employees)
    moved = db.session.scalar(select(func.count()).select_from(EmployeeDepartment).where(EmployeeDepartment.valid_to.is_not(None)))
    assert moved == 6
    count = len(employees)
    assert runner("demo", "--no-serve").exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Employee)) == count
