"""Importing training records from xlsx, ods or csv, in both shapes people keep them. All or nothing.

  - one row per person and course: Employee / Email / CRM user, Course (and a
    Presentation, run or cohort), Status, Completed on, Score, and optionally
    the dates of registration and withdrawal;
  - a grid: one row per person, one column per course (its header is the
    course's code or name), each cell a status ("done", "✓", "in progress",
    "n/a", "waived"), a date (completed that day) or a score (completed with it).

The shape is told by the header: a Course column makes a list of records;
columns named after courses make a grid. `analyse()` checks every row and
writes nothing; `save()` writes the records of a clean analysis in batches
(no ORM flush per row), in the caller's transaction.

People are matched by e-mail, CRM user name (case and spaces aside) or exact
name; courses by code or name. Unknown ones are row errors, unless
`create_employees` / `create_courses` says to create them.

Day offsets: data sets such as the Open University's (OULAD) give dates as
whole days from the course start (-159, 12). A whole number below 10,000 in a
date column is read that way: `start_date` turns it into a date, and for a
withdrawal only its sign matters (before or after the start).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

from crmproject.db import utcnow
from crmproject.extensions import db
from crmproject.forms import EARLIEST
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.roster.models import Employee, username_key
from crmproject.spreadsheets import (
    CellError, CellValue, FieldSpec, HeaderMatch, ImportIssue, ReadLimits, Sheet, Table, Workbook,
    find_header,
    infer_day_first, is_blank, normalise_header, open_workbook, parse_date, parse_percent, parse_text,
    read_table, refused_as,
)
from crmproject.spreadsheets.table import is_calendar_header
from crmproject.training import services
from crmproject.training.models import Course, Enrolment, EnrolmentStatus

PERSON_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("employee", _l("Employee"), ("Name", "Employee name", "Full name", "Person", "Participant", "Learner",
                                            "Trainee", "Attendee", "Student", "Staff member")),
    FieldSpec("email", _l("Email"), ("E-mail", "Email address", "E-mail address", "Mail", "Work email")),
    FieldSpec("user", _l("CRM user"), ("CRM user name", "CRM username", "CRM login", "User name", "Username", "User",
                                       "Login", "User ID", "Student ID", "id_student")),
)
RECORD_FIELDS: tuple[FieldSpec, ...] = PERSON_FIELDS + (
    FieldSpec("course", _l("Course"), ("Course code", "Course ID", "Training", "Training course", "Module", "code_module")),
    FieldSpec("course_name", _l("Course name"), ("Course title", "Training name", "Course description")),
    FieldSpec("presentation", _l("Presentation"), ("code_presentation", "Run", "Cohort", "Intake", "Edition", "Class")),
    FieldSpec("status", _l("Status"), ("Completion status", "Training status", "State", "Progress", "Result", "final_result")),
    FieldSpec("completed_on", _l("Completed on"), ("Completion date", "Date completed", "Completed", "Finished on",
                                                   "Date of completion", "date_completed"), kind="date"),
    FieldSpec("score", _l("Score"), ("Mark", "Grade", "Points", "Test score", "Score %", "Percent", "Percentage"), kind="number"),
    FieldSpec("registered", _l("Registered on"), ("Registration date", "Enrolled on", "Enrolment date", "Enrollment date",
                                                  "date_registration"), kind="date"),
    FieldSpec("unregistered", _l("Withdrawn on"), ("Unregistered on", "Unregistration date", "Withdrawal date", "Dropped on",
                                                   "Left on", "date_unregistration"), kind="date"),
)
# Columns a grid may have besides its courses; they are read as nothing, never as courses.
GRID_EXTRA_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("department", _l("Department"), ("Dept", "Unit", "Business unit", "Team", "Division")),
    FieldSpec("job_role", _l("Job role"), ("Job title", "Role", "Position", "Function")),
    FieldSpec("manager", _l("Manager"), ("Line manager", "Supervisor", "Reports to")),
    FieldSpec("location", _l("Location"), ("Site", "Office", "Country", "City")),
    FieldSpec("number", _l("No"), ("#", "Number", "Row", "ID", "Employee ID", "Personnel number", "Staff ID")),
    FieldSpec("notes", _l("Notes"), ("Note", "Comment", "Comments", "Remarks")),
    FieldSpec("start", _l("Start date"), ("Joined", "Hire date", "Started on")),
    FieldSpec("total", _l("Total"), ("Completed courses", "Completion", "Completion %", "Progress", "Overall")),
)
FIELD_LABELS = {f.key: f.label for f in RECORD_FIELDS + GRID_EXTRA_FIELDS}
_PERSON_ANY = FieldSpec("person", _l("Employee"), tuple(n for f in PERSON_FIELDS for n in (str(f.label), f.key, *f.synonyms)))

# The words of a status cell, compared without case or extra spaces.
STATUS_WORDS: dict[EnrolmentStatus, tuple[str, ...]] = {
    EnrolmentStatus.COMPLETED: ("completed", "complete", "done", "passed", "pass", "distinction", "finished", "trained",
                                "certified", "attended", "yes", "y", "x", "✓", "✔", "☑", "✅", "true"),
    EnrolmentStatus.IN_PROGRESS: ("in progress", "in-progress", "started", "ongoing", "in training", "attending", "partial",
                                  "partly done", "failed", "fail", "incomplete", "retake"),
    EnrolmentStatus.NOT_STARTED: ("not started", "not yet started", "to do", "todo", "enrolled", "registered", "booked",
                                  "scheduled", "planned", "pending", "invited", "open", "no", "n", "false", "☐", "✗", "✘"),
    # left after the start: counted apart from those who have yet to start
    EnrolmentStatus.WITHDRAWN: ("withdrawn", "withdrew", "withdrawal", "dropped", "dropped out", "drop out", "dropout",
                                "drop-out", "unregistered", "deregistered", "unenrolled", "un-enrolled", "left", "quit",
                                "отчислен", "отчислена", "отчислены", "выбыл", "выбыла", "отказался", "отказалась",
                                "退出", "已退出", "退课", "已退课", "退学", "中途退出",
                                "انصراف", "انصراف داده", "منصرف شد", "ترک دوره"),
    EnrolmentStatus.WAIVED: ("waived", "waiver", "exempt", "exempted", "excused", "rpl", "prior learning"),
    # a dash in a training matrix conventionally marks a course the person does not need
    EnrolmentStatus.NOT_APPLICABLE: ("n/a", "na", "n.a.", "not applicable", "not required", "not needed", "-", "–", "—"),
}
_STATUS_BY_WORD = {word: status for status, words in STATUS_WORDS.items() for word in words}
_BOOL_WORDS = {"1": EnrolmentStatus.COMPLETED, "0": EnrolmentStatus.NOT_STARTED}
_OFFSET = re.compile(r"^[+-]?\d{1,4}$")
MAX_OFFSET = 10_000  # a whole number below this in a date column is a day offset; above, an Excel serial date
MAX_REPORTED_ISSUES = 500
BATCH = 5_000


class ImportRefused(Exception):
    """The file cannot be imported at all (not a spreadsheet, no recognisable table); the message says why."""


@dataclass
class ImportOptions:
    sheet: str | None = None
    create_courses: bool = False
    create_employees: bool = False
    start_date: date | None = None  # the day that day offsets count from
    day_first: bool | None = None  # None: inferred from the file
    today: date | None = None


@dataclass
class TrainingRecord:
    """One valid enrolment-to-be: `person` and `course` are ids, or keys of people or courses to create."""

    row: int
    person: int | str
    course: int | str
    status: EnrolmentStatus
    completed_on: date | None
    score: Decimal | None


@dataclass
class NewEmployee:
    name: str
    email: str | None
    crm_username: str | None


@dataclass
class NewCourse:
    code: str
    name: str


@dataclass
class SaveCounts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    courses_created: int = 0
    employees_created: int = 0


@dataclass
class TrainingImport:
    filename: str
    sheet: str
    shape: str  # "records" or "grid"
    header_row: int
    rows_read: int = 0
    records: list[TrainingRecord] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    new_employees: dict[str, NewEmployee] = field(default_factory=dict)
    new_courses: dict[str, NewCourse] = field(default_factory=dict)
    completed_without_date: int = 0

    def summary(self, counts: SaveCounts | None = None) -> dict:
        def issue(i: ImportIssue) -> dict:
            return {"sheet": i.sheet, "row": i.row, "column": i.column_letter, "header": i.header, "message": i.message}

        counts = counts or SaveCounts()
        statuses = Counter(r.status.value for r in self.records)
        return {
            "file": self.filename, "sheet": self.sheet, "shape": self.shape, "header_row": self.header_row,
            "rows_read": self.rows_read, "records_valid": len(self.records),
            "statuses": {s.value: statuses.get(s.value, 0) for s in EnrolmentStatus},
            "completed_without_date": self.completed_without_date,
            "courses_to_create": [c.code for c in self.new_courses.values()],
            "employees_to_create": len(self.new_employees),
            "enrolments_added": counts.added, "enrolments_changed": counts.changed, "enrolments_unchanged": counts.unchanged,
            "courses_created": counts.courses_created, "employees_created": counts.employees_created,
            "errors_total": len(self.issues),
            "errors": [issue(i) for i in self.issues[:MAX_REPORTED_ISSUES]],
            "warnings": [issue(i) for i in self.warnings[:MAX_REPORTED_ISSUES]],
        }


class _RowError(Exception):
    def __init__(self, key: str | None, text: str) -> None:
        super().__init__(text)
        self.key = key
        self.text = text


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


# --- people and courses ------------------------------------------------------------------------

class _People:
    """Finds the employee of a row by e-mail, CRM user name or name; collects the people to create."""

    def __init__(self, create: bool, new: dict[str, NewEmployee]) -> None:
        self.create = create
        self.new = new
        self.by_email: dict[str, int] = {}
        self.by_user: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        self.new_users: dict[str, str] = {}
        rows = db.session.execute(select(Employee.id, Employee.email, Employee.crm_username_key, Employee.name))
        for employee_id, email, user_key, name in rows:
            if email:
                self.by_email[email.casefold()] = employee_id
            if user_key:
                self.by_user[user_key] = employee_id
            self.by_name.setdefault(_key(name), []).append(employee_id)

    def resolve(self, email: str | None, user: str | None, name: str | None) -> int | str:
        """An employee id or the key of a person to create; _RowError when no one (or several) fit."""
        email = email.strip() if email and email.strip() else None
        user = user.strip() if user and user.strip() else None
        name = " ".join(name.split()) if name and name.strip() else None
        if name and "@" in name and email is None:
            email, name = name, None
        if email and (found := self.by_email.get(email.casefold())) is not None:
            return found
        if user and (found := self.by_user.get(username_key(user))) is not None:
            return found
        if name and not email and not user:
            # a name column may hold CRM user names too
            if (found := self.by_user.get(username_key(name))) is not None:
                return found
        if name:
            same = self.by_name.get(_key(name), [])
            if len(same) == 1:
                return same[0]
            if len(same) > 1:
                raise _RowError("employee", _("Several people are called %(name)s: add an Email or CRM user column.", name=name))
        if email is None and user is None and name is None:
            raise _RowError("employee", _("The row names no person."))
        if not self.create:
            if email:
                raise _RowError("email", _("No employee has the e-mail %(email)s.", email=email))
            if user:
                raise _RowError("user", _("No employee has the CRM user name %(user)s.", user=user))
            raise _RowError("employee", _("No employee is called %(name)s.", name=name))
        return self._to_create(email, user, name)

    def _to_create(self, email: str | None, user: str | None, name: str | None) -> str:
        if email is not None and ("@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 254):
            raise _RowError("email", _("%(email)s is not an e-mail address.", email=email))
        if user is not None and len(user) > 200:
            raise _RowError("user", _("The CRM user name can have at most %(n)s characters.", n=200))
        key = f"e:{email.casefold()}" if email else f"u:{username_key(user)}" if user else f"n:{_key(name or '')}"
        if user is not None:
            # the CRM user name of a new person is unique too
            owner = self.new_users.setdefault(username_key(user), key)
            if owner != key:
                raise _RowError("user", _("%(user)s is the CRM user name of another new person in this file.", user=user))
        if key not in self.new:
            self.new[key] = NewEmployee(name=(name or user or email or "")[:200], email=email.lower() if email else None,
                                        crm_username=user)
        return key


class _Courses:
    """Finds a course by code or name; collects the courses to create."""

    def __init__(self, create: bool, new: dict[str, NewCourse]) -> None:
        self.create = create
        self.new = new
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        for course_id, code, name in db.session.execute(select(Course.id, Course.code, Course.name)):
            self.by_code[_key(code)] = course_id
            self.by_name.setdefault(_key(name), []).append(course_id)

    def find(self, text: str) -> int | None:
        key = _key(text)
        if (found := self.by_code.get(key)) is not None:
            return found
        same = self.by_name.get(key, [])
        return same[0] if len(same) == 1 else None

    def resolve(self, code: str, name: str | None, *, column_key: str = "course") -> int | str:
        code = " ".join(code.split())
        if (found := self.find(code)) is not None:
            return found
        if name and (found := self.find(name)) is not None:
            return found
        if len(self.by_name.get(_key(code), [])) > 1:
            raise _RowError(column_key, _("Several courses are called %(name)s: use the course code.", name=code))
        if not self.create:
            raise _RowError(column_key, _("No course has the code or name %(course)s (--create-courses creates it).", course=code))
        if len(code) > 50:
            raise _RowError(column_key, _("A course code can have at most %(n)s characters.", n=50))
        key = _key(code)
        self.new.setdefault(key, NewCourse(code=code, name=(name or code)[:200]))
        return key


# --- cells -------------------------------------------------------------------------------------

def read_result(value: CellValue, *, epoch_1904: bool = False, day_first: bool | None = None,
                ) -> tuple[EnrolmentStatus, date | None, Decimal | None]:
    """A status cell: a word or mark, a date (completed that day) or a score (completed with it).

    Raises CellError for anything else. 1 and 0 are yes and no, not scores.
    """
    if isinstance(value, bool):
        return (EnrolmentStatus.COMPLETED if value else EnrolmentStatus.NOT_STARTED), None, None
    if isinstance(value, (date, datetime)):
        return EnrolmentStatus.COMPLETED, parse_date(value), None
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return _BOOL_WORDS[str(int(value))], None, None
        return EnrolmentStatus.COMPLETED, None, _score(value)
    text = parse_text(value) or ""
    word = _key(text)
    if word in _STATUS_BY_WORD:
        return _STATUS_BY_WORD[word], None, None
    if word in _BOOL_WORDS:
        return _BOOL_WORDS[word], None, None
    if word.endswith("%") or re.fullmatch(r"[+-]?\d+(?:[.,]\d+)?", word):
        return EnrolmentStatus.COMPLETED, None, _score(text)
    try:
        return EnrolmentStatus.COMPLETED, parse_date(text, epoch_1904=epoch_1904, day_first=day_first), None
    except CellError as exc:
        if exc.kind == "ambiguous_date":
            raise
    raise CellError("not_a_number", _(
        "'%(value)s' is not a status (completed, in progress, not started, withdrawn, waived, n/a), a date or a score",
        value=text))


def _score(value: CellValue) -> Decimal:
    score = parse_percent(value, decimal_comma=isinstance(value, str) and "," in value and "." not in value)
    if score is None or not Decimal(0) <= score <= Decimal(100):
        raise CellError("not_a_percent", _("A score runs from 0 to 100, not %(value)s.", value=parse_text(value)))
    return score.quantize(Decimal("0.01"))


def _offset(value: CellValue) -> int | None:
    """A day offset from the course start, or None when the value is not a small whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) < MAX_OFFSET:
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < MAX_OFFSET:
        return int(value)
    if isinstance(value, str) and _OFFSET.fullmatch(value.strip()):
        return int(value.strip())
    return None


