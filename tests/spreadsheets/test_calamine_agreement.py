"""The guard reads a file as python-calamine does, so what it measures is what python-calamine would build.

Each hostile file here hides something from a reader that finds tags or
records the naive way (a ">" inside a quoted attribute, a second position
attribute, a comment, an EOF record whose length covers a sheet, a record
header announcing 256 MB...). The guard alone (check_workbook and the sheet
check) must refuse them: python-calamine is never reached, because for real
sizes it would abort the process or take gigabytes.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from crmproject.spreadsheets import LimitExceeded, ReadLimits, SpreadsheetError, check_workbook, column_letter
from crmproject.spreadsheets._package import PackageGuard
from crmproject.spreadsheets._sheet_xml import Malformed, measure_sheet, within
from crmproject.spreadsheets._xlsb import MAX_RECORD, records

from .conftest import KINDS, MAIN, PACKAGE, REL

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MB = 1024 * 1024


def sheet(body: str, dimension: str = "") -> bytes:
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{MAIN}">{head}<sheetData>{body}</sheetData></worksheet>'.encode()


def guard_check(data: bytes, limits: ReadLimits | None = None, name: str = "plan.xlsx") -> None:
    """The guard's checks only: the package, then the sheet, as the reader runs them before python-calamine."""
    checked = check_workbook(data, name, limits or ReadLimits())
    checked.check_sheet("Plan")


# --- .xlsx: cell and row tags as quick-xml reads them -------------------------------------------------

FAR = 'r="XFD1048576"'
UNPACKED = ReadLimits(max_compression_ratio=10 ** 6)  # for sheets padded with one letter repeated


@pytest.mark.parametrize("cells", [
    f'<row r="1"><c x=">" {FAR}><v>1</v></c></row>',
    f'<row x=">" r="1048576"><c x=\'>\' {FAR}><v>1</v></c></row>',
    f'<row r="1"><c r="A1"><v>1</v></c><c y="a>b" s="1" {FAR}><v>2</v></c></row>',
    f'<row r="1"><c r="A1"><v>1</v></c><\u00e9:c {FAR} xmlns:\u00e9="urn:x"><v>2</v></\u00e9:c></row>',
], ids=["gt-in-attribute", "gt-in-row-and-cell", "gt-mid-value", "non-ascii-prefix"])
def test_a_position_behind_a_quoted_gt_or_an_odd_prefix_is_measured(hostile, cells):
    with pytest.raises(LimitExceeded, match="more than 250,000 rows"):
        guard_check(hostile.xlsx(sheet(cells, "A1:D999")))


@pytest.mark.parametrize("cells", [
    '<row r="1"><c r="B2" r="XFD1048576"><v>1</v></c></row>',
    '<row r="1"><c r="B2" s="1"\tr="XFD1048576"><v>1</v></c></row>',
    '<row r="1"><c r="B2" x="1"r="XFD1048576"><v>1</v></c></row>',
    f'<row r="1"><c x="<c r=\'A1\'>" {FAR}><v>1</v></c></row>',
    f'<row r="1"><!-- <c x=" --><c {FAR}><v>1</v></c><!-- " --></row>'.replace("<c x=", "<c r=\"A1\" x="),
    f'<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<c x="]]></t></is></c><c {FAR}><v>1</v></c></row>',
    f'<!DOCTYPE x><row r="1"><c {FAR}><v>1</v></c></row>',
], ids=["second-r", "second-r-after-tab", "second-r-after-quote", "lt-in-attribute", "comment-opens-a-quote",
        "cdata", "doctype-in-the-sheet"])
def test_a_tag_quick_xml_could_read_otherwise_is_refused_or_measured(hostile, cells):
    with pytest.raises(SpreadsheetError, match="damaged|more than 250,000 rows"):
        guard_check(hostile.xlsx(sheet(cells, "A1:D999")))


def test_a_long_attribute_across_a_chunk_boundary_hides_no_position(hostile):
    for start in (MB - 40_000, MB - 200, MB - 20, MB + 5):
        padding = '<row r="1"><c r="A1" t="inlineStr"><is><t>' + "x" * (start - 160) + "</t></is></c></row>"
        far = f'<row r="2"><c note="{"y" * 30_000}" {FAR}><v>1</v></c></row>'
        with pytest.raises(LimitExceeded, match="more than 250,000 rows"):
            guard_check(hostile.xlsx(sheet(padding + far, "A1:D999"), compresslevel=1), UNPACKED)


