"""Opening whatever spreadsheet a user uploads: .xlsx/.xlsm/.xlsb, .ods, legacy .xls or CSV.

The format is decided by the file's content, never by its name: users rename
files, and web apps export HTML with an .xls name. Every failure is a
`SpreadsheetError` whose message can be shown to the user as it is.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePath
from typing import Literal, Protocol
from xml.etree import ElementTree

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from crmproject.i18n import _

from . import _delimited, _xlsx
from .cells import CellRange, CellValue, ErrorCell, Row

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
_FOREIGN_MAGIC = ((b"%PDF-", "PDF"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"))


class SpreadsheetError(Exception):
    """A file that cannot be read as a spreadsheet; `message` is meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SheetLayout:
    """What the user sees but the values do not say: rows 1-based, columns 0-based."""

    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()
    merged_ranges: tuple[CellRange, ...] = ()


class _SheetSource(Protocol):
    def rows(self) -> Iterator[Row]: ...

    def layout(self) -> SheetLayout: ...


class Sheet:
    """One worksheet. Its rows are read when asked for, each time afresh."""

    def __init__(self, name: str, *, visible: bool, source: _SheetSource) -> None:
        self.name = name
        self.visible = visible
        self._source = source

    def __repr__(self) -> str:
        return f"Sheet({self.name!r}, visible={self.visible})"

    def rows(self) -> Iterator[Row]:
        """Every row from row 1 to the last used one, empty rows included, cells from column A."""
        return self._source.rows()

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

    def sheet(self, name: str) -> Sheet:
        """The worksheet called `name`, compared without case or surrounding spaces."""
        wanted = name.strip().casefold()
        for sheet in self.sheets:
            if sheet.name.strip().casefold() == wanted:
                return sheet
        raise SpreadsheetError(_("%(file)s has no sheet named %(sheet)s.", file=self.filename, sheet=name))


def open_workbook(source: Path | bytes, filename: str | None = None) -> Workbook:
    """Open a spreadsheet from a path or the uploaded bytes; `filename` names it in messages.

    Raises SpreadsheetError for an empty file, a file that is not a
    spreadsheet, a damaged or password-protected one, or a workbook without
    a visible worksheet.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    name = filename or (source.name if isinstance(source, Path) else _("The file"))
    if not data or data.isspace():
        raise SpreadsheetError(_("%(file)s is empty.", file=name))
    if data.startswith(_ZIP_MAGIC):
        return _open_package(data, name)
    if data.startswith(_OLE2_MAGIC):
        if _ENCRYPTION_INFO in data or _XLS_FILEPASS.search(data):
            raise _password_protected(name)
        return _open_with_calamine(data, name, "xls")
    for magic, kind in _FOREIGN_MAGIC:
        if data.startswith(magic):
            raise SpreadsheetError(_("%(file)s is not a spreadsheet: it is a %(kind)s file.", file=name, kind=kind))
    return _open_text(data, name)


def _password_protected(name: str) -> SpreadsheetError:
    return SpreadsheetError(
        _("%(file)s is password-protected. Remove the password, save it and upload it again.", file=name)
    )


def _not_a_spreadsheet(name: str) -> SpreadsheetError:
    return SpreadsheetError(_("%(file)s is not a spreadsheet.", file=name))


def _damaged(name: str) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "%(file)s is damaged or incomplete and cannot be read. "
            "Open it in Excel or LibreOffice, save it again and upload the new copy.",
            file=name,
        )
    )


def _open_package(data: bytes, name: str) -> Workbook:
    """A zip package: .xlsx/.xlsm/.xlsb or .ods, anything else (a .docx) is refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if "mimetype" in archive.NameToInfo:
            if not archive.read("mimetype").startswith(_OPENDOCUMENT_SPREADSHEET):
                raise _not_a_spreadsheet(name)
            if _ODF_MANIFEST in archive.NameToInfo and b"encryption-data" in archive.read(_ODF_MANIFEST):
                raise _password_protected(name)
            return _open_with_calamine(data, name, "ods")
        part = _xlsx.workbook_part_name(archive)
        if part is None:
            raise _not_a_spreadsheet(name)
        if part.endswith(".bin"):
            return _open_with_calamine(data, name, "xlsb")
        return _open_with_calamine(data, name, "xlsx", _xlsx.read_workbook_part(archive, part), archive)
    except (zipfile.BadZipFile, zlib.error, ElementTree.ParseError, EOFError) as exc:
        raise _damaged(name) from exc


