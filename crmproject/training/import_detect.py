"""Finding training records in a sheet, in either shape, and saying why a sheet holds none.

  - one row per person and course: a header naming the person and a Course
    (or Course name) column;
  - a grid: a header naming the person, then one column per course. A column
    is a course when its header is a course's code or name (or the user
    mapped it to one), or, for a header naming no course, when its values
    read as training results (statuses, dates, scores). A column of text such
    as a role ("BC Role") is a detail of the person, never a course.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy import select

from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.spreadsheets import (
    FieldSpec, HeaderMatch, Row, Sheet, Table, column_letter, find_header, is_blank, normalise_header, read_table,
)
from crmproject.spreadsheets.table import is_calendar_header
from crmproject.training.import_lookups import Courses
from crmproject.training.import_values import looks_like_results
from crmproject.training.models import Course

PERSON_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("employee", _l("Employee"), ("Name", "Employee name", "Full name", "Person", "Participant", "Learner",
                                            "Trainee", "Attendee", "Student", "Staff member", "Staff name", "Name of employee")),
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
    FieldSpec("start", _l("Start date"), ("Joined", "Hire date", "Started on", "Date of birth", "DOB", "Birthday")),
    FieldSpec("total", _l("Total"), ("Completed courses", "Completion", "Completion %", "Progress", "Overall")),
)
FIELD_LABELS = {f.key: f.label for f in RECORD_FIELDS + GRID_EXTRA_FIELDS}
_PERSON_ANY = FieldSpec("person", _l("Employee"), tuple(n for f in PERSON_FIELDS for n in (str(f.label), f.key, *f.synonyms)))
HEAD_ROWS = 30  # the header is looked for in the first rows
SAMPLE = 300  # values of a column looked at to tell a course from a detail of the person


@dataclass
class GridColumns:
    """What each column of a grid's header is."""

    person: dict[str, int] = field(default_factory=dict)  # person field key -> column
    courses: dict[int, int | None] = field(default_factory=dict)  # column -> course id, None when it names no course
    left_out: list[tuple[int, str]] = field(default_factory=list)  # (column, why): read as nothing


@dataclass
class Shape:
    """A sheet with training records: its shape, header and data rows (the table of one row per record,
    or a grid's rows and columns)."""

    sheet: Sheet
    kind: str  # "records" or "grid"
    header: HeaderMatch
    data_rows: int
    table: Table | None = None
    rows: list[Row] = field(default_factory=list)
    columns: GridColumns | None = None


def course_fields() -> tuple[FieldSpec, ...]:
    """The existing courses as header names, so a grid's header row is found like any other."""
    return tuple(FieldSpec(f"course:{course_id}", code, (name,))
                 for course_id, code, name in db.session.execute(select(Course.id, Course.code, Course.name)))


def detect(sheet: Sheet, known_courses: tuple[FieldSpec, ...], courses: Courses, *, epoch_1904: bool) -> Shape | str:
    """The training records of `sheet`, or why it holds none (a sentence naming the row and columns)."""
    head = list(islice(sheet.rows(), HEAD_ROWS))
    if not any(not is_blank(v) for row in head for v in row.cells):
        return _("the sheet is empty")
    match = find_header(head, RECORD_FIELDS + GRID_EXTRA_FIELDS + known_courses)
    if match is not None:
        keys = set(match.columns.values())
        if keys & {"course", "course_name"} and keys & {f.key for f in PERSON_FIELDS}:
            table = read_table(sheet, RECORD_FIELDS)
            if table is not None:
                return Shape(sheet, "records", table.header, len(table.rows), table=table)
    header = _person_header(head, match)
    if header is None:
        return _("no header row in its first %(n)s rows names the person (Employee, Full name, Email or CRM user)", n=HEAD_ROWS)
    rows = [row for row in sheet.rows() if row.number > header.row and not all(is_blank(v) for v in row.cells)]
    columns = grid_columns(header, rows, courses, epoch_1904=epoch_1904)
    if not columns.courses:
        person = min(columns.person.values())
        reason = _("the header on row %(row)s names the person (column %(column)s, %(header)s), but no column is named after "
                   "a course or holds training statuses, dates or scores, and there is no Course column",
                   row=header.row, column=column_letter(person), header=header.headers[person])
        if columns.left_out:
            reason += _(" (left out: %(columns)s)", columns=", ".join(f"{column_letter(c)} {header.headers[c]}"
                                                                       for c, _why in columns.left_out))
        return reason
    course_columns = list(columns.courses)
    rows = [row for row in rows if not all(is_blank(row.cell(c)) for c in (*columns.person.values(), *course_columns))]
    return Shape(sheet, "grid", header, len(rows), rows=rows, columns=columns)


def _person_header(head: list[Row], match: HeaderMatch | None) -> HeaderMatch | None:
    """The header row of a grid: the one found by its known columns when it names the person, else the row naming
    the person with the most filled cells (the header beside a course grid, not a "Name:" line of a title block)."""
    person_keys = {f.key for f in PERSON_FIELDS}
    if match is not None and set(match.columns.values()) & person_keys:
        return match
    best: HeaderMatch | None = None
    for row in head:
        found = find_header([row], (_PERSON_ANY,))
        if found is not None and len(found.headers) > 1 and (best is None or len(found.headers) > len(best.headers)):
            best = found
    if best is None:
        return None
    # read the row again with every field, so its person columns say which (name, e-mail, user) and its extras are known
    return find_header([next(r for r in head if r.number == best.row)], PERSON_FIELDS + GRID_EXTRA_FIELDS) or best


def grid_columns(header: HeaderMatch, rows: list[Row], courses: Courses, *, epoch_1904: bool) -> GridColumns:
    """Sort a grid's columns into the person's, the courses (known, mapped, or unknown but holding results)
    and the ones left out, with why."""
    person_names = {name: f.key for f in PERSON_FIELDS for name in f.header_names()}
    person_any = set(_PERSON_ANY.header_names())
    extra_names = {name for f in GRID_EXTRA_FIELDS for name in f.header_names()}
    record_names = {name: f for f in RECORD_FIELDS[len(PERSON_FIELDS):] for name in f.header_names()}
    found = GridColumns()
    for column, text in sorted(header.headers.items()):
        name = normalise_header(text)
        if (course := courses.known(text)) is not None:
            found.courses[column] = course
        elif name in person_names or name in person_any:
            key = person_names.get(name, "employee")
            if key not in found.person:
                found.person[key] = column
        elif name in extra_names:
            continue
        elif name in record_names:
            found.left_out.append((column, _("In a grid of people against courses, %(field)s is not read: the column is "
                                             "left out.", field=record_names[name].label)))
        elif column in header.calendar or is_calendar_header(text):
            found.left_out.append((column, _("A date or period is not a course: the column is left out.")))
        else:
            _unknown_column(found, column, [row.cell(column) for row in rows[:SAMPLE]], epoch_1904)
    return found


def _unknown_column(found: GridColumns, column: int, values: list, epoch_1904: bool) -> None:
    """A column whose header names no course: a course-to-be when its values are results, else left out."""
    if all(is_blank(v) for v in values):
        found.left_out.append((column, _("The column names no course and is empty: it is left out.")))
        return
    results, example = looks_like_results(values, epoch_1904=epoch_1904)
    if results:
        found.courses[column] = None
    else:
        found.left_out.append((column, _("Values such as '%(value)s' are not training statuses, dates or scores: the column "
                                         "is read as a detail of the person, not as a course.", value=example)))
