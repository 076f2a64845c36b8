"""Training completion per department and course, and whether a completion is still current.

Completion is completed / (enrolled - waived - not applicable - withdrawn):
waived, not-applicable and withdrawn enrolments leave the denominator, and
withdrawals (drop-outs after the start) are counted on their own so they stay
visible. It is counted in SQL with GROUP BY, against each employee's current
department (Employee.department_id).

Training stays current: a course may be valid for a number of months. A
completion on D of a course valid V months is valid until D + V months (the
day it expires, it no longer is): from then on it counts as not done, and
apart as expired, in every completion figure. Figures are counted "as of" a
day (`today`), which callers pass; one expression (`_currency`) decides it.
A refresher is due for a completion that expires within 30 days or has.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, extract, func, or_, select

from crmproject.collation import sort_key
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.roster.models import Employee
from crmproject.training.models import Course, Enrolment, EnrolmentStatus

REFRESHER_WINDOW = timedelta(days=30)  # a refresher is due this long before the completion expires
EXCLUDED = (EnrolmentStatus.WAIVED, EnrolmentStatus.NOT_APPLICABLE)


# --- completion --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Completion:
    """Counts of one group of enrolments; `percent` is None when nothing counts."""

    enrolled: int
    completed: int  # completed and still valid on the day counted
    excluded: int  # waived or not applicable: out of the denominator
    withdrawn: int = 0  # left after the start: out of the denominator too, and shown apart
    expired: int = 0  # completed, but the course's validity has run out: counted as not done, and shown apart

    @property
    def counted(self) -> int:
        return self.enrolled - self.excluded - self.withdrawn

    @property
    def percent(self) -> Decimal | None:
        if self.counted <= 0:
            return None
        return (Decimal(self.completed * 100) / self.counted).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class CompletionCell:
    """Completion of one department (None: people without a department) in one course."""

    department_id: int | None
    department_name: str | None
    course_id: int
    course_code: str
    completion: Completion


@dataclass(frozen=True)
class DepartmentCompletion:
    department_id: int | None
    department_name: str | None
    completion: Completion


# --- currency: is a completion still valid? ------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months; a day the month lacks becomes its last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def expires_on(completed_on: date | None, validity_months: int | None) -> date | None:
    """The day a completion stops being valid (valid until the day before); None when it never expires."""
    if completed_on is None or validity_months is None:
        return None
    return add_months(completed_on, validity_months)


def _currency(today: date):
    """(valid, expired): SQL conditions on an enrolment joined with its course, as of `today`; the one place that
    says whether a completion still counts. Expired means expires_on(completed_on, validity) <= today, written on
    month numbers so it needs no date arithmetic in SQL: with E = the completion's month number plus the
    validity, it has expired when E is before today's month, or is today's month and today is on or after the
    completion's day of the month (or is the month's last day, where a longer month's day ends up)."""
    completed = Enrolment.status == EnrolmentStatus.COMPLETED
    expiry_month = (extract("year", Enrolment.completed_on) * 12 + extract("month", Enrolment.completed_on)
                    + Course.validity_months)
    this_month = today.year * 12 + today.month
    if (today + timedelta(days=1)).day == 1:
        lapsed = expiry_month <= this_month
    else:
        lapsed = or_(expiry_month < this_month,
                     and_(expiry_month == this_month, extract("day", Enrolment.completed_on) <= today.day))
    # never NULL (SQL's NOT NULL is NULL): a completion without a date cannot be shown to have expired, so it counts
    expired = and_(completed, Enrolment.completed_on.is_not(None), Course.validity_months.is_not(None), lapsed)
    return and_(completed, ~expired), expired


def _counts(today: date):
    valid, expired = _currency(today)
    return (
        func.count(Enrolment.id),
        func.sum(case((valid, 1), else_=0)),
        func.sum(case((Enrolment.status.in_(EXCLUDED), 1), else_=0)),
        func.sum(case((Enrolment.status == EnrolmentStatus.WITHDRAWN, 1), else_=0)),
        func.sum(case((expired, 1), else_=0)),
    )


