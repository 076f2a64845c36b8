"""Opening whatever spreadsheet a user uploads: .xlsx/.xlsm/.xlsb, .ods, legacy .xls or CSV.

The format is decided by the file's content, never by its name: users rename
files, and web apps export HTML with an .xls name. Every failure is a
`SpreadsheetError` whose message can be shown to the user as it is; a file
over the ReadLimits passed in (crmproject.spreadsheets.limits) is refused
with a `LimitExceeded` naming the limit, before anything is built in
proportion to what it unpacks to.
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path, PurePath
from typing import Literal, Protocol
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from crmproject.i18n import _

from . import _delimited, _xlsx
from ._errors import SpreadsheetError
from ._extents import BookMeasure, ods_measure, xls_measure
from ._package import PackageGuard, check_extent, damaged, is_shared_strings
from ._probe import probe_workbook
from ._sheet_xml import Malformed
from .cells import CellRange, CellValue, ErrorCell, Row
from .limits import ReadLimits, too_many_cells, too_many_columns, too_many_rows, too_much_sheet_data

SpreadsheetFormat = Literal["xlsx", "xlsb", "ods", "xls", "csv"]

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# An encrypted .xlsx is an OLE2 container with an "EncryptionInfo" stream; directory names are UTF-16LE.
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
# An encrypted .xls has a FILEPASS record (id 0x002F) right after the workbook's 16-byte BIFF8 BOF record.
_XLS_FILEPASS = re.compile(rb"\x09\x08\x10\x00\x00\x06\x05\x00.{12}\x2f\x00", re.DOTALL)
_OPENDOCUMENT_SPREADSHEET = b"application/vnd.oasis.opendocument.spreadsheet"
# An encrypted .ods lists <manifest:encryption-data> for its parts.
_ODF_MANIFEST = "META-INF/manifest.xml"


@dataclass(frozen=True)
class SheetLayout:
    """What the user sees but the values do not say: rows 1-based, columns 0-based."""

    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()
    merged_ranges: tuple[CellRange, ...] = ()


class _SheetSource(Protocol):
    def rows(self) -> Iterator[Row]: ...

    def layout(self) -> SheetLayout: ...

    def check(self) -> None: ...


class Sheet:
    """One worksheet. Its rows are read when asked for, each time afresh."""

    def __init__(self, name: str, *, visible: bool, source: _SheetSource) -> None:
        self.name = name
        self.visible = visible
        self._source = source

    def __repr__(self) -> str:
        return f"Sheet({self.name!r}, visible={self.visible})"

    def rows(self, *, fill_merged_from: int | None = None) -> Iterator[Row]:
        """Every row from row 1 to the last used one, empty rows included, cells from column A.

        With `fill_merged_from`, a merged range whose top row is at or below that row gives its value to
        every row it spans, in its left column (a task group merged over its tasks belongs to each of them).
        Ranges above it (a header merged over two rows) are left as they are.
        """
        rows = self._source.rows()
        if fill_merged_from is None or not self.merged_ranges:
            return rows
        return _fill_merged(rows, self.merged_ranges, fill_merged_from)

    def check(self) -> None:
        """Raise SpreadsheetError (LimitExceeded for one over the limits) if this sheet cannot be read."""
        self._source.check()

    @cached_property
    def _layout(self) -> SheetLayout:
        return self._source.layout()

    @property
    def hidden_rows(self) -> frozenset[int]:
        """Numbers of hidden rows (.xlsx/.xlsm only; other formats report none)."""
        return self._layout.hidden_rows

    @property
    def hidden_columns(self) -> frozenset[int]:
        """Indexes of hidden columns (.xlsx/.xlsm only; other formats report none)."""
        return self._layout.hidden_columns

    @property
    def merged_ranges(self) -> tuple[CellRange, ...]:
        """Merged cell ranges (.xlsx and .xls); only the top-left cell of each holds the value."""
        return self._layout.merged_ranges


def _fill_merged(rows: Iterator[Row], ranges: tuple[CellRange, ...], first_row: int) -> Iterator[Row]:
    """Rows with each merged range's value copied down its left column (see Sheet.rows)."""
    # Valid merges never overlap; where a damaged file's do, the upper range wins, so the work stays at
    # most one assignment per cell the sheet holds (its size is within the limits already).
    starts: dict[int, list[tuple[int, int]]] = {}
    last_bottom: dict[int, int] = {}
    for left, top, bottom, _right in sorted((r.left, r.top, r.bottom, r.right) for r in ranges):
        if top < first_row or bottom <= top or top <= last_bottom.get(left, 0):
            continue
        last_bottom[left] = bottom
        starts.setdefault(top, []).append((left, bottom))
    active: dict[int, tuple[int, CellValue]] = {}  # column -> (bottom row, value)
    for row in rows:
        cells = row.cells
        for column, (bottom, value) in list(active.items()):
            if row.number > bottom:
                del active[column]
            elif value is not None:
                if column >= len(cells):
                    cells.extend([None] * (column + 1 - len(cells)))
                if (held := cells[column]) is None or (isinstance(held, str) and not held.strip()):
                    cells[column] = value
        for column, bottom in starts.get(row.number, ()):
            active[column] = (bottom, row.cell(column))
        yield row


