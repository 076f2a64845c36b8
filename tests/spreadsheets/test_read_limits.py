"""The reader refuses files that unpack to too much, before python-calamine or csv build anything from them."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from crmproject.spreadsheets import LimitExceeded, ReadLimits, SpreadsheetError, open_workbook
from crmproject.spreadsheets._package import PackageGuard
from crmproject.spreadsheets._sheet_xml import measure_sheet

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MB = 1024 * 1024


def read_all(workbook) -> list:
    return [row for sheet in workbook.visible_sheets for row in sheet.rows()]


# --- zip packages --------------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_by_its_unpacked_size_before_anything_is_inflated(hostile):
    bomb = hostile.zip_bomb(6 * MB)  # packs to about 20 KB

    with pytest.raises(LimitExceeded) as refused:
        open_workbook(bomb, "plan.xlsx", limits=ReadLimits(max_part_bytes=4 * MB))

    assert refused.value.message == (
        "plan.xlsx is too large once unpacked: its sheet Plan (part xl/worksheets/sheet1.xml) unpacks to 6 MB; "
        "the limit for one part is 4 MB.")


def test_a_part_packed_more_tightly_than_the_ratio_allows_is_refused(hostile):
    bomb = hostile.zip_bomb(6 * MB)

    with pytest.raises(LimitExceeded, match=r"plan.xlsx is compressed [0-9,]+ times .*; the limit is 100 times\."):
        open_workbook(bomb, "plan.xlsx", limits=ReadLimits(max_compression_ratio=100))


def test_all_parts_together_are_bounded(hostile):
    bomb = hostile.zip_bomb(3 * MB)

    with pytest.raises(LimitExceeded, match=r"^plan.xlsx unpacks to more than 2 MB; the limit is 2 MB\.$"):
        open_workbook(bomb, "plan.xlsx", limits=ReadLimits(max_unpacked_bytes=2 * MB, max_compression_ratio=10_000))


def test_a_part_that_holds_more_than_its_header_says_is_never_inflated_past_it(hostile):
    liar = hostile.lying_header(declared=1000)

    with pytest.raises(SpreadsheetError, match="^plan.xlsx is damaged or incomplete"):
        read_all(open_workbook(liar, "plan.xlsx"))


def test_the_guard_reads_a_lying_part_only_as_far_as_it_declares(hostile):
    guard = PackageGuard(hostile.lying_header(declared=1000), "plan.xlsx", ReadLimits())
    produced = 0

    with pytest.raises(SpreadsheetError):
        for chunk in guard.chunks("xl/worksheets/sheet1.xml"):
            produced += len(chunk)
    assert produced <= 1000


def test_a_sheet_that_declares_xml_entities_is_refused_with_a_clear_message(hostile):
    with pytest.raises(SpreadsheetError) as refused:
        read_all(open_workbook(hostile.entities(), "plan.xlsx"))

    assert refused.value.message.startswith(
        "plan.xlsx is damaged or unsafe: its part xl/worksheets/sheet1.xml declares XML entities (a DOCTYPE)")


def test_a_doctype_hidden_behind_a_megabyte_of_comments_is_refused_too(hostile):
    padding = random.Random(1).randbytes(MB // 2 + 10).hex()  # random, so it does not trip the compression ratio
    prolog = "<!--" + padding + '--><!DOCTYPE worksheet [<!ENTITY lol "lol">]>'
    sheet = hostile.sheet_xml([["Task", "Owner"], ["&lol;", "Ann"]], prolog=prolog)

    with pytest.raises(SpreadsheetError, match="its part xl/worksheets/sheet1.xml declares XML entities"):
        read_all(open_workbook(hostile.xlsx(sheet), "plan.xlsx"))


def test_a_workbook_part_with_an_entity_is_refused_too(hostile):
    original = zipfile.ZipFile(io.BytesIO(hostile.xlsx(hostile.sheet_xml([["Task", "Owner"]]))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as changed:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE workbook [<!ENTITY a "x">]>' + data
            changed.writestr(info, data)

    with pytest.raises(SpreadsheetError, match="its part xl/workbook.xml declares XML entities"):
        open_workbook(buffer.getvalue(), "plan.xlsx")


# --- the rectangle python-calamine would store -------------------------------------------------------


def test_two_far_apart_cells_are_refused_before_calamine_stores_the_rectangle_between(hostile):
    # python-calamine 0.9 would ask for 550 GB for this 1 KB file and abort the process.
    workbook = open_workbook(hostile.far_cell("XFD1048576"), "plan.xlsx")

    with pytest.raises(LimitExceeded) as refused:
        read_all(workbook)
    assert refused.value.message == (
        "Sheet Plan of plan.xlsx has more than 250,000 rows; the limit is 250,000 rows. "
        "Split the file, or import only the rows you need.")


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("ZZZZ1", "has more than 16,384 columns; the limit is 16,384 columns."),
        ("CV30000", "has more than 2,500,000 cells; the limit is 2,500,000 cells."),
    ],
    ids=["columns", "cells"],
)
def test_columns_and_cells_are_capped_too(hostile, reference, message):
    with pytest.raises(LimitExceeded, match=message.replace(".", r"\.")):
        read_all(open_workbook(hostile.far_cell(reference), "plan.xlsx"))


def test_a_cell_without_a_reference_after_a_far_row_is_measured_the_exact_way(hostile):
    far_row = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
               '<row r="1"><c r="A1"><v>1</v></c></row><row r="4000000000"><c><v>2</v></c></row>'
               "</sheetData></worksheet>")

    with pytest.raises(LimitExceeded, match="more than 250,000 rows"):
        read_all(open_workbook(hostile.xlsx(far_row.encode()), "plan.xlsx"))


@pytest.mark.parametrize("written", [
    '<c\nr="XFD1048576"><v>1</v></c>', "<c r='XFD1048576'><v>1</v></c>", '<c r = "XFD1048576"><v>1</v></c>',
    '<c s="1" r="XFD1048576"><v>1</v></c>', '<x:c r="XFD1048576" xmlns:x="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main"><x:v>1</x:v></x:c>', '<c r="xfd1048576"><v>1</v></c>',
], ids=["newline", "single-quotes", "spaces", "r-not-first", "prefixed", "lower-case"])
def test_unusual_ways_of_writing_a_position_are_measured_too(hostile, written):
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:B2"/>'
             f'<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">{written}</row>'
             "</sheetData></worksheet>")

    with pytest.raises(LimitExceeded):
        read_all(open_workbook(hostile.xlsx(sheet.encode()), "plan.xlsx"))


def test_the_measured_extent_is_never_smaller_than_what_calamine_stores(hostile):
    """Random sheets, some with a lying <dimension>: the scan must cover python-calamine's rectangle."""
    rng = random.Random(20261205)
    for _attempt in range(40):
        cells = {(rng.randint(1, 3000), rng.randint(1, 60)) for _ in range(rng.randint(1, 40))}
        rows: dict[int, list[int]] = {}
        for row, column in sorted(cells):
            rows.setdefault(row, []).append(column)
        from crmproject.spreadsheets import column_letter

        body = "".join(f'<row r="{row}">' + "".join(f'<c r="{column_letter(c - 1)}{row}"><v>1</v></c>' for c in columns)
                       + "</row>" for row, columns in rows.items())
        dimension = rng.choice(["", '<dimension ref="A1:B2"/>', '<dimension ref="A1:D999"/>', '<dimension ref="A1"/>'])
        data = hostile.xlsx(f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                            f"{dimension}<sheetData>{body}</sheetData></worksheet>".encode())
        guard = PackageGuard(data, "random.xlsx", ReadLimits())
        extent = measure_sheet(lambda guard=guard: guard.chunks("xl/worksheets/sheet1.xml"), ReadLimits()).extent
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        assert extent.rows >= sheet.start[0] + sheet.height and extent.columns >= sheet.start[1] + sheet.width


