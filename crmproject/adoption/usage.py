"""CRM usage exports: importing their events, and the daily adoption figures computed from them.

An export is any table with one row per event: at least a user name and a
time, optionally an action (login, create, update...) and an object (Account,
Opportunity...). Headers are recognised by name, as Salesforce's LoginHistory,
Dynamics 365's audit log or a hand-made CSV call them, in the first 30 rows
(a report's title block above is passed over, and one-cell notes below a gap,
such as a report's footer, end the table); a date and a time of day in two
columns are read together.

    record = import_usage(Path("LoginHistory.csv"), timezone="Europe/Moscow")

What an import guarantees:
  - all or nothing: every row is read and checked before anything is kept;
    any problem (an unreadable time, no user column...) leaves no event and
    marks the import FAILED with a message naming rows and columns;
  - nothing counted twice: events are unique on (user, time, action,
    object), so importing the same file again, or overlapping files, adds
    only what is new;
  - every user accounted for: events of user names the roster does not know
    are kept (and matched once it does) and listed with their counts;
  - failed sign-ins (a login row whose status or action says it failed) are
    not use: they are counted in the import's message, not stored.

How it stays fast for a million rows: rows are streamed (CSV through a
decoding stream, never one big string; workbooks through python-calamine,
which holds one sheet in compact Rust memory) into a staging table, then
moved into usage_events in one sorted INSERT ... SELECT ... ON CONFLICT DO
NOTHING. Employees are matched in Python from a dictionary; local days come
from one UTC offset per hour. benchmarks/usage_import.py measures it.

Time zones: a time with an offset (2026-03-01T23:30Z, +03:00) is converted to
UTC; a time without one is read in the import's time zone, and the event's
`day` is its date in that zone. A wall time that occurs twice when clocks go
back is taken at its first occurrence.

Departments: an event counts for the department its employee belonged to on
the event's day (EmployeeDepartment); before the first recorded stay, the
first department known (rosters often start after the usage data); with no
history at all, Employee.department_id.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import json
import math
import re
import time as clock_time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain, islice
from pathlib import Path
from typing import IO, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum
from sqlalchemy import Integer, String, bindparam, cast, func, select, text, type_coerce, update
from sqlalchemy.exc import OperationalError

from crmproject.adoption.models import AdoptionSnapshot, ImportState, SnapshotSource, UsageEvent, UsageImport
from crmproject.auth.models import User
from crmproject.departments.models import Department
from crmproject.errors import DomainError
from crmproject.db import driver_rows
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.roster.models import Employee, EmployeeDepartment, username_key
from crmproject.spreadsheets import (
    CellError, CheckedWorkbook, FieldSpec, HeaderMatch, ReadLimits, Row, SpreadsheetError, check_workbook,
    column_letter, find_header, is_blank, normalise_header, open_workbook, parse_date,
)
from crmproject.spreadsheets import _delimited
from crmproject.spreadsheets.encoding import describe, detect_stream_encoding
from crmproject.spreadsheets.limits import number as count_text
from crmproject.spreadsheets.limits import too_many_rows
from crmproject.spreadsheets.values import display

UsageFormat = Literal["auto", "csv", "xlsx"]
ProgressCallback = Callable[[int], None]

USAGE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("user", _l("User"), (
        "User name", "Username", "CRM user", "CRM user name", "User login", "Login name", "Login", "Changed By",
        "Modified By", "Performed by", "Actor", "User ID", "UserId", "User email", "Email", "Created By",
    )),
    FieldSpec("time", _l("Time"), (
        "Timestamp", "Date time", "Datetime", "Date and time", "LoginTime", "Login Time", "Changed Date",
        "Changed On", "Created On", "CreatedDate", "Created Date", "Event time", "Occurred at", "Occurred", "When",
        "Modified On", "Access time", "Time stamp",
    )),
    FieldSpec("date", _l("Date"), ("Event date", "Login Date", "Activity date", "Day")),
    FieldSpec("action", _l("Action"), (
        "Event", "Event type", "Event name", "Activity", "Activity type", "Operation", "Action type", "LoginType",
        "Login Type", "Type",
    )),
    FieldSpec("object", _l("Object"), (
        "Entity", "Record type", "Object type", "Entity name", "Record", "Section", "Module",
    )),
    FieldSpec("status", _l("Status"), ("Login status", "Result", "Outcome")),
)
_USER_HINT = "User, Username, UserId, Changed By"
_TIME_HINT = "Timestamp, Time, Date, LoginTime, Changed Date, Created On"
# A LoginHistory export: every row is a login, whatever its LoginType says.
_LOGIN_TIME_HEADERS = frozenset({"logintime", "login time", "login date", "login datetime", "login date time"})
_LOGIN = re.compile(r"\b(?:log(?:ged)?[\s_-]?(?:in|on)|sign(?:ed)?[\s_-]?(?:in|on)|user access)", re.IGNORECASE)
_FAILURE = re.compile(r"fail|invalid|denied|locked|blocked|error|refused", re.IGNORECASE)
_SUCCESS_WORDS = frozenset({"success", "succeeded", "successful", "ok", "yes", "true", "1", "passed"})

# Text times that datetime.fromisoformat does not read: a date as the spreadsheet reader reads it, a time, a zone.
_TEXT_TIME = re.compile(
    r"""(?P<date>.+?)
        (?:[\sT,]+(?P<clock>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s*(?:[ap]\.?\s?m\.?)?)
           \s*(?P<zone>z|(?:utc|gmt)?\s*[+-]\d{1,2}(?::?\d{2})?|utc|gmt)?)?""",
    re.IGNORECASE | re.VERBOSE,
)
_CLOCK = re.compile(
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?",
    re.IGNORECASE,
)
_OFFSET = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?$")
# The common case, read without building a datetime: naive "2026-03-01 23:30:00" (or with a T).
_NAIVE_ISO = re.compile(r"(\d{4}-\d\d-\d\d[ T][0-2]\d):[0-5]\d:[0-5]\d", re.ASCII)
_MINUTE_SECOND = tuple(f":{minute:02d}:{second:02d}" for minute in range(60) for second in range(60))

BATCH_ROWS = 20_000
MAX_LISTED_PROBLEMS = 10
_PROGRESS_INTERVAL = 0.3  # seconds between progress writes
_READ_SHARE = 80  # percent of the bar for reading and checking rows; the rest is saving and recomputing
_TEXT_SAMPLE = 64 * 1024
_CACHE_LIMIT = 50_000  # distinct objects remembered; user names are always remembered (they are counted)
_STAGING_COLUMNS = "username_key, employee_id, department_id, occurred_at, day, action, object, is_login"
_REBUILT_INDEXES = frozenset({"ix_usage_events_employee_day"})
_SQLITE_ROWS_PER_INSERT = 2_000  # 16,000 parameters per statement: far fewer round trips than executemany


class UsageImportFailed(DomainError):
    """The export was not imported; `reason` says why, for the user. Nothing was saved."""

    def __init__(self, reason: str, import_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.import_id = import_id


class _Refused(Exception):
    """Raised inside an import; becomes UsageImportFailed once the import is marked FAILED."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- public API ---------------------------------------------------------------------------------


def resolve_timezone(name: str) -> ZoneInfo:
    """The IANA time zone called `name`; UsageImportFailed with a clear message for an unknown one."""
    try:
        return ZoneInfo((name or "").strip())
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise UsageImportFailed(
            _("'%(zone)s' is not a time zone: use an IANA name such as Europe/Moscow, America/New_York or UTC.",
              zone=name)
        ) from None


def default_timezone() -> str:
    """The time zone of the newest plan (naive times in exports are read in it), else UTC."""
    from crmproject.plans.models import Plan

    zone = db.session.scalar(select(Plan.timezone).order_by(Plan.created_at.desc(), Plan.id.desc()).limit(1))
    return zone or "UTC"


