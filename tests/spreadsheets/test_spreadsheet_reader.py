"""open_workbook against real third-party files (tests/fixtures) and against the files users get wrong."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from crmproject.spreadsheets import (
    CellRange,
    ErrorCell,
    SpreadsheetError,
    open_workbook,
)

TESTDATA = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURES = TESTDATA


def rows_of(workbook, sheet_name=None):
    sheet = workbook.sheet(sheet_name) if sheet_name else workbook.visible_sheets[0]
    return {row.number: row.cells for row in sheet.rows()}


def xlsx_bytes(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# -- the calamine test files -------------------------------------------------


def test_hidden_and_very_hidden_sheets_are_flagged_and_the_chart_sheet_left_out():
    workbook = open_workbook(TESTDATA / "calamine_any_sheets.xlsx")

    assert workbook.format == "xlsx"
    assert [(sheet.name, sheet.visible) for sheet in workbook.sheets] == [
        ("Visible", True),
        ("Hidden", False),
        ("VeryHidden", False),
    ]
    assert [sheet.name for sheet in workbook.visible_sheets] == ["Visible"]
    assert rows_of(workbook) == {
        1: [1.0, 2.0],
        2: [3.0, 4.0],
        3: [5.0, 6.0],
        4: [None, None],
        5: ["This workbook contains 4 sheets: Visible, Hidden, VeryHidden and Chart", None],
    }


def test_1904_dates_are_not_shifted_and_the_date_system_is_exposed():
    workbook = open_workbook(TESTDATA / "calamine_date_1904.xlsx")

    assert workbook.epoch_1904 is True
    rows = rows_of(workbook)
    # openpyxl, which applies the 1904 epoch itself, reads the same dates.
    assert rows[1][0] == date(2021, 1, 1)
    assert rows[2][0] == date(2021, 1, 2)
    # A [hh]:mm:ss duration arrives as a timedelta.
    assert rows[3][0] == timedelta(days=10, seconds=54610)


def test_1900_workbooks_say_so():
    assert open_workbook(TESTDATA / "calamine_header-row.xlsx").epoch_1904 is False


def test_error_cells_come_back_as_error_cells_not_as_empty():
    # python-calamine 0.9 turns them into "": the reader restores them from the sheet XML.
    workbook = open_workbook(TESTDATA / "calamine_errors.xlsx")

    codes = [cells[0] for cells in rows_of(workbook, "Feuil1").values()]

    assert codes == [
        ErrorCell("#DIV/0!"),
        ErrorCell("#NAME?"),
        ErrorCell("#VALUE!"),
        ErrorCell("#NULL!"),
        ErrorCell("#REF!"),  # the formula points into an external workbook
        ErrorCell("#NUM!"),
        ErrorCell("#N/A"),
    ]
    assert str(codes[4]) == "#REF!"
    assert workbook.sheet("Feuil1").hidden_rows == {20}
    assert rows_of(workbook, "Feuil2") == {}


def test_rows_keep_excel_numbers_when_the_sheet_starts_below_row_1():
    # The note sits in C3 and the header in row 9: python-calamine reports the
    # used range from row 3, and row numbers must still match Excel's.
    rows = rows_of(open_workbook(TESTDATA / "calamine_header-row.xlsx"))

    assert rows[3] == [None, None, "Note 1", None]
    assert rows[9] == ["Columns", "Column A", "Column B", "Column C"]
    assert rows[10] == ["put data here", 1.0, 2.0, 3.0]
    assert all(rows[number] == [None] * 4 for number in (1, 2, 4, 5, 6, 7, 8))


def test_rows_start_at_column_a_when_the_sheet_starts_further_right():
    # Burndown Chart's first used column is C; python-calamine's rows start there.
    rows = rows_of(open_workbook(TESTDATA / "packt_tpm_tables.xlsx"), "Burndown Chart")

    assert rows[6][4] == date(2024, 9, 9)  # E6
    assert rows[7][2:5] == [60.0, "Planned", 58.0]  # C7 and E7 are formulas: cached values
    assert rows[1] == [None] * len(rows[1])


@pytest.mark.parametrize("fixture", ["header_row.xls", "header_row.ods"])
def test_legacy_xls_and_ods_read_with_the_same_row_numbers(fixture):
    workbook = open_workbook(FIXTURES / fixture)

    assert workbook.format == fixture.rsplit(".", 1)[1]
    rows = rows_of(workbook)
    assert rows[3] == [None, None, "Note 1", None]
    assert rows[9] == ["Columns", "Column A", "Column B", "Column C"]
    assert rows[10] == ["put data here", 1, 2, 3]


def test_merged_ranges_are_reported_and_only_their_top_left_cell_holds_the_value():
    sheet = open_workbook(TESTDATA / "calamine_merged_range.xlsx").sheet("Sheet1")

    assert CellRange(top=1, left=2, bottom=2, right=3) in sheet.merged_ranges  # C1:D2
    assert len(sheet.merged_ranges) == 9
    rows = {row.number: row.cells for row in sheet.rows()}
    assert rows[1][2:4] == ["C1", None]
    assert rows[2] == [None] * 8


def test_strict_open_xml_reads_although_openpyxl_sees_no_sheet():
    workbook = open_workbook(TESTDATA / "calamine_strict_iso_paths.xlsx")

    rows = rows_of(workbook)
    assert workbook.format == "xlsx"
    assert len(rows) == 76
    assert rows[1][:3] == ["Item", "Thickness", "Number Off Bends"]
    assert rows[2][:2] == ["150-031260-001_B", 1.5]


def test_table_multiple_reads_every_sheet():
    workbook = open_workbook(TESTDATA / "calamine_table-multiple.xlsx")

    assert [sheet.name for sheet in workbook.visible_sheets] == ["Sheet1", "Sheet2", "Sheet3"]
    assert rows_of(workbook, "Sheet3")[7] == ["Item", "Units"]


# -- the Packt workbooks -----------------------------------------------------


def test_project_plan_keeps_indentation_cached_formula_values_and_hidden_rows_and_columns():
    workbook = open_workbook(TESTDATA / "packt_tpm_project_plan.xlsx")
    sheet = workbook.sheet("Project Plan")
    rows = {row.number: row.cells for row in sheet.rows()}

    assert rows[2][2] == "Create P2P Network"
    assert rows[3][2] == "   Design Network"
    assert rows[8][2] == "      Design"
    assert rows[4][6:10] == ["2fs", "Arun, Bex", date(2023, 2, 14), date(2023, 3, 28)]
    assert sheet.hidden_rows == {39, 40}
    assert sheet.hidden_columns == {6, 10, 11, 12, 13, 14}  # G (Predecessors) and K:O
    assert len(rows) == 40


def test_packt_tables_has_twenty_visible_sheets_with_hidden_rows_where_excel_has_them():
    workbook = open_workbook(TESTDATA / "packt_tpm_tables.xlsx")

    assert len(workbook.sheets) == 20
    assert all(sheet.visible for sheet in workbook.sheets)
    assert workbook.sheet("Mercury Simple").hidden_rows == set(range(2, 17))
    assert workbook.sheet("Mercury Simple").hidden_columns == set(range(3, 11))
    assert workbook.sheet("Project Plan w Relays").hidden_rows == {39, 40}
    assert workbook.sheet("  mercury simple ").name == "Mercury Simple"


# -- CSV ---------------------------------------------------------------------


def test_oulad_courses_quoted_fields_and_crlf():
    workbook = open_workbook(TESTDATA / "oulad_courses.csv")

    rows = rows_of(workbook)
    assert (workbook.format, workbook.encoding, workbook.delimiter) == ("csv", "utf-8", ",")
    assert workbook.sheets[0].name == "oulad_courses"
    assert rows[1] == ["code_module", "code_presentation", "module_presentation_length"]
    assert rows[2] == ["AAA", "2013J", "268"]
    assert len(rows) == 23


def test_oulad_registrations_read_every_enrolment_with_empty_dates_as_none():
    rows = rows_of(open_workbook(TESTDATA / "oulad_studentRegistration.csv"))

    assert len(rows) == 32_594
    assert rows[1] == ["code_module", "code_presentation", "id_student", "date_registration", "date_unregistration"]
    assert not any("\r" in (value or "") for cells in rows.values() for value in cells)
    enrolled = [cells for cells in rows.values() if cells[4] is None]
    assert enrolled and all(len(cells) == 5 for cells in rows.values())
    assert any(cells[3].startswith("-") for cells in list(rows.values())[1:])


CSV_TEXT = "Name;City;Budget\r\nMüller;Café Zürich;1.234,50 €\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CSV_TEXT.encode("utf-8"), "utf-8"),
        (CSV_TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (CSV_TEXT.encode("utf-16"), "utf-16"),  # with a BOM, as Excel's "Unicode Text"
        (b"\xfe\xff" + CSV_TEXT.encode("utf-16-be"), "utf-16"),
        (CSV_TEXT.encode("utf-16-le"), "utf-16-le"),  # no BOM
        (CSV_TEXT.encode("cp1252"), "cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-16-le", "cp1252"],
)
def test_csv_encodings(data, encoding):
    workbook = open_workbook(data, "budget.csv")

    assert workbook.encoding == encoding
    assert workbook.delimiter == ";"
    assert rows_of(workbook) == {1: ["Name", "City", "Budget"], 2: ["Müller", "Café Zürich", "1.234,50 €"]}


def test_a_byte_windows_1252_leaves_undefined_is_read_in_the_code_page_that_has_it():
    # 0x81 is undefined in Windows-1252; in a Persian file in Windows-1256 it is "پ" (pe).
    text = "نام,بخش\n" + "".join(f"{name},فروش\n" for name in ("پرويز", "مريم", "علي", "پريسا") * 3)
    workbook = open_workbook(text.encode("cp1256"), "staff.csv")

    assert workbook.encoding == "cp1256"
    assert [cells[0] for cells in rows_of(workbook).values()][:3] == ["نام", "پرويز", "مريم"]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('Task,Owner,Notes\nKickoff,Arun,"a; b; c"\nDesign,Bex,"x; y"\n', ","),
        ("Task;Progress\nKickoff;0,5\nDesign;0,25\n", ";"),
        ("Task\tOwner\nKickoff\tArun\n", "\t"),
        ("Task|Owner\nKickoff|Arun\n", "|"),
        ("Task\nKickoff\nDesign\n", ","),
        ("sep=;\nTask,Owner;Start\nKickoff, now;2024-01-01\n", ";"),
    ],
    ids=["comma-with-semicolons-in-quotes", "semicolon", "tab", "pipe", "one-column", "excel-sep-line"],
)
def test_csv_delimiters(text, delimiter):
    workbook = open_workbook(text.encode(), "plan.csv")

    assert workbook.delimiter == delimiter
    assert rows_of(workbook)[2][0] in ("Kickoff", "Kickoff, now")


def test_csv_rows_are_records_so_numbers_match_excel_with_quoted_line_breaks():
    rows = rows_of(open_workbook(b'Task,Notes\r\nKickoff,"line one\r\nline two"\r\nDesign,\r\n', "plan.csv"))

    assert rows == {1: ["Task", "Notes"], 2: ["Kickoff", "line one\r\nline two"], 3: ["Design", None]}


def test_csv_with_an_unclosed_quote_names_the_row():
    data = b'Task,Notes\nKickoff,"never closed\n' + b"x" * 200_000
    sheet = open_workbook(data, "plan.csv").sheets[0]

    with pytest.raises(SpreadsheetError, match=r"plan.csv is not valid CSV after row 1: .*quotation mark"):
        list(sheet.rows())


# -- files that are not what they claim --------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "upload.xlsx is empty."),
        (b"  \r\n\t ", "upload.xlsx is empty."),
        (b"\xef\xbb\xbf\r\n", "upload.xlsx is empty."),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "upload.xlsx is not a spreadsheet: it is a PNG file."),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "upload.xlsx is not a spreadsheet: it is a PDF file."),
        (random.Random(7).randbytes(2048), "upload.xlsx is not a spreadsheet."),
        (b"<html><body><table><tr><td>Task</td></tr></table></body></html>", "upload.xlsx is a web page or XML file"),
    ],
    ids=["empty", "whitespace", "bom-only", "png", "pdf", "random-bytes", "html-saved-as-xls"],
)
def test_files_that_are_not_spreadsheets(data, message):
    with pytest.raises(SpreadsheetError) as raised:
        open_workbook(data, "upload.xlsx")

    assert raised.value.message.startswith(message)


def test_a_truncated_xlsx_is_reported_as_damaged():
    data = (TESTDATA / "packt_tpm_tables.xlsx").read_bytes()

    with pytest.raises(SpreadsheetError, match="plan.xlsx is damaged or incomplete"):
        open_workbook(data[: len(data) // 2], "plan.xlsx")


def test_a_zip_that_is_not_a_spreadsheet_package():
    word = zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<document/>"})
    writer = zip_bytes({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"})

    for data in (word, writer):
        with pytest.raises(SpreadsheetError, match=r"^report.xlsx is not a spreadsheet\.$"):
            open_workbook(data, "report.xlsx")


def test_a_package_with_a_broken_sheet_is_reported_as_damaged():
    workbook = openpyxl.Workbook()
    workbook.active.append(["Task"])
    original = zipfile.ZipFile(io.BytesIO(xlsx_bytes(workbook)))
    members = {name: original.read(name) for name in original.namelist()}
    members["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row"

    sheet = open_workbook(zip_bytes(members), "plan.xlsx").sheets[0]

    with pytest.raises(SpreadsheetError, match="Sheet Sheet of plan.xlsx is damaged"):
        list(sheet.rows())


@pytest.mark.parametrize("fixture", ["password_protected.xlsx", "password_protected.xls", "password_protected.ods"])
def test_password_protected_files(fixture):
    with pytest.raises(SpreadsheetError, match=f"^{fixture} is password-protected"):
        open_workbook(FIXTURES / fixture)


def test_password_protection_is_detected_from_the_encryption_info_stream():
    # An OLE2 header and the stream name, as in every encrypted .xlsx, whatever tool wrote it.
    data = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(64)

    with pytest.raises(SpreadsheetError, match="secret.xlsx is password-protected"):
        open_workbook(data, "secret.xlsx")


def test_an_ole2_file_that_is_no_workbook_is_reported_as_damaged():
    data = bytes.fromhex("D0CF11E0A1B11AE1") + random.Random(3).randbytes(1024)

    with pytest.raises(SpreadsheetError, match="old.xls is damaged or incomplete"):
        open_workbook(data, "old.xls")


def test_a_workbook_with_only_a_chart_sheet_has_no_visible_worksheet():
    workbook = openpyxl.Workbook()
    workbook.create_chartsheet("Chart")
    workbook.remove(workbook.active)

    with pytest.raises(SpreadsheetError, match="^charts.xlsx has no visible worksheet.$"):
        open_workbook(xlsx_bytes(workbook), "charts.xlsx")


def test_asking_for_a_missing_sheet():
    workbook = open_workbook(TESTDATA / "calamine_any_sheets.xlsx")

    with pytest.raises(SpreadsheetError, match="calamine_any_sheets.xlsx has no sheet named Tasks."):
        workbook.sheet("Tasks")


def test_raw_1904_serials_in_an_openpyxl_workbook():
    workbook = openpyxl.Workbook()
    workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    workbook.active.append([date(2024, 3, 5), 43894])

    opened = open_workbook(xlsx_bytes(workbook), "mac.xlsx")

    assert opened.epoch_1904 is True
    assert rows_of(opened)[1] == [date(2024, 3, 5), 43894]


def test_semicolon_csv_under_a_title_line_is_split_on_semicolons():
    from crmproject.spreadsheets import open_workbook

    data = "Staff list\n\nName;Email;Dept\nAnn Lee;ann@example.com;Sales\nBob;bob@example.com;Service\n".encode("cp1252")
    workbook = open_workbook(data, "roster.csv")
    assert workbook.delimiter == ";"
    assert [r.cells for r in workbook.sheets[0].rows()][2] == ["Name", "Email", "Dept"]
