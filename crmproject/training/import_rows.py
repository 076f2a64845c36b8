"""What the two shapes of training file share while their rows are read: the lookups, the records kept so far
(one per person and course across every sheet imported), and the checks every record passes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crmproject.forms import EARLIEST
from crmproject.i18n import _
from crmproject.spreadsheets import CellError, CellValue, ImportIssue, Workbook
from crmproject.training.import_lookups import Courses, People, RowError
from crmproject.training.import_result import ImportOptions, TrainingImport, TrainingRecord
from crmproject.training.models import EnrolmentStatus


@dataclass
class ReadContext:
    """One import's reading state: its workbook, options and lookups; `seen` is (person, course) -> (sheet, row)."""

    workbook: Workbook
    options: ImportOptions
    people: People
    courses: Courses
    today: date
    seen: dict[tuple[int | str, int | str], tuple[str, int]] = field(default_factory=dict)


def cell(key: str, parse: Callable[[CellValue], Any], value: CellValue) -> Any:
    """parse(value), its CellError turned into a row error in the column of field `key`."""
    try:
        return parse(value)
    except CellError as exc:
        raise RowError(key, exc.message) from None


def add(result: TrainingImport, context: ReadContext, record: TrainingRecord,
        issue: Callable[[str | None, str], ImportIssue]) -> None:
    """Check the completion date and that the person and course are not already in the file, then keep the record."""
    today = context.today
    if record.completed_on is not None and record.completed_on > today:
        result.issues.append(issue("completed_on", _("%(day)s is in the future.", day=record.completed_on.isoformat())))
        return
    if record.completed_on is not None and record.completed_on < EARLIEST:
        result.issues.append(issue("completed_on", _("%(day)s is too long ago to be a completion date.",
                                                     day=record.completed_on.isoformat())))
        return
    pair = (record.person, record.course)
    if pair in context.seen:
        sheet, row = context.seen[pair]
        result.issues.append(issue("course", _("The same person and course are already on row %(row)s.", row=row)
                                   if sheet == record.sheet else
                                   _("The same person and course are already on sheet %(sheet)s, row %(row)s.", sheet=sheet, row=row)))
        return
    context.seen[pair] = (record.sheet, record.row)
    if record.status == EnrolmentStatus.COMPLETED and record.completed_on is None:
        record.completed_on = today
        result.completed_without_date += 1
    result.records.append(record)
