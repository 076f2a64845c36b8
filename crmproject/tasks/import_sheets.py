"""Choosing the sheet of a workbook that holds the task plan, and saying why the others were passed over.

Every visible sheet is read: the one with the most task rows wins (an empty
copy of a template loses to its filled "Example"), ties going to the better
header and then to the first sheet. When no sheet has a task table the refusal
names the sheet and row that came closest and what that row lacked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crmproject.i18n import _
from crmproject.spreadsheets import SpreadsheetError, Table, Workbook, read_table
from crmproject.spreadsheets.reader import Sheet

from .import_headers import (
    MAX_SCAN, ColumnChoice, HeaderCandidate, ImportRefused, best_candidate, choose_columns, column_stats,
    header_match,
)
from .import_rows import is_instruction
from .import_words import TASK_FIELDS


@dataclass
class SkippedSheet:
    name: str
    reason: str

    def as_dict(self) -> dict:
        return {"sheet": self.name, "reason": self.reason}


@dataclass
class SheetTable:
    """A sheet read as a task table: its header, the column choices made and how many task rows it has."""

    table: Table
    candidate: HeaderCandidate
    choices: list[ColumnChoice]
    task_rows: int


@dataclass
class ChosenSheet:
    found: SheetTable
    sheets: list[str]
    skipped: list[SkippedSheet] = field(default_factory=list)


def read_sheet(sheet: Sheet, manual: dict[str, str], columns: dict[int, str] | None = None
               ) -> tuple[SheetTable | None, HeaderCandidate | None]:
    """The sheet's task table (None when it has no task-like header) and the best header row seen."""
    candidate = best_candidate(sheet.name, sheet.rows(), manual)
    if candidate is None or not (candidate.task_like or columns):
        return None, candidate
    if columns is None:
        body = (row for row in sheet.rows(fill_merged_from=candidate.row + 1) if row.number > candidate.row)
        columns, choices = choose_columns(candidate, column_stats(body, candidate.matches))
    else:
        choices = []
    table = read_table(sheet, TASK_FIELDS, header=header_match(candidate, columns), fill_merged=True,
                       section_field="title", max_scan=MAX_SCAN)
    assert table is not None  # a header was given
    count = sum(1 for r in table.rows if isinstance(t := r.values.get("title"), (str, int, float)) and str(t).strip()
                and not is_instruction(str(t)))
    return SheetTable(table, candidate, choices, count), candidate


def choose_sheet(workbook: Workbook, wanted: str | None, manual: dict[str, str]) -> ChosenSheet:
    """The sheet to import: the one named, or the one with the most task rows."""
    visible = list(workbook.visible_sheets)
    names = [s.name for s in visible]
    if not visible:
        raise ImportRefused(_("The workbook has no visible worksheet."))
    if wanted:
        try:
            sheet = workbook.sheet(wanted)
        except SpreadsheetError:
            raise ImportRefused(_("There is no sheet named %(name)s. The sheets are: %(names)s.",
                                  name=wanted, names=", ".join(names))) from None
        found, closest = read_sheet(sheet, manual)
        if found is None:
            raise ImportRefused(_no_table(sheet.name, closest))
        if not found.task_rows:
            raise ImportRefused(_empty(found))
        return ChosenSheet(found, names)
    return _best_sheet(visible, names, manual)


def _best_sheet(visible: list[Sheet], names: list[str], manual: dict[str, str]) -> ChosenSheet:
    tables: list[SheetTable] = []
    skipped: list[SkippedSheet] = []
    closest: HeaderCandidate | None = None
    for sheet in visible:
        found, candidate = read_sheet(sheet, manual)
        if found is None:
            skipped.append(SkippedSheet(sheet.name, _no_header(candidate)))
            if candidate is not None and (closest is None or candidate.score > closest.score):
                closest = candidate
        else:
            tables.append(found)
    ranked = sorted(tables, key=lambda t: (t.task_rows, t.candidate.score), reverse=True)
    if not ranked or not ranked[0].task_rows:
        if ranked:
            raise ImportRefused(_empty(ranked[0]))
        raise ImportRefused(_no_table(None, closest))
    best = ranked[0]
    for other in tables:
        if other is not best:
            skipped.append(SkippedSheet(other.table.sheet, _(
                "its task table (header on row %(row)s) has %(n)s task rows, fewer than sheet %(best)s (%(m)s)",
                row=other.candidate.row, n=other.task_rows, best=best.table.sheet, m=best.task_rows)))
    skipped.sort(key=lambda s: names.index(s.name))
    return ChosenSheet(best, names, skipped)


def _no_header(candidate: HeaderCandidate | None) -> str:
    if candidate is None:
        return _("no row among its first %(n)s names a task column", n=MAX_SCAN)
    return _("row %(row)s came closest (%(found)s) but %(lacking)s", row=candidate.row, found=candidate.found(),
             lacking=candidate.lacking())


def _no_table(sheet: str | None, closest: HeaderCandidate | None) -> str:
    """The refusal when no sheet (or the sheet named) has a task table."""
    where = (_("Sheet %(sheet)s has no recognisable task table", sheet=sheet) if sheet
             else _("No sheet has a recognisable task table"))
    if closest is None:
        return _("%(where)s: no row among the first %(n)s names a task column (Task, Task name, Activity...) "
                 "beside an owner, date, status or predecessors column.", where=where, n=MAX_SCAN)
    return _("%(where)s. The closest is sheet %(sheet)s, row %(row)s, with %(found)s: %(lacking)s. "
             "Map the task column by hand (for example --column title=\"Task\").", where=where, sheet=closest.sheet,
             row=closest.row, found=closest.found(), lacking=closest.lacking())


def _empty(found: SheetTable) -> str:
    return _("Sheet %(sheet)s has a task table (header on row %(row)s) but no task rows below it.",
             sheet=found.table.sheet, row=found.candidate.row)