def test_a_plain_far_cell_cut_by_a_chunk_boundary_is_seen(hostile):
    for offset in range(-8, 8):
        filler = "x" * (MB - 150 + offset)
        body = f'<row r="1"><c r="A1" t="inlineStr"><is><t>{filler}</t></is></c><c {FAR}><v>1</v></c></row>'
        with pytest.raises(LimitExceeded, match="more than 250,000 rows"):
            guard_check(hostile.xlsx(sheet(body, "A1:D999"), compresslevel=1), UNPACKED)


def test_a_tag_still_open_64_kb_after_a_chunk_ends_is_refused_as_damaged(hostile):
    filler = "x" * (MB - 100_000)  # the tag starts 100 KB before the first chunk ends
    body = (f'<row r="1"><c r="A1" t="inlineStr"><is><t>{filler}</t></is></c>'
            f'<c x="{"z" * 170_000}" r="B1"><v>1</v></c></row>')
    with pytest.raises(SpreadsheetError, match="damaged"):
        guard_check(hostile.xlsx(sheet(body)), UNPACKED)


def _calamine_rectangle(data: bytes) -> tuple[int, int]:
    found = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    if found.start is None:
        return 0, 0
    return found.start[0] + found.height, found.start[1] + found.width


def _random_sheet(rng: random.Random) -> str:
    """A small sheet written with the liberties quick-xml allows: cells with and without r, r not first,
    quoted ">" in attributes, empty rows and cells, rows left open (closed at the end), comments."""
    parts = []
    still_open = 0
    for _row in range(rng.randint(1, 12)):
        row_attributes = rng.choice(["", f' r="{rng.randint(1, 400)}"', f' spans="1:3" r="{rng.randint(1, 400)}"',
                                     f' x=">" r="{rng.randint(1, 400)}"'])
        if rng.random() < 0.15:
            parts.append(f"<row{row_attributes}/>")
            continue
        parts.append(f"<row{row_attributes}>")
        for _cell in range(rng.randint(0, 8)):
            position = f'r="{column_letter(rng.randint(0, 40))}{rng.randint(1, 400)}"'
            attributes = rng.choice(["", f" {position}", f' s="1" {position}', f" {position} s='2'",
                                     f' x="a>b" {position}', f" t='n' {position}"])
            parts.append(rng.choice([f"<c{attributes}><v>{rng.randint(1, 9)}</v></c>", f"<c{attributes}/>"]))
            if rng.random() < 0.1:
                parts.append('<!-- <c r="ZZ9999"><v>1</v></c> -->')
        if rng.random() < 0.85:
            parts.append("</row>")
        else:
            still_open += 1  # the next rows start inside it: python-calamine does not go back to column A then
    return "".join(parts) + "</row>" * still_open


def test_the_measured_extent_covers_calamine_for_sheets_written_every_way(hostile):
    rng = random.Random(20261205)
    measured = 0
    for _attempt in range(300):
        dimension = rng.choice(["", "A1:B2", "A1:AN400", "A1"])
        data = hostile.xlsx(sheet(_random_sheet(rng), dimension))
        try:
            rows, columns = _calamine_rectangle(data)
        except Exception:  # noqa: BLE001 - python-calamine refuses some of these: nothing to compare
            continue
        guard = PackageGuard(data, "random.xlsx", ReadLimits())
        try:
            extent = measure_sheet(lambda guard=guard: guard.chunks("xl/worksheets/sheet1.xml"), ReadLimits()).extent
        except Malformed:
            continue  # refused: python-calamine never reads it
        measured += 1
        assert extent.rows >= rows and extent.columns >= columns, (dimension, data)
        tight = ReadLimits(max_rows=max(rows, 1), max_columns=max(columns, 1), max_cells=max(rows * columns, 1))
        # a sheet within the limits is not refused for its measure either (no false alarm)
        assert within(measure_sheet(lambda guard=guard: guard.chunks("xl/worksheets/sheet1.xml"), tight).extent, tight) or (
            extent.rows > rows or extent.columns > columns)
    assert measured > 150


