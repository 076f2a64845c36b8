from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import event, select

from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.plans.services import ensure_standard_modules
from crmproject.training import completion, services
from crmproject.training.models import Course, Enrolment, EnrolmentStatus as S, TrainingSession

TODAY = date(2026, 5, 15)


def test_course_codes_are_unique_and_fields_are_checked(make_course):
    make_course(code="SFA-101", name="SFA basics")
    with pytest.raises(ValidationFailed) as caught:
        services.create_course(services.CourseValues(code=" sfa-101 ", name=" ", length_hours=D(0), audience="x" * 201))
    assert set(caught.value.errors) == {"code", "name", "length_hours", "audience"}
    assert "SFA basics already has the code SFA-101" in caught.value.errors["code"][0]


def test_course_update_keeps_its_own_code_and_links_a_module(make_course):
    sfa = next(m for m in ensure_standard_modules() if m.code == "SFA")
    course = make_course(code="SFA-101")
    services.update_course(course, services.CourseValues(code="SFA-101", name="Renamed", crm_module=sfa, mandatory=True,
                                                         length_hours=D("1.25")))
    assert (course.name, course.crm_module.code, course.mandatory, course.length_hours) == ("Renamed", "SFA", True, D("1.3"))


def test_sessions_check_capacity_against_bookings(make_course, make_employee):
    course = make_course()
    session = services.add_session(course, services.SessionValues(day=TODAY, trainer="Ann", location="Room 1", capacity=2))
    services.enrol(make_employee(), course, session=session)
    services.enrol(make_employee(), course, session=session)
    with pytest.raises(ValidationFailed) as full:
        services.enrol(make_employee(), course, session=session)
    assert "0 free seats of 2" in full.value.errors["session_id"][0]
    with pytest.raises(ValidationFailed) as shrink:
        services.update_session(session, services.SessionValues(day=TODAY, capacity=1))
    assert shrink.value.errors["capacity"] == ["2 people are already booked on this session."]
    other = make_course()
    with pytest.raises(ValidationFailed, match="another course"):
        services.enrol(make_employee(), other, session=session)


def test_deleting_a_session_keeps_its_people_enrolled(make_course, make_employee):
    course = make_course()
    session = services.add_session(course, services.SessionValues(day=TODAY))
    enrolment = services.enrol(make_employee(), course, session=session)
    db.session.commit()
    services.delete_session(session)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).session_id is None
    assert db.session.scalar(select(TrainingSession)) is None


def test_a_person_is_enrolled_once(make_course, make_employee):
    course, person = make_course(code="MA-201"), make_employee(name="Ann Lee")
    services.enrol(person, course)
    with pytest.raises(ValidationFailed, match="Ann Lee is already enrolled in MA-201"):
        services.enrol(person, course)


def test_completed_needs_a_date_defaulting_to_today_never_the_future(make_course, make_employee):
    enrolment = services.enrol(make_employee(), make_course())
    services.set_status(enrolment, S.COMPLETED, score=D("87.5"), today=TODAY)
    assert (enrolment.status, enrolment.completed_on, enrolment.score) == (S.COMPLETED, TODAY, D("87.5"))
    with pytest.raises(ValidationFailed) as future:
        services.set_status(enrolment, S.COMPLETED, completed_on=TODAY + timedelta(days=1), score=D(101), today=TODAY)
    assert set(future.value.errors) == {"completed_on", "score"}
    with pytest.raises(ValidationFailed, match="Only a completed course"):
        services.set_status(enrolment, S.IN_PROGRESS, completed_on=TODAY, today=TODAY)
    services.set_status(enrolment, S.IN_PROGRESS, today=TODAY)
    assert enrolment.completed_on is None


def test_bulk_enrol_a_department_skips_the_enrolled_and_the_inactive(make_course, make_department, make_employee):
    sales, service = make_department(name="Sales"), make_department(name="Service")
    course = make_course()
    people = [make_employee(department=sales) for _ in range(3)]
    make_employee(department=sales, active=False)
    make_employee(department=service)
    services.enrol(people[0], course)
    assert services.enrol_department(course, sales) == 2
    assert services.enrol_department(course, sales) == 0
    enrolled = db.session.scalars(select(Enrolment.employee_id).where(Enrolment.course_id == course.id)).all()
    assert sorted(enrolled) == sorted(p.id for p in people)


def test_bulk_enrol_respects_the_sessions_seats(make_course, make_department, make_employee):
    sales = make_department()
    course = make_course()
    session = services.add_session(course, services.SessionValues(day=TODAY, capacity=2))
    for _ in range(3):
        make_employee(department=sales)
    with pytest.raises(ValidationFailed, match="2 free seats of 2"):
        services.enrol_department(course, sales, session=session)


