"""Reading a usage export: its tables (a CSV, or a workbook's visible sheets) and the header naming its columns.

A source yields rows as lists of cells, streamed: a CSV through a decoding
stream (never one big string), a worksheet through python-calamine. The
header is looked for in the first 30 rows of each table, in order; the first
with a user and a time (or date) column is the table imported.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Literal

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from crmproject.errors import DomainError
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.spreadsheets import (
    CheckedWorkbook, FieldSpec, HeaderMatch, ReadLimits, Row, check_workbook, find_header, open_workbook,
)
from crmproject.spreadsheets import _delimited
from crmproject.spreadsheets.encoding import describe, detect_stream_encoding
from crmproject.spreadsheets.limits import number as count_text

UsageFormat = Literal["auto", "csv", "xlsx"]

USAGE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("user", _l("User"), (
        "User name", "Username", "CRM user", "CRM user name", "User login", "Login name", "Login", "Changed By",
        "Modified By", "Performed by", "Actor", "User email", "Email", "Created By", "Done By", "Modified by user",
    )),
    # A user id where the export has one (Salesforce's USER_ID): the fallback when the user name is empty.
    FieldSpec("user_id", _l("User id"), (
        "USER_ID_DERIVED", "User ID", "UserId", "CRM user id", "Salesforce user id", "Done By ID", "Assigned user id",
    )),
    # Salesforce event logs give TIMESTAMP_DERIVED (ISO 8601, UTC) beside TIMESTAMP: the first is preferred.
    FieldSpec("time", _l("Time"), (
        "TIMESTAMP_DERIVED", "Timestamp", "Date time", "Datetime", "Date and time", "LoginTime", "Login Time",
        "Changed Date", "Changed On", "Created On", "CreatedDate", "Created Date", "Event time", "Occurred at",
        "Occurred", "When", "Modified On", "Access time", "Time stamp", "Date modified", "Login At", "Login timestamp",
        "Audited time",
    )),
    FieldSpec("date", _l("Date"), ("Event date", "Login Date", "Activity date", "Day")),
    FieldSpec("action", _l("Action"), (
        "Event", "Event type", "Event name", "Activity", "Activity type", "Operation", "Action type", "LoginType",
        "Login Type", "Type",
    )),
    # The first of these columns that is filled on a row is the event's object (Salesforce event types name the
    # entity, the Lightning page's entity or the URI in different columns).
    FieldSpec("object", _l("Object"), (
        "Entity", "ENTITY_NAME", "PAGE_ENTITY_TYPE", "ENTITY_TYPE", "Record type", "Object type", "Entity name",
        "Module", "Module name", "URI", "PAGE_URL", "ENTRY_POINT", "Record", "Record name", "Item summary", "Section",
    )),
    FieldSpec("status", _l("Status"), ("Login status", "Result", "Outcome", "Login succeeded")),
    # what kind of account (Salesforce USER_TYPE: Standard, AutomatedProcess...): service accounts are kept out
    FieldSpec("user_type", _l("User type"), ("USER_TYPE", "Account type")),
)
_USER_HINT = "User, Username, UserId, USER_ID, Changed By"
_TIME_HINT = "Timestamp, TIMESTAMP_DERIVED, Time, Date, LoginTime, Changed Date, Created On"

_TEXT_SAMPLE = 64 * 1024


class UsageImportFailed(DomainError):
    """The export was not imported; `reason` says why, for the user. Nothing was saved."""

    def __init__(self, reason: str, import_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.import_id = import_id


class Refused(Exception):
    """Raised inside an import; becomes UsageImportFailed once the import is marked FAILED."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- reading the file ----------------------------------------------------------------------------


class Source:
    """The rows of one table: lists of cells from column A, row 1 first (numbered as Excel shows them)."""

    sheet: str | None = None

    def rows(self, *, track: bool = True) -> Iterator[list]:
        """A fresh pass over the rows; `track` makes it the pass that fraction() follows."""
        raise NotImplementedError

    def fraction(self, row: int) -> float:
        """How much of the file has been read by row `row`, 0 to 1."""
        return 0.0

    def read_error(self, exc: Exception, row: int) -> Refused | None:
        """The message for an error raised while reading past `row`, None if it is not a reading error."""
        return None

    @property
    def epoch_1904(self) -> bool:
        return False

    def close(self) -> None:
        pass


