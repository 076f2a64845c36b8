"""Reading a sheet of one row per person and course: Employee / Email / CRM user, Course (and a Presentation,
run or cohort), Status, Completed on, Score, and the dates of registration and withdrawal.

Day offsets: data sets such as the Open University's (OULAD) give dates as
whole days from the course start (-159, 12). A whole number below 10,000 in a
date column is read that way: `start_date` turns it into a date, and for a
withdrawal only its sign matters (before or after the start).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from crmproject.i18n import _
from crmproject.spreadsheets import CellValue, ImportIssue, Workbook, infer_day_first, is_blank, parse_date, parse_text
from crmproject.training.import_detect import FIELD_LABELS, Shape
from crmproject.training.import_lookups import RowError
from crmproject.training.import_result import ImportOptions, SheetResult, TrainingImport, TrainingRecord
from crmproject.training.import_rows import ReadContext, add, cell
from crmproject.training.import_values import day_offset, read_result
from crmproject.training.import_values import score as score_of
from crmproject.training.models import EnrolmentStatus


def analyse_records(shape: Shape, result: TrainingImport, sheet_result: SheetResult, context: ReadContext) -> None:
    """Check every row of a sheet of one row per person and course; keep the valid records in `result`."""
    table = shape.table
    assert table is not None  # detect() read this table
    workbook, options, people, courses, today = context.workbook, context.options, context.people, context.courses, context.today
    sheet_result.rows_read = len(table.rows)
    for column, key in table.header.duplicates.items():
        result.warnings.append(ImportIssue(table.sheet, table.header.row, column, table.header.headers.get(column),
                                           _("Also looks like %(field)s; the column %(used)s is used instead.",
                                             field=FIELD_LABELS[key],
                                             used=table.header.headers.get(at, "") if (at := table.header.column(key)) is not None else "")))
    day_first = options.day_first
    if day_first is None:
        day_first = infer_day_first(r.values.get(k) for r in table.rows for k in ("completed_on", "status", "registered", "unregistered")
                                    if isinstance(r.values.get(k), str))
    for row in table.rows:
        values = row.values
        try:
            person = people.resolve(cell("email", parse_text, values.get("email")), cell("user", parse_text, values.get("user")),
                                    cell("employee", parse_text, values.get("employee")))
            course_name = cell("course_name", parse_text, values.get("course_name"))
            code = cell("course", parse_text, values.get("course")) or course_name
            if not code or not code.strip():
                raise RowError("course" if table.header.column("course") is not None else "course_name",
                               _("The row names no course."))
            presentation = cell("presentation", parse_text, values.get("presentation"))
            if presentation and presentation.strip():
                code = f"{code.strip()} {presentation.strip()}"
            course = courses.resolve(code, course_name)
            status, completed_on, score = _record_result(values, workbook, options, day_first, today)
        except RowError as exc:
            result.issues.append(table.issue(row, exc.key, exc.text))
            continue
        add(result, context, TrainingRecord(row.number, person, course, status, completed_on, score, sheet=table.sheet),
            partial(table.issue, row))


def _day(key: str, value: CellValue, workbook: Workbook, options: ImportOptions, day_first: bool | None) -> tuple[date | None, int | None]:
    """A date column's value as (date, None), or (None, offset) for a day offset no --start-date turns into a date."""
    if is_blank(value):
        return None, None
    if (offset := day_offset(value)) is not None:
        if options.start_date is not None:
            return options.start_date + timedelta(days=offset), offset
        return None, offset
    return cell(key, lambda v: parse_date(v, epoch_1904=workbook.epoch_1904, day_first=day_first), value), None


def _record_result(values: dict, workbook: Workbook, options: ImportOptions, day_first: bool | None,
                   today: date) -> tuple[EnrolmentStatus, date | None, Decimal | None]:
    status: EnrolmentStatus | None = None
    completed_on: date | None = None
    score: Decimal | None = None
    if not is_blank(values.get("status")):
        status, completed_on, score = cell("status", lambda v: read_result(v, epoch_1904=workbook.epoch_1904, day_first=day_first),
                                            values["status"])
    done_day, done_offset = _day("completed_on", values.get("completed_on"), workbook, options, day_first)
    if done_day is None and done_offset is not None:
        raise RowError("completed_on", _("%(value)s is a day offset from the course start: give --start-date to turn it "
                                          "into a date.", value=done_offset))
    if done_day is not None:
        if status not in (None, EnrolmentStatus.COMPLETED):
            raise RowError("completed_on", _("A completion date needs the status completed, not %(status)s.", status=status.label))
        status, completed_on = EnrolmentStatus.COMPLETED, done_day
    if not is_blank(values.get("score")):
        score = cell("score", score_of, values["score"])
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