@dataclass(frozen=True)
class Workbook:
    """An opened spreadsheet: its worksheets (chart sheets left out) and how to read its numbers."""

    filename: str
    format: SpreadsheetFormat
    sheets: tuple[Sheet, ...]
    epoch_1904: bool = False
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def visible_sheets(self) -> tuple[Sheet, ...]:
        """The worksheets the user can see, in workbook order."""
        return tuple(sheet for sheet in self.sheets if sheet.visible)

    def check(self) -> None:
        """Check every visible sheet within the limits now, rather than when its rows are read.

        For a workbook this measures each sheet's extent (python-calamine does
        not load it); for CSV it reads the records once.
        """
        for sheet in self.visible_sheets:
            sheet.check()

    def sheet(self, name: str) -> Sheet:
        """The worksheet called `name`, compared without case or surrounding spaces."""
        wanted = name.strip().casefold()
        for sheet in self.sheets:
            if sheet.name.strip().casefold() == wanted:
                return sheet
        raise SpreadsheetError(_("%(file)s has no sheet named %(sheet)s.", file=self.filename, sheet=name))


def open_workbook(source: Path | bytes, filename: str | None = None, *, limits: ReadLimits | None = None,
                  encoding: str | None = None) -> Workbook:
    """Open a spreadsheet from a path or the uploaded bytes; `filename` names it in messages.

    `encoding` is that of a CSV file when the user has chosen it (see
    crmproject.spreadsheets.encoding.encoding_choice); by default it is detected.

    Raises SpreadsheetError for an empty file, a file that is not a
    spreadsheet, a damaged or password-protected one, or a workbook without
    a visible worksheet; LimitExceeded (a SpreadsheetError) for one over
    `limits` (the defaults of ReadLimits when not given). A sheet's size is
    checked when its rows are first read, and its rows stop with
    LimitExceeded past the row, column and cell limits.
    """
    limits = limits or ReadLimits()
    data = source.read_bytes() if isinstance(source, Path) else source
    name = filename or (source.name if isinstance(source, Path) else _("The file"))
    if not data or data.isspace():
        raise SpreadsheetError(_("%(file)s is empty.", file=name))
    if not data.startswith(_ZIP_MAGIC + (_OLE2_MAGIC,)):
        _delimited.check_foreign(data, name)
        return _open_text(data, name, limits, encoding)
    checked = check_workbook(data, name, limits)
    if limits.probe_memory_bytes:
        # Every sheet python-calamine will load is measured first, so the guard's message names the limit; then
        # python-calamine reads the file in a child process with bounded memory, in case it reads it otherwise.
        checked.check_visible_sheets()
        probe_workbook(data, name, memory_bytes=limits.probe_memory_bytes, seconds=limits.probe_seconds)
    try:
        # from_filelike tries each format in turn and loses the reason (a password becomes
        # "Cannot detect file format"), hence the password checks in check_workbook.
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = book.sheets_metadata
    except CalamineError as exc:
        raise _damaged(name) from exc
    sheets = tuple(
        Sheet(
            entry.name,
            visible=entry.visible == SheetVisibleEnum.Visible,
            source=_CalamineSource(book, entry.name, name, checked.markup_reader(entry.name), limits,
                                   partial(checked.check_sheet, entry.name)),
        )
        for entry in metadata
        if entry.typ == SheetTypeEnum.WorkSheet
    )
    if not any(sheet.visible for sheet in sheets):
        raise SpreadsheetError(_("%(file)s has no visible worksheet.", file=name))
    return Workbook(filename=name, format=checked.format, sheets=sheets, epoch_1904=checked.epoch_1904)