# --- analysis ----------------------------------------------------------------------------------

@dataclass
class _Shape:
    sheet: Sheet
    kind: str  # "records" or "grid"
    header: HeaderMatch


def _course_fields() -> tuple[FieldSpec, ...]:
    """The existing courses as header names, so a grid's header row is found like any other."""
    return tuple(FieldSpec(f"course:{course_id}", code, (name,))
                 for course_id, code, name in db.session.execute(select(Course.id, Course.code, Course.name)))


def _detect(sheet: Sheet, course_fields: tuple[FieldSpec, ...], create_courses: bool) -> _Shape | None:
    head = []
    for row in sheet.rows():
        head.append(row)
        if len(head) >= 30:
            break
    match = find_header(head, RECORD_FIELDS + GRID_EXTRA_FIELDS + course_fields)
    if match is not None:
        keys = set(match.columns.values())
        person = keys & {f.key for f in PERSON_FIELDS}
        if keys & {"course", "course_name"} and person:
            return _Shape(sheet, "records", match)
        if person and any(k.startswith("course:") for k in keys):
            return _Shape(sheet, "grid", match)
        if person and create_courses and match.unmapped:
            return _Shape(sheet, "grid", match)
    if create_courses:
        # a grid whose courses are all new: a person column and other headers beside it
        match = find_header(head, (_PERSON_ANY,))
        if match is not None and len(match.headers) > 1:
            return _Shape(sheet, "grid", match)
    return None