def create_usage_import(*, filename: str, timezone: str, imported_by_id: int | None = None) -> UsageImport:
    """A RUNNING import record (flushed, not committed): what a progress page polls."""
    resolve_timezone(timezone)
    record = UsageImport(
        filename=(filename or "usage")[:300], timezone=timezone.strip(), imported_by_id=imported_by_id,
        state=ImportState.RUNNING, progress=0, unknown_usernames="{}", message="",
    )
    db.session.add(record)
    db.session.flush()
    return record


def import_usage(
    source: Path | bytes,
    filename: str | None = None,
    *,
    fmt: UsageFormat = "auto",
    timezone: str,
    imported_by: User | None = None,
    progress: ProgressCallback | None = None,
    day_first: bool | None = None,
    limits: ReadLimits | None = None,
    encoding: str | None = None,
) -> UsageImport:
    """Import a usage export (CSV or a workbook) and recompute adoption for the days it touches.

    Commits: first the RUNNING import record, then the events, the adoption
    snapshots and the finished record in one transaction. Raises
    UsageImportFailed (after recording the import as FAILED with the
    reason) when the file cannot be imported; then no event is kept.
    `day_first` decides how 05/03/2026 reads; by default the file's own
    dates decide (13/03/2026 proves day-first), and a date that stays
    ambiguous is reported. `progress` is called with percents. The file is
    read within `limits` (by default the configured USAGE_IMPORT_* and
    SPREADSHEET_* ones); one over them fails with a message naming the limit.
    `encoding` is a CSV file's encoding when the user chose it (detected
    otherwise); the import's message says which was used.
    """
    name = filename or (source.name if isinstance(source, Path) else "usage")
    record = create_usage_import(
        filename=name, timezone=timezone, imported_by_id=imported_by.id if imported_by is not None else None
    )
    db.session.commit()
    return run_usage_import(record.id, source, fmt=fmt, progress=progress, day_first=day_first, limits=limits,
                            encoding=encoding)


def run_usage_import(
    import_id: int,
    source: Path | bytes,
    *,
    fmt: UsageFormat = "auto",
    progress: ProgressCallback | None = None,
    day_first: bool | None = None,
    limits: ReadLimits | None = None,
    encoding: str | None = None,
) -> UsageImport:
    """Carry out the import recorded as `import_id` (see import_usage); what the background job runs."""
    if limits is None:
        from crmproject.uploads import read_limits

        limits = read_limits(usage=True)
    record = db.session.get(UsageImport, import_id)
    if record is None:
        raise UsageImportFailed(_("There is no usage import %(id)s.", id=import_id))
    filename, zone_name = record.filename, record.timezone
    reporter = _ProgressReporter(import_id, progress)
    db.session.commit()  # no transaction may stay open: the import's own must start from a fresh snapshot
    try:
        zone = resolve_timezone(zone_name)
        outcome = _Importer(import_id, source, filename, fmt, zone, reporter, day_first, limits, encoding).run()
    except (_Refused, UsageImportFailed) as exc:
        _record_failure(import_id, exc.reason)
        raise UsageImportFailed(exc.reason, import_id) from None
    except SpreadsheetError as exc:
        _record_failure(import_id, exc.message)
        raise UsageImportFailed(exc.message, import_id) from None
    except Exception:
        _record_failure(import_id, _("The import stopped because of an internal error; nothing was saved. "
                                     "Tell an administrator."))
        raise
    reporter.report(100, force=True, write=False)
    return outcome


def usage_import_summary(record: UsageImport) -> dict:
    """What an import did, for --json and the status endpoint."""
    unknown = json.loads(record.unknown_usernames or "{}")
    departments: list[str] = []
    if record.state == ImportState.DONE and record.events_added:
        departments = list(db.session.scalars(
            select(Department.name).where(Department.id.in_(
                select(UsageEvent.department_id).where(UsageEvent.import_id == record.id).distinct()
            )).order_by(Department.name)
        ))
    days = (record.last_day - record.first_day).days + 1 if record.first_day and record.last_day else 0
    return {
        "id": record.id,
        "file": record.filename,
        "state": record.state.value,
        "state_label": str(record.state.label),
        "progress": record.progress,
        "message": record.message,
        "timezone": record.timezone,
        "rows_read": record.rows_read,
        "events_added": record.events_added,
        "duplicates": record.duplicates,
        "unknown_events": record.unknown_events,
        "unknown_users": dict(sorted(unknown.items(), key=lambda item: (-item[1], item[0]))),
        "first_day": record.first_day.isoformat() if record.first_day else None,
        "last_day": record.last_day.isoformat() if record.last_day else None,
        "days_covered": days,
        "departments_updated": departments,
    }


def adoption_rate(snapshot: AdoptionSnapshot) -> Decimal | None:
    """Adoption in percent (one decimal): users active in the 28 days up to the day / licensed seats.

    Where no 28-day figure is known (a hand-entered day), that day's active
    users stand in, as adoption.services.adoption_percent does. None
    without licensed seats.
    """
    active = snapshot.monthly_active_users if snapshot.monthly_active_users is not None else snapshot.active_users
    return _percent(active, snapshot.licensed_seats)


def daily_adoption_rate(snapshot: AdoptionSnapshot) -> Decimal | None:
    """Daily active users / licensed seats in percent (one decimal); None without licensed seats."""
    return _percent(snapshot.active_users, snapshot.licensed_seats)


def events_per_active_user(snapshot: AdoptionSnapshot) -> Decimal | None:
    """Events / active users that day (one decimal): how much those who use the CRM use it; None if nobody did."""
    if not snapshot.active_users or snapshot.events is None:
        return None
    return (Decimal(snapshot.events) / snapshot.active_users).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _percent(part: int | None, whole: int | None) -> Decimal | None:
    if not whole or part is None:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- progress and failure -------------------------------------------------------------------------


class _ProgressReporter:
    """Tells the callback, and writes progress to the import record in short transactions of its own.

    The writes stop once the import holds SQLite's write lock (`writable`
    False): from then on only the callback hears about progress.
    """

    def __init__(self, import_id: int, callback: ProgressCallback | None) -> None:
        self.import_id = import_id
        self.callback = callback
        self.percent = -1
        self.written_at = 0.0
        self.writable = True

    def report(self, percent: int, rows_read: int | None = None, *, force: bool = False, write: bool = True) -> None:
        percent = max(0, min(100, percent))
        if percent == self.percent and not force:
            return
        if self.callback is not None:
            self.callback(percent)
        self.percent = percent
        now = clock_time.monotonic()
        if write and self.writable and (force or now - self.written_at >= _PROGRESS_INTERVAL):
            self.written_at = now
            values: dict[str, int] = {"progress": percent}
            if rows_read is not None:
                values["rows_read"] = rows_read
            try:
                with db.engine.begin() as connection:
                    connection.execute(update(UsageImport).where(UsageImport.id == self.import_id).values(**values))
            except OperationalError:
                # Progress is a courtesy: while another import holds SQLite's write lock it waits for the next try.
                current_app.logger.info("usage import %s: progress not recorded (database busy)", self.import_id)


def _record_failure(import_id: int, reason: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(UsageImport).where(UsageImport.id == import_id).values(
            state=ImportState.FAILED, message=reason, events_added=0, duplicates=0, unknown_events=0,
            unknown_usernames="{}",
        )
    )
    db.session.commit()


# --- reading the file ----------------------------------------------------------------------------


class _Source:
    """The rows of one table: lists of cells from column A, row 1 first (numbered as Excel shows them)."""

    sheet: str | None = None

    def rows(self, *, track: bool = True) -> Iterator[list]:
        """A fresh pass over the rows; `track` makes it the pass that fraction() follows."""
        raise NotImplementedError

    def fraction(self, row: int) -> float:
        """How much of the file has been read by row `row`, 0 to 1."""
        return 0.0

    def read_error(self, exc: Exception, row: int) -> _Refused | None:
        """The message for an error raised while reading past `row`, None if it is not a reading error."""
        return None

    @property
    def epoch_1904(self) -> bool:
        return False

    def close(self) -> None:
        pass