def _world(make_department, make_course, make_employee):
    sales, service = make_department(name="Sales", code="SALES"), make_department(name="Service", code="SERVICE")
    sfa, dq = make_course(code="SFA-101", mandatory=True), make_course(code="DQ-100")
    statuses = {sales: [S.COMPLETED, S.COMPLETED, S.IN_PROGRESS, S.WAIVED, S.NOT_APPLICABLE],
                service: [S.COMPLETED, S.NOT_STARTED, S.NOT_STARTED, S.NOT_STARTED]}
    for department, wanted in statuses.items():
        for status in wanted:
            person = make_employee(department=department)
            services.set_status(services.enrol(person, sfa), status, today=TODAY)
            services.set_status(services.enrol(person, dq), S.WAIVED, today=TODAY)
    services.set_status(services.enrol(make_employee(), sfa), S.COMPLETED, today=TODAY)  # nobody's department
    db.session.commit()
    return sales, service, sfa, dq


def test_completion_leaves_waived_and_not_applicable_out(make_department, make_course, make_employee):
    sales, service, sfa, dq = _world(make_department, make_course, make_employee)
    by_department = completion.completion_by_department(course_ids=[sfa.id])
    assert [(r.department_name, r.completion.completed, r.completion.counted, r.completion.percent) for r in by_department] == [
        ("Sales", 2, 3, D("66.7")), ("Service", 1, 4, D("25.0")), (None, 1, 1, D("100.0"))]
    by_course = completion.completion_by_course()
    assert by_course[sfa.id] == completion.Completion(enrolled=10, completed=4, excluded=2)
    assert by_course[dq.id].percent is None  # everyone waived: nothing to complete
    assert completion.completion_by_course(department_id=sales.id)[sfa.id].percent == D("66.7")


def test_completion_cells_follow_the_current_department(make_department, make_course, make_employee):
    sales, service, sfa, dq = _world(make_department, make_course, make_employee)
    mover = db.session.scalars(select(Enrolment).where(Enrolment.course_id == sfa.id, Enrolment.status == S.NOT_STARTED)).first()
    mover.employee.department = sales
    db.session.commit()
    cells = {(c.department_name, c.course_code): c.completion for c in completion.completion_cells(mandatory_only=True)}
    assert set(cells) == {("Sales", "SFA-101"), ("Service", "SFA-101"), (None, "SFA-101")}
    assert (cells[("Sales", "SFA-101")].counted, cells[("Service", "SFA-101")].counted) == (4, 3)


def test_the_training_pages_rollups_count_as_the_grouped_queries_do(make_department, make_course, make_employee):
    """The training page sums the heat map's cells per course and per department: the same figures as the queries
    that count them apart, with a withdrawal and people without a department among them."""
    sales, service, sfa, dq = _world(make_department, make_course, make_employee)
    services.set_status(services.enrol(make_employee(department=service), dq), S.WITHDRAWN, today=TODAY)
    db.session.commit()
    cells = completion.completion_cells()
    for course_ids in (None, [sfa.id], [dq.id]):
        by_course, by_department = completion.rollups(cells, course_ids=course_ids)
        assert by_course == completion.completion_by_course()
        assert by_department == completion.completion_by_department(course_ids=course_ids)
    assert completion.rollups(cells, course_ids=[dq.id])[1][1].completion.withdrawn == 1  # Service's withdrawal


def test_completion_is_counted_in_a_fixed_number_of_queries(make_department, make_course, make_employee):
    _world(make_department, make_course, make_employee)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        completion.completion_by_department()
        completion.completion_cells()
        completion.completion_by_course()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 3 and all("GROUP BY" in s for s in statements)


def test_find_employee_by_email_user_name_or_name(make_employee):
    ann = make_employee(name="Ann  Lee", email="ann@example.com", crm_username="A.Lee")
    assert services.find_employee("ANN@example.com") is ann
    assert services.find_employee(" a.lee ") is ann
    make_employee(name="Bo Chen")
    make_employee(name="bo chen")
    with pytest.raises(ValidationFailed, match="Several people are called"):
        services.find_employee("Bo Chen")
    assert services.find_employee("Nobody") is None


def test_deleting_a_course_deletes_its_sessions_and_enrolments(make_course, make_employee):
    course = make_course()
    services.add_session(course, services.SessionValues(day=TODAY))
    services.enrol(make_employee(), course)
    db.session.commit()
    services.delete_course(course)
    db.session.commit()
    assert db.session.scalar(select(Course)) is None and db.session.scalar(select(Enrolment)) is None


def test_withdrawn_leaves_the_denominator_and_is_counted_apart(make_department, make_course, make_employee):
    sales = make_department(name="Sales", code="SALES")
    course = make_course(code="SFA-101")
    for status in (S.COMPLETED, S.NOT_STARTED, S.WITHDRAWN, S.WITHDRAWN, S.WAIVED):
        enrolment = services.enrol(make_employee(department=sales), course)
        services.set_status(enrolment, status, today=TODAY)
    db.session.commit()
    expected = completion.Completion(enrolled=5, completed=1, excluded=1, withdrawn=2)
    assert completion.completion_by_course()[course.id] == expected
    assert (expected.counted, expected.percent) == (2, D("50.0"))  # 1 of (5 - 1 waived - 2 withdrawn)
    (row,) = completion.completion_by_department()
    assert row.completion == expected
    (cell,) = completion.completion_cells(department_id=sales.id)
    assert cell.completion == expected
    assert not S.WITHDRAWN.counts and S.NOT_STARTED.counts
