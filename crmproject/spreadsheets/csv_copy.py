"""A workbook's tables as CSV, for every download that has an .xlsx: the same figures for tools that read text.

Written from the finished workbook, so a CSV can never say something its .xlsx does not: each sheet holding
cells becomes one CSV (a workbook of several sheets becomes a zip of them, one per sheet). The files are UTF-8
with a byte order mark, so Excel opens Cyrillic, Chinese and Persian text right, and follow the conventions of
the reader's language as Excel reads them: where the language writes a decimal comma (Russian), the separator
is a semicolon and numbers carry the comma. Text that a spreadsheet would take for a formula (= + - @ at its
start, or a tab or carriage return) starts with an apostrophe, so opening the file never runs it; dates are
ISO dates, percentages are written as the sheet shows them (85 for 85 %).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, UTC
from decimal import Decimal
from enum import Enum

from openpyxl import load_workbook

from crmproject.spreadsheets.writer import looks_like_formula

BOM = "\ufeff"


def conventions(language: str) -> tuple[str, str]:
    """The field separator and decimal sign Excel uses for `language`."""
    from babel.numbers import get_decimal_symbol

    decimal = get_decimal_symbol(language)
    return (";" if decimal == "," else ","), decimal


def csv_files(data: bytes, *, language: str) -> list[tuple[str, bytes]]:
    """(sheet title, CSV bytes) for each sheet of the .xlsx `data` that holds cells."""
    separator, decimal = conventions(language)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        files = []
        for sheet in workbook.worksheets:
            text = io.StringIO()
            writer = csv.writer(text, delimiter=separator, lineterminator="\r\n")
            rows = 0
            for row in sheet.iter_rows():
                values = [_text(cell.value, getattr(cell, "number_format", "General") or "General", decimal)
                          for cell in row]
                while values and values[-1] == "":
                    values.pop()
                writer.writerow(values)
                rows += 1
            if rows:
                files.append((sheet.title, (BOM + text.getvalue()).encode("utf-8")))
        return files
    finally:
        workbook.close()


def csv_table(header: Sequence[object], rows: Iterable[Sequence[object]], *, language: str) -> bytes:
    """A table of plain values (text, numbers, dates, times, labelled enums) as CSV bytes, with the conventions
    of `csv_files`: for the table pages' downloads (crmproject.exports.table_csv)."""
    separator, decimal = conventions(language)
    text = io.StringIO()
    writer = csv.writer(text, delimiter=separator, lineterminator="\r\n")
    writer.writerow([_value_text(h, decimal) for h in header])
    for row in rows:
        writer.writerow([_value_text(v, decimal) for v in row])
    return (BOM + text.getvalue()).encode("utf-8")


def plain_number(value: Decimal | int | float, decimal: str = ".") -> str:
    """A number as a spreadsheet reads it: no thousands separator, no trailing zeros (72.5, 1200)."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    shown = format(Decimal(value), "f")
    if "." in shown:
        shown = shown.rstrip("0").rstrip(".")
    return shown.replace(".", decimal)


def _value_text(value: object, decimal: str) -> str:
    """One value as its cell: a moment in UTC to the minute, a decimal as a plain number, an enum by its label."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo is not None else value
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return plain_number(value, decimal)
    if isinstance(value, Enum):
        value = str(getattr(value, "label", value.value))
    return _text(value if isinstance(value, (type(None), bool, int, float, date, time, str)) else str(value),
                 "General", decimal)


def csv_download(data: bytes, filename: str, *, language: str) -> tuple[bytes, str, str]:
    """The CSV of the .xlsx `data` named `filename`: (bytes, file name, mimetype); a zip of one CSV per sheet
    when the workbook has several."""
    stem = filename.rsplit(".", 1)[0]
    files = csv_files(data, language=language)
    if len(files) == 1:
        return files[0][1], f"{stem}.csv", "text/csv; charset=utf-8"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, (title, content) in enumerate(files, start=1):
            archive.writestr(f"{number:02d}-{_file_word(title)}.csv", content)
    return buffer.getvalue(), f"{stem}-csv.zip", "application/zip"


def _file_word(title: str) -> str:
    return re.sub(r"[\W_]+", "-", title).strip("-").lower() or "sheet"


def _text(value: object, number_format: str, decimal: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if "h" not in number_format.lower() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if number_format.endswith("%"):
            value = value * 100
        shown = f"{value:.10f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
        return shown.replace(".", decimal)
    text = str(value)
    return f"'{text}" if looks_like_formula(text) else text