def analyse(workbook: Workbook, options: ImportOptions | None = None) -> TrainingImport:
    """Check every row of the training records in `workbook`; nothing is written."""
    options = options or ImportOptions()
    course_fields = _course_fields()
    with refused_as(ImportRefused):  # no such sheet, a sheet damaged, or over the read limits: the message says which
        sheets = [workbook.sheet(options.sheet)] if options.sheet else list(workbook.visible_sheets)
        return _analyse(workbook, options, sheets, course_fields)


def _analyse(workbook: Workbook, options: ImportOptions, sheets: list[Sheet], course_fields) -> TrainingImport:
    shape = next((s for s in (_detect(sheet, course_fields, options.create_courses) for sheet in sheets) if s), None)
    if shape is None:
        raise ImportRefused(_(
            "No sheet has training records: a header row (in the first 30 rows) naming the person (Employee, Email or "
            "CRM user) and either a Course column or columns named after courses."))
    result = TrainingImport(filename=workbook.filename, sheet=shape.sheet.name, shape=shape.kind, header_row=shape.header.row)
    people = _People(options.create_employees, result.new_employees)
    courses = _Courses(options.create_courses, result.new_courses)
    if shape.kind == "records":
        _analyse_records(workbook, shape, options, result, people, courses)
    else:
        _analyse_grid(workbook, shape, options, result, people, courses)
    return result


