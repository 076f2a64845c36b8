"""Reading and writing spreadsheets for every importer and exporter, free of Flask.

    workbook = open_workbook(upload_bytes, "plan.xlsx")   # raises SpreadsheetError
    table = read_table(workbook.visible_sheets[0], TASK_FIELDS)
    for row in table.rows:
        try:
            start = parse_date(row.values["start"], epoch_1904=workbook.epoch_1904, day_first=order)
        except CellError as error:
            issues.append(table.issue(row, "start", error.message))

Rows are numbered as Excel shows them (from 1), columns are indexed from 0 (A).
"""

from .cells import CellRange, CellValue, ErrorCell, Row, column_letter, is_blank
from .reader import Sheet, SpreadsheetError, Workbook, open_workbook
from .table import (
    FieldSpec,
    HeaderMatch,
    Table,
    TableRow,
    find_header,
    normalise_header,
    read_table,
)
from .values import (
    CellError,
    ImportIssue,
    infer_day_first,
    parse_bool,
    parse_date,
    parse_int,
    parse_number,
    parse_percent,
    parse_text,
)
from .writer import Column, new_workbook, workbook_bytes, write_table

__all__ = [
    "CellError",
    "CellRange",
    "CellValue",
    "Column",
    "ErrorCell",
    "FieldSpec",
    "HeaderMatch",
    "ImportIssue",
    "Row",
    "Sheet",
    "SpreadsheetError",
    "Table",
    "TableRow",
    "Workbook",
    "column_letter",
    "find_header",
    "infer_day_first",
    "is_blank",
    "new_workbook",
    "normalise_header",
    "open_workbook",
    "parse_bool",
    "parse_date",
    "parse_int",
    "parse_number",
    "parse_percent",
    "parse_text",
    "read_table",
    "workbook_bytes",
    "write_table",
]