@dataclass
class CheckedWorkbook:
    """A workbook file checked against the limits, ready for python-calamine to open.

    Every part python-calamine reads when it opens the file has been
    verified; an .xlsx worksheet is verified (inflated and measured) by
    `check_sheet` just before python-calamine loads it.
    """

    filename: str
    format: SpreadsheetFormat
    package: PackageGuard | None = None
    workbook_part: _xlsx.WorkbookPart | None = None

    @property
    def epoch_1904(self) -> bool:
        return self.workbook_part.epoch_1904 if self.workbook_part else False

    def check_visible_sheets(self) -> None:
        """check_sheet for every sheet the workbook part lists, hidden ones left out."""
        if self.workbook_part is not None:
            for sheet in self.workbook_part.sheet_parts:
                if sheet not in self.workbook_part.hidden_sheets:
                    self.check_sheet(sheet)

    def check_sheet(self, sheet: str) -> None:
        """Raise LimitExceeded or SpreadsheetError unless python-calamine may load this worksheet."""
        if self.package is None or self.format != "xlsx":
            return
        part = self.workbook_part.sheet_parts.get(sheet) if self.workbook_part else None
        if part is None or not self.package.has(part):
            self.package.verify_worksheets()  # python-calamine finds the part some other way: check them all
        else:
            self.package.verify(part, sheet=sheet, xlsx_sheet=True)

    def markup_reader(self, sheet: str) -> Callable[[], _xlsx.SheetMarkup]:
        part = self.workbook_part.sheet_parts.get(sheet) if self.workbook_part else None
        package = self.package
        if package is None or part is None or not package.has(part):
            return _xlsx.SheetMarkup
        return lambda: _xlsx.scan_sheet(package.read(part, whole_part=True))


def check_workbook(source: Path | bytes, filename: str, limits: ReadLimits) -> CheckedWorkbook:
    """Check a zip package (.xlsx, .xlsm, .xlsb, .ods) or a legacy .xls before python-calamine opens it.

    Raises SpreadsheetError for a file that is not a spreadsheet, a damaged
    or password-protected one, and LimitExceeded for one over `limits`.
    """
    if isinstance(source, Path):
        with source.open("rb") as handle:
            head = handle.read(len(_OLE2_MAGIC))
    else:
        head = source[: len(_OLE2_MAGIC)]
    if head.startswith(_OLE2_MAGIC):
        data = source.read_bytes() if isinstance(source, Path) else source
        if _ENCRYPTION_INFO in data or _XLS_FILEPASS.search(data):
            raise _password_protected(filename)
        measure = xls_measure(data, filename, limits.max_cells)
        _check_all(measure, filename, limits)
        if measure.data_bytes + measure.copied > limits.max_sheet_data_bytes:
            raise too_much_sheet_data(filename, limits)
        return CheckedWorkbook(filename, "xls")
    if not head.startswith(_ZIP_MAGIC):
        raise _not_a_spreadsheet(filename)
    try:
        return _check_package(PackageGuard(source, filename, limits), filename, limits)
    except (DefusedXmlException, zlib.error, ParseError, EOFError, KeyError, Malformed) as exc:
        raise _damaged(filename) from exc


def _check_package(package: PackageGuard, name: str, limits: ReadLimits) -> CheckedWorkbook:
    """A zip package: .xlsx/.xlsm/.xlsb or .ods, anything else (a .docx) is refused."""
    if package.has("mimetype"):
        if not package.read("mimetype").startswith(_OPENDOCUMENT_SPREADSHEET):
            raise _not_a_spreadsheet(name)
        if package.has(_ODF_MANIFEST) and b"encryption-data" in package.read(_ODF_MANIFEST):
            raise _password_protected(name)
        package.check_sizes({"content.xml": _("its part content.xml, which holds every sheet")})
        package.verify_parts()
        if package.has("content.xml"):  # python-calamine reads every sheet of an .ods when it opens it
            measure = ods_measure(package.chunks("content.xml"))
            _check_all(measure, name, limits)
            package.add_sheet_data(package.size("content.xml") + measure.copied)
        return CheckedWorkbook(name, "ods", package)
    part = _xlsx.workbook_part_name(package)
    if part is None:
        raise _not_a_spreadsheet(name)
    if part.endswith(".bin"):
        # which binary part holds which sheet is not read here: check them all now
        package.check_sizes()
        package.verify_shared_strings(binary=True)
        for member in package.names():
            package.verify(member, binary_sheet=member.endswith(".bin") and "/worksheets/" in member)
        return CheckedWorkbook(name, "xlsb", package)
    workbook_part = _xlsx.read_workbook_part(package, part)
    package.check_sizes({member: _("its sheet %(sheet)s (part %(part)s)", sheet=sheet, part=member)
                         for sheet, member in workbook_part.sheet_parts.items()})
    sheet_parts = set(workbook_part.sheet_parts.values())
    package.verify_parts(lambda member: member in sheet_parts or ("/worksheets/" in member and member.endswith(".xml"))
                         or is_shared_strings(member))
    package.verify_shared_strings()
    return CheckedWorkbook(name, "xlsx", package, workbook_part)


def _check_all(measure: BookMeasure, name: str, limits: ReadLimits) -> None:
    """Sheets python-calamine reads all at once (.ods, .xls): each, and all of them together, within the limits."""
    for extent in measure.extents:
        check_extent(extent, name, limits, name)
    if (sum(extent.rows * extent.columns for extent in measure.extents) > limits.max_cells
            or measure.declared_cells > limits.max_cells):
        raise too_many_cells(name, limits)