def _analyse_records(workbook: Workbook, shape: _Shape, options: ImportOptions, result: TrainingImport,
                     people: _People, courses: _Courses) -> None:
    table = read_table(shape.sheet, RECORD_FIELDS)
    assert table is not None  # _detect found this header
    result.rows_read = len(table.rows)
    for column, key in table.header.duplicates.items():
        result.warnings.append(ImportIssue(table.sheet, table.header.row, column, table.header.headers.get(column),
                                           _("Also looks like %(field)s; the column %(used)s is used instead.",
                                             field=FIELD_LABELS[key], used=table.header.headers.get(table.header.column(key), ""))))
    day_first = options.day_first
    if day_first is None:
        day_first = infer_day_first(r.values.get(k) for r in table.rows for k in ("completed_on", "status", "registered", "unregistered")
                                    if isinstance(r.values.get(k), str))
    today = options.today or date.today()
    seen: dict[tuple[int | str, int | str], int] = {}
    for row in table.rows:
        values = row.values
        try:
            person = people.resolve(_cell("email", parse_text, values.get("email")), _cell("user", parse_text, values.get("user")),
                                    _cell("employee", parse_text, values.get("employee")))
            course_name = _cell("course_name", parse_text, values.get("course_name"))
            code = _cell("course", parse_text, values.get("course")) or course_name
            if not code or not code.strip():
                raise _RowError("course" if table.header.column("course") is not None else "course_name",
                                _("The row names no course."))
            presentation = _cell("presentation", parse_text, values.get("presentation"))
            if presentation and presentation.strip():
                code = f"{code.strip()} {presentation.strip()}"
            course = courses.resolve(code, course_name)
            status, completed_on, score = _record_result(values, workbook, options, day_first, today)
        except _RowError as exc:
            result.issues.append(table.issue(row, exc.key, exc.text))
            continue
        _add(result, seen, TrainingRecord(row.number, person, course, status, completed_on, score), table, row.number, today)