def _open_source(source: Path | bytes, filename: str, fmt: UsageFormat, limits: ReadLimits,
                 encoding: str | None = None) -> list[_Source]:
    """The candidate tables of the file: the one table of a CSV, or the visible worksheets of a workbook."""
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
            with source.open("rb") as handle:
                head = handle.read(8)
        except OSError as exc:
            raise _Refused(_("%(file)s cannot be read: %(error)s", file=filename, error=exc.strerror or exc)) from None
    else:
        size, head = len(source), source[:8]
    if size == 0:
        raise _Refused(_("%(file)s is empty.", file=filename))
    is_package = head.startswith((b"PK\x03\x04", b"PK\x05\x06", bytes.fromhex("D0CF11E0A1B11AE1")))
    if fmt == "csv" and is_package:
        raise _Refused(_("%(file)s is a workbook, not a CSV file: import it as xlsx (or let the format be detected).",
                         file=filename))
    if fmt == "xlsx" and not is_package:
        raise _Refused(_("%(file)s is not an Excel workbook: import it as CSV (or let the format be detected).",
                         file=filename))
    if is_package:
        return _workbook_sources(source, filename, limits)
    return [_DelimitedSource(source, size, filename, limits, encoding)]


class _DelimitedSource(_Source):
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

    def read_error(self, exc: Exception, row: int) -> _Refused | None:
        if isinstance(exc, csv.Error):
            too_long = _delimited.field_size_error(exc, self._filename, row, self._limits)
            if too_long is not None:
                return _Refused(too_long.message)
            return _Refused(_(
                "%(file)s is not valid CSV after row %(row)s: look for a quotation mark that is never closed.",
                file=self._filename, row=row))
        if isinstance(exc, UnicodeDecodeError):
            return _Refused(_(
                "%(file)s is not valid %(encoding)s text after row %(row)s: it changes encoding part-way. Choose "
                "its encoding, or save it again as UTF-8 (in Excel: CSV UTF-8) and import the new copy.",
                file=self._filename, encoding=describe(self.encoding), row=count_text(row)))
        return None

    def close(self) -> None:
        for stream in self._streams:
            stream.close()
        self._streams.clear()


