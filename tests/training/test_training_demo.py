from datetime import date

from sqlalchemy import func, select

from crmproject.departments.services import create_department
from crmproject.extensions import db
from crmproject.roster.models import Employee
from crmproject.demo.training import load_demo_training
from crmproject.training import completion
from crmproject.training.models import Course, Enrolment, EnrolmentStatus as S, TrainingSession

TODAY = date(2026, 5, 15)


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Course, TrainingSession, Enrolment))


def _demo_organisation() -> None:
    for code, name in (("SALES", "Sales"), ("MKT", "Marketing"), ("CS", "Customer Service"), ("FIN", "Finance")):
        department = create_department(name=name, code=code)
        for n in range(10):
            db.session.add(Employee(name=f"{name} {n}", crm_username=f"{code.lower()}{n}", crm_username_key=f"{code.lower()}{n}",
                                    department=department))
    db.session.flush()


def test_demo_training_fills_the_charts_and_runs_twice_without_adding(app):
    _demo_organisation()
    load_demo_training(TODAY)
    db.session.commit()
    first = _counts()
    assert first[:2] == (4, 16)
    # SFA for Sales; MA for Marketing; CSS for Customer Service; data quality for all four departments
    assert first[2] == 10 + 10 + 10 + 40
    statuses = set(db.session.scalars(select(Enrolment.status).distinct()))
    assert statuses == set(S)
    completed = db.session.scalars(select(Enrolment).where(Enrolment.status == S.COMPLETED)).all()
    assert all(e.completed_on is not None and e.completed_on <= TODAY and e.score is not None for e in completed)
    rows = completion.completion_by_department(mandatory_only=True)
    assert {r.department_name for r in rows} == {"Sales", "Marketing", "Customer Service", "Finance"}
    assert len({r.completion.percent for r in rows}) > 1  # varied, so the chart says something
    load_demo_training(TODAY)
    db.session.commit()
    assert _counts() == first


def test_demo_training_is_deterministic(app):
    _demo_organisation()
    load_demo_training(TODAY)
    db.session.commit()
    first = sorted((e.employee.name, e.course.code, e.status.value, e.completed_on) for e in db.session.scalars(select(Enrolment)))
    db.session.execute(Enrolment.__table__.delete())
    db.session.commit()
    load_demo_training(TODAY)
    db.session.commit()
    again = sorted((e.employee.name, e.course.code, e.status.value, e.completed_on) for e in db.session.scalars(select(Enrolment)))
    assert again == first