def _password_protected(name: str) -> SpreadsheetError:
    return SpreadsheetError(
        _("%(file)s is password-protected. Remove the password, save it and upload it again.", file=name)
    )


def _not_a_spreadsheet(name: str) -> SpreadsheetError:
    return SpreadsheetError(_("%(file)s is not a spreadsheet.", file=name))


_damaged = damaged


class _CalamineSource:
    """Rows from python-calamine, with error cells restored from the sheet XML where there is one."""

    def __init__(
        self, book: CalamineWorkbook, sheet_name: str, filename: str, read_markup: Callable[[], _xlsx.SheetMarkup],
        limits: ReadLimits, check: Callable[[], None],
    ) -> None:
        self._book = book
        self._sheet_name = sheet_name
        self._filename = filename
        self._read_markup = read_markup
        self._limits = limits
        self._check = check

    def check(self) -> None:
        self._check()

    @cached_property
    def _sheet(self) -> CalamineSheet:
        self._check()  # before python-calamine stores the sheet: its size is what this measures
        try:
            return self._book.get_sheet_by_name(self._sheet_name)
        except CalamineError as exc:
            raise SpreadsheetError(
                _(
                    "Sheet %(sheet)s of %(file)s is damaged and cannot be read.",
                    sheet=self._sheet_name,
                    file=self._filename,
                )
            ) from exc

    @cached_property
    def _markup(self) -> _xlsx.SheetMarkup:
        try:
            return self._read_markup()
        except (zlib.error, EOFError) as exc:
            raise _damaged(self._filename) from exc

    def rows(self) -> Iterator[Row]:
        sheet = self._sheet
        start = sheet.start
        if start is None:
            return
        # The checks before loading bound what is stored; these bound what is read, whatever the format.
        where = _("Sheet %(sheet)s of %(file)s", sheet=self._sheet_name, file=self._filename)
        limits = self._limits
        if sheet.height + start[0] > limits.max_rows:
            raise too_many_rows(self._filename, limits, where)
        if sheet.width + start[1] > limits.max_columns:
            raise too_many_columns(self._filename, limits, where)
        if (sheet.height + start[0]) * (sheet.width + start[1]) > limits.max_cells:
            raise too_many_cells(self._filename, limits, where)
        # python-calamine 0.9 iter_rows() yields the empty rows above the data but
        # starts each row at the first used column: pad the columns, count rows from 1.
        # tests/spreadsheets pin this against calamine_header-row.xlsx.
        padding: list[CellValue] = [None] * start[1]
        errors = self._markup.error_cells
        for number, values in enumerate(self._sheet.iter_rows(), start=1):
            cells: list[CellValue] = padding + [None if value == "" else value for value in values]
            for column, code in errors.get(number, {}).items():
                if column < len(cells):
                    cells[column] = ErrorCell(code)
            yield Row(number, cells)

    def layout(self) -> SheetLayout:
        merged = self._sheet.merged_cell_ranges or []
        return SheetLayout(
            hidden_rows=self._markup.hidden_rows,
            hidden_columns=self._markup.hidden_columns,
            merged_ranges=tuple(CellRange(top + 1, left, bottom + 1, right) for (top, left), (bottom, right) in merged),
        )


def _open_text(data: bytes, name: str, limits: ReadLimits, encoding: str | None = None) -> Workbook:
    """Delimited text; HTML or XML saved under a spreadsheet name is refused with a hint."""
    text, encoding = _delimited.decode(data, name, encoding)
    _delimited.check_text(text, name)
    delimiter, body = _delimited.split_separator_line(text)
    delimiter = delimiter or _delimited.detect_delimiter(body)
    sheet = Sheet(PurePath(name).stem or name, visible=True, source=_TextSource(body, delimiter, name, limits))
    return Workbook(filename=name, format="csv", sheets=(sheet,), encoding=encoding, delimiter=delimiter)


class _TextSource:
    def __init__(self, text: str, delimiter: str, filename: str, limits: ReadLimits) -> None:
        self._text = text
        self._delimiter = delimiter
        self._filename = filename
        self._limits = limits

    def check(self) -> None:
        for _row in self.rows():
            pass

    def rows(self) -> Iterator[Row]:
        number = 0
        try:
            for row in _delimited.iter_records(self._text, self._delimiter, self._limits, self._filename):
                number = row.number
                yield row
        except csv.Error as exc:
            too_long = _delimited.field_size_error(exc, self._filename, number, self._limits)
            if too_long is not None:
                raise too_long from None
            raise SpreadsheetError(
                _(
                    "%(file)s is not valid CSV after row %(row)s: look for a quotation mark that is never closed.",
                    file=self._filename,
                    row=number,
                )
            ) from exc

    def layout(self) -> SheetLayout:
        return SheetLayout()