def open_source(source: Path | bytes, filename: str, fmt: UsageFormat, limits: ReadLimits,
                 encoding: str | None = None) -> list[Source]:
    """The candidate tables of the file: the one table of a CSV, or the visible worksheets of a workbook."""
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
            with source.open("rb") as handle:
                head = handle.read(8)
        except OSError as exc:
            raise Refused(_("%(file)s cannot be read: %(error)s", file=filename, error=exc.strerror or exc)) from None
    else:
        size, head = len(source), source[:8]
    if size == 0:
        raise Refused(_("%(file)s is empty.", file=filename))
    is_package = head.startswith((b"PK\x03\x04", b"PK\x05\x06", bytes.fromhex("D0CF11E0A1B11AE1")))
    if fmt == "csv" and is_package:
        raise Refused(_("%(file)s is a workbook, not a CSV file: import it as xlsx (or let the format be detected).",
                         file=filename))
    if fmt == "xlsx" and not is_package:
        raise Refused(_("%(file)s is not an Excel workbook: import it as CSV (or let the format be detected).",
                         file=filename))
    if is_package:
        return _workbook_sources(source, filename, limits)
    return [DelimitedSource(source, size, filename, limits, encoding)]


class DelimitedSource(Source):
    """CSV (or ; tab | separated) text, decoded as a stream: the file is never one string in memory."""

    def __init__(self, source: Path | bytes, size: int, filename: str, limits: ReadLimits,
                 encoding: str | None = None) -> None:
        self._source = source
        self._size = size
        self._filename = filename
        self._limits = limits
        self._binary: IO[bytes] | None = None
        self._streams: list[io.TextIOWrapper] = []
        if encoding is None:
            with self._open_binary() as binary:
                encoding = detect_stream_encoding(binary)
        self.encoding = encoding
        with self._open_binary() as binary:
            # Records are counted line by line (for too many columns or characters) only where one could be long.
            self._guarded = _delimited.needs_record_guard(binary, limits.max_columns)
        with self._open_binary() as binary:
            head = binary.read(4 * _TEXT_SAMPLE)
        _delimited.check_foreign(head, filename)
        try:
            sample = codecs.getincrementaldecoder(encoding)().decode(head, final=False)[:_TEXT_SAMPLE]
        except UnicodeDecodeError as exc:
            raise _delimited.not_valid_text(head, exc, encoding, filename) from None
        _delimited.check_text(sample, filename)
        delimiter, body = _delimited.split_separator_line(sample)
        self._skip_separator_line = delimiter is not None
        self.delimiter = delimiter or _delimited.detect_delimiter(body)

    def _open_binary(self) -> IO[bytes]:
        return self._source.open("rb") if isinstance(self._source, Path) else io.BytesIO(self._source)

    def _open_text(self, *, track: bool) -> io.TextIOWrapper:
        binary = self._open_binary()
        if track:
            self._binary = binary
        return io.TextIOWrapper(binary, encoding=self.encoding, newline="")

    def rows(self, *, track: bool = True) -> Iterator[list]:
        stream = self._open_text(track=track)
        self._streams.append(stream)
        if self._skip_separator_line:
            stream.readline()
        _delimited.set_field_limit(self._limits)
        if self._guarded:
            # A record with more delimiters or characters than allowed is refused while csv reads it, before it
            # builds its list of fields (a quoted line break can spread millions of them over short lines).
            return _delimited.bounded_records(stream, self.delimiter, self._limits, self._filename)
        return csv.reader(stream, delimiter=self.delimiter)

    def fraction(self, row: int) -> float:
        binary = self._binary
        if binary is None or binary.closed or not self._size:
            return 0.0
        return min(1.0, binary.tell() / self._size)

    def read_error(self, exc: Exception, row: int) -> Refused | None:
        if isinstance(exc, csv.Error):
            too_long = _delimited.field_size_error(exc, self._filename, row, self._limits)
            if too_long is not None:
                return Refused(too_long.message)
            return Refused(_(
                "%(file)s is not valid CSV after row %(row)s: look for a quotation mark that is never closed.",
                file=self._filename, row=row))
        if isinstance(exc, UnicodeDecodeError):
            return Refused(_(
                "%(file)s is not valid %(encoding)s text after row %(row)s: it changes encoding part-way. Choose "
                "its encoding, or save it again as UTF-8 (in Excel: CSV UTF-8) and import the new copy.",
                file=self._filename, encoding=describe(self.encoding), row=count_text(row)))
        return None

    def close(self) -> None:
        for stream in self._streams:
            stream.close()
        self._streams.clear()


