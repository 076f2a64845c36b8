"""What a training import is asked to do and what it found: options, records, the sheets read, the summary a user sees."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from crmproject.spreadsheets import ImportIssue, column_letter
from crmproject.training.models import EnrolmentStatus

MAX_REPORTED_ISSUES = 500


class ImportRefused(Exception):
    """The file cannot be imported at all (not a spreadsheet, no recognisable table); the message says why."""


@dataclass
class ImportOptions:
    sheets: tuple[str, ...] = ()  # the sheets to import, by name; empty: the first sheet with records
    all_sheets: bool = False  # every sheet with records
    create_courses: bool = False
    create_employees: bool = False
    course_map: dict[str, str] = field(default_factory=dict)  # a grid column's header (or a course cell) -> a course code
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
    sheet: str = ""


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
class SheetResult:
    """One sheet holding training records: its shape, header and what was read from it."""

    sheet: str
    shape: str  # "records" or "grid"
    header_row: int
    rows_read: int = 0
    unknown_courses: list[tuple[int, str]] = field(default_factory=list)  # (column, header) naming no course
    records_valid: int = 0  # filled for the sheets left out; the imported ones count from the records
    errors_total: int = 0

    def unknown_text(self) -> str:
        return ", ".join(f"{column_letter(c)} ({header})" for c, header in self.unknown_courses)


def _issue(i: ImportIssue) -> dict:
    return {"sheet": i.sheet, "row": i.row, "column": i.column_letter, "header": i.header, "message": i.message}


@dataclass
class TrainingImport:
    filename: str
    sheets: list[SheetResult] = field(default_factory=list)  # the sheets imported, in order
    other_sheets: list[SheetResult] = field(default_factory=list)  # sheets with records that were left out
    records: list[TrainingRecord] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    new_employees: dict[str, NewEmployee] = field(default_factory=dict)
    new_courses: dict[str, NewCourse] = field(default_factory=dict)
    completed_without_date: int = 0

    @property
    def sheet(self) -> str:
        return self.sheets[0].sheet if self.sheets else ""

    @property
    def shape(self) -> str:
        return self.sheets[0].shape if self.sheets else ""

    @property
    def header_row(self) -> int | None:
        return self.sheets[0].header_row if self.sheets else None

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sheets)

    def _sheet_summary(self, s: SheetResult, imported: bool) -> dict:
        found = {"sheet": s.sheet, "shape": s.shape, "header_row": s.header_row, "rows_read": s.rows_read}
        if not imported:
            return found | {"records_valid": s.records_valid, "errors_total": s.errors_total}
        statuses = Counter(r.status.value for r in self.records if r.sheet == s.sheet)
        return found | {
            "records_valid": sum(statuses.values()),
            "statuses": {status.value: statuses.get(status.value, 0) for status in EnrolmentStatus},
            "errors_total": sum(1 for i in self.issues if i.sheet == s.sheet),
            "unknown_courses": [{"column": column_letter(c), "header": h} for c, h in s.unknown_courses],
        }

    def summary(self, counts: SaveCounts | None = None) -> dict:
        counts = counts or SaveCounts()
        statuses = Counter(r.status.value for r in self.records)
        return {
            "file": self.filename, "sheet": self.sheet, "shape": self.shape, "header_row": self.header_row,
            "sheets": [self._sheet_summary(s, True) for s in self.sheets],
            "other_sheets": [self._sheet_summary(s, False) for s in self.other_sheets],
            "rows_read": self.rows_read, "records_valid": len(self.records),
            "statuses": {s.value: statuses.get(s.value, 0) for s in EnrolmentStatus},
            "completed_without_date": self.completed_without_date,
            "courses_to_create": [c.code for c in self.new_courses.values()],
            "employees_to_create": len(self.new_employees),
            "enrolments_added": counts.added, "enrolments_changed": counts.changed, "enrolments_unchanged": counts.unchanged,
            "courses_created": counts.courses_created, "employees_created": counts.employees_created,
            "errors_total": len(self.issues),
            "errors": [_issue(i) for i in self.issues[:MAX_REPORTED_ISSUES]],
            "warnings": [_issue(i) for i in self.warnings[:MAX_REPORTED_ISSUES]],
        }
