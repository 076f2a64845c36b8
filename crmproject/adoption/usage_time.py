"""Times in usage exports: text, workbook dates and Excel serials, read into UTC and the local day.

A time with an offset (2026-03-01T23:30Z, +03:00) is converted to UTC; a
time without one is read in the import's time zone, and the event's day is
its date in that zone. A wall time that occurs twice when clocks go back is
taken at its first occurrence. Dates in text read as the spreadsheet reader
reads them (crmproject.spreadsheets.parse_date), in the order
crmproject.spreadsheets.infer_day_first finds in the column.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from crmproject.i18n import _
from crmproject.spreadsheets import CellError, infer_day_first, parse_date
from crmproject.spreadsheets.values import display

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
NAIVE_ISO = re.compile(r"(\d{4}-\d\d-\d\d[ T][0-2]\d):[0-5]\d:[0-5]\d", re.ASCII)
# Salesforce event logs' TIMESTAMP: 20231218054831.655 (in GMT, as Salesforce documents it).
_COMPACT = re.compile(r"(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d{1,6}))?")
MINUTE_SECOND = tuple(f":{minute:02d}:{second:02d}" for minute in range(60) for second in range(60))

class BadTime(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class Clock:
    """Reads time cells into (UTC timestamp as the database stores it, local day as text, local day).

    The zone is asked once per hour of wall time (and again for each time in
    an hour where its offset changes). Within an hour whose offset is a
    whole number of hours, a time becomes text by joining the hour's UTC
    prefix to its minutes and seconds: datetime.isoformat costs five times
    as much, and it runs a million times. `local_hours` and `text_hours` are
    read directly by the import loop for the same reason.
    """

    def __init__(self, zone: ZoneInfo, *, postgresql: bool, day_first: bool | None, epoch_1904: Callable[[], bool],
                 compact_utc: bool = False):
        self.zone = zone
        self.compact_utc = compact_utc  # 20231218054831.655 is UTC (a Salesforce event log); else local
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
            return f"{prefix}{MINUTE_SECOND[moment.minute * 60 + moment.second]}.{microsecond:06d}{self.suffix}"
        return prefix + MINUTE_SECOND[moment.minute * 60 + moment.second] + self.whole_second

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
            raise BadTime(_("'%(value)s' is not a date and time", value=display(value)))  # type: ignore[arg-type]
        offset = moment.utcoffset()
        if offset is None:
            key = moment.toordinal() * 24 + moment.hour
            hour = self.local_hours.get(key)
            if hour is None:
                hour = self.local_hours[key] = self._hour(moment, local=True)
            prefix, day_text, day, hour_offset = hour
            if prefix is not None:
                if kind is str and (match := NAIVE_ISO.fullmatch(stripped)) is not None:
                    self.text_hours[match[1]] = (prefix, day_text, day)
                return self.stamp(prefix, moment), day_text, day
            # the offset changes within this hour, or is not whole hours: ask for this very time
            utc = moment - (hour_offset if hour_offset is not None else moment.replace(tzinfo=self.zone).utcoffset() or timedelta(0))
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
                          utc.replace(tzinfo=UTC).astimezone(self.zone).utcoffset() or timedelta(0))).date()
        if not 1900 <= utc.year <= 9998:
            raise BadTime(_("'%(value)s' is not a plausible date and time", value=display(value)))  # type: ignore[arg-type]
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
            raise BadTime(_("%(value)s is not a date and time", value=display(serial)))
        whole = int(serial)
        try:
            day = parse_date(whole, epoch_1904=self._epoch_1904())
        except CellError as exc:
            raise BadTime(exc.message) from None
        assert day is not None
        return datetime(day.year, day.month, day.day) + timedelta(milliseconds=round((serial - whole) * 86_400_000))

    def _parse_text(self, value: str) -> datetime:
        """Dates as the spreadsheet reader reads them (05.03.2026, 3/5/2026, 5 Mar 2026), a time, a zone."""
        if not value:
            raise BadTime(_("the date and time is empty"))
        compact = _COMPACT.fullmatch(value)
        if compact is not None:
            return self._compact(compact, value)
        match = _TEXT_TIME.fullmatch(value)
        if match is None:
            raise BadTime(_("'%(value)s' is not a date and time", value=value))
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
                raise BadTime(_("'%(value)s' has an impossible time zone offset", value=value))
            return moment.replace(tzinfo=timezone(timedelta(minutes=-minutes if offset[1] == "-" else minutes)))
        return moment

    def _compact(self, match: re.Match[str], value: str) -> datetime:
        """YYYYMMDDHHMMSS with optional milliseconds, as Salesforce's event logs write TIMESTAMP."""
        year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
        microsecond = int((match[7] or "0").ljust(6, "0"))
        try:
            moment = datetime(year, month, day, hour, minute, second, microsecond)
        except ValueError:
            raise BadTime(_("'%(value)s' is not a date and time", value=value)) from None
        return moment.replace(tzinfo=UTC) if self.compact_utc else moment

    def read_date(self, raw: object, whole: object) -> date:
        """The date of a date cell or text; `whole` is what the error message quotes."""
        if type(raw) is datetime:
            return raw.date()
        try:
            day = parse_date(raw, day_first=self.day_first, epoch_1904=self._epoch_1904())  # type: ignore[arg-type]
        except CellError as exc:
            if exc.kind == "ambiguous_date":
                raise BadTime(exc.message) from None
            raise BadTime(_("'%(value)s' is not a date and time", value=display(whole))) from None  # type: ignore[arg-type]
        if day is None:
            raise BadTime(_("the date and time is empty"))
        return day

    def combine(self, raw_date: object, raw_clock: object) -> datetime:
        """A date column and a time-of-day column read together."""
        day = self.read_date(raw_date, raw_date)
        if type(raw_clock) is time:
            return datetime.combine(day, raw_clock)
        if type(raw_clock) is timedelta and raw_clock < timedelta(days=1):
            return datetime(day.year, day.month, day.day) + raw_clock
        if type(raw_clock) is float and 0 <= raw_clock < 1:
            return datetime(day.year, day.month, day.day) + timedelta(milliseconds=round(raw_clock * 86_400_000))
        if type(raw_clock) is datetime:
            return datetime.combine(day, raw_clock.time())
        return datetime.combine(day, _time_of_day(str(raw_clock).strip(), raw_clock))