def test_plainly_written_sheets_are_measured_exactly_enough_to_pass_tight_limits(hostile):
    """No false alarm: a sheet written as spreadsheet programs write it passes limits set to its own size."""
    rng = random.Random(7)
    for _attempt in range(40):
        cells = {(rng.randint(1, 3000), rng.randint(1, 60)) for _ in range(rng.randint(1, 40))}
        by_row: dict[int, list[int]] = {}
        for row, column in sorted(cells):
            by_row.setdefault(row, []).append(column)
        body = "".join(f'<row r="{row}">' + "".join(f'<c r="{column_letter(c - 1)}{row}" s="1"><v>1</v></c>'
                                                    for c in columns) + "</row>" for row, columns in by_row.items())
        rows, columns = max(r for r, _c in cells), max(c for _r, c in cells)
        dimension = rng.choice(["", f"A1:{column_letter(columns - 1)}{rows}"])
        tight = ReadLimits(max_rows=rows, max_columns=columns, max_cells=rows * columns)
        guard_check(hostile.xlsx(sheet(body, dimension)), tight)


# --- .xlsx: how many cells and shared strings, and what python-calamine copies --------------------------


def xlsx_with_strings(cells: str, strings: list[str], unique_count: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
                                        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        package.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                                            '<sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>')
        package.writestr("xl/_rels/workbook.xml.rels", (
            f'<Relationships xmlns="{PACKAGE}/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
        package.writestr("xl/worksheets/sheet1.xml", sheet(cells))
        count = f' uniqueCount="{unique_count}"' if unique_count is not None else ""
        package.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}"{count}>'
                         + "".join(f"<si><t>{text}</t></si>" for text in strings) + "</sst>")
    return buffer.getvalue()


def string_cells(indexes: list[int]) -> str:
    return "".join(f'<row r="{n}"><c r="A{n}" s="1" t="s"><v>{index}</v></c></row>'
                   for n, index in enumerate(indexes, start=1))


def test_more_shared_strings_than_cells_allowed_are_refused():
    data = xlsx_with_strings(string_cells([0]), [f"text {n}" for n in range(1001)])

    with pytest.raises(LimitExceeded, match=r"holds more than 1,000 different texts \(its part xl/sharedStrings.xml\)"):
        check_workbook(data, "plan.xlsx", ReadLimits(max_cells=1000))


def test_a_shared_string_table_announcing_billions_of_strings_is_refused():
    # python-calamine reserves room for every string announced at once: 48 GB here, and the process aborts
    data = xlsx_with_strings(string_cells([0]), ["Kickoff"], unique_count=2_000_000_000)

    with pytest.raises(LimitExceeded, match="different texts"):
        check_workbook(data, "plan.xlsx", ReadLimits())


def test_one_long_shared_string_shown_in_many_cells_is_refused_as_sheet_data():
    # python-calamine copies the 100 KB text into each of the 2,000 cells: 200 MB from a 20 KB upload
    data = xlsx_with_strings(string_cells([0] * 2000), ["x" * 100_000])

    with pytest.raises(LimitExceeded) as refused:
        guard_check(data, ReadLimits(max_sheet_data_bytes=64 * MB))
    assert refused.value.message.startswith("plan.xlsx holds more than 64 MB of sheet data once unpacked")


def test_a_long_shared_string_shown_once_is_counted_cell_by_cell_and_passes():
    indexes = [0] + [1 + n % 50 for n in range(3000)]
    data = xlsx_with_strings(string_cells(indexes), ["x" * 100_000] + [f"Owner {n}" for n in range(50)])

    guard_check(data, ReadLimits(max_sheet_data_bytes=2 * MB))  # the bound, 3,001 x 100 KB, would refuse it


def test_more_cell_records_than_cells_allowed_are_refused_even_inside_the_dimension(hostile):
    body = '<row r="1">' + '<c r="B2"><v>1</v></c>' * 3000 + "</row>"

    with pytest.raises(LimitExceeded, match="more than 2,500 cells"):
        guard_check(hostile.xlsx(sheet(body, "A1:B2")), ReadLimits(max_cells=2500))


# --- .ods -------------------------------------------------------------------------------------------------