def _cell(key: str, parse, value: CellValue):
    """parse(value), its CellError turned into a row error in the column of field `key`."""
    try:
        return parse(value)
    except CellError as exc:
        raise _RowError(key, exc.message) from None


def _day(key: str, value: CellValue, workbook: Workbook, options: ImportOptions, day_first: bool | None) -> tuple[date | None, int | None]:
    """A date column's value as (date, None), or (None, offset) for a day offset no --start-date turns into a date."""
    if is_blank(value):
        return None, None
    if (offset := _offset(value)) is not None:
        if options.start_date is not None:
            return options.start_date + timedelta(days=offset), offset
        return None, offset
    return _cell(key, lambda v: parse_date(v, epoch_1904=workbook.epoch_1904, day_first=day_first), value), None


def _record_result(values: dict, workbook: Workbook, options: ImportOptions, day_first: bool | None,
                   today: date) -> tuple[EnrolmentStatus, date | None, Decimal | None]:
    status: EnrolmentStatus | None = None
    completed_on: date | None = None
    score: Decimal | None = None
    if not is_blank(values.get("status")):
        status, completed_on, score = _cell("status", lambda v: read_result(v, epoch_1904=workbook.epoch_1904, day_first=day_first),
                                            values["status"])
    done_day, done_offset = _day("completed_on", values.get("completed_on"), workbook, options, day_first)
    if done_day is None and done_offset is not None:
        raise _RowError("completed_on", _("%(value)s is a day offset from the course start: give --start-date to turn it "
                                          "into a date.", value=done_offset))
    if done_day is not None:
        if status not in (None, EnrolmentStatus.COMPLETED):
            raise _RowError("completed_on", _("A completion date needs the status completed, not %(status)s.", status=status.label))
        status, completed_on = EnrolmentStatus.COMPLETED, done_day
    if not is_blank(values.get("score")):
        score = _cell("score", _score, values["score"])
        status = status or EnrolmentStatus.COMPLETED
    registered_day, registered_offset = _day("registered", values.get("registered"), workbook, options, day_first)
    left_day, left_offset = _day("unregistered", values.get("unregistered"), workbook, options, day_first)
    if status is None:
        status = _status_from_registration(registered_day, registered_offset, left_day, left_offset, options, today)
    return status, completed_on, score