def _filtered(query, *, course_ids: Iterable[int] | None, mandatory_only: bool, department_id: int | None):
    if course_ids is not None:
        query = query.where(Enrolment.course_id.in_(list(course_ids)))
    if mandatory_only:
        query = query.where(Course.mandatory)
    if department_id is not None:
        query = query.where(Employee.department_id == department_id)
    return query


def completion_by_course(*, department_id: int | None = None, course_ids: Iterable[int] | None = None,
                         department_ids: Iterable[int] | None = None, today: date | None = None) -> dict[int, Completion]:
    """Course id -> completion as of `today`, over everyone (or one department's people, or some departments'):
    one GROUP BY."""
    query = (select(Enrolment.course_id, *_counts(today or date.today()))
             .join(Employee, Employee.id == Enrolment.employee_id).join(Course, Course.id == Enrolment.course_id)
             .group_by(Enrolment.course_id))
    if department_id is not None:
        query = query.where(Employee.department_id == department_id)
    if department_ids is not None:
        query = query.where(Employee.department_id.in_(list(department_ids)))
    if course_ids is not None:
        query = query.where(Enrolment.course_id.in_(list(course_ids)))
    return {course_id: Completion(n, done or 0, out or 0, left or 0, lapsed or 0)
            for course_id, n, done, out, left, lapsed in db.session.execute(query)}


def completion_by_department(*, course_ids: Iterable[int] | None = None, mandatory_only: bool = False,
                             today: date | None = None) -> list[DepartmentCompletion]:
    """Completion as of `today` per current department over the chosen courses, by department name: one GROUP BY.

    People without a department form one group with department_id None, last.
    """
    query = (select(Employee.department_id, Department.name, *_counts(today or date.today()))
             .select_from(Enrolment).join(Employee, Employee.id == Enrolment.employee_id)
             .join(Course, Course.id == Enrolment.course_id)
             .outerjoin(Department, Department.id == Employee.department_id)
             .group_by(Employee.department_id, Department.name))
    query = _filtered(query, course_ids=course_ids, mandatory_only=mandatory_only, department_id=None)
    rows = [DepartmentCompletion(dept_id, name, Completion(n, done or 0, out or 0, left or 0, lapsed or 0))
            for dept_id, name, n, done, out, left, lapsed in db.session.execute(query)]
    return sorted(rows, key=lambda r: (r.department_name is None, sort_key(r.department_name)))


def completion_cells(*, course_ids: Iterable[int] | None = None, mandatory_only: bool = False,
                     department_id: int | None = None, today: date | None = None) -> list[CompletionCell]:
    """Completion as of `today` per current department and course (the heat map's cells): one GROUP BY."""
    query = (select(Employee.department_id, Department.name, Course.id, Course.code, *_counts(today or date.today()))
             .select_from(Enrolment).join(Employee, Employee.id == Enrolment.employee_id)
             .join(Course, Course.id == Enrolment.course_id)
             .outerjoin(Department, Department.id == Employee.department_id)
             .group_by(Employee.department_id, Department.name, Course.id, Course.code))
    query = _filtered(query, course_ids=course_ids, mandatory_only=mandatory_only, department_id=department_id)
    rows = [CompletionCell(dept_id, name, course_id, code, Completion(n, done or 0, out or 0, left or 0, lapsed or 0))
            for dept_id, name, course_id, code, n, done, out, left, lapsed in db.session.execute(query)]
    return sorted(rows, key=lambda c: (c.department_name is None, sort_key(c.department_name), c.course_code.casefold()))


