"""Writing .xlsx exports with openpyxl: one table per sheet, ready to filter, and safe to open.

Every string is written as a string cell, so nothing a user typed can become
a formula; text starting with = + - @ (even after spaces, tabs or line
breaks) also gets Excel's quote prefix, so editing the cell later keeps it
text. Characters XML cannot hold are dropped rather than failing the export.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from crmproject.dates import xlsx_date_format, xlsx_datetime_format

ColumnKind = Literal["text", "date", "datetime", "number", "integer", "percent", "bool"]

_MAX_WIDTH = 60
_FORMULA_TRIGGER = re.compile(r"^(?:\s*[=+\-@]|[\t\r])")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read the text as a formula (= + - @ at its start, even after spaces; a tab
    or a carriage return first)."""
    return bool(_FORMULA_TRIGGER.match(text))
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_BOLD = Font(bold=True)


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, what it holds, and optionally its width and number format.

    A percent column takes percentage points (85 for 85 %), the way
    parse_percent reads them, and stores the fraction Excel expects.
    """

    header: str
    kind: ColumnKind = "text"
    width: float | None = None
    number_format: str | None = None


def new_workbook() -> Workbook:
    """An empty streaming (write-only) workbook, for exports of any size."""
    return Workbook(write_only=True)


def printable(worksheet: Worksheet | WriteOnlyWorksheet) -> None:
    """Printed, the sheet is landscape A4, as wide as the page (as many pages down as it takes).
    A streamed sheet takes this only before its first row."""
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True


def write_table(
    workbook: Workbook, title: str, columns: Sequence[Column], rows: Iterable[Sequence[object]]
) -> Worksheet | WriteOnlyWorksheet:
    """Add a sheet holding one table: bold header, frozen below it, auto filter, fitted column widths,
    printed landscape as wide as the page.

    Dates, numbers and booleans are written as real cells with formats;
    every string is safe text (see the module docstring). Works with a
    write-only workbook (see new_workbook) or a normal one.
    """
    prepared = [[_clean(value) for value in row] for row in rows]
    if any(len(row) != len(columns) for row in prepared):
        raise ValueError(f"every row of {title!r} must have {len(columns)} values, one per column")
    worksheet: Worksheet | WriteOnlyWorksheet = workbook.create_sheet(title=_sheet_title(title))
    for index, column in enumerate(columns):
        width = column.width or _fitted_width(column, (row[index] for row in prepared))
        worksheet.column_dimensions[get_column_letter(index + 1)].width = width
    worksheet.freeze_panes = "A2"
    printable(worksheet)
    last = f"{get_column_letter(max(len(columns), 1))}{len(prepared) + 1}"
    worksheet.auto_filter.ref = f"A1:{last}"
    worksheet.append([_header_cell(worksheet, column.header) for column in columns])
    for values in prepared:
        worksheet.append([_cell(worksheet, value, column) for value, column in zip(values, columns, strict=True)])
    return worksheet


def workbook_bytes(workbook: Workbook) -> bytes:
    """The workbook as .xlsx bytes (a write-only workbook can be saved once)."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """A title Excel accepts: no []:*?/\\, no quote at either end, at most 31 characters."""
    cleaned = _SHEET_TITLE_FORBIDDEN.sub("-", ILLEGAL_CHARACTERS_RE.sub("", title)).strip("' ")
    return cleaned[:31] or "Sheet"


def _clean(value: object) -> object:
    """Drop characters XML cannot hold; time zones, which Excel lacks, become UTC."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def safe_cell(worksheet: Worksheet | WriteOnlyWorksheet, value: object, column: Column) -> Cell | None:
    """One cell the way write_table writes it (for sheets that are not one table, such as a report's summary):
    text stays text, never a formula; None gives no cell."""
    return _cell(worksheet, _clean(value), column)


def _cell(worksheet: Worksheet | WriteOnlyWorksheet, value: object, column: Column) -> Cell | None:
    if value is None:
        return None
    if not isinstance(value, (str, bool, int, float, Decimal, date, time)):
        value = str(value)
    if isinstance(value, str):
        return _text_cell(worksheet, value)
    if column.kind == "percent" and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        value = value / 100
    cell = WriteOnlyCell(worksheet, value=value)
    number_format = None if isinstance(value, bool) else column.number_format or _default_format(column.kind, value)
    if number_format:
        cell.number_format = number_format
    return cell


def _text_cell(worksheet: Worksheet | WriteOnlyWorksheet, text: str) -> Cell:
    """A string cell, never a formula, with the quote prefix when the text looks like one."""
    cell = WriteOnlyCell(worksheet, value=text)
    cell.data_type = "s"  # openpyxl makes any "=..." string a formula; this undoes it.
    if _FORMULA_TRIGGER.match(text):
        cell.quotePrefix = True
    return cell


def _default_format(kind: ColumnKind, value: object) -> str | None:
    """Dates in the reader's convention (crmproject.dates: 2026-12-07 in English, 07.12.2026 in Russian)."""
    if isinstance(value, datetime):
        return xlsx_date_format() if kind == "date" else xlsx_datetime_format()
    if isinstance(value, date):
        return xlsx_date_format()
    if isinstance(value, time):
        return "hh:mm"
    return {"integer": "0", "percent": "0%"}.get(kind)


def _header_cell(worksheet: Worksheet | WriteOnlyWorksheet, header: str) -> Cell:
    cell = _text_cell(worksheet, ILLEGAL_CHARACTERS_RE.sub("", header))
    cell.font = _BOLD
    return cell


def _fitted_width(column: Column, values: Iterable[object]) -> float:
    """Characters of the longest line, plus room for the filter button, capped at 60."""
    longest = max((_display_length(value) for value in values), default=0)
    return min(max(longest, len(column.header) + 2) + 2, _MAX_WIDTH)


def _display_length(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)