def _status_from_registration(registered_day: date | None, registered_offset: int | None, left_day: date | None,
                              left_offset: int | None, options: ImportOptions, today: date) -> EnrolmentStatus:
    """The status of a row that gives no status, only registration dates (the OULAD registration file).

    A registration file knows who enrolled and who withdrew, not who passed,
    so nothing is counted as completed from it:
      - withdrew on or before the course start: the registration was cancelled
        before any training, so the course does not apply to that run;
        NOT_APPLICABLE takes it out of the denominator;
      - withdrew after the start: a drop-out, WITHDRAWN: out of the
        completion denominator like waived, but counted and shown apart
        (NOT_STARTED would pass them for people who have yet to begin);
      - still registered: IN_PROGRESS, once the course has started.
    """
    if left_day is not None or left_offset is not None:
        if left_offset is not None:
            before_start = left_offset <= 0
        else:
            before_start = options.start_date is not None and left_day is not None and left_day <= options.start_date
        return EnrolmentStatus.NOT_APPLICABLE if before_start else EnrolmentStatus.WITHDRAWN
    if registered_day is not None or registered_offset is not None:
        started = options.start_date is None or options.start_date <= today
        return EnrolmentStatus.IN_PROGRESS if started else EnrolmentStatus.NOT_STARTED
    return EnrolmentStatus.NOT_STARTED


def _add(result: TrainingImport, seen: dict, record: TrainingRecord, table_or_sheet, row: int, today: date,
         column: int | None = None, header: str | None = None) -> None:
    """Check the completion date and duplicates, then keep the record."""
    def issue(key: str | None, text: str) -> ImportIssue:
        if isinstance(table_or_sheet, Table):
            return table_or_sheet.issue(row, key, text)
        return ImportIssue(table_or_sheet, row, column, header, text)

    if record.completed_on is not None and record.completed_on > today:
        result.issues.append(issue("completed_on", _("%(day)s is in the future.", day=record.completed_on.isoformat())))
        return
    if record.completed_on is not None and record.completed_on < EARLIEST:
        result.issues.append(issue("completed_on", _("%(day)s is too long ago to be a completion date.", day=record.completed_on.isoformat())))
        return
    pair = (record.person, record.course)
    if pair in seen:
        result.issues.append(issue("course", _("The same person and course are already on row %(row)s.", row=seen[pair])))
        return
    seen[pair] = row
    if record.status == EnrolmentStatus.COMPLETED and record.completed_on is None:
        record.completed_on = today
        result.completed_without_date += 1
    result.records.append(record)