def rollups(cells: Sequence[CompletionCell], *, course_ids: Iterable[int] | None = None
            ) -> tuple[dict[int, Completion], list[DepartmentCompletion]]:
    """From the heat map's cells (completion_cells): completion per course over everyone, and per department over
    `course_ids` (all courses when None), as completion_by_course and completion_by_department count them; the
    training page reads one GROUP BY instead of three."""
    chosen = set(course_ids) if course_ids is not None else None
    by_course: dict[int, list[int]] = {}
    by_department: dict[int | None, list] = {}
    for cell in cells:
        c = cell.completion
        counts = by_course.setdefault(cell.course_id, [0, 0, 0, 0, 0])
        counts[0] += c.enrolled
        counts[1] += c.completed
        counts[2] += c.excluded
        counts[3] += c.withdrawn
        counts[4] += c.expired
        if chosen is None or cell.course_id in chosen:
            row = by_department.setdefault(cell.department_id, [cell.department_name, 0, 0, 0, 0, 0])
            row[1] += c.enrolled
            row[2] += c.completed
            row[3] += c.excluded
            row[4] += c.withdrawn
            row[5] += c.expired
    departments = [DepartmentCompletion(department_id, name, Completion(n, done, out, left, lapsed))
                   for department_id, (name, n, done, out, left, lapsed) in by_department.items()]
    return ({course_id: Completion(*counts) for course_id, counts in by_course.items()},
            sorted(departments, key=lambda r: (r.department_name is None, sort_key(r.department_name))))


@dataclass(frozen=True)
class RefresherDue:
    """A completion that expires within REFRESHER_WINDOW of today, or has expired."""

    enrolment_id: int
    employee_id: int
    employee_name: str
    department_id: int | None
    department_name: str | None
    course_id: int
    course_code: str
    completed_on: date
    expires_on: date

    def expired(self, today: date) -> bool:
        return self.expires_on <= today


def refreshers_due(*, today: date, course_id: int | None = None, department_id: int | None = None,
                   limit: int = 500) -> tuple[list[RefresherDue], int]:
    """The completions whose refresher is due as of `today` (expiring within 30 days, or expired), soonest
    expiry first, for everyone or one course or one department's people; and how many there are in all."""
    _valid_then, lapsed = _currency(today + REFRESHER_WINDOW)
    query = (select(Enrolment.id, Employee.id, Employee.name, Employee.department_id, Department.name, Course.id,
                    Course.code, Enrolment.completed_on, Course.validity_months)
             .select_from(Enrolment).join(Employee, Employee.id == Enrolment.employee_id)
             .join(Course, Course.id == Enrolment.course_id)
             .outerjoin(Department, Department.id == Employee.department_id)
             .where(lapsed, Employee.active))
    if course_id is not None:
        query = query.where(Enrolment.course_id == course_id)
    if department_id is not None:
        query = query.where(Employee.department_id == department_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = [RefresherDue(e_id, p_id, p_name, d_id, d_name, c_id, code, done, add_months(done, months))
            for e_id, p_id, p_name, d_id, d_name, c_id, code, done, months in db.session.execute(
                query.order_by(Enrolment.completed_on, Course.code, Employee.name).limit(limit))
            if done is not None and months is not None]  # as `lapsed` asks; said again for the types
    return sorted(rows, key=lambda r: (r.expires_on, r.course_code, r.employee_name)), total


@dataclass(frozen=True)
class RefresherCount:
    """How many refreshers one department (None: people without one) needs in one course: due within 30 days,
    and already expired."""

    department_id: int | None
    department_name: str | None
    course_id: int
    course_code: str
    due: int
    expired: int


def refresher_counts(*, today: date) -> list[RefresherCount]:
    """Per department and course, the refreshers due as of `today` and how many of them have expired: one GROUP BY."""
    _valid_then, lapsed = _currency(today + REFRESHER_WINDOW)
    _valid_now, expired = _currency(today)
    rows = db.session.execute(
        select(Employee.department_id, Department.name, Course.id, Course.code,
               func.sum(case((expired, 0), else_=1)), func.sum(case((expired, 1), else_=0)))
        .select_from(Enrolment).join(Employee, Employee.id == Enrolment.employee_id)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(Department, Department.id == Employee.department_id)
        .where(lapsed, Employee.active)
        .group_by(Employee.department_id, Department.name, Course.id, Course.code))
    counts = [RefresherCount(d_id, d_name, c_id, code, due or 0, gone or 0) for d_id, d_name, c_id, code, due, gone in rows]
    return sorted(counts, key=lambda r: (r.department_name is None, sort_key(r.department_name), r.course_code))