def _open_with_calamine(
    data: bytes,
    name: str,
    spreadsheet_format: SpreadsheetFormat,
    workbook_part: _xlsx.WorkbookPart | None = None,
    archive: zipfile.ZipFile | None = None,
) -> Workbook:
    try:
        # from_filelike tries each format in turn and loses the reason (a password becomes
        # "Cannot detect file format"), hence the password checks before this call.
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = book.sheets_metadata
    except CalamineError as exc:
        raise _damaged(name) from exc
    sheets = tuple(
        Sheet(
            entry.name,
            visible=entry.visible == SheetVisibleEnum.Visible,
            source=_CalamineSource(book, entry.name, name, _markup_reader(archive, workbook_part, entry.name)),
        )
        for entry in metadata
        if entry.typ == SheetTypeEnum.WorkSheet
    )
    if not any(sheet.visible for sheet in sheets):
        raise SpreadsheetError(_("%(file)s has no visible worksheet.", file=name))
    epoch_1904 = workbook_part.epoch_1904 if workbook_part else False
    return Workbook(filename=name, format=spreadsheet_format, sheets=sheets, epoch_1904=epoch_1904)


def _markup_reader(
    archive: zipfile.ZipFile | None, workbook_part: _xlsx.WorkbookPart | None, sheet_name: str
) -> Callable[[], _xlsx.SheetMarkup]:
    part = workbook_part.sheet_parts.get(sheet_name) if workbook_part else None
    if archive is None or part is None or part not in archive.NameToInfo:
        return _xlsx.SheetMarkup
    return lambda: _xlsx.scan_sheet(archive.read(part))


class _CalamineSource:
    """Rows from python-calamine, with error cells restored from the sheet XML where there is one."""

    def __init__(
        self, book: CalamineWorkbook, sheet_name: str, filename: str, read_markup: Callable[[], _xlsx.SheetMarkup]
    ) -> None:
        self._book = book
        self._sheet_name = sheet_name
        self._filename = filename
        self._read_markup = read_markup

    @cached_property
    def _sheet(self) -> CalamineSheet:
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
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise _damaged(self._filename) from exc

    def rows(self) -> Iterator[Row]:
        start = self._sheet.start
        if start is None:
            return
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


def _open_text(data: bytes, name: str) -> Workbook:
    """Delimited text; HTML or XML saved under a spreadsheet name is refused with a hint."""
    text, encoding = _delimited.decode(data)
    if not text.strip(" \t\r\n\ufeff"):
        raise SpreadsheetError(_("%(file)s is empty.", file=name))
    if _delimited.looks_binary(text):
        raise _not_a_spreadsheet(name)
    if text.lstrip(" \t\r\n\ufeff").startswith("<"):
        raise SpreadsheetError(
            _(
                "%(file)s is a web page or XML file, not a spreadsheet. "
                "Open it in Excel or LibreOffice and save it as .xlsx or .csv.",
                file=name,
            )
        )
    delimiter, body = _delimited.split_separator_line(text)
    delimiter = delimiter or _delimited.detect_delimiter(body)
    sheet = Sheet(PurePath(name).stem or name, visible=True, source=_TextSource(body, delimiter, name))
    return Workbook(filename=name, format="csv", sheets=(sheet,), encoding=encoding, delimiter=delimiter)


class _TextSource:
    def __init__(self, text: str, delimiter: str, filename: str) -> None:
        self._text = text
        self._delimiter = delimiter
        self._filename = filename

    def rows(self) -> Iterator[Row]:
        number = 0
        try:
            for row in _delimited.iter_records(self._text, self._delimiter):
                number = row.number
                yield row
        except csv.Error as exc:
            raise SpreadsheetError(
                _(
                    "%(file)s is not valid CSV after row %(row)s: look for a quotation mark that is never closed.",
                    file=self._filename,
                    row=number,
                )
            ) from exc

    def layout(self) -> SheetLayout:
        return SheetLayout()