class _WorkbookSource(_Source):
    """One worksheet through python-calamine, which loads the sheet at once (about 280 MB for a million rows
    of four columns) and yields its rows as Python lists one by one. Empty and error cells read as ""."""

    def __init__(self, book: CalamineWorkbook, sheet: str, filename: str, checked: CheckedWorkbook) -> None:
        self._book = book
        self.sheet = sheet
        self._filename = filename
        self._checked = checked
        self._data: CalamineSheet | None = None

    def _load(self) -> CalamineSheet:
        if self._data is None:
            self._checked.check_sheet(self.sheet)  # its extent, before python-calamine stores it
            try:
                self._data = self._book.get_sheet_by_name(self.sheet)
            except CalamineError:
                raise _Refused(_("Sheet %(sheet)s of %(file)s is damaged and cannot be read.",
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


def _workbook_sources(source: Path | bytes, filename: str, limits: ReadLimits) -> list[_Source]:
    checked = check_workbook(source, filename, limits)  # sizes and extents, before python-calamine opens it
    try:
        book = (CalamineWorkbook.from_path(str(source)) if isinstance(source, Path)
                else CalamineWorkbook.from_filelike(io.BytesIO(source)))
        metadata = book.sheets_metadata
    except CalamineError:
        # The spreadsheet reader knows why (a password, damage, a Word document...): let it say so.
        open_workbook(source, filename, limits=limits)
        raise _Refused(_("%(file)s is damaged or incomplete and cannot be read.", file=filename)) from None
    sources: list[_Source] = [
        _WorkbookSource(book, entry.name, filename, checked)
        for entry in metadata
        if entry.typ == SheetTypeEnum.WorkSheet and entry.visible == SheetVisibleEnum.Visible
    ]
    if not sources:
        raise _Refused(_("%(file)s has no visible worksheet.", file=filename))
    return sources


# --- the header ----------------------------------------------------------------------------------


@dataclass
class _Layout:
    """The table chosen: its source, header, the rows read while looking for it, and the rest to come."""

    source: _Source
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


def _find_layout(sources: list[_Source], filename: str) -> _Layout:
    """The first table with a user and a time column; else a message naming what is missing."""
    try:
        return _first_layout(sources, filename)
    except BaseException:
        for source in sources:  # a file refused while its header is looked for: its streams are let go
            source.close()
        raise


def _first_layout(sources: list[_Source], filename: str) -> _Layout:
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
        missing = tuple(key for key, needed in (("user", {"user"}), ("time", {"time", "date"})) if not found & needed)
        if header is not None and not missing:
            return _Layout(source, header, head, rows)
        if first_missing is None:
            first_missing, first_sheet = missing, source.sheet
        source.close()
    assert first_missing is not None
    where = _("%(file)s, sheet %(sheet)s", file=filename, sheet=first_sheet) if len(sources) > 1 else filename
    if len(first_missing) == 2:
        raise _Refused(_(
            "%(where)s has no user column and no time column in its first 30 rows: a usage export needs a header "
            "naming the user (such as %(users)s) and the time of each event (such as %(times)s).",
            where=where, users=_USER_HINT, times=_TIME_HINT))
    if first_missing == ("user",):
        raise _Refused(_("%(where)s has no user column: a usage export needs one, named such as %(users)s.",
                         where=where, users=_USER_HINT))
    raise _Refused(_("%(where)s has no time column: a usage export needs one, named such as %(times)s.",
                     where=where, times=_TIME_HINT))


def _named_alone(rows: list[Row]) -> set[str]:
    """The fields some row names, when no row names two of them at once."""
    return {spec.key for spec in USAGE_FIELDS if find_header(rows, (spec,)) is not None}


# --- times --------------------------------------------------------------------------------------


class _BadTime(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _Clock:
    """Reads time cells into (UTC timestamp as the database stores it, local day as text, local day).

    The zone is asked once per hour of wall time (and again for each time in
    an hour where its offset changes). Within an hour whose offset is a
    whole number of hours, a time becomes text by joining the hour's UTC
    prefix to its minutes and seconds: datetime.isoformat costs five times
    as much, and it runs a million times. `local_hours` and `text_hours` are
    read directly by the import loop for the same reason.
    """

    def __init__(self, zone: ZoneInfo, *, postgresql: bool, day_first: bool | None, epoch_1904: Callable[[], bool]):
        self.zone = zone
        self.day_first = day_first
        self._epoch_1904 = epoch_1904
        self.suffix = "+00:00" if postgresql else ""
        self.whole_second = ".000000" + self.suffix
        # local hour (ordinal * 24 + hour) -> (UTC "YYYY-MM-DD HH" or None, day text, day, offset or None)
        self.local_hours: dict[int, tuple[str | None, str, date, timedelta | None]] = {}
        # local "YYYY-MM-DD HH" of naive ISO text -> (UTC "YYYY-MM-DD HH", day text, day)
        self.text_hours: dict[str, tuple[str, str, date]] = {}
        self._utc_hours: dict[int, tuple[str | None, str, date, timedelta | None]] = {}

    def stamp(self, prefix: str, moment: datetime) -> str:
        """The stored text of `moment`, whose UTC hour is `prefix`."""
        microsecond = moment.microsecond
        if microsecond:
            return f"{prefix}{_MINUTE_SECOND[moment.minute * 60 + moment.second]}.{microsecond:06d}{self.suffix}"
        return prefix + _MINUTE_SECOND[moment.minute * 60 + moment.second] + self.whole_second

    def read(self, value: object) -> tuple[str, str, date]:
        kind = type(value)
        if kind is str:
            stripped = value.strip()  # type: ignore[attr-defined]
            try:
                moment = datetime.fromisoformat(stripped)
            except ValueError:
                moment = self._parse_text(stripped)
        elif kind is datetime:
            moment = value  # type: ignore[assignment]
        elif kind is date:
            moment = datetime(value.year, value.month, value.day)  # type: ignore[attr-defined]
        elif kind is int or kind is float:
            moment = self._from_serial(value)  # type: ignore[arg-type]
        else:
            raise _BadTime(_("'%(value)s' is not a date and time", value=display(value)))  # type: ignore[arg-type]
        offset = moment.utcoffset()
        if offset is None:
            key = moment.toordinal() * 24 + moment.hour
            hour = self.local_hours.get(key)
            if hour is None:
                hour = self.local_hours[key] = self._hour(moment, local=True)
            prefix, day_text, day, hour_offset = hour
            if prefix is not None:
                if kind is str and (match := _NAIVE_ISO.fullmatch(stripped)) is not None:
                    self.text_hours[match[1]] = (prefix, day_text, day)
                return self.stamp(prefix, moment), day_text, day
            # the offset changes within this hour, or is not whole hours: ask for this very time
            utc = moment - (hour_offset if hour_offset is not None else moment.replace(tzinfo=self.zone).utcoffset())
            day = moment.date()
        else:
            utc = (moment - offset).replace(tzinfo=None)
            key = utc.toordinal() * 24 + utc.hour
            hour = self._utc_hours.get(key)
            if hour is None:
                hour = self._utc_hours[key] = self._hour(utc, local=False)
            prefix, day_text, day, hour_offset = hour
            if prefix is not None:
                return self.stamp(prefix, utc), day_text, day
            day = (utc + (hour_offset if hour_offset is not None else
                          utc.replace(tzinfo=UTC).astimezone(self.zone).utcoffset())).date()
        if not 1900 <= utc.year <= 9998:
            raise _BadTime(_("'%(value)s' is not a plausible date and time", value=display(value)))  # type: ignore[arg-type]
        return utc.isoformat(" ", "microseconds") + self.suffix, day.isoformat(), day

    def _hour(self, moment: datetime, *, local: bool) -> tuple[str | None, str, date, timedelta | None]:
        """What holds for the whole hour of `moment` (local or UTC wall time): (UTC prefix, day text, day,
        offset). The prefix is None when the offset changes in the hour or is not whole hours; the offset is
        None when it changes in the hour."""
        offset = self._steady_offset(moment, local=local)
        start = moment.replace(minute=0, second=0, microsecond=0)
        if offset is None:
            day = moment.date()
            return None, day.isoformat(), day, None
        utc_start = start - offset if local else start
        day = (start if local else start + offset).date()
        if offset % timedelta(hours=1) or not 1900 <= utc_start.year <= 9998:
            return None, day.isoformat(), day, offset
        return utc_start.isoformat(" ", "hours"), day.isoformat(), day, offset

    def _steady_offset(self, moment: datetime, *, local: bool) -> timedelta | None:
        """The zone's offset through the hour of `moment` (a local or a UTC wall time); None if it changes in it."""
        start = moment.replace(minute=0, second=0, microsecond=0, tzinfo=None)
        end = start + timedelta(minutes=59, seconds=59)
        if local:
            first, last = (t.replace(tzinfo=self.zone).utcoffset() for t in (start, end))
        else:
            first, last = (t.replace(tzinfo=UTC).astimezone(self.zone).utcoffset() for t in (start, end))
        return first if first == last else None

    def _from_serial(self, serial: float) -> datetime:
        """An Excel serial date and time: days since 1900 (or 1904), the fraction being the time of day."""
        if not math.isfinite(serial) or not 1 <= serial < 2958466:
            raise _BadTime(_("%(value)s is not a date and time", value=display(serial)))
        whole = int(serial)
        try:
            day = parse_date(whole, epoch_1904=self._epoch_1904())
        except CellError as exc:
            raise _BadTime(exc.message) from None
        assert day is not None
        return datetime(day.year, day.month, day.day) + timedelta(milliseconds=round((serial - whole) * 86_400_000))

    def _parse_text(self, value: str) -> datetime:
        """Dates as the spreadsheet reader reads them (05.03.2026, 3/5/2026, 5 Mar 2026), a time, a zone."""
        if not value:
            raise _BadTime(_("the date and time is empty"))
        match = _TEXT_TIME.fullmatch(value)
        if match is None:
            raise _BadTime(_("'%(value)s' is not a date and time", value=value))
        day = self.read_date(match["date"], value)
        moment = datetime(day.year, day.month, day.day)
        if match["clock"]:
            moment = datetime.combine(day, _time_of_day(match["clock"], value))
        zone = (match["zone"] or "").strip().casefold()
        if zone:
            offset = _OFFSET.search(zone)
            if offset is None:  # Z, UTC, GMT
                return moment.replace(tzinfo=UTC)
            minutes = int(offset[2]) * 60 + int(offset[3] or 0)
            if minutes > 18 * 60:
                raise _BadTime(_("'%(value)s' has an impossible time zone offset", value=value))
            return moment.replace(tzinfo=timezone(timedelta(minutes=-minutes if offset[1] == "-" else minutes)))
        return moment

    def read_date(self, raw: object, whole: object) -> date:
        """The date of a date cell or text; `whole` is what the error message quotes."""
        if type(raw) is datetime:
            return raw.date()  # type: ignore[attr-defined]
        try:
            day = parse_date(raw, day_first=self.day_first, epoch_1904=self._epoch_1904())  # type: ignore[arg-type]
        except CellError as exc:
            if exc.kind == "ambiguous_date":
                raise _BadTime(exc.message) from None
            raise _BadTime(_("'%(value)s' is not a date and time", value=display(whole))) from None  # type: ignore[arg-type]
        if day is None:
            raise _BadTime(_("the date and time is empty"))
        return day

    def combine(self, raw_date: object, raw_clock: object) -> datetime:
        """A date column and a time-of-day column read together."""
        day = self.read_date(raw_date, raw_date)
        if type(raw_clock) is time:
            return datetime.combine(day, raw_clock)  # type: ignore[arg-type]
        if type(raw_clock) is timedelta and raw_clock < timedelta(days=1):  # type: ignore[operator]
            return datetime(day.year, day.month, day.day) + raw_clock  # type: ignore[operator]
        if type(raw_clock) is float and 0 <= raw_clock < 1:  # type: ignore[operator]
            return datetime(day.year, day.month, day.day) + timedelta(milliseconds=round(raw_clock * 86_400_000))  # type: ignore[operator]
        if type(raw_clock) is datetime:
            return datetime.combine(day, raw_clock.time())  # type: ignore[attr-defined]
        return datetime.combine(day, _time_of_day(str(raw_clock).strip(), raw_clock))


def _time_of_day(text_value: str, whole: object) -> time:
    match = _CLOCK.fullmatch(text_value)
    if match is None:
        raise _BadTime(_("'%(value)s' is not a time of day", value=display(whole)))  # type: ignore[arg-type]
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    microsecond = int((match["fraction"] or "0")[:6].ljust(6, "0"))
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise _BadTime(_("'%(value)s' is not a time of day", value=display(whole)))  # type: ignore[arg-type]
        hour = hour % 12 + (12 if match["ampm"][0] in "pP" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _BadTime(_("'%(value)s' is not a time of day", value=display(whole)))  # type: ignore[arg-type]
    return time(hour, minute, second, microsecond)


def _is_time_of_day(value: object) -> bool:
    if type(value) in (time, timedelta):
        return True
    if type(value) is float:
        return 0 <= value < 1  # type: ignore[operator]
    return isinstance(value, str) and _CLOCK.fullmatch(value.strip()) is not None


def _infer_day_first(source: _Source, column: int) -> bool | None:
    """Whether numeric text dates in `column` put the day first: the first proof in the file decides.

    Read only when the first time is text that is not ISO; ISO files pay nothing.
    """
    pattern = re.compile(r"\s*(\d{1,2})([/-])(\d{1,2})\2\d{2,4}\b")
    try:
        for cells in source.rows(track=False):
            value = cells[column] if column < len(cells) else None
            if type(value) is not str or (match := pattern.match(value)) is None:
                continue
            first, second = int(match[1]), int(match[3])
            if first > 12 >= second:
                return True
            if second > 12 >= first:
                return False
    except (csv.Error, UnicodeDecodeError):
        return None  # the reading pass says where
    return None


# --- the roster ----------------------------------------------------------------------------------


class _Person:
    """An employee as the import needs them: id, and the department on a day."""

    __slots__ = ("employee_id", "department_id", "stays")

    def __init__(self, employee_id: int, department_id: int | None, stays: tuple = ()) -> None:
        self.employee_id = employee_id
        self.department_id = department_id  # the department on every day, when `stays` is empty
        self.stays = stays  # ((valid_from, valid_to, department_id), ...), newest first

    def department_on(self, day: date) -> int | None:
        """The stay covering `day` (the newest, if two do); before the first stay its department; else none."""
        if not self.stays:
            return self.department_id
        for valid_from, valid_to, department_id in self.stays:
            if valid_from <= day and (valid_to is None or day <= valid_to):
                return department_id
        if day < self.stays[-1][0]:
            return self.stays[-1][2]
        return None


def _load_roster() -> dict[str, _Person]:
    """Employees by CRM user name key, with their department history."""
    stays: dict[int, list[tuple[date, date | None, int]]] = {}
    for employee_id, department_id, valid_from, valid_to in db.session.execute(
        select(EmployeeDepartment.employee_id, EmployeeDepartment.department_id, EmployeeDepartment.valid_from,
               EmployeeDepartment.valid_to).order_by(EmployeeDepartment.valid_from.desc(), EmployeeDepartment.id.desc())
    ):
        stays.setdefault(employee_id, []).append((valid_from, valid_to, department_id))
    people: dict[str, _Person] = {}
    for employee_id, key, department_id in db.session.execute(
        select(Employee.id, Employee.crm_username_key, Employee.department_id).where(
            Employee.crm_username_key.is_not(None))
    ):
        history = tuple(stays.get(employee_id, ()))
        if not history:
            people[key] = _Person(employee_id, department_id)
        elif len(history) == 1 and history[0][1] is None:
            people[key] = _Person(employee_id, history[0][2])  # one open stay: that department on every day
        else:
            people[key] = _Person(employee_id, None, history)
    return people


# --- the import ----------------------------------------------------------------------------------


@dataclass
class _Problems:
    """Row problems, the first few kept in full."""

    count: int = 0
    rows: set[int] = field(default_factory=set)
    listed: list[str] = field(default_factory=list)

    def add(self, row: int, column: int | None, header: str, problem: str) -> None:
        self.count += 1
        self.rows.add(row)
        if len(self.listed) < MAX_LISTED_PROBLEMS:
            if column is None:
                self.listed.append(_("Row %(row)s: %(problem)s", row=row, problem=problem))
            else:
                self.listed.append(_("Row %(row)s, column %(column)s (%(header)s): %(problem)s",
                                     row=row, column=column_letter(column), header=header, problem=problem))


@dataclass
class _StageStats:
    rows: int = 0  # rows staged (events, before duplicates are dropped)
    failed_logins: int = 0
    unknown: Counter = field(default_factory=Counter)
    spellings: dict[str, str] = field(default_factory=dict)
    problems: _Problems = field(default_factory=_Problems)
    footer_row: int | None = None  # where notes below the table begin


class _Importer:
    def __init__(self, import_id: int, source: Path | bytes, filename: str, fmt: UsageFormat, zone: ZoneInfo,
                 reporter: _ProgressReporter, day_first: bool | None, limits: ReadLimits,
                 encoding: str | None = None) -> None:
        self.import_id = import_id
        self.source = source
        self.filename = filename
        self.fmt = fmt
        self.zone = zone
        self.reporter = reporter
        self.day_first = day_first
        self.limits = limits
        self.encoding = encoding
        self.postgresql = db.engine.dialect.name == "postgresql"

    def run(self) -> UsageImport:
        with _cyclic_gc_paused():
            return self._run()

    def _run(self) -> UsageImport:
        layout = _find_layout(_open_source(self.source, self.filename, self.fmt, self.limits, self.encoding),
                              self.filename)
        try:
            people = _load_roster()
            db.session.commit()  # end the read: on SQLite the write transaction must start from a fresh snapshot
        except BaseException:
            layout.release()
            raise
        staging = _Staging(db.session.connection(), postgresql=self.postgresql)
        try:
            try:
                stats = self._stage(layout, people, staging)
            finally:
                layout.release()  # before the database needs the memory
            record = self._save(stats, staging, people, layout)
        finally:
            # before the commit or the rollback: the connection must not go back to the pool with its staging table
            staging.drop()
        db.session.commit()
        return record

    def _save(self, stats: _StageStats, staging: _Staging, people: dict[str, _Person], layout: _Layout) -> UsageImport:
        """Refuse a file with problems, else move the staged rows over and recompute adoption (flushed)."""
        if stats.problems.count:
            raise _Refused(self._problems_text(stats.problems, layout))
        if stats.rows == 0 and not stats.failed_logins:
            raise _Refused(_("%(file)s has a header but no events below it.", file=self.filename))
        rows_read = stats.rows + stats.failed_logins
        self.reporter.report(_READ_SHARE, rows_read, force=True)
        self.reporter.writable = self.postgresql  # SQLite: from here the import holds the write lock
        if stats.rows:
            added, first_day, last_day = staging.publish(self.import_id, stats.rows)
        else:
            added, first_day, last_day = 0, None, None
        self.reporter.report(_READ_SHARE + 10, write=False)
        rematched, rematched_first, rematched_last = rematch_unknown_events()
        if added or rematched:
            _recompute_span(first_day, last_day, rematched_first, rematched_last)
        record = db.session.get(UsageImport, self.import_id)
        assert record is not None
        record.state = ImportState.DONE
        record.progress = 100
        record.rows_read = rows_read
        record.events_added = added
        record.duplicates = stats.rows - added
        record.unknown_events = sum(stats.unknown.values())
        record.unknown_usernames = json.dumps(
            {stats.spellings[key]: count for key, count in stats.unknown.most_common()}, ensure_ascii=False)
        record.first_day, record.last_day = first_day, last_day
        record.message = self._notes(stats, rematched, people, layout.source)
        db.session.flush()
        return record

    def _notes(self, stats: _StageStats, rematched: int, people: dict[str, _Person], source: _Source) -> str:
        notes = []
        if isinstance(source, _DelimitedSource):
            # A wrong guess shows as garbled user names: the message says what the file was read as.
            notes.append(_("The file was read as %(encoding)s text (as chosen).", encoding=describe(source.encoding))
                         if self.encoding else
                         _("The file was read as %(encoding)s text (detected; choose another encoding if names "
                           "look garbled).", encoding=describe(source.encoding)))
        if stats.failed_logins:
            notes.append(_("%(n)s failed sign-ins were not counted as use.", n=stats.failed_logins))
        if stats.unknown:
            notes.append(_("%(n)s events belong to %(users)s CRM user names that no employee has: they are kept, "
                           "and count once the roster gives these names to people.",
                           n=sum(stats.unknown.values()), users=len(stats.unknown)))
            if not people:
                notes.append(_("The roster has no CRM user names yet: import the employees first."))
        if rematched:
            notes.append(_("%(n)s events imported earlier now matched employees.", n=rematched))
        if stats.footer_row is not None:
            notes.append(_("The table ends at row %(row)s: what follows (a note below it) was not read.",
                           row=stats.footer_row))
        return " ".join(notes)

    def _problems_text(self, problems: _Problems, layout: _Layout) -> str:
        if len(problems.rows) == 1:
            lines = [_("Nothing was imported: a row of %(file)s has a problem.", file=self.filename)]
        else:
            lines = [_("Nothing was imported: %(n)s rows of %(file)s have problems.", n=len(problems.rows),
                       file=self.filename)]
        if layout.source.sheet is not None:
            lines.append(_("Sheet %(sheet)s:", sheet=layout.source.sheet))
        lines.extend(problems.listed)
        if problems.count > len(problems.listed):
            lines.append(_("... and %(n)s more.", n=problems.count - len(problems.listed)))
        return "\n".join(lines)

    def _stage(self, layout: _Layout, people: dict[str, _Person], staging: _Staging) -> _StageStats:
        """Read, check and match every row into the staging table; nothing reaches usage_events here.

        This loop is the import's hot path (a million rows): its lookups are
        local names, and what repeats (user names, actions, hours) is cached.
        """
        header = layout.header
        user_column = header.column("user")
        time_column = header.column("time")
        date_column = header.column("date")
        action_column = header.column("action")
        object_column = header.column("object")
        status_column = header.column("status")
        assert user_column is not None and (time_column is not None or date_column is not None)
        user_header = layout.header_text("user")
        head = layout.head[header.row:]  # the rows read with the header, below it

        # A date column and a time-of-day column are read together; a lone date column holds the times.
        combined = False
        if time_column is not None and date_column is not None:
            first = next((r[time_column] for r in head if time_column < len(r) and not is_blank(r[time_column])), None)
            combined = _is_time_of_day(first)
        elif time_column is None:
            time_column = date_column
        assert time_column is not None
        time_header = layout.header_text("time") if time_column == header.column("time") else layout.header_text("date")
        date_header = layout.header_text("date")
        every_row_a_login = bool(
            {normalise_header(layout.header_text("time")), normalise_header(layout.header_text("date"))}
            & _LOGIN_TIME_HEADERS)
        width = 1 + max(c for c in (user_column, time_column, date_column, action_column, object_column,
                                    status_column) if c is not None)

        day_first = self.day_first
        date_source_column = date_column if combined else time_column
        if day_first is None and date_source_column is not None:
            first_date = next((r[date_source_column] for r in head
                               if date_source_column < len(r) and not is_blank(r[date_source_column])), None)
            if isinstance(first_date, str):
                try:
                    datetime.fromisoformat(first_date.strip())
                except ValueError:
                    day_first = _infer_day_first(layout.source, date_source_column)
        source = layout.source
        clock = _Clock(self.zone, postgresql=self.postgresql, day_first=day_first,
                       epoch_1904=lambda: source.epoch_1904)
        read_time = clock.read
        text_hours = clock.text_hours
        local_hours = clock.local_hours
        naive_iso = _NAIVE_ISO.fullmatch
        minute_second = _MINUTE_SECOND
        whole_second = clock.whole_second
        repeated_header = normalise_header(time_header)

        stats = _StageStats()
        problems = stats.problems
        users: dict[object, tuple[str, _Person | None]] = {}
        actions: dict[object, tuple[str, bool, bool]] = {}
        statuses: dict[object, bool] = {}
        objects: dict[object, str] = {"": "", None: ""}
        unknown = stats.unknown
        spellings = stats.spellings
        batch: list[tuple] = []
        append = batch.append
        write = staging.write
        report = self.reporter.report

        max_rows = self.limits.max_rows
        where = (_("Sheet %(sheet)s of %(file)s", sheet=source.sheet, file=self.filename) if source.sheet
                 else self.filename)
        number = header.row
        after_blank = False
        footer_row: int | None = None
        rows: Iterable[list] = chain(head, layout.rest)
        try:
            for number, cells in enumerate(rows, start=header.row + 1):  # noqa: B007 - number is read after the loop
                if number > max_rows:
                    raise too_many_rows(self.filename, self.limits, where)
                try:
                    raw_user = cells[user_column]
                    raw_time = cells[time_column]
                    raw_action = cells[action_column] if action_column is not None else None
                    raw_object = cells[object_column] if object_column is not None else None
                except IndexError:
                    cells = list(cells) + [None] * width
                    raw_user = cells[user_column]
                    raw_time = cells[time_column]
                    raw_action = cells[action_column] if action_column is not None else None
                    raw_object = cells[object_column] if object_column is not None else None
                if combined:
                    raw_date = cells[date_column] if date_column < len(cells) else None  # type: ignore[operator]
                    if is_blank(raw_date) != is_blank(raw_time):
                        if is_blank(raw_date):
                            problems.add(number, date_column, date_header, _("the date is empty"))
                        else:
                            problems.add(number, time_column, time_header, _("the time is empty"))
                        continue
                    if not is_blank(raw_date):
                        try:
                            raw_time = clock.combine(raw_date, raw_time)
                        except _BadTime as exc:
                            problems.add(number, time_column, time_header, exc.problem)
                            continue
                if not raw_user or not raw_time:
                    if is_blank(raw_user) or is_blank(raw_time):
                        filled = sum(not is_blank(value) for value in cells)
                        if not filled:
                            after_blank = True
                            continue
                        if footer_row is not None or (after_blank and filled == 1):
                            # Below a gap, rows of one cell: a report's footer ("Confidential Information",
                            # "Generated By ..."), as Salesforce report exports end. Not events; the message
                            # says where they begin. Should an event follow, they were not a footer after all.
                            footer_row = footer_row or number
                            continue
                        if is_blank(raw_user):
                            problems.add(number, user_column, user_header, _("the user name is empty"))
                        if is_blank(raw_time):
                            problems.add(number, time_column, time_header, _("the date and time is empty"))
                        continue
                if footer_row is not None:
                    problems.add(footer_row, None, "", _("a note between the events, with no user name or no time"))
                    footer_row = None
                after_blank = False
                user = users.get(raw_user)
                if user is None:
                    spelled = raw_user.strip() if type(raw_user) is str else display(raw_user)
                    key = username_key(spelled)[:200]
                    if not key:
                        problems.add(number, user_column, user_header, _("the user name is empty"))
                        continue
                    user = users[raw_user] = (key, people.get(key))
                    if user[1] is None:
                        spellings.setdefault(key, spelled)
                if (type(raw_time) is str and (match := naive_iso(raw_time)) is not None
                        and (text_hour := text_hours.get(match[1])) is not None):
                    occurred_at = text_hour[0] + raw_time[13:] + whole_second
                    day_text = text_hour[1]
                    day = text_hour[2]
                elif (type(raw_time) is datetime and raw_time.tzinfo is None and not raw_time.microsecond
                        and (hour := local_hours.get(raw_time.toordinal() * 24 + raw_time.hour)) is not None
                        and hour[0] is not None):
                    occurred_at = hour[0] + minute_second[raw_time.minute * 60 + raw_time.second] + whole_second
                    day_text = hour[1]
                    day = hour[2]
                else:
                    try:
                        occurred_at, day_text, day = read_time(raw_time)
                    except _BadTime as exc:
                        if type(raw_time) is str and normalise_header(raw_time) == repeated_header:
                            continue  # the header again, as when exports are pasted one below another
                        problems.add(number, time_column, time_header, exc.problem)
                        continue
                action = actions.get(raw_action)
                if action is None:
                    action = actions[raw_action] = _action(raw_action, every_row_a_login)
                if action[1]:  # a login: did it succeed?
                    failed = action[2]
                    if status_column is not None and not failed:
                        raw_status = cells[status_column] if status_column < len(cells) else None
                        succeeded = statuses.get(raw_status)
                        if succeeded is None:
                            succeeded = statuses[raw_status] = _succeeded(raw_status)
                        failed = not succeeded
                    if failed:
                        stats.failed_logins += 1
                        continue
                object_text = objects.get(raw_object)
                if object_text is None:
                    object_text = (raw_object.strip() if type(raw_object) is str else display(raw_object))[:200]
                    if len(objects) < _CACHE_LIMIT:
                        objects[raw_object] = object_text
                key, person = user
                if person is None:
                    unknown[key] += 1
                    append((key, None, None, occurred_at, day_text, action[0], object_text, action[1]))
                else:
                    append((key, person.employee_id,
                            person.department_id if not person.stays else person.department_on(day),
                            occurred_at, day_text, action[0], object_text, action[1]))
                if len(batch) >= BATCH_ROWS:
                    if not problems.count:  # a file with problems is refused: keep checking, stop staging
                        write(batch)
                        stats.rows += len(batch)
                    batch.clear()
                    report(int(_READ_SHARE * source.fraction(number)), stats.rows)
        except (csv.Error, UnicodeDecodeError) as exc:
            refused = source.read_error(exc, number)
            if refused is None:
                raise
            raise refused from None
        if batch and not problems.count:
            write(batch)
            stats.rows += len(batch)
        stats.footer_row = footer_row
        return stats


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: a million rows allocate millions of tuples and lists, none in a
    cycle, and the collector's passes over them cost a sixth of the loop's time (measured). Reference counting
    still frees everything; the collector resumes afterwards (unless something else had paused it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # type: ignore[arg-type]


def _action(raw: object, every_row_a_login: bool) -> tuple[str, bool, bool]:
    """(action text, is it a login, did the login fail)."""
    action = "" if raw is None else (raw.strip() if isinstance(raw, str) else display(raw))  # type: ignore[arg-type]
    is_login = every_row_a_login or _LOGIN.search(action) is not None
    failed = is_login and _FAILURE.search(action) is not None
    return action[:100], is_login, failed


def _succeeded(raw: object) -> bool:
    if is_blank(raw):  # type: ignore[arg-type]
        return True
    status = display(raw).strip().casefold()  # type: ignore[arg-type]
    return status in _SUCCESS_WORDS or status.startswith("success")


# --- staging and publishing -----------------------------------------------------------------------


class _Staging:
    """A temporary table on the import's own connection: rows land here, then move over in one statement.

    On SQLite it lives in the temp database, so staging takes no lock on the
    main one (progress can still be committed by another connection); the
    move into usage_events is sorted on the unique key, which keeps that
    index's inserts in order. PostgreSQL receives the rows through COPY.
    """

    def __init__(self, connection, *, postgresql: bool) -> None:
        self.postgresql = postgresql
        self._copy_context = None
        self._copy = None
        self._restore: list[str] = []
        self._statements: dict[int, str] = {}
        self._cursor = connection.connection.driver_connection.cursor()
        if postgresql:
            self._cursor.execute(
                "CREATE TEMPORARY TABLE usage_staging (username_key varchar(200), employee_id integer, "
                "department_id integer, occurred_at timestamptz, day date, action varchar(100), "
                "object varchar(200), is_login boolean) ON COMMIT DROP"
            )
        else:
            # A bigger page cache (64 MB) keeps the indexes of usage_events in memory while a million rows
            # go in (128 MB measured no faster); a long wait for the write lock lets two imports queue.
            for pragma, value in (("cache_size", "-65536"), ("busy_timeout", "60000")):
                previous = self._cursor.execute(f"PRAGMA {pragma}").fetchone()[0]
                self._cursor.execute(f"PRAGMA {pragma} = {value}")
                self._restore.append(f"PRAGMA {pragma} = {int(previous)}")
            self._cursor.execute("DROP TABLE IF EXISTS temp.usage_staging")
            self._cursor.execute(f"CREATE TEMPORARY TABLE usage_staging ({_STAGING_COLUMNS})")

    def write(self, rows: list[tuple]) -> None:
        if self.postgresql:
            if self._copy is None:
                self._copy_context = self._cursor.copy(f"COPY usage_staging ({_STAGING_COLUMNS}) FROM STDIN")
                self._copy = self._copy_context.__enter__()
            write_row = self._copy.write_row
            for row in rows:
                write_row(row)
            return
        step = _SQLITE_ROWS_PER_INSERT
        for start in range(0, len(rows), step):
            part = rows[start:start + step]
            statement = self._statements.get(len(part))
            if statement is None:
                statement = self._statements[len(part)] = (
                    "INSERT INTO temp.usage_staging VALUES " + ",".join(["(?,?,?,?,?,?,?,?)"] * len(part)))
            self._cursor.execute(statement, list(chain.from_iterable(part)))

    def _finish_copy(self, *, failed: bool = False) -> None:
        context, self._copy_context, self._copy = self._copy_context, None, None
        if context is None:
            return
        if not failed:
            context.__exit__(None, None, None)
            return
        try:
            context.__exit__(_Refused, _Refused(""), None)
        except Exception:  # noqa: BLE001 - the transaction is rolled back anyway
            pass

    def publish(self, import_id: int, staged: int) -> tuple[int, date, date]:
        """Move the staged rows into usage_events, skipping those already there: (added, first day, last day).

        On SQLite, when the import is at least as big as the table, the
        index whose inserts land at random places (employee and day) is
        dropped and built again afterwards, inside the transaction: building
        an index from sorted keys is several times cheaper than a million
        random inserts (measured). Other connections never see the table
        without them; on PostgreSQL this would lock readers out, so it is not done.
        """
        self._finish_copy()
        first, last = db.session.execute(text("SELECT min(day), max(day) FROM usage_staging")).one()
        connection = db.session.connection()
        rebuilt = []
        if not self.postgresql:
            existing = db.session.scalar(select(func.max(UsageEvent.id))) or 0  # the rowid: no scan
            if staged >= existing:
                rebuilt = [index for index in UsageEvent.__table__.indexes if index.name in _REBUILT_INDEXES]
                for index in rebuilt:
                    index.drop(bind=connection)
        result = db.session.execute(
            text(
                f"INSERT INTO usage_events ({_STAGING_COLUMNS}, import_id) "
                f"SELECT {_STAGING_COLUMNS}, :import_id FROM usage_staging WHERE true "
                "ORDER BY username_key, occurred_at ON CONFLICT DO NOTHING"
            ),
            {"import_id": import_id},
        )
        for index in rebuilt:
            index.create(bind=connection)
        return result.rowcount, _as_date(first), _as_date(last)

    def drop(self) -> None:
        """Drop the staging table and restore the connection's settings, inside the transaction."""
        try:
            if self.postgresql:
                self._finish_copy(failed=True)  # ON COMMIT DROP; a rollback drops it too
            else:
                self._cursor.execute("DROP TABLE IF EXISTS temp.usage_staging")
                for statement in self._restore:
                    self._cursor.execute(statement)
        finally:
            self._cursor.close()


# --- events imported before their users were known --------------------------------------------------


def rematch_unknown_events() -> tuple[int, date | None, date | None]:
    """Give the events of once-unknown user names to the employees the roster now has under those names.

    Returns (events matched, first day, last day), so those days can be
    recomputed. Flushes, does not commit.
    """
    found = db.session.execute(
        select(UsageEvent.id, UsageEvent.username_key, UsageEvent.day)
        .join(Employee, Employee.crm_username_key == UsageEvent.username_key)
        .where(UsageEvent.employee_id.is_(None))
    ).all()
    if not found:
        return 0, None, None
    people = _load_roster()
    table = UsageEvent.__table__
    db.session.execute(
        table.update().where(table.c.id == bindparam("event_id")).values(
            employee_id=bindparam("new_employee_id"), department_id=bindparam("new_department_id")),
        [{"event_id": event_id, "new_employee_id": people[key].employee_id,
          "new_department_id": people[key].department_on(day)} for event_id, key, day in found],
    )
    days = [day for _id, _key, day in found]
    return len(found), min(days), max(days)


def refresh_after_roster_change(moved_employee_ids: Iterable[int] = ()) -> int:
    """After the roster changed: count the usage already imported as the roster now says.

    Events of user names that were unknown go to the employees who now have
    those names; the events of `moved_employee_ids` go to the department
    each belonged to on the event's day (a move may be dated in the past);
    the adoption of the days touched, and of the 27 after them that have
    figures, is recomputed. Returns the number of events changed. Flushes,
    does not commit.
    """
    rematched, first, last = rematch_unknown_events()
    moved, moved_first, moved_last = _reattribute(sorted(set(moved_employee_ids)))
    if rematched or moved:
        _recompute_span(first, last, moved_first, moved_last)
    return rematched + moved


def _reattribute(employee_ids: list[int]) -> tuple[int, date | None, date | None]:
    """Set the department of these employees' events to the one they belonged to that day."""
    if not employee_ids:
        return 0, None, None
    people = {person.employee_id: person for person in _load_roster().values()}
    events = UsageEvent.__table__
    changes: list[dict] = []
    days: list[date] = []
    for start in range(0, len(employee_ids), 500):
        for event_id, employee_id, day, department_id in db.session.execute(
            select(events.c.id, events.c.employee_id, events.c.day, events.c.department_id)
            .where(events.c.employee_id.in_(employee_ids[start:start + 500]))
        ):
            person = people.get(employee_id)
            if person is None:  # no CRM user name any more: the events stay where they were counted
                continue
            department_id_then = person.department_on(day)
            if department_id_then != department_id:
                changes.append({"event_id": event_id, "new_department_id": department_id_then})
                days.append(day)
    if not changes:
        return 0, None, None
    db.session.execute(
        events.update().where(events.c.id == bindparam("event_id")).values(department_id=bindparam("new_department_id")),
        changes,
    )
    return len(changes), min(days), max(days)


def _recompute_span(*days: date | None) -> None:
    """Recompute adoption from the first to the last of `days` (those given)."""
    span = [day for day in days if day is not None]
    first, last = min(span), max(span)
    # The 7- and 28-day figures of the 27 days after the last one see these events too: recompute
    # those that have figures already (from a later export), without making up days to come.
    later = db.session.scalar(select(func.max(AdoptionSnapshot.day)).where(
        AdoptionSnapshot.day > last, AdoptionSnapshot.day <= last + timedelta(days=27)))
    recompute_snapshots(first, _as_date(later) if later is not None else last)


# --- adoption snapshots --------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotUpdate:
    """What recompute_snapshots wrote."""

    first_day: date
    last_day: date
    department_ids: tuple[int, ...]
    rows: int


def recompute_snapshots(first_day: date, last_day: date) -> SnapshotUpdate:
    """Daily adoption per department from the usage events, for every day from first_day to last_day.

    Per department and day: active users (distinct employees with an event
    that day, counted in the department they belonged to that day), logins,
    events, and the distinct users active in the 7 and the 28 days ending
    that day; licensed seats from the department. Every department with an
    event in the range, or in the 27 days before it (which its 28-day
    figures see), gets a row for every day of the range, zeros included.

    Computed rows replace computed rows. A row entered by hand stays, unless
    the department has usage events that day: then the computed figures
    replace its counts (its hand-entered data quality figures are kept).

    How: SQL groups the events into activity days (department, employee,
    day, events, logins): one pass over the range's events. Read in
    employee and day order, an employee active on day d counts in the 7-day
    figure from d until d+6 or their next active day, whichever comes
    first; so each activity day adds +1 where its run starts and -1 where it
    ends, and a running sum per department gives the distinct count. No
    join over the window, linear in the activity days.
    Flushes, does not commit.
    """
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    events = UsageEvent.__table__
    window_start = first_day - timedelta(days=27)
    base = window_start.toordinal()
    size = (last_day - window_start).days + 1
    activity = (
        select(events.c.employee_id, type_coerce(events.c.day, String), events.c.department_id, func.count(),
               func.sum(cast(events.c.is_login, Integer)))
        .where(events.c.day >= window_start, events.c.day <= last_day,
               events.c.department_id.is_not(None), events.c.employee_id.is_not(None))
        # the same order for grouping and sorting: SQLite sorts once (the index gives employee and day)
        .group_by(events.c.employee_id, events.c.day, events.c.department_id)
        .order_by(events.c.employee_id, events.c.day, events.c.department_id)
    )
    # per department: active, events, logins, change of the 7-day and of the 28-day count (index: day - base)
    figures: dict[int, tuple[list[int], list[int], list[int], list[int], list[int]]] = {}
    day_index: dict[object, int] = {}
    last_active: dict[int, int] = {}  # this employee's last active day in each department
    employee = None

    def close_runs() -> None:
        for department_id, previous in last_active.items():
            arrays = figures[department_id]
            arrays[3][min(previous + 7, size)] -= 1
            arrays[4][min(previous + 28, size)] -= 1
        last_active.clear()

    for employee_id, day, department_id, count, logins in driver_rows(activity, name="usage_activity"):
        if employee_id != employee:
            close_runs()
            employee = employee_id
        index = day_index.get(day)
        if index is None:
            index = day_index[day] = _as_date(day).toordinal() - base
        arrays = figures.get(department_id)
        if arrays is None:
            arrays = figures[department_id] = ([0] * size, [0] * size, [0] * size, [0] * (size + 1), [0] * (size + 1))
        arrays[0][index] += 1
        arrays[1][index] += count
        arrays[2][index] += logins or 0
        previous = last_active.get(department_id)
        if previous is not None:
            arrays[3][min(previous + 7, index)] -= 1
            arrays[4][min(previous + 28, index)] -= 1
        arrays[3][index] += 1
        arrays[4][index] += 1
        last_active[department_id] = index
    close_runs()
    return _write_snapshots(first_day, last_day, base, figures)


def _write_snapshots(first_day: date, last_day: date, base: int,
                     figures: dict[int, tuple[list[int], list[int], list[int], list[int], list[int]]]) -> SnapshotUpdate:
    """Insert or update a computed row per department and day; computed rows no longer produced go.

    Updates only the computed columns, so figures entered by hand on a day
    (records created, data quality) stay when usage takes the day over.
    """
    snapshots = AdoptionSnapshot.__table__
    hand_entered = (snapshots.c.records_created, snapshots.c.required_fields_share, snapshots.c.duplicate_share)
    existing: dict[tuple[int, date], tuple[int, SnapshotSource, bool]] = {}
    for snapshot_id, department_id, day, source, *hand in db.session.execute(
        select(snapshots.c.id, snapshots.c.department_id, snapshots.c.day, snapshots.c.source, *hand_entered)
        .where(snapshots.c.day >= first_day, snapshots.c.day <= last_day)
    ):
        existing[(department_id, day)] = (snapshot_id, source, any(value is not None for value in hand))
    seats = {department_id: licensed for department_id, licensed in db.session.execute(
        select(Department.id, Department.licensed_seats).where(Department.id.in_(list(figures))))}
    inserts: list[dict] = []
    updates: list[dict] = []
    produced: set[int] = set()
    first_index = first_day.toordinal() - base
    for department_id, (active, count, logins, weekly_change, monthly_change) in figures.items():
        weekly = monthly = 0
        for index in range(len(active)):
            weekly += weekly_change[index]
            monthly += monthly_change[index]
            if index < first_index:
                continue
            day = date.fromordinal(base + index)
            row = {
                "department_id": department_id, "day": day, "licensed_seats": seats.get(department_id, 0),
                "active_users": active[index], "weekly_active_users": weekly, "monthly_active_users": monthly,
                "logins": logins[index], "events": count[index], "source": SnapshotSource.USAGE,
            }
            found = existing.get((department_id, day))
            if found is None:
                inserts.append(row)
            elif found[1] == SnapshotSource.USAGE or count[index]:  # a hand-entered day stays unless used that day
                produced.add(found[0])
                updates.append({**row, "snapshot_id": found[0]})
    stale = [snapshot_id for snapshot_id, source, hand in existing.values()
             if source == SnapshotSource.USAGE and snapshot_id not in produced and not hand]
    if stale:
        db.session.execute(snapshots.delete().where(snapshots.c.id.in_(stale)))
    if inserts:
        db.session.execute(snapshots.insert(), inserts)
    if updates:
        db.session.execute(
            snapshots.update().where(snapshots.c.id == bindparam("snapshot_id")).values(
                {name: bindparam(name) for name in (
                    "licensed_seats", "active_users", "weekly_active_users", "monthly_active_users", "logins",
                    "events", "source")}),
            updates,
        )
    db.session.flush()
    return SnapshotUpdate(first_day, last_day, tuple(sorted(figures)), len(inserts) + len(updates))