def _time_of_day(text_value: str, whole: object) -> time:
    match = _CLOCK.fullmatch(text_value)
    if match is None:
        raise BadTime(_("'%(value)s' is not a time of day", value=display(whole)))  # type: ignore[arg-type]
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    microsecond = int((match["fraction"] or "0")[:6].ljust(6, "0"))
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise BadTime(_("'%(value)s' is not a time of day", value=display(whole)))  # type: ignore[arg-type]
        hour = hour % 12 + (12 if match["ampm"][0] in "pP" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise BadTime(_("'%(value)s' is not a time of day", value=display(whole)))  # type: ignore[arg-type]
    return time(hour, minute, second, microsecond)


def is_time_of_day(value: object) -> bool:
    if type(value) in (time, timedelta):
        return True
    if type(value) is float:
        return 0 <= value < 1
    return isinstance(value, str) and _CLOCK.fullmatch(value.strip()) is not None


def column_day_first(rows: Iterable[list], column: int) -> bool | None:
    """Whether numeric text dates in `column` of `rows` put the day first (spreadsheets.infer_day_first decides).

    Only the date before any time of day is looked at ("05/03/2026, 23:30"
    as "05/03/2026"). Read only when the first time is text that is not
    ISO; ISO files pay nothing.
    """

    def dates() -> Iterator[object]:
        for cells in rows:
            value = cells[column] if column < len(cells) else None
            if type(value) is str:
                words = value.split(None, 1)
                if words:
                    yield words[0].rstrip(",")

    try:
        return infer_day_first(dates())  # type: ignore[arg-type]
    except (csv.Error, UnicodeDecodeError):
        return None  # the reading pass says where


def as_date(value: object) -> date:
    """A day as the database driver returns it (a date, or ISO text from SQLite) as a date."""
    return value if isinstance(value, date) else date.fromisoformat(value)  # type: ignore[arg-type]