def _grid_columns(shape: _Shape, courses: _Courses, result: TrainingImport) -> tuple[dict[str, int], dict[int, int | str]]:
    """The person columns (field key -> column) and the course columns (column -> course) of a grid's header."""
    person_names = {name: f.key for f in PERSON_FIELDS for name in f.header_names()}
    extra_names = {name for f in GRID_EXTRA_FIELDS for name in f.header_names()}
    record_names = {name: f for f in RECORD_FIELDS[len(PERSON_FIELDS):] for name in f.header_names()}
    person: dict[str, int] = {}
    course_columns: dict[int, int | str] = {}
    seen_courses: dict[int | str, int] = {}
    header = shape.header
    for column, text in sorted(header.headers.items()):
        name = normalise_header(text)
        if name in person_names and person_names[name] not in person:
            person[person_names[name]] = column
            continue
        if name in extra_names:
            continue
        if name in record_names:
            result.warnings.append(ImportIssue(shape.sheet.name, header.row, column, text, _(
                "In a grid of people against courses, %(field)s is not read: the column is left out.",
                field=record_names[name].label)))
            continue
        if column in header.calendar or is_calendar_header(text):
            result.warnings.append(ImportIssue(shape.sheet.name, header.row, column, text,
                                               _("A date or period is not a course: the column is left out.")))
            continue
        try:
            course = courses.resolve(text, None)
        except _RowError as exc:
            result.issues.append(ImportIssue(shape.sheet.name, header.row, column, text, exc.text))
            continue
        if course in seen_courses:
            result.issues.append(ImportIssue(shape.sheet.name, header.row, column, text,
                                             _("The same course is also in column %(other)s.", other=header.headers[seen_courses[course]])))
            continue
        seen_courses[course] = column
        course_columns[column] = course
    return person, course_columns


def _analyse_grid(workbook: Workbook, shape: _Shape, options: ImportOptions, result: TrainingImport,
                  people: _People, courses: _Courses) -> None:
    person_columns, course_columns = _grid_columns(shape, courses, result)
    if not course_columns and not result.issues:
        result.issues.append(ImportIssue(shape.sheet.name, shape.header.row, None, None, _("The grid has no course columns.")))
    sheet = shape.sheet.name
    headers = shape.header.headers
    rows = [row for row in shape.sheet.rows() if row.number > shape.header.row
            and not all(is_blank(row.cell(c)) for c in (*person_columns.values(), *course_columns))]
    result.rows_read = len(rows)
    day_first = options.day_first
    if day_first is None:
        day_first = infer_day_first(row.cell(c) for row in rows for c in course_columns if isinstance(row.cell(c), str))
    today = options.today or date.today()
    seen: dict[tuple[int | str, int | str], int] = {}

    def text(row, key: str) -> str | None:
        column = person_columns.get(key)
        return _cell(key, parse_text, row.cell(column)) if column is not None else None

    for row in rows:
        try:
            person = people.resolve(text(row, "email"), text(row, "user"), text(row, "employee"))
        except _RowError as exc:
            column = person_columns.get(exc.key or "", next(iter(person_columns.values()), None))
            result.issues.append(ImportIssue(sheet, row.number, column, headers.get(column) if column is not None else None, exc.text))
            continue
        for column, course in course_columns.items():
            value = row.cell(column)
            if is_blank(value):
                continue
            try:
                status, completed_on, score = read_result(value, epoch_1904=workbook.epoch_1904, day_first=day_first)
            except CellError as exc:
                result.issues.append(ImportIssue(sheet, row.number, column, headers.get(column), exc.message))
                continue
            _add(result, seen, TrainingRecord(row.number, person, course, status, completed_on, score), sheet, row.number,
                 today, column=column, header=headers.get(column))


# --- saving ------------------------------------------------------------------------------------

