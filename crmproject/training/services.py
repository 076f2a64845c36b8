"""Training: courses and their sessions, who is enrolled in what, and people joining a department enrolled in its
mandatory courses (crmproject.roster calls `enrol_newcomer` through its hook). Completion and currency are counted in
crmproject.training.completion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import selectinload

from crmproject.collation import collated
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.forms import EARLIEST, LATEST
from crmproject.i18n import _
from crmproject.plans.models import CrmModule, WaveDepartment, wave_modules
from crmproject.roster.models import Employee, username_key
from crmproject.roster.services import on_department_joined
from crmproject.training.models import Course, Enrolment, EnrolmentStatus, TrainingSession

MAX_LENGTH_HOURS = Decimal(1000)
MAX_CAPACITY = 100_000
MAX_VALIDITY_MONTHS = 120


def text_key(text: str) -> str:
    """Codes and names compared as people mean them: case and spacing do not matter."""
    return " ".join(text.split()).casefold()


# --- courses -----------------------------------------------------------------------------------

@dataclass
class CourseValues:
    code: str
    name: str
    crm_module: CrmModule | None = None
    audience: str = ""
    mandatory: bool = False
    length_hours: Decimal | None = None
    description: str = ""
    validity_months: int | None = None  # None: a completion never expires


def list_courses() -> list[Course]:
    return list(db.session.scalars(
        select(Course).options(selectinload(Course.crm_module)).order_by(Course.mandatory.desc(), Course.code)
    ))


def get_course_by_code(code: str) -> Course | None:
    return db.session.scalar(select(Course).where(func.lower(Course.code) == " ".join(code.split()).lower()))


def _check_course(course: Course | None, v: CourseValues) -> None:
    errors: dict[str, str] = {}
    code = " ".join(v.code.split())
    if not code:
        errors["code"] = _("Enter a short code, for example SFA-101.")
    elif len(code) > 50:
        errors["code"] = _("The code can have at most %(n)s characters.", n=50)
    elif (clash := get_course_by_code(code)) is not None and clash is not course:
        errors["code"] = _("The course %(name)s already has the code %(code)s.", name=clash.name, code=clash.code)
    if not v.name.strip():
        errors["name"] = _("Enter the course's name.")
    elif len(v.name.strip()) > 200:
        errors["name"] = _("The name can have at most %(n)s characters.", n=200)
    if len(v.audience.strip()) > 200:
        errors["audience"] = _("The audience can have at most %(n)s characters.", n=200)
    if v.length_hours is not None and not Decimal(0) < v.length_hours <= MAX_LENGTH_HOURS:
        errors["length_hours"] = _("The length is a number of hours above 0 and at most %(n)s.", n=MAX_LENGTH_HOURS)
    if v.validity_months is not None and not 1 <= v.validity_months <= MAX_VALIDITY_MONTHS:
        errors["validity_months"] = _("The validity is a number of months from 1 to %(n)s, or empty when a completion "
                                      "never expires.", n=MAX_VALIDITY_MONTHS)
    if errors:
        raise ValidationFailed(errors)


def _apply_course(course: Course, v: CourseValues) -> None:
    course.code = " ".join(v.code.split())
    course.name = v.name.strip()
    course.crm_module = v.crm_module
    course.audience = v.audience.strip()
    course.mandatory = v.mandatory
    course.length_hours = v.length_hours.quantize(Decimal("0.1"), ROUND_HALF_UP) if v.length_hours is not None else None
    course.description = v.description.strip()
    course.validity_months = v.validity_months


def create_course(values: CourseValues) -> Course:
    """Add a course; its code is unique (compared without case)."""
    _check_course(None, values)
    course = Course()
    _apply_course(course, values)
    db.session.add(course)
    db.session.flush()
    return course


def update_course(course: Course, values: CourseValues) -> Course:
    _check_course(course, values)
    _apply_course(course, values)
    db.session.flush()
    return course


def delete_course(course: Course) -> None:
    """Delete a course with its sessions and enrolments."""
    db.session.execute(delete(Enrolment).where(Enrolment.course_id == course.id))
    db.session.delete(course)
    db.session.flush()


# --- sessions ----------------------------------------------------------------------------------

@dataclass
class SessionValues:
    day: date
    trainer: str = ""
    location: str = ""
    capacity: int | None = None


def _booked(session: TrainingSession) -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.session_id == session.id)) or 0


def _check_session(session: TrainingSession | None, v: SessionValues) -> None:
    errors: dict[str, str] = {}
    if not EARLIEST <= v.day <= LATEST:
        errors["day"] = _("Enter a date between %(first)s and %(last)s.", first=EARLIEST.isoformat(), last=LATEST.isoformat())
    if len(v.trainer.strip()) > 200:
        errors["trainer"] = _("The trainer can have at most %(n)s characters.", n=200)
    if len(v.location.strip()) > 300:
        errors["location"] = _("The place or link can have at most %(n)s characters.", n=300)
    if v.capacity is not None:
        if not 1 <= v.capacity <= MAX_CAPACITY:
            errors["capacity"] = _("The capacity is a number of seats from 1 to %(n)s, or empty for no limit.", n=MAX_CAPACITY)
        elif session is not None and (booked := _booked(session)) > v.capacity:
            errors["capacity"] = _("%(n)s people are already booked on this session.", n=booked)
    if errors:
        raise ValidationFailed(errors)


def add_session(course: Course, values: SessionValues) -> TrainingSession:
    """Schedule a session of `course`: a day, a trainer, a room or a link, and seats (None: no limit)."""
    _check_session(None, values)
    session = TrainingSession(course=course, day=values.day, trainer=values.trainer.strip(),
                              location=values.location.strip(), capacity=values.capacity)
    db.session.add(session)
    db.session.flush()
    return session


def update_session(session: TrainingSession, values: SessionValues) -> TrainingSession:
    _check_session(session, values)
    session.day, session.trainer, session.location = values.day, values.trainer.strip(), values.location.strip()
    session.capacity = values.capacity
    db.session.flush()
    return session


def delete_session(session: TrainingSession) -> None:
    """Delete a session; the people booked on it stay enrolled in the course, without a session."""
    db.session.delete(session)
    db.session.flush()


def session_bookings(course: Course) -> dict[int, int]:
    """Session id -> number of people booked on it, for one course (one GROUP BY)."""
    rows = db.session.execute(
        select(Enrolment.session_id, func.count()).where(Enrolment.course_id == course.id, Enrolment.session_id.is_not(None))
        .group_by(Enrolment.session_id)
    )
    return {session_id: count for session_id, count in rows if session_id is not None}  # (the query's too)


# --- enrolments --------------------------------------------------------------------------------

def _check_session_seat(course: Course, session: TrainingSession | None, *, extra: int = 1, field: str = "session_id") -> None:
    if session is None:
        return
    if session.course_id != course.id:
        raise ValidationFailed(_("That session belongs to another course."), field=field)
    if session.capacity is not None and _booked(session) + extra > session.capacity:
        raise ValidationFailed(
            _("The session on %(day)s has %(free)s free seats of %(capacity)s.", day=session.day.isoformat(),
              free=max(session.capacity - _booked(session), 0), capacity=session.capacity), field=field)


def find_employee(text: str) -> Employee | None:
    """The employee an e-mail address, a CRM user name or an exact name (case and spaces aside) points to.

    Raises ValidationFailed (field "employee") when a name fits several people.
    """
    wanted = text.strip()
    if not wanted:
        return None
    if "@" in wanted:
        return db.session.scalar(select(Employee).where(func.lower(Employee.email) == wanted.lower()))
    found = db.session.scalar(select(Employee).where(Employee.crm_username_key == username_key(wanted)))
    if found is not None:
        return found
    same_name = list(db.session.scalars(
        select(Employee).where(func.lower(Employee.name) == " ".join(wanted.split()).lower()).limit(2)))
    if len(same_name) > 1:
        raise ValidationFailed(_("Several people are called %(name)s: give the e-mail or CRM user name.", name=wanted),
                               field="employee")
    return same_name[0] if same_name else None


def enrol(employee: Employee, course: Course, *, session: TrainingSession | None = None,
          status: EnrolmentStatus = EnrolmentStatus.NOT_STARTED) -> Enrolment:
    """Enrol one person in a course (optionally on a session with a free seat)."""
    exists = db.session.scalar(select(Enrolment.id).where(Enrolment.employee_id == employee.id, Enrolment.course_id == course.id))
    if exists is not None:
        raise ValidationFailed(_("%(name)s is already enrolled in %(course)s.", name=employee.name, course=course.code),
                               field="employee")
    _check_session_seat(course, session)
    enrolment = Enrolment(employee=employee, course=course, session=session, status=status)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def enrol_department(course: Course, department: Department, *, session: TrainingSession | None = None) -> int:
    """Enrol every active employee of `department` not yet in the course; returns how many were added."""
    enrolled = select(Enrolment.employee_id).where(Enrolment.course_id == course.id)
    employee_ids = list(db.session.scalars(
        select(Employee.id).where(Employee.department_id == department.id, Employee.active, Employee.id.not_in(enrolled))
        .order_by(Employee.id)
    ))
    if not employee_ids:
        return 0
    _check_session_seat(course, session, extra=len(employee_ids))
    db.session.execute(insert(Enrolment), [
        {"employee_id": employee_id, "course_id": course.id, "session_id": session.id if session else None,
         "status": EnrolmentStatus.NOT_STARTED} for employee_id in employee_ids
    ])
    return len(employee_ids)


def check_score(score: Decimal | None, field: str = "score") -> None:
    if score is not None and not Decimal(0) <= score <= Decimal(100):
        raise ValidationFailed(_("A score runs from 0 to 100."), field=field)


def set_status(enrolment: Enrolment, status: EnrolmentStatus, *, completed_on: date | None = None,
               score: Decimal | None = None, session: TrainingSession | None = None, today: date | None = None) -> Enrolment:
    """Record where a person stands in a course.

    Completed needs a completion date (default: today), never in the future;
    any other status clears it. A score (0-100) is kept whatever the status:
    a failed test has one too. `session` books or moves the person (None
    leaves them off any session).
    """
    today = today or date.today()
    errors: dict[str, str] = {}
    if status == EnrolmentStatus.COMPLETED:
        completed_on = completed_on or today
        if completed_on > today:
            errors["completed_on"] = _("A course cannot be completed in the future (today is %(today)s).", today=today.isoformat())
        elif completed_on < EARLIEST:
            errors["completed_on"] = _("Enter a date between %(first)s and %(last)s.", first=EARLIEST.isoformat(), last=LATEST.isoformat())
    elif completed_on is not None:
        errors["completed_on"] = _("Only a completed course has a completion date.")
    try:
        check_score(score)
    except ValidationFailed as exc:
        errors.update({k: " ".join(v) for k, v in exc.errors.items()})
    if session is not None and session.id != enrolment.session_id:
        try:
            _check_session_seat(enrolment.course, session)
        except ValidationFailed as exc:
            errors.update({k: " ".join(v) for k, v in exc.errors.items()})
    if errors:
        raise ValidationFailed(errors)
    enrolment.status = status
    enrolment.completed_on = completed_on if status == EnrolmentStatus.COMPLETED else None
    enrolment.score = score
    enrolment.session = session
    db.session.flush()
    return enrolment


def remove_enrolment(enrolment: Enrolment) -> None:
    db.session.delete(enrolment)
    db.session.flush()


def course_enrolments(course: Course, *, department_id: int | None = None, status: EnrolmentStatus | None = None,
                      limit: int | None = 100, offset: int = 0) -> tuple[list[Enrolment], int]:
    """One page of a course's enrolments (all of them with `limit` None), by department then name, and how many
    match in all."""
    query = select(Enrolment).join(Employee).where(Enrolment.course_id == course.id)
    if department_id is not None:
        query = query.where(Employee.department_id == department_id)
    if status is not None:
        query = query.where(Enrolment.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.options(selectinload(Enrolment.employee).selectinload(Employee.department), selectinload(Enrolment.session))
        .outerjoin(Department, Department.id == Employee.department_id)
        .order_by(collated(Department.name), collated(Employee.name), Enrolment.id).limit(limit).offset(offset)
    )
    return list(rows), total


# --- joining a department ------------------------------------------------------------------------

def mandatory_courses_of(department: Department) -> list[Course]:
    """The mandatory courses for the people of `department`: those of a CRM module one of its waves (in any plan)
    brings, and those with no module, which every wave needs. A department in no wave has none."""
    waves = select(WaveDepartment.wave_id).where(WaveDepartment.department_id == department.id)
    if db.session.scalar(select(func.count()).select_from(waves.subquery())) == 0:
        return []
    modules = select(wave_modules.c.crm_module_id).where(wave_modules.c.wave_id.in_(waves))
    return list(db.session.scalars(
        select(Course).where(Course.mandatory, or_(Course.crm_module_id.is_(None), Course.crm_module_id.in_(modules)))
        .order_by(Course.code)))


def enrol_newcomer(employee: Employee, department: Department) -> int:
    """Enrol a person who has just joined `department` (not started) in its mandatory courses they are not
    enrolled in yet; returns how many enrolments were added. Nobody is enrolled twice in a course."""
    if not employee.active:
        return 0
    courses = mandatory_courses_of(department)
    if not courses:
        return 0
    db.session.flush()
    have = set(db.session.scalars(select(Enrolment.course_id).where(Enrolment.employee_id == employee.id)))
    added = [Enrolment(employee=employee, course=course, status=EnrolmentStatus.NOT_STARTED)
             for course in courses if course.id not in have]
    db.session.add_all(added)
    db.session.flush()
    return len(added)


on_department_joined(enrol_newcomer)


def session_counts() -> dict[int, int]:
    """Course id -> number of sessions (one GROUP BY)."""
    rows = db.session.execute(select(TrainingSession.course_id, func.count()).group_by(TrainingSession.course_id))
    return {course_id: count for course_id, count in rows}