def ods(row_attributes: str, cell: str) -> bytes:
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body><office:spreadsheet>'
        f'<table:table table:name="Plan"><table:table-row {row_attributes}>{cell}'
        "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("content.xml", content)
    return buffer.getvalue()


@pytest.mark.parametrize(("row_attributes", "cell"), [
    ('x=">" table:number-rows-repeated="1000000"', '<table:table-cell office:value-type="float" office:value="1"/>'),
    ('table:number-rows-repeated="200"',
     '<table:table-cell x=">" table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'),
    ('x="number-rows-repeated=\'1\'" table:number-rows-repeated="1000000"', '<table:table-cell office:value="1"/>'),
    ('foo:number-rows-repeated="1" table:number-rows-repeated="1000000"', '<table:table-cell office:value="1"/>'),
    ('table:number-rows-repeated="&#49;000000"', '<table:table-cell office:value-type="float" office:value="1"/>'),
    ('table:number-rows-repeated="+1000000"', '<table:table-cell office:value-type="float" office:value="1"/>'),
    ('table:number-rows-repeated="1000000"', '<table:table-cell office:value="1"/>'),
    ('table:number-rows-repeated="1000000"', '<table:table-cell table:formula="of:=1"/>'),
], ids=["gt-before-rows", "gt-before-columns", "repeat-inside-a-value", "two-repeats", "entity", "plus-sign",
        "value-without-type", "formula-only"])
def test_an_ods_repetition_is_read_as_python_calamine_reads_it(row_attributes, cell):
    with pytest.raises(LimitExceeded, match="plan.ods has more than"):
        check_workbook(ods(row_attributes, cell), "plan.ods", ReadLimits())


def test_a_long_ods_text_repeated_is_counted_as_sheet_data():
    cell = '<table:table-cell table:number-columns-repeated="1000" office:value-type="string"><text:p>' \
           + "x" * 50_000 + "</text:p></table:table-cell>"
    with pytest.raises(LimitExceeded, match="of sheet data"):
        check_workbook(ods('table:number-rows-repeated="2"', cell), "plan.ods", ReadLimits())


# --- .xls -------------------------------------------------------------------------------------------------


def xls_patched(patch) -> bytes:
    """header_row.xls with its Workbook stream changed by `patch(stream: bytearray, records: list)`."""
    import olefile

    data = bytearray((FIXTURES / "header_row.xls").read_bytes())
    with olefile.OleFileIO(bytes(data)) as container:
        stream_name = "Workbook" if container.exists("Workbook") else "Book"
        stream = bytearray(container.openstream(stream_name).read())
    found, position = [], 0
    while position + 4 <= len(stream):
        record, length = struct.unpack_from("<HH", stream, position)
        found.append((record, position, length))
        position += 4 + length
    patch(stream, found)
    buffer = io.BytesIO(bytes(data))
    with olefile.OleFileIO(buffer, write_mode=True) as container:
        container.write_stream(stream_name, bytes(stream))
    return buffer.getvalue()


def test_an_xls_sheet_hidden_behind_an_eof_record_is_measured_from_its_boundsheet_offset():
    def hide(stream, found):
        globals_eof = next(position for record, position, _length in found if record == 0x000A)
        cell = next(position for record, position, _length in found if record in (0x00FD, 0x0203, 0x027E)
                    and position > globals_eof)
        struct.pack_into("<HH", stream, cell + 4, 65535, 255)  # a cell at IV65536: python-calamine would take 1 GB
        struct.pack_into("<H", stream, globals_eof + 2, min(0xFFFF, len(stream) - globals_eof - 4))

    with pytest.raises(LimitExceeded, match="header_row.xls has more than"):
        check_workbook(xls_patched(hide), "header_row.xls", ReadLimits())


@pytest.mark.parametrize("dimensions", [(0, 0xFFFFFFF0, 0, 0xFF), (10, 2, 0, 5)], ids=["billions-of-rows", "reversed"])
def test_an_xls_dimensions_record_python_calamine_reserves_room_for_is_refused(dimensions):
    # python-calamine reserves room for the cells DIMENSIONS declares at once: the process aborts
    def declare(stream, found):
        for record, position, length in found:
            if record == 0x0200 and length == 14:
                struct.pack_into("<IIHH", stream, position + 4, *dimensions)

    with pytest.raises(LimitExceeded, match="more than 2,500,000 cells"):
        check_workbook(xls_patched(declare), "header_row.xls", ReadLimits())