def test_a_legacy_xls_with_a_cell_moved_far_away_is_refused_before_calamine_reads_it():
    data = bytearray((FIXTURES / "header_row.xls").read_bytes())
    label = data.find(struct.pack("<HH", 0x00FD, 10))  # a LABELSST cell record: row, column follow
    struct.pack_into("<HH", data, label + 4, 65535, 255)  # python-calamine would hold 65,536 x 256 cells: 1 GB

    with pytest.raises(LimitExceeded, match="header_row.xls has more than 250,000 rows|more than 2,500,000 cells"):
        open_workbook(bytes(data), "header_row.xls")


def test_an_ods_row_of_repeated_values_repeated_a_million_times_is_refused():
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body><office:spreadsheet>'
        '<table:table table:name="Plan"><table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
        "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("content.xml", content)

    with pytest.raises(LimitExceeded, match="plan.ods has more than 250,000 rows"):
        open_workbook(buffer.getvalue(), "plan.ods")


def test_libreoffice_trailing_empty_repeats_do_not_count():
    workbook = open_workbook(FIXTURES / "header_row.ods", limits=ReadLimits(max_rows=20, max_cells=100))

    assert len(read_all(workbook)) == 10


@pytest.mark.parametrize("fixture", ["packt_tpm_tables.xlsx", "calamine_strict_iso_paths.xlsx", "header_row.xls",
                                     "header_row.ods", "calamine_merged_range.xlsx", "oulad_studentRegistration.csv"])
def test_real_files_read_as_before_within_the_default_limits(fixture):
    assert read_all(open_workbook(FIXTURES / fixture))


# --- CSV --------------------------------------------------------------------------------------------


def test_a_line_of_a_million_columns_is_refused_before_csv_splits_it(hostile):
    sheet = open_workbook(hostile.wide_csv(1_000_000, rows=1), "plan.csv").sheets[0]

    with pytest.raises(LimitExceeded) as refused:
        next(sheet.rows())
    assert refused.value.message == (
        "plan.csv has more than 16,384 columns in row 1; the limit is 16,384 columns.")


