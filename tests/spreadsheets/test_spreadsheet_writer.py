"""write_table: real cells and formats, the export's comforts, and text that can never run as a formula."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from crmproject.spreadsheets import (
    Column,
    FieldSpec,
    new_workbook,
    open_workbook,
    parse_percent,
    read_table,
    workbook_bytes,
    write_table,
)

COLUMNS = [
    Column("Task"),
    Column("Start", "date"),
    Column("Budget", "number", number_format="#,##0.00"),
    Column("Progress", "percent"),
    Column("Done", "bool"),
    Column("Updated", "datetime"),
    Column("Estimate", "integer"),
]
ROWS = [
    ["   Design network", date(2024, 3, 5), Decimal("1234.50"), 85, False, datetime(2024, 3, 1, 9, 30), 3],
    ["Build", None, 99.5, Decimal("12.5"), True, None, None],
]
DANGEROUS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    " =1+1",
    "\t=1+1",
    "\n=1+1",
    '=HYPERLINK("http://example.invalid","click")',
    "=cmd|' /C calc'!A0",
]


def export(columns=COLUMNS, rows=ROWS, workbook=None, title="Tasks") -> openpyxl.Workbook:
    workbook = workbook or new_workbook()
    write_table(workbook, title, columns, rows)
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(workbook)))


def test_header_freeze_filter_and_widths():
    sheet = export()["Tasks"]

    assert [cell.value for cell in sheet[1]] == [column.header for column in COLUMNS]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:G3"
    assert sheet.column_dimensions["A"].width == len("   Design network") + 2
    assert sheet.column_dimensions["B"].width == 10 + 2  # a date is 10 characters
    assert sheet.column_dimensions["D"].width == len("Progress") + 2 + 2  # room for the filter button


def test_widths_are_capped_and_can_be_given():
    sheet = export([Column("Notes"), Column("Owner", width=30)], [["x" * 500, "Arun"]])["Tasks"]

    assert sheet.column_dimensions["A"].width == 60
    assert sheet.column_dimensions["B"].width == 30


def test_cells_are_real_dates_numbers_and_booleans():
    sheet = export()["Tasks"]
    first, second = sheet[2], sheet[3]

    assert first[1].is_date and first[1].value == datetime(2024, 3, 5) and first[1].number_format == "yyyy-mm-dd"
    assert first[2].data_type == "n" and first[2].value == 1234.5 and first[2].number_format == "#,##0.00"
    assert first[3].value == 0.85 and first[3].number_format == "0%"
    assert second[3].value == 0.125
    assert first[4].value is False and second[4].value is True
    assert first[5].value == datetime(2024, 3, 1, 9, 30) and first[5].number_format == "yyyy-mm-dd hh:mm"
    assert first[6].value == 3 and first[6].number_format == "0"
    assert second[1].value is None


def test_leading_spaces_survive_a_round_trip_through_the_reader():
    workbook = new_workbook()
    write_table(workbook, "Tasks", COLUMNS, ROWS)
    opened = open_workbook(workbook_bytes(workbook), "export.xlsx")

    table = read_table(
        opened.sheet("Tasks"),
        [
            FieldSpec("name", "Task"),
            FieldSpec("start", "Start", kind="date"),
            FieldSpec("progress", "Progress", kind="percent"),
        ],
    )

    assert [row.values["name"] for row in table.rows] == ["   Design network", "Build"]
    assert table.rows[0].values["start"] == date(2024, 3, 5)
    assert parse_percent(table.rows[0].values["progress"]) == 85


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_like_text_stays_text(text):
    cell = export([Column("Task")], [[text]])["Tasks"]["A2"]

    assert cell.data_type == "s"
    assert cell.value == text
    assert cell.quotePrefix is True


def test_ordinary_text_has_no_quote_prefix():
    cell = export([Column("Task")], [["Kick-off - planning"]])["Tasks"]["A2"]

    assert cell.data_type == "s" and not cell.quotePrefix


def test_formula_like_headers_and_titles_are_safe_too():
    workbook = export([Column("=1+1")], [], title="Plan: Q1/Q2 [draft] *final*? and much longer than allowed")
    sheet = workbook.worksheets[0]

    assert sheet.title == "Plan- Q1-Q2 -draft- -final-- an"
    assert (sheet["A1"].value, sheet["A1"].data_type) == ("=1+1", "s")
    assert sheet.auto_filter.ref == "A1:A1"


def test_characters_xml_forbids_are_dropped():
    sheet = export([Column("Na\x00me")], [["Ar\x00un\x07 \x1bB\x0bex\tand\nCy"]])["Tasks"]

    assert sheet["A1"].value == "Name"
    assert sheet["A2"].value == "Arun Bex\tand\nCy"


def test_aware_datetimes_are_written_in_utc():
    paris = timezone(timedelta(hours=2))
    sheet = export([Column("Updated", "datetime")], [[datetime(2024, 6, 1, 12, 0, tzinfo=paris)]])["Tasks"]

    assert sheet["A2"].value == datetime(2024, 6, 1, 10, 0)


def test_other_values_are_written_as_their_text():
    sheet = export([Column("Owner")], [[Path("=evil")]])["Tasks"]

    assert (sheet["A2"].value, sheet["A2"].data_type) == ("=evil", "s")


def test_a_normal_workbook_works_too():
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)

    sheet = export([Column("Task")], [["=1+1"]], workbook=workbook)["Tasks"]

    assert (sheet["A2"].value, sheet["A2"].data_type, sheet.freeze_panes) == ("=1+1", "s", "A2")


def test_rows_must_match_the_columns_and_nothing_is_written_otherwise():
    workbook = new_workbook()

    with pytest.raises(ValueError, match="every row of 'Tasks' must have 1 values"):
        write_table(workbook, "Tasks", [Column("Task")], [["Kick-off", "extra"]])
    assert workbook.sheetnames == []


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_shows_formula_like_text_literally(tmp_path):
    workbook = new_workbook()
    write_table(workbook, "Tasks", [Column("Task"), Column("Budget", "number")], [[text, 1] for text in DANGEROUS])
    source = tmp_path / "export.xlsx"
    source.write_bytes(workbook_bytes(workbook))

    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )

    with open(tmp_path / "export.csv", newline="", encoding="utf-8") as converted:
        rows = list(csv.reader(converted))
    assert rows[0] == ["Task", "Budget"]
    assert [row[0] for row in rows[1:]] == DANGEROUS
