"""Training that stays current: a course's validity, expired completions counted as not done, refreshers due,
and people enrolled in their wave's mandatory courses when they join a department."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from crmproject.auth.models import Role

from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.plans.services import add_wave, ensure_standard_modules
from crmproject.roster.services import create_employee, move
from crmproject.demo.training import load_demo_training
from crmproject.training import completion, services
from crmproject.training.models import Course, Enrolment, EnrolmentStatus as S

TODAY = date(2026, 5, 15)


def _completed(employee, course, on: date) -> Enrolment:
    enrolment = services.enrol(employee, course)
    services.set_status(enrolment, S.COMPLETED, completed_on=on, today=TODAY)
    db.session.commit()
    return enrolment


def test_expiry_is_the_same_day_so_many_months_later_clamped_to_the_months_end():
    assert completion.expires_on(date(2025, 4, 15), 12) == date(2026, 4, 15)
    assert completion.expires_on(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert completion.expires_on(date(2023, 2, 28), 12) == date(2024, 2, 28)
    assert completion.expires_on(date(2026, 1, 31), None) is None
    assert completion.add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


def test_the_sql_rule_agrees_with_the_expiry_date_on_every_day(make_course, make_employee, make_department):
    """Month ends, leap days and the day of expiry itself: the database says expired exactly when expires_on <= today."""
    course = make_course(validity_months=1)
    department = make_department()
    days = [date(2024, 1, 28) + timedelta(days=n) for n in range(0, 70)]
    for day in days:
        _completed(make_employee(department=department), course, day)
    for today in (date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 30), date(2024, 3, 31)):
        want = sum(1 for day in days if day <= today and completion.expires_on(day, 1) <= today)
        got = completion.completion_by_course(today=today)[course.id].expired
        assert got == want, today


def test_a_completion_13_months_ago_on_a_12_month_course_counts_as_not_done(make_course, make_employee, make_department):
    sales = make_department(name="Sales")
    course = make_course(code="SFA-101", mandatory=True, validity_months=12)
    lapsed, recent = make_employee(name="Old Hand", department=sales), make_employee(department=sales)
    _completed(lapsed, course, TODAY - timedelta(days=396))  # 13 months ago
    _completed(recent, course, TODAY - timedelta(days=60))

    whole = completion.completion_by_course(today=TODAY)[course.id]
    assert (whole.completed, whole.expired, whole.counted, whole.percent) == (1, 1, 2, 50)
    [row] = completion.completion_by_department(mandatory_only=True, today=TODAY)
    assert (row.completion.completed, row.completion.expired, row.completion.percent) == (1, 1, 50)
    [cell] = completion.completion_cells(today=TODAY)
    assert (cell.completion.completed, cell.completion.expired) == (1, 1)
    by_course, [department] = completion.rollups(completion.completion_cells(today=TODAY))
    assert by_course[course.id].expired == 1 and department.completion.percent == 50
    # two months earlier both were valid: the figures are as of the day asked
    assert completion.completion_by_course(today=TODAY - timedelta(days=40))[course.id].percent == 100

    due, total = completion.refreshers_due(today=TODAY)
    assert total == 1 and due[0].employee_name == "Old Hand" and due[0].expired(TODAY)
    assert due[0].expires_on == completion.add_months(TODAY - timedelta(days=396), 12)


def test_one_completed_11_and_a_half_months_ago_is_a_refresher_due_not_expired(make_course, make_employee, make_department):
    sales = make_department(name="Sales")
    course = make_course(mandatory=True, validity_months=12)
    person = make_employee(name="Soon Due", department=sales)
    _completed(person, course, TODAY - timedelta(days=350))  # about 11.5 months ago
    assert completion.completion_by_course(today=TODAY)[course.id].percent == 100  # still valid
    [due], total = completion.refreshers_due(today=TODAY)
    assert total == 1 and not due.expired(TODAY) and 0 < (due.expires_on - TODAY).days <= 30
    [count] = completion.refresher_counts(today=TODAY)
    assert (count.department_name, count.due, count.expired) == ("Sales", 1, 0)
    assert completion.refreshers_due(today=TODAY, department_id=sales.id + 1000)[1] == 0


def test_a_course_without_validity_never_expires(make_course, make_employee):
    course = make_course()
    _completed(make_employee(), course, date(2015, 1, 1))
    assert completion.completion_by_course(today=TODAY)[course.id].percent == 100
    assert completion.refreshers_due(today=TODAY) == ([], 0)


def test_the_gate_evidence_counts_an_expired_completion_as_not_done(make_course, make_employee, make_department, make_plan):
    from crmproject.gates import criteria

    sales = make_department(name="Sales")
    plan = make_plan()
    add_wave(plan, name="Pilot", go_live=date(2026, 3, 1), departments=[sales])
    course = make_course(mandatory=True, validity_months=12)
    _completed(make_employee(department=sales), course, TODAY - timedelta(days=400))
    _completed(make_employee(department=sales), course, TODAY - timedelta(days=100))
    assert criteria.gather(plan, today=TODAY).training[sales.id].percent == 50
    assert criteria.gather(plan, today=TODAY - timedelta(days=60)).training[sales.id].percent == 100


def test_validity_is_checked(make_course):
    with pytest.raises(ValidationFailed) as caught:
        make_course(validity_months=0)
    assert "validity_months" in caught.value.errors
    with pytest.raises(ValidationFailed):
        make_course(validity_months=121)


# --- joining a department --------------------------------------------------------------------------------

@pytest.fixture
def waves(make_plan, make_department, make_course):
    modules = {m.code: m for m in ensure_standard_modules()}
    plan = make_plan()
    sales, service, finance = make_department(name="Sales"), make_department(name="Service"), make_department(name="Finance")
    add_wave(plan, name="Pilot", go_live=date(2026, 3, 1), departments=[sales], modules=[modules["SFA"]])
    add_wave(plan, name="Wave 2", go_live=date(2026, 9, 1), departments=[service], modules=[modules["CSS"]])
    courses = {
        "sfa": make_course(code="SFA-101", mandatory=True, crm_module=modules["SFA"]),
        "css": make_course(code="CSS-101", mandatory=True, crm_module=modules["CSS"]),
        "css-optional": make_course(code="CSS-201", crm_module=modules["CSS"]),
        "dq": make_course(code="DQ-100", mandatory=True),
    }
    db.session.commit()
    return {"sales": sales, "service": service, "finance": finance, "courses": courses}


def _codes(employee) -> set[str]:
    return {e.course.code for e in db.session.scalars(select(Enrolment).where(Enrolment.employee_id == employee.id))}


def test_a_new_employee_of_a_wave_2_department_is_enrolled_in_its_mandatory_courses(waves):
    person = create_employee(name="New Starter", department=waves["service"], start_date=TODAY)
    assert _codes(person) == {"CSS-101", "DQ-100"}  # not SFA, nor the optional CSS course
    assert all(e.status == S.NOT_STARTED for e in db.session.scalars(select(Enrolment)))
    assert _codes(create_employee(name="Nowhere", department=waves["finance"])) == set()  # no wave: no course
    assert _codes(create_employee(name="Left", department=waves["service"], active=False)) == set()


def test_moving_an_employee_enrols_them_without_duplicates(waves):
    person = create_employee(name="Mover", department=waves["service"], since=date(2026, 1, 1))
    enrolment = db.session.scalar(select(Enrolment).join(Enrolment.course).where(Enrolment.employee_id == person.id,
                                                                                  Enrolment.course_id == waves["courses"]["dq"].id))
    services.set_status(enrolment, S.COMPLETED, completed_on=date(2026, 2, 1), today=TODAY)
    move(person, waves["sales"], on=date(2026, 4, 1))
    assert _codes(person) == {"CSS-101", "DQ-100", "SFA-101"}
    counts = db.session.execute(select(Enrolment.course_id).where(Enrolment.employee_id == person.id)).scalars().all()
    assert len(counts) == len(set(counts)) == 3
    assert enrolment.status == S.COMPLETED  # what they had done is kept
    move(person, waves["service"], on=date(2026, 5, 1))  # back again: nothing new, nothing twice
    assert len(db.session.execute(select(Enrolment.id).where(Enrolment.employee_id == person.id)).all()) == 3


def test_the_roster_import_enrols_newcomers_and_movers(waves):
    from crmproject.roster.importer import RosterImport, RosterRow, save

    existing = create_employee(name="Stays", department=waves["finance"], email="stays@example.com", since=date(2026, 1, 1))
    result = RosterImport(filename="roster.xlsx", sheet="Staff", rows=[
        RosterRow(row=2, name="Imported", department=waves["sales"], email="new@example.com", crm_username=None,
                  crm_user_id=None, job_role="", start_date=None, moved_on=None, active=True),
        RosterRow(row=3, name="Stays", department=waves["service"], email="stays@example.com", crm_username=None,
                  crm_user_id=None, job_role="", start_date=None, moved_on=None, active=True),
    ])
    save(result, today=TODAY)
    imported = db.session.scalar(select(services.Employee).where(services.Employee.email == "new@example.com"))
    assert _codes(imported) == {"SFA-101", "DQ-100"}
    assert _codes(existing) == {"CSS-101", "DQ-100"}


def test_the_demo_shows_refreshers_due_and_a_few_expired(app, make_department):
    from crmproject.roster.models import Employee

    for code, name in (("MKT", "Marketing"), ("CS", "Customer Service")):
        department = make_department(name=name, code=code)
        for n in range(40):
            db.session.add(Employee(name=f"{name} {n}", department=department))
    db.session.commit()
    load_demo_training(TODAY)
    db.session.commit()
    due, total = completion.refreshers_due(today=TODAY)
    expired = [r for r in due if r.expired(TODAY)]
    assert total > len(expired) > 0
    assert {r.course_code for r in due} <= {"MA-201", "CSS-101"}


# --- the pages -------------------------------------------------------------------------------------------

COURSE_FORM = {"code": "DQ-100", "name": "Data quality rules", "crm_module_id": "", "audience": "", "mandatory": "y",
               "length_hours": "1.5", "description": ""}


def test_a_planner_sets_a_validity_and_the_pages_show_expired_and_refreshers(client, login, make_user, make_employee,
                                                                           make_department):
    login(make_user(Role.PROJECT_MANAGER))
    bad = client.post("/training/courses/new", data={**COURSE_FORM, "validity_months": "0"})
    assert bad.status_code == 200 and db.session.scalar(select(func.count()).select_from(Course)) == 0
    assert client.post("/training/courses/new", data={**COURSE_FORM, "validity_months": "12"}).status_code == 302
    course = db.session.scalar(select(Course))
    assert course.validity_months == 12
    sales = make_department(name="Sales")
    today = date.today()
    _completed_on(make_employee(name="Lapsed Person", department=sales), course, today - timedelta(days=400))
    _completed_on(make_employee(name="Due Person", department=sales), course, today - timedelta(days=350))
    _completed_on(make_employee(name="Fresh Person", department=sales), course, today - timedelta(days=20))

    index = client.get("/training/").get_data(as_text=True)
    assert "Refreshers due" in index and "Lapsed Person" in index and "Due Person" in index
    assert "Fresh Person" not in index and "expired" in index and "12 months" in index
    page = client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    assert "66.7%" in page and "1 expired" in page and "Lapsed Person" in page
    lapsed_on = completion.expires_on(today - timedelta(days=400), 12)
    assert f"expired {lapsed_on.isoformat()}" in page  # each person's completion says how long it holds
    assert f"valid until {completion.expires_on(today - timedelta(days=20), 12).isoformat()}" in page
    edit = client.get(f"/training/courses/{course.id}/edit").get_data(as_text=True)
    assert 'name="validity_months"' in edit and 'value="12"' in edit


def _completed_on(employee, course, day: date) -> None:
    enrolment = services.enrol(employee, course)
    enrolment.status, enrolment.completed_on = S.COMPLETED, day
    db.session.commit()
