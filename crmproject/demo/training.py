"""The demo's training: four courses with sessions, and its employees' enrolments in varied states."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.roster.models import Employee
from crmproject.training.models import Course, Enrolment, EnrolmentStatus
from crmproject.training.services import CourseValues, SessionValues, add_session, create_course, get_course_by_code

# code, name, CRM module code, audience, mandatory, hours, departments (None: everyone), description
DEMO_COURSES: tuple[tuple[str, str, str | None, str, bool, str, tuple[str, ...] | None, str], ...] = (
    ("SFA-101", "SFA basics for sales", "SFA", "Sales, key accounts and telesales", True, "6",
     ("SALES", "KAM", "TELE"), "Accounts, contacts, opportunities and the pipeline: a day in the CRM for a sales rep."),
    ("MA-201", "MA campaigns", "MA", "Marketing and e-commerce", False, "4",
     ("MKT", "ECOM"), "Segments, campaigns and their results in the marketing module."),
    ("CSS-101", "CSS case handling", "CSS", "Customer service, support and field service", True, "5",
     ("CS", "SUP", "FIELD"), "Cases from first contact to closure, service levels and the knowledge base."),
    ("DQ-100", "Data quality rules", None, "Everyone with a CRM seat", True, "1.5",
     None, "Required fields, duplicates and who owns a record: the rules that keep the CRM trustworthy."),
)
# certifications to renew every year: some people took the first round a year ago, so the demo shows
# refreshers due and a few expired (drawn from a generator of their own, so the other courses' story is unchanged)
DEMO_VALIDITY = {"MA-201": 12, "CSS-101": 12}
DEMO_TRAINERS = ("Nadia Berg (key user)", "Paul Martin (vendor trainer)", "Ines Costa (key user)", "Internal academy")
DEMO_PLACES = ("Training room 2.14", "https://meet.example.com/crm-training", "Training room 1.03", "https://meet.example.com/crm-dq")
# How far each department is: a share of people completed; the pilot is furthest, the last wave has barely begun.
DEMO_PROGRESS = {"SALES": 0.92, "KAM": 0.8, "TELE": 0.65, "MKT": 0.55, "ECOM": 0.45, "CS": 0.5, "SUP": 0.35,
                 "FIELD": 0.2, "FIN": 0.3, "LOG": 0.15, "PROD": 0.6, "IT": 0.85}
DEMO_SEED = 20240505


def load_demo_training(today: date, *, translate: Callable[[str], str] = str) -> None:
    """Four demo courses with sessions, and enrolments in varied states for the demo's employees.

    Deterministic (one seeded random.Random) and idempotent: a course is
    created only when its code is missing, and enrolled only while it has no
    enrolments, so running the demo twice adds nothing. Flushes, does not commit.
    `translate` gives each text in the demo's language (crmproject.demo.language).
    """
    from crmproject.plans.services import ensure_standard_modules

    modules = {m.code: m for m in ensure_standard_modules()}
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    rng, first_round = random.Random(DEMO_SEED), random.Random(DEMO_SEED + 1)
    for n, (code, name, module_code, audience, mandatory, hours, audience_codes, description) in enumerate(DEMO_COURSES):
        course = get_course_by_code(code)
        if course is None:
            course = create_course(CourseValues(
                code=code, name=translate(name), crm_module=modules.get(module_code) if module_code else None,
                audience=translate(audience), mandatory=mandatory, length_hours=Decimal(hours), description=translate(description),
                validity_months=DEMO_VALIDITY.get(code)))
            for k, offset in enumerate((-150, -90, -30, 21)):
                add_session(course, SessionValues(day=today + timedelta(days=offset + 7 * n),
                                                  trainer=translate(DEMO_TRAINERS[(n + k) % 4]),
                                                  location=_demo_place(DEMO_PLACES[(n + k) % 4], translate), capacity=None))
        if db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.course_id == course.id)):
            continue
        wanted = [d for c, d in sorted(departments.items()) if audience_codes is None or c in audience_codes]
        _demo_enrolments(course, wanted, today=today, rng=rng, first_round=first_round)


def _demo_place(place: str, translate: Callable[[str], str]) -> str:
    """A training room in the demo's language; an online session's address as it is."""
    return place if place.startswith("https://") else translate(place)


def _demo_enrolments(course: Course, departments: Sequence[Department], *, today: date, rng: random.Random,
                     first_round: random.Random) -> None:
    past = [s for s in course.sessions if s.day <= today]
    upcoming = [s for s in course.sessions if s.day > today]
    for department in departments:
        people = db.session.scalars(
            select(Employee).where(Employee.department_id == department.id, Employee.active).order_by(Employee.id))
        progress = DEMO_PROGRESS.get(department.code, 0.5)
        for employee in people:
            draw = rng.random()
            if draw < 0.04:
                status = EnrolmentStatus.WAIVED  # already certified elsewhere
            elif draw < 0.07:
                status = EnrolmentStatus.NOT_APPLICABLE  # no CRM seat in this role
            elif draw < 0.07 + progress * 0.93:
                status = EnrolmentStatus.COMPLETED
            elif (second := rng.random()) < 0.5:
                status = EnrolmentStatus.IN_PROGRESS
            elif second < 0.65:
                status = EnrolmentStatus.WITHDRAWN  # started, then dropped out
            else:
                status = EnrolmentStatus.NOT_STARTED
            session = None
            if status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.IN_PROGRESS, EnrolmentStatus.WITHDRAWN) and past:
                session = rng.choice(past)
            elif status == EnrolmentStatus.NOT_STARTED and upcoming:
                session = rng.choice(upcoming)
            enrolment = Enrolment(employee=employee, course=course, session=session, status=status)
            if status == EnrolmentStatus.COMPLETED:
                enrolment.completed_on = (session.day if session else today - timedelta(days=rng.randint(1, 120)))
                if course.validity_months and first_round.random() < 0.2:  # took it in the first round, a year ago
                    enrolment.completed_on = today - timedelta(days=first_round.randint(335, 400))
                    enrolment.session = None
                enrolment.score = Decimal(rng.randint(62, 100))
            db.session.add(enrolment)
    db.session.flush()