class WorkbookSource(Source):
    """One worksheet through python-calamine, which loads the sheet at once (about 280 MB for a million rows
    of four columns) and yields its rows as Python lists one by one. Empty and error cells read as ""."""

    def __init__(self, book: CalamineWorkbook, sheet: str, filename: str, checked: CheckedWorkbook) -> None:
        self._book: CalamineWorkbook | None = book  # None once closed
        self.sheet: str = sheet
        self._filename = filename
        self._checked = checked
        self._data: CalamineSheet | None = None

    def _load(self) -> CalamineSheet:
        if self._data is None:
            assert self._book is not None, "read after close"
            self._checked.check_sheet(self.sheet)  # its extent, before python-calamine stores it
            try:
                self._data = self._book.get_sheet_by_name(self.sheet)
            except CalamineError:
                raise Refused(_("Sheet %(sheet)s of %(file)s is damaged and cannot be read.",
                                 sheet=self.sheet, file=self._filename)) from None
        return self._data

    def rows(self, *, track: bool = True) -> Iterator[list]:
        data = self._load()
        start = data.start
        if start is None:
            return iter(())
        # python-calamine yields the empty rows above the data but starts each row at the first
        # used column (as crmproject.spreadsheets.reader notes): pad, and rows count from 1.
        if start[1]:
            padding = [None] * start[1]
            return (padding + values for values in data.iter_rows())
        return data.iter_rows()

    def fraction(self, row: int) -> float:
        data = self._data
        if data is None or not data.height:
            return 0.0
        return min(1.0, row / (data.height + (data.start or (0, 0))[0]))

    @property
    def epoch_1904(self) -> bool:
        return self._checked.epoch_1904

    def close(self) -> None:
        self._data = None
        self._book = None


def _workbook_sources(source: Path | bytes, filename: str, limits: ReadLimits) -> list[Source]:
    checked = check_workbook(source, filename, limits)  # sizes and extents, before python-calamine opens it
    try:
        book = (CalamineWorkbook.from_path(str(source)) if isinstance(source, Path)
                else CalamineWorkbook.from_filelike(io.BytesIO(source)))
        metadata = book.sheets_metadata
    except CalamineError:
        # The spreadsheet reader knows why (a password, damage, a Word document...): let it say so.
        open_workbook(source, filename, limits=limits)
        raise Refused(_("%(file)s is damaged or incomplete and cannot be read.", file=filename)) from None
    sources: list[Source] = [
        WorkbookSource(book, entry.name, filename, checked)
        for entry in metadata
        if entry.typ == SheetTypeEnum.WorkSheet and entry.visible == SheetVisibleEnum.Visible
    ]
    if not sources:
        raise Refused(_("%(file)s has no visible worksheet.", file=filename))
    return sources


# --- the header ----------------------------------------------------------------------------------


@dataclass
class Layout:
    """The table chosen: its source, header, the rows read while looking for it, and the rest to come."""

    source: Source
    header: HeaderMatch
    head: list[list]
    rest: Iterator[list]

    def column(self, key: str) -> int | None:
        return self.header.column(key)

    def header_text(self, key: str) -> str:
        column = self.header.column(key)
        return self.header.headers.get(column, "") if column is not None else ""

    def release(self) -> None:
        """Let go of the rows (a worksheet holds hundreds of megabytes) once they are read."""
        self.head = []
        self.rest = iter(())
        self.source.close()


def find_layout(sources: list[Source], filename: str) -> Layout:
    """The first table with a user and a time column; else a message naming what is missing."""
    try:
        return _first_layout(sources, filename)
    except BaseException:
        for source in sources:  # a file refused while its header is looked for: its streams are let go
            source.close()
        raise


def _first_layout(sources: list[Source], filename: str) -> Layout:
    first_missing: tuple[str, ...] | None = None
    first_sheet: str | None = None
    for source in sources:
        rows = source.rows()
        try:
            head = list(islice(rows, 30))
        except Exception as exc:
            refused = source.read_error(exc, 0)
            if refused is None:
                raise
            raise refused from None
        numbered = [Row(number, cells) for number, cells in enumerate(head, start=1)]
        header = find_header(numbered, USAGE_FIELDS)
        found = set(header.columns.values()) if header is not None else _named_alone(numbered)
        missing = tuple(key for key, needed in (("user", {"user", "user_id"}), ("time", {"time", "date"}))
                        if not found & needed)
        if header is not None and not missing:
            return Layout(source, header, head, rows)
        if first_missing is None:
            first_missing, first_sheet = missing, source.sheet
        source.close()
    assert first_missing is not None
    where = _("%(file)s, sheet %(sheet)s", file=filename, sheet=first_sheet) if len(sources) > 1 else filename
    if len(first_missing) == 2:
        raise Refused(_(
            "%(where)s has no user column and no time column in its first 30 rows: a usage export needs a header "
            "naming the user (such as %(users)s) and the time of each event (such as %(times)s).",
            where=where, users=_USER_HINT, times=_TIME_HINT))
    if first_missing == ("user",):
        raise Refused(_("%(where)s has no user column: a usage export needs one, named such as %(users)s.",
                         where=where, users=_USER_HINT))
    raise Refused(_("%(where)s has no time column: a usage export needs one, named such as %(times)s.",
                     where=where, times=_TIME_HINT))


def _named_alone(rows: list[Row]) -> set[str]:
    """The fields some row names, when no row names two of them at once."""
    return {spec.key for spec in USAGE_FIELDS if find_header(rows, (spec,)) is not None}