# --- .xlsb ------------------------------------------------------------------------------------------------


def test_an_xlsb_record_announcing_256_mb_is_refused_without_reading_its_payload():
    pulled = []

    def chunks():
        yield b"\x00\xff\xff\xff\x7f" + b"\x00" * 1000  # BrtRowHdr, payload size 2**28 - 1
        pulled.append("more")
        yield b"\x00" * MB

    with pytest.raises(Malformed):
        list(records(chunks()))
    assert pulled == []


def test_xlsb_records_are_read_across_chunks_with_their_payload_skipped():
    body = b"".join(bytes([0x07, 0x0C]) + struct.pack("<III", column, 0, column) for column in range(5))
    size = bytes([0x80 | (50_000 & 0x7F), 0x80 | ((50_000 >> 7) & 0x7F), 50_000 >> 14])  # 7 bits a byte
    big = bytes([0x13]) + size + b"y" * 50_000  # an SST item of 50 KB
    data = big + body
    pieces = [data[i:i + 7] for i in range(0, len(data), 7)]

    found = list(records(pieces))
    assert [(record, size) for record, size, _kept in found] == [(0x13, 50_000)] + [(0x07, 12)] * 5
    assert [struct.unpack_from("<I", kept)[0] for _record, _size, kept in found[1:]] == list(range(5))
    assert MAX_RECORD == MB


def test_a_real_file_passes_every_guard():
    for fixture in ("packt_tpm_tables.xlsx", "calamine_strict_iso_paths.xlsx", "header_row.xls", "header_row.ods",
                    "calamine_errors.xlsx", "calamine_merged_range.xlsx", "packt_tpm_project_plan.xlsx"):
        data = (FIXTURES / fixture).read_bytes()
        checked = check_workbook(data, fixture, ReadLimits())
        for name in (checked.workbook_part.sheet_parts if checked.workbook_part else {}):
            checked.check_sheet(name)
    assert KINDS


# --- the second line of defence: python-calamine first in a child process --------------------------------


def test_a_file_the_guard_missed_aborts_a_child_process_not_the_worker(hostile, monkeypatch):
    """Should python-calamine one day read a file otherwise than the guard, the worker still answers."""
    from crmproject.spreadsheets import open_workbook
    from crmproject.spreadsheets.reader import CheckedWorkbook

    monkeypatch.setattr(CheckedWorkbook, "check_sheet", lambda self, sheet: None)  # a guard that sees nothing
    far = hostile.far_cell("XFD1048576")  # python-calamine asks for 550 GB for it, and aborts

    with pytest.raises(LimitExceeded, match=r"^plan.xlsx needs more than 256 MB of memory to read; the limit is 256 MB"):
        open_workbook(far, "plan.xlsx", limits=ReadLimits(probe_memory_bytes=256 * MB))


def test_a_file_python_calamine_reads_too_slowly_in_the_child_is_refused(hostile):
    from crmproject.spreadsheets import open_workbook

    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 200_001))

    with pytest.raises(LimitExceeded, match=r"^plan.xlsx takes more than 0.01 seconds to read"):
        open_workbook(hostile.xlsx(sheet(rows)), "plan.xlsx", limits=ReadLimits(probe_memory_bytes=512 * MB,
                                                                                   probe_seconds=0.01))


def test_the_child_process_lets_through_what_python_calamine_reads_within_bounds():
    from crmproject.spreadsheets import open_workbook

    for fixture in ("packt_tpm_project_plan.xlsx", "header_row.xls", "header_row.ods"):
        workbook = open_workbook(FIXTURES / fixture, limits=ReadLimits(probe_memory_bytes=256 * MB))
        assert list(workbook.visible_sheets[0].rows())


def test_many_cells_at_one_position_are_refused_as_damaged(hostile):
    # within every limit but one: python-calamine holds each of the 2,000 records until it builds the sheet
    body = '<row r="1"><c r="A1"><v>1</v></c>' + '<c r="B2"><v>1</v></c>' * 2000 + "</row>"

    with pytest.raises(SpreadsheetError, match="damaged"):
        guard_check(hostile.xlsx(sheet(body, "A1:B2")))
