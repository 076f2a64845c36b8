"""Reading and writing spreadsheets for every importer and exporter, free of Flask.

    workbook = open_workbook(upload_bytes, "plan.xlsx", limits=ReadLimits.from_config(app.config))
    # raises SpreadsheetError, or LimitExceeded naming the limit for a file that unpacks to too much
    table = read_table(workbook.visible_sheets[0], TASK_FIELDS)
    for row in table.rows:
        try:
            start = parse_date(row.values["start"], epoch_1904=workbook.epoch_1904, day_first=order)
        except CellError as error:
            issues.append(table.issue(row, "start", error.message))

Rows are numbered as Excel shows them (from 1), columns are indexed from 0 (A).
"""

from ._errors import refused_as
from .cells import CellRange, CellValue, ErrorCell, Row, column_letter, is_blank
from .encoding import detect_encoding
from .limits import USAGE_LIMITS, LimitExceeded, ReadLimits
from .reader import CheckedWorkbook, Sheet, SpreadsheetError, Workbook, check_workbook, open_workbook
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
    "CheckedWorkbook",
    "Column",
    "ErrorCell",
    "FieldSpec",
    "HeaderMatch",
    "ImportIssue",
    "LimitExceeded",
    "ReadLimits",
    "Row",
    "Sheet",
    "SpreadsheetError",
    "Table",
    "TableRow",
    "USAGE_LIMITS",
    "Workbook",
    "check_workbook",
    "column_letter",
    "detect_encoding",
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
    "refused_as",
    "workbook_bytes",
    "write_table",
]
