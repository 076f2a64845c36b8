from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.training import services
from crmproject.training.models import Course, Enrolment, EnrolmentStatus as S, TrainingSession

COURSE = {"code": "SFA-101", "name": "SFA basics", "crm_module_id": "", "audience": "Sales reps", "mandatory": "y",
          "length_hours": "6", "description": ""}


@pytest.fixture
def world(make_department, make_employee, make_course, make_user):
    sales, service = make_department(name="Sales", code="SALES"), make_department(name="Service", code="SERVICE")
    course = make_course(code="SFA-101", name="SFA basics", mandatory=True)
    ann = make_employee(name="Ann Lee", email="ann@example.com", department=sales)
    bo = make_employee(name="Bo Chen", department=service)
    services.set_status(services.enrol(ann, course), S.COMPLETED, completed_on=date(2026, 1, 5))
    services.enrol(bo, course)
    db.session.commit()
    head = make_user(Role.DEPARTMENT_HEAD, department=sales)
    return course, sales, service, ann, bo, head


def test_planner_adds_a_course_and_sees_field_errors(client, login, make_user, make_course):
    make_course(code="SFA-101")
    login(make_user(Role.PROJECT_MANAGER))
    clash = client.post("/training/courses/new", data={**COURSE, "code": "sfa-101"})
    assert clash.status_code == 200 and "already has the code SFA-101" in clash.get_data(as_text=True)
    bad = client.post("/training/courses/new", data={**COURSE, "code": "NEW-1", "length_hours": "lots"})
    assert bad.status_code == 200 and "Length (hours) must be a number." in bad.get_data(as_text=True)
    ok = client.post("/training/courses/new", data={**COURSE, "code": "NEW-1"})
    assert ok.status_code == 302
    course = db.session.scalar(select(Course).where(Course.code == "NEW-1"))
    assert (course.mandatory, course.length_hours, course.audience) == (True, D(6), "Sales reps")


def test_course_page_shows_sessions_enrolments_and_completion_per_department(client, login, make_user, world):
    course, sales, service, ann, bo, head = world
    login(make_user(Role.EXECUTIVE))
    html = client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    assert "Ann Lee" in html and "Bo Chen" in html and "50% · 1 of 2" not in html
    assert "50.0% · 1 of 2 (0 withdrawn, 0 waived or not applicable)" in html
    assert 'id="course-departments"' in html and "Add session" not in html and ">update<" not in html
    index = client.get("/training/").get_data(as_text=True)
    assert ">50%<" in index and 'id="training-departments"' in index and 'id="training-heatmap"' in index
    assert "Add course" not in index


def test_planner_adds_a_session_and_enrols_a_department_and_a_person(client, login, make_user, world, make_employee):
    course, sales, service, ann, bo, head = world
    make_employee(name="Cy Diaz", department=sales)
    make_employee(name="Di Fox", email="di@example.com")
    login(make_user(Role.PROJECT_MANAGER))
    bad = client.post(f"/training/courses/{course.id}/sessions", data={"day": "2026-06-01", "capacity": "0"})
    assert bad.status_code == 200 and "Number must be between 1 and 100000." in bad.get_data(as_text=True)
    ok = client.post(f"/training/courses/{course.id}/sessions",
                     data={"day": "2026-06-01", "trainer": "Nadia", "location": "https://meet.example.com/x", "capacity": "10"})
    assert ok.status_code == 302
    session = db.session.scalar(select(TrainingSession))
    enrolled = client.post(f"/training/courses/{course.id}/enrol-department",
                           data={"department_id": str(sales.id), "session_id": str(session.id)}, follow_redirects=True)
    assert "1 people of Sales enrolled in SFA-101." in enrolled.get_data(as_text=True)
    unknown = client.post(f"/training/courses/{course.id}/enrolments", data={"employee": "nobody@example.com", "session_id": ""})
    assert unknown.status_code == 200 and "No employee has this e-mail" in unknown.get_data(as_text=True)
    twice = client.post(f"/training/courses/{course.id}/enrolments", data={"employee": "Ann Lee", "session_id": ""})
    assert "Ann Lee is already enrolled in SFA-101." in twice.get_data(as_text=True)
    assert client.post(f"/training/courses/{course.id}/enrolments", data={"employee": "DI@example.com", "session_id": ""}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 4


def test_a_head_updates_only_their_own_departments_enrolments(client, login, world):
    course, sales, service, ann, bo, head = world
    login(head)
    page = client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    assert "Ann Lee" in page and "Bo Chen" not in page  # their own department first
    assert "Bo Chen" in client.get(f"/training/courses/{course.id}?department=").get_data(as_text=True)
    own = db.session.scalar(select(Enrolment).where(Enrolment.employee_id == ann.id))
    other = db.session.scalar(select(Enrolment).where(Enrolment.employee_id == bo.id))
    assert client.post(f"/training/enrolments/{other.id}", data={"status": "completed"}).status_code == 403
    future = (date.today() + timedelta(days=3)).isoformat()
    opened = str(own.version)
    refused = client.post(f"/training/enrolments/{own.id}", data={"status": "completed", "completed_on": future, "score": "80", "version": opened})
    assert refused.status_code == 200 and "cannot be completed in the future" in refused.get_data(as_text=True)
    refused = client.post(f"/training/enrolments/{own.id}", data={"status": "completed", "completed_on": "", "score": "101", "version": opened})
    assert refused.status_code == 200 and "Number must be between 0 and 100." in refused.get_data(as_text=True)
    assert client.post(f"/training/enrolments/{own.id}",
                       data={"status": "waived", "completed_on": "", "score": "", "version": opened}).status_code == 302
    db.session.expire_all()
    assert (db.session.get(Enrolment, own.id).status, db.session.get(Enrolment, own.id).completed_on) == (S.WAIVED, None)
    assert client.post(f"/training/enrolments/{own.id}/delete").status_code == 403


def test_completed_without_a_date_is_completed_today(client, login, make_user, world):
    course, sales, service, ann, bo, head = world
    login(make_user(Role.ADMIN))
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.employee_id == bo.id))
    assert client.post(f"/training/enrolments/{enrolment.id}",
                       data={"status": "completed", "score": "77.5", "version": str(enrolment.version)}).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Enrolment, enrolment.id)
    assert (saved.status, saved.completed_on, saved.score) == (S.COMPLETED, date.today(), D("77.5"))


