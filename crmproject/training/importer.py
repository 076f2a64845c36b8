"""Importing training records from xlsx, ods or csv, in both shapes people keep them, from one sheet or several.
All or nothing.

  - one row per person and course (import_records);
  - a grid of people against courses (import_grid).

Each sheet's shape is told by its header (import_detect). Without a choice,
the first sheet holding records is read and the others holding records are
named with their counts; `ImportOptions.sheets` picks sheets by name and
`all_sheets` takes every one, read as one import: a person and course given
twice, in any two sheets, is an error. `analyse()` checks every row and
writes nothing; `save()` writes the records of a clean analysis in the
caller's transaction (import_save).

People are matched by e-mail, CRM user name (case and spaces aside) or exact
name; courses by code or name, or as `course_map` maps them. Unknown ones are
row errors, unless `create_employees` / `create_courses` says to create them.
"""

from __future__ import annotations

from datetime import date

from crmproject.i18n import _
from crmproject.spreadsheets import ImportIssue, ReadLimits, Workbook, open_workbook, refused_as
from crmproject.training.import_detect import HEAD_ROWS, Shape, course_fields, detect
from crmproject.training.import_grid import analyse_grid
from crmproject.training.import_lookups import Courses, People
from crmproject.training.import_records import analyse_records
from crmproject.training.import_result import (
    MAX_REPORTED_ISSUES, ImportOptions, ImportRefused, NewCourse, NewEmployee, SaveCounts, SheetResult, TrainingImport,
    TrainingRecord,
)
from crmproject.training.import_rows import ReadContext
from crmproject.training.import_save import save
from crmproject.training.import_values import STATUS_WORDS, read_result

__all__ = [
    "MAX_REPORTED_ISSUES", "STATUS_WORDS", "ImportOptions", "ImportRefused", "NewCourse", "NewEmployee", "SaveCounts",
    "SheetResult", "TrainingImport", "TrainingRecord", "analyse", "load_workbook", "read_result", "save",
]


def analyse(workbook: Workbook, options: ImportOptions | None = None) -> TrainingImport:
    """Check every row of the training records in `workbook` (the sheets the options choose); nothing is written."""
    options = options or ImportOptions()
    result = TrainingImport(filename=workbook.filename)
    people = People(options.create_employees, result.new_employees)
    courses = Courses(options.create_courses, result.new_courses, options.course_map)
    context = ReadContext(workbook, options, people, courses, options.today or date.today())
    with refused_as(ImportRefused):  # no such sheet, a sheet damaged, or over the read limits: the message says which
        chosen, others = _choose(workbook, options, courses)
        for shape in chosen:
            result.sheets.append(_analyse_sheet(shape, result, context))
        for shape in others:
            left_out = _count_apart(shape, context)
            result.other_sheets.append(left_out)
            result.warnings.append(ImportIssue(left_out.sheet, left_out.header_row, None, None, _(
                "This sheet holds training records too (%(rows)s rows, %(valid)s valid records) and was not imported: "
                "--sheet \"%(sheet)s\" (once per sheet) or --all-sheets imports it with the others.",
                rows=left_out.rows_read, valid=left_out.records_valid, sheet=left_out.sheet)))
    return result


def _choose(workbook: Workbook, options: ImportOptions, courses: Courses) -> tuple[list[Shape], list[Shape]]:
    """The sheets to import and the other sheets holding records, in workbook order; ImportRefused says why none."""
    known = course_fields()
    epoch = workbook.epoch_1904
    if options.sheets:
        chosen: list[Shape] = []
        for name in dict.fromkeys(options.sheets):
            found = detect(workbook.sheet(name), known, courses, epoch_1904=epoch)
            if isinstance(found, str):
                raise ImportRefused(_("Sheet %(sheet)s has no training records: %(reason)s.", sheet=name, reason=found))
            chosen.append(found)
        names = {shape.sheet.name for shape in chosen}
        others = [s for s in workbook.visible_sheets if s.name not in names]
        found_others = [detect(s, known, courses, epoch_1904=epoch) for s in others]
        return chosen, [s for s in found_others if isinstance(s, Shape) and s.data_rows]
    found_all = [(sheet.name, detect(sheet, known, courses, epoch_1904=epoch)) for sheet in workbook.visible_sheets]
    shapes = [shape for _name, shape in found_all if isinstance(shape, Shape)]
    if not shapes:
        reasons = "; ".join(_("sheet %(sheet)s: %(reason)s", sheet=name, reason=why) for name, why in found_all)
        raise ImportRefused(_(
            "No sheet has training records: a header row (in the first %(n)s rows) naming the person (Employee, Full name, "
            "Email or CRM user) and either a Course column or columns of courses (named after courses, or holding "
            "training statuses, dates or scores). %(reasons)s.", n=HEAD_ROWS, reasons=reasons[:1].upper() + reasons[1:]))
    with_rows = [shape for shape in shapes if shape.data_rows]
    if options.all_sheets:
        return with_rows or shapes[:1], []
    first = (with_rows or shapes)[0]
    return [first], [shape for shape in with_rows if shape is not first]


def _analyse_sheet(shape: Shape, result: TrainingImport, context: ReadContext) -> SheetResult:
    sheet_result = SheetResult(shape.sheet.name, shape.kind, shape.header.row)
    if shape.kind == "records":
        analyse_records(shape, result, sheet_result, context)
    else:
        analyse_grid(shape, result, sheet_result, context)
    return sheet_result


def _count_apart(shape: Shape, context: ReadContext) -> SheetResult:
    """A sheet left out, read on its own to say how many records it holds; nothing of it is kept."""
    scratch = TrainingImport(filename=context.workbook.filename)
    apart = ReadContext(context.workbook, context.options, context.people.apart(scratch.new_employees),
                        context.courses.apart(scratch.new_courses), context.today)
    sheet_result = _analyse_sheet(shape, scratch, apart)
    sheet_result.records_valid, sheet_result.errors_total = len(scratch.records), len(scratch.issues)
    return sheet_result


def load_workbook(data: bytes, filename: str, *, limits: ReadLimits | None = None,
                  encoding: str | None = None) -> Workbook:
    """Open an upload within `limits` (the configured ones by default; a CSV file in `encoding` when given),
    turning every reading problem into ImportRefused."""
    from crmproject.uploads import read_limits

    with refused_as(ImportRefused):
        return open_workbook(data, filename, limits=limits or read_limits(), encoding=encoding)
