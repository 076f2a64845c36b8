"""Reading a grid of people against courses: one row per person, one column per course (its header is the
course's code or name), each cell a status ("done", "✓", "in progress", "withdrawn", "n/a", "waived"), a date
(completed that day) or a score (completed with it)."""

from __future__ import annotations

from crmproject.i18n import _
from crmproject.spreadsheets import CellError, ImportIssue, Row, infer_day_first, is_blank, parse_text
from crmproject.training.import_detect import Shape
from crmproject.training.import_lookups import RowError
from crmproject.training.import_result import SheetResult, TrainingImport, TrainingRecord
from crmproject.training.import_rows import ReadContext, add, cell
from crmproject.training.import_values import read_result


def _course_columns(shape: Shape, result: TrainingImport, sheet_result: SheetResult, context: ReadContext) -> dict[int, int | str]:
    """Column -> course (an id, or the key of a course to create); a header naming no course is an error
    unless courses are created; a course in two columns is an error; left-out columns are warnings."""
    assert shape.columns is not None
    sheet, header = shape.sheet.name, shape.header
    for column, why in shape.columns.left_out:
        result.warnings.append(ImportIssue(sheet, header.row, column, header.headers[column], why))
    found: dict[int, int | str] = {}
    first_column: dict[int | str, int] = {}
    course: int | str | None  # a known course's id, or the key of one to create
    for column, course in shape.columns.courses.items():
        text = header.headers[column]
        if course is None:
            try:
                course = context.courses.resolve(text, None)
            except RowError as exc:
                sheet_result.unknown_courses.append((column, text))
                result.issues.append(ImportIssue(sheet, header.row, column, text, exc.text))
                continue
        if course in first_column:
            result.issues.append(ImportIssue(sheet, header.row, column, text, _(
                "The same course is also in column %(other)s.", other=header.headers[first_column[course]])))
            continue
        first_column[course] = column
        found[column] = course
    return found


def analyse_grid(shape: Shape, result: TrainingImport, sheet_result: SheetResult, context: ReadContext) -> None:
    """Check every cell of a grid; keep the valid records in `result`. Blank cells are no enrolment."""
    assert shape.columns is not None
    course_columns = _course_columns(shape, result, sheet_result, context)
    person_columns = shape.columns.person
    sheet, headers = shape.sheet.name, shape.header.headers
    rows = shape.rows
    sheet_result.rows_read = len(rows)
    day_first = context.options.day_first
    if day_first is None:
        day_first = infer_day_first(row.cell(c) for row in rows for c in course_columns if isinstance(row.cell(c), str))

    def text(row: Row, key: str) -> str | None:
        column = person_columns.get(key)
        return cell(key, parse_text, row.cell(column)) if column is not None else None

    for row in rows:
        try:
            person = context.people.resolve(text(row, "email"), text(row, "user"), text(row, "employee"))
        except RowError as exc:
            column = person_columns.get(exc.key or "", next(iter(person_columns.values()), None))
            result.issues.append(ImportIssue(sheet, row.number, column, headers.get(column) if column is not None else None, exc.text))
            continue
        for column, course in course_columns.items():
            value = row.cell(column)
            if is_blank(value):
                continue
            try:
                status, completed_on, score = read_result(value, epoch_1904=context.workbook.epoch_1904, day_first=day_first)
            except CellError as exc:
                result.issues.append(ImportIssue(sheet, row.number, column, headers.get(column), exc.message))
                continue

            def issue(_key: str | None, message: str, row: Row = row, column: int = column) -> ImportIssue:
                return ImportIssue(sheet, row.number, column, headers.get(column), message)

            add(result, context, TrainingRecord(row.number, person, course, status, completed_on, score, sheet=sheet), issue)