def test_a_record_that_quoted_line_breaks_spread_over_lines_is_capped_as_a_whole():
    line = ",".join(["x"] * 10)
    data = ("Task,Owner\n" + f'{line},"\n' + f'",{line}\n').encode()

    with pytest.raises(LimitExceeded, match="more than 15 columns in row 2"):
        read_all(open_workbook(data, "plan.csv", limits=ReadLimits(max_columns=15)))


def test_a_csv_over_the_row_limit_is_refused_naming_the_limit(hostile):
    with pytest.raises(LimitExceeded, match=r"^plan.csv has more than 100 rows; the limit is 100 rows\."):
        read_all(open_workbook(hostile.long_csv(150), "plan.csv", limits=ReadLimits(max_rows=100)))


def test_a_csv_over_the_cell_limit_is_refused(hostile):
    with pytest.raises(LimitExceeded, match="more than 300 cells; the limit is 300 cells"):
        read_all(open_workbook(hostile.long_csv(100), "plan.csv", limits=ReadLimits(max_cells=300)))


def test_a_csv_cell_longer_than_the_field_limit_names_it():
    data = b"Task,Notes\nKickoff," + b"x" * 5000 + b"\n"

    with pytest.raises(SpreadsheetError, match="longer than 4,096 characters; the limit is 4,096 characters"):
        read_all(open_workbook(data, "plan.csv", limits=ReadLimits(max_cell_chars=4096)))
    read_all(open_workbook(data, "plan.csv"))  # the default allows it, and the setting is put back for the next read


def test_an_ordinary_workbook_is_within_every_limit():
    workbook = openpyxl.Workbook()
    workbook.active.append(["Task", "Owner"])
    for n in range(500):
        workbook.active.append([f"Task {n}", "Ann"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert len(read_all(open_workbook(buffer.getvalue(), "plan.xlsx", limits=ReadLimits(max_rows=501)))) == 501


def test_a_large_part_read_ahead_in_a_helper_thread_stops_cleanly_when_the_reader_stops(hostile):
    import threading

    from crmproject.spreadsheets import _package

    guard = PackageGuard(hostile.zip_bomb(20 * MB), "plan.xlsx", ReadLimits(max_compression_ratio=10_000))
    before = threading.active_count()
    chunks = guard.chunks("xl/worksheets/sheet1.xml")
    assert len(next(chunks)) == _package.CHUNK
    chunks.close()  # the reader stops after one chunk, with the helper's queue full

    assert threading.active_count() == before
    declared = guard.archive.getinfo("xl/worksheets/sheet1.xml").file_size
    assert declared > _package.PREFETCH_FROM
    assert sum(len(chunk) for chunk in guard.chunks("xl/worksheets/sheet1.xml")) == declared


def test_rows_without_positions_are_counted_at_memory_speed_and_refused_past_the_limit(hostile):
    row = b'<row><c t="inlineStr"><is><t>Kickoff</t></is></c></row>'
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + row * 3000 + b"</sheetData></worksheet>")
    data = hostile.xlsx(sheet)

    with pytest.raises(LimitExceeded, match="Sheet Plan of plan.xlsx has more than 2,500 rows"):
        read_all(open_workbook(data, "plan.xlsx", limits=ReadLimits(max_rows=2500)))
    assert len(read_all(open_workbook(data, "plan.xlsx", limits=ReadLimits(max_rows=3000)))) == 3000


def test_a_record_spread_over_short_lines_is_refused_while_it_is_read():
    """Quoted line breaks spread one record of many fields over short lines (17 MB: 3,000,000 fields)."""
    from crmproject.spreadsheets._delimited import bounded_records

    read = []

    def lines():
        yield "user,time,event\n"
        yield '"\n'
        for _n in range(100_000):
            read.append(1)
            yield 'ab","\n'

    with pytest.raises(LimitExceeded) as refused:
        list(bounded_records(lines(), ",", ReadLimits(max_columns=50), "usage.csv"))
    assert refused.value.message == "usage.csv has more than 50 columns in row 2; the limit is 50 columns."
    assert len(read) <= 50  # refused once the record held too many delimiters, not once csv had built it


def test_a_record_of_more_characters_than_allowed_is_refused_naming_its_row():
    data = ("Task,Notes\nKickoff," + ",".join(['"' + "y" * 90 + '\n"'] * 100) + "\n").encode()  # 100 cells of 92

    with pytest.raises(LimitExceeded, match=r"plan.csv has a record of more than 8,192 characters in row 2"):
        read_all(open_workbook(data, "plan.csv", limits=ReadLimits(max_cell_chars=4096)))


def test_the_usage_import_refuses_a_record_spread_over_lines_naming_its_row(app):
    from crmproject.adoption.usage import UsageImportFailed, import_usage

    data = b"user,time,event\n" + b'"\nab",' * 20_000 + b"x\n" + b"ann,2026-01-05 10:00,login\n"

    with pytest.raises(UsageImportFailed, match=r"usage.csv has more than 16,384 columns in row 2"):
        import_usage(data, "usage.csv", timezone="UTC")