@pytest.mark.parametrize("query", ["?page=abc&department=xyz&status=nope", "?page=99999999999&department=99999999999999999999",
                                   "?page=0&department=-1"])
def test_bad_filters_are_ignored_not_errors(client, login, make_user, world, query):
    course = world[0]
    login(make_user(Role.EXECUTIVE))
    assert client.get(f"/training/courses/{course.id}{query}").status_code == 200


def test_session_links_are_only_web_links(client, login, make_user, world):
    course = world[0]
    services.add_session(course, services.SessionValues(day=date(2026, 6, 1), location="javascript:alert(1)"))
    services.add_session(course, services.SessionValues(day=date(2026, 6, 2), location="<b>Room</b>"))
    db.session.commit()
    login(make_user(Role.EXECUTIVE))
    html = client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    assert 'href="javascript' not in html and "&lt;b&gt;Room&lt;/b&gt;" in html


def test_a_withdrawal_is_set_on_the_form_and_shown_apart_on_the_pages(client, login, make_user, world):
    course, sales, service, ann, bo, head = world
    login(head)
    own = db.session.scalar(select(Enrolment).where(Enrolment.employee_id == ann.id))
    form = client.get(f"/training/enrolments/{own.id}").get_data(as_text=True)
    assert '<option value="withdrawn">Withdrawn</option>' in form
    saved = client.post(f"/training/enrolments/{own.id}", data={"status": "withdrawn", "completed_on": "", "score": "",
                                                                 "version": str(own.version)})
    assert saved.status_code == 302
    db.session.expire_all()
    assert (db.session.get(Enrolment, own.id).status, db.session.get(Enrolment, own.id).completed_on) == (S.WITHDRAWN, None)
    login(make_user(Role.EXECUTIVE))
    page = client.get(f"/training/courses/{course.id}?department=").get_data(as_text=True)
    assert '<span class="badge amber">Withdrawn</span>' in page
    # Ann withdrew, Bo has not started: nobody of the one who still owes the course has completed it
    assert "0.0% · 0 of 1 (1 withdrawn, 0 waived or not applicable)" in page
    assert "<th class=\"num\">Withdrawn</th>" in page
    filtered = client.get(f"/training/courses/{course.id}?department=&status=withdrawn").get_data(as_text=True)
    assert "Ann Lee" in filtered and "Bo Chen" not in filtered
    index = client.get("/training/").get_data(as_text=True)
    assert "enrolled − waived − not applicable − withdrawn" in index
    department = client.get(f"/departments/{sales.id}").get_data(as_text=True)
    assert "<th class=\"num\">Withdrawn</th>" in department