def save(result: TrainingImport) -> SaveCounts:
    """Write the records of a clean analysis (the caller commits): new courses and people first, then
    the enrolments, inserted and updated in batches. An existing enrolment of the same person and
    course takes the file's status, date and score."""
    if result.issues:
        raise ValueError("an import with errors is never saved")
    counts = SaveCounts()
    course_ids: dict[int | str, int] = {}
    for key, new in result.new_courses.items():
        course_ids[key] = services.create_course(services.CourseValues(code=new.code, name=new.name)).id
        counts.courses_created += 1
    employee_ids: dict[int | str, int] = {}
    if result.new_employees:
        _insert_employees(result.new_employees)
        employee_ids = _created_employee_ids(result.new_employees)
        counts.employees_created = len(result.new_employees)

    records = [(employee_ids.get(r.person, r.person), course_ids.get(r.course, r.course), r) for r in result.records]
    involved = sorted({course for _, course, _ in records})
    existing: dict[tuple[int, int], tuple[int, EnrolmentStatus, date | None, Decimal | None]] = {}
    for start in range(0, len(involved), 500):
        rows = db.session.execute(
            select(Enrolment.employee_id, Enrolment.course_id, Enrolment.id, Enrolment.status, Enrolment.completed_on, Enrolment.score)
            .where(Enrolment.course_id.in_(involved[start:start + 500])))
        for employee_id, course_id, enrolment_id, status, completed_on, score in rows:
            existing[(employee_id, course_id)] = (enrolment_id, status, completed_on, score)

    now = utcnow()
    inserts: list[dict] = []
    updates: list[dict] = []
    for employee_id, course_id, r in records:
        old = existing.get((employee_id, course_id))
        if old is None:
            inserts.append({"employee_id": employee_id, "course_id": course_id, "status": r.status,
                            "completed_on": r.completed_on, "score": r.score, "created_at": now, "updated_at": now})
        elif (old[1], old[2], old[3]) == (r.status, r.completed_on, r.score):
            counts.unchanged += 1
        else:
            updates.append({"b_id": old[0], "b_status": r.status, "b_completed_on": r.completed_on, "b_score": r.score,
                            "b_updated_at": now})
    table = Enrolment.__table__
    for start in range(0, len(inserts), BATCH):
        db.session.execute(insert(table), inserts[start:start + BATCH])
    statement = update(table).where(table.c.id == bindparam("b_id")).values(
        status=bindparam("b_status"), completed_on=bindparam("b_completed_on"), score=bindparam("b_score"),
        updated_at=bindparam("b_updated_at"))
    for start in range(0, len(updates), BATCH):
        db.session.execute(statement, updates[start:start + BATCH])
    counts.added, counts.changed = len(inserts), len(updates)
    return counts


def _insert_employees(new: dict[str, NewEmployee]) -> None:
    now = utcnow()
    rows = [{"name": e.name, "email": e.email, "crm_username": e.crm_username,
             "crm_username_key": username_key(e.crm_username) if e.crm_username else None, "job_role": "",
             "active": True, "created_at": now, "updated_at": now} for e in new.values()]
    table = Employee.__table__
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start:start + BATCH])


def _created_employee_ids(new: dict[str, NewEmployee]) -> dict[int | str, int]:
    """Key of each person just created -> their id (one SELECT over the people with those e-mails or user names)."""
    ids: dict[int | str, int] = {}
    by_email = {e.email: key for key, e in new.items() if e.email}
    by_user = {username_key(e.crm_username): key for key, e in new.items() if not e.email and e.crm_username}
    by_name = {e.name: key for key, e in new.items() if not e.email and not e.crm_username}
    rows = db.session.execute(select(Employee.id, Employee.email, Employee.crm_username_key, Employee.name, Employee.created_at)
                              .order_by(Employee.id.desc()))
    for employee_id, email, user_key, name, _created in rows:
        if email and email in by_email and by_email[email] not in ids:
            ids[by_email[email]] = employee_id
        elif user_key and user_key in by_user and by_user[user_key] not in ids:
            ids[by_user[user_key]] = employee_id
        elif not email and not user_key and name in by_name and by_name[name] not in ids:
            ids[by_name[name]] = employee_id  # newest first: the one just inserted
        if len(ids) == len(new):
            break
    return ids


def load_workbook(data: bytes, filename: str, *, limits: ReadLimits | None = None,
                  encoding: str | None = None) -> Workbook:
    """Open an upload within `limits` (the configured ones by default; a CSV file in `encoding` when given),
    turning every reading problem into ImportRefused."""
    from crmproject.uploads import read_limits

    with refused_as(ImportRefused):
        return open_workbook(data, filename, limits=limits or read_limits(), encoding=encoding)
