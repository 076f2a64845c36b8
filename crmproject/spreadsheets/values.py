"""Turning cell values into dates, numbers, percentages and yes/no, with precise errors.

Each `parse_*` returns None for an empty cell (whether a blank cell is
acceptable is the importer's call) and raises `CellError` with a message for
the user when the value cannot be read. Nothing is guessed: a date such as
5/3/2024 is refused as ambiguous unless the order is known.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from crmproject.i18n import _

from .cells import CellValue, ErrorCell, column_letter, is_blank

CellErrorKind = Literal[
    "error_cell",
    "not_a_date",
    "ambiguous_date",
    "not_a_number",
    "not_an_integer",
    "not_a_percent",
    "not_a_bool",
]


class CellError(ValueError):
    """A value that cannot be read as what its column holds; `message` is meant for the user."""

    def __init__(self, kind: CellErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ImportIssue:
    """A problem found in an uploaded file, located as the user sees it in Excel."""

    sheet: str
    row: int | None
    column: int | None
    header: str | None
    message: str

    @property
    def column_letter(self) -> str | None:
        """The column as Excel letters (A, B, ... AA), or None for a row- or file-level issue."""
        return None if self.column is None else column_letter(self.column)

    def __str__(self) -> str:
        where = [_("Sheet %(sheet)s", sheet=self.sheet)]
        if self.row is not None:
            where.append(_("row %(row)s", row=self.row))
        if self.column is not None and self.header:
            where.append(_("column %(column)s (%(header)s)", column=self.column_letter, header=self.header))
        elif self.column is not None:
            where.append(_("column %(column)s", column=self.column_letter))
        return _("%(where)s: %(problem)s", where=", ".join(where), problem=self.message)


def display(value: CellValue) -> str:
    """A value the way a message should quote it: numbers as Excel's General format, dates as ISO."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes" if not value.second else "seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return "" if value is None else str(value)


def _reject_error_cell(value: CellValue) -> None:
    if isinstance(value, ErrorCell):
        raise CellError("error_cell", _("the cell holds the error %(code)s", code=value.code))


def parse_text(value: CellValue) -> str | None:
    """Text as written, leading spaces kept; numbers and dates as they display; None when blank."""
    _reject_error_cell(value)
    if is_blank(value):
        return None
    return value if isinstance(value, str) else display(value)


# -- dates ------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]m)?\s*(?:z|[+-]\d{2}:?\d{2})?)?"
_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME, re.IGNORECASE)
_NUMERIC = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})" + _TIME, re.IGNORECASE)
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
_ORDINAL = r"(?:st|nd|rd|th)?"
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})" + _ORDINAL + r"[\s\-/.]*([a-z]+)\.?[\s\-/.,]*(\d{4}|\d{2})", re.IGNORECASE)
# The day and the year need a separator: "Mar 2024" is a month, not 20 March 2024.
_MONTH_DAY_YEAR = re.compile(
    r"([a-z]+)\.?[\s\-/.]*(\d{1,2})" + _ORDINAL + r"(?:,\s*|[\s\-/.]+)(\d{4}|\d{2})", re.IGNORECASE
)
_EXCEL_1900 = date(1899, 12, 30)
_EXCEL_1904 = date(1904, 1, 1)


def _full_year(year: str) -> int:
    """Two-digit years the way Excel reads them: 00-29 are 2000-2029, 30-99 are 1930-1999."""
    number = int(year)
    if len(year) == 2:
        return number + (2000 if number < 30 else 1900)
    return number


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(value: CellValue, *, epoch_1904: bool = False, day_first: bool | None = None) -> date | None:
    """A date from a date cell, an Excel serial number or text; None when blank.

    Text may be ISO (2024-03-05, 2024/03/05), day-first with dots
    (05.03.2024), with a month name (Mar 5, 2024; 5 Mar 2024; 5-Mar-24) or
    numeric with slashes or dashes. A numeric date whose day and month could
    be swapped (5/3/2024) raises CellError("ambiguous_date") unless
    `day_first` says which comes first (see `infer_day_first`). Serial
    numbers follow the workbook's date system (`Workbook.epoch_1904`).
    """
    _reject_error_cell(value)
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_serial(value, epoch_1904)
    if isinstance(value, str):
        return _parse_text_date(value, day_first)
    raise CellError("not_a_date", _("'%(value)s' is not a date", value=display(value)))


def _from_serial(serial: float, epoch_1904: bool) -> date:
    """An Excel serial date; the 1900 system counts a 29 February 1900 that never was (serial 60)."""
    if not math.isfinite(serial) or serial < 0 or (serial < 1 and not epoch_1904):
        raise CellError("not_a_date", _("%(value)s is not a date", value=display(serial)))
    days = int(serial)
    if epoch_1904:
        base = _EXCEL_1904
    elif days == 60:
        raise CellError("not_a_date", _("%(value)s is 29 February 1900 in Excel, a day that did not exist", value=days))
    else:
        base = _EXCEL_1900 if days > 60 else _EXCEL_1900 + timedelta(days=1)
    try:
        return base + timedelta(days=days)
    except OverflowError:
        raise CellError("not_a_date", _("%(value)s is not a date", value=display(serial))) from None


def _parse_text_date(text: str, day_first: bool | None) -> date:
    cleaned = _WEEKDAY.sub("", text.strip(), count=1)
    if match := _YEAR_FIRST.fullmatch(cleaned):
        found = _valid_date(int(match[1]), int(match[3]), int(match[4]))
    elif match := _NUMERIC.fullmatch(cleaned):
        return _numeric_date(text, int(match[1]), int(match[3]), _full_year(match[4]), match[2], day_first)
    elif (match := _DAY_MONTH_YEAR.fullmatch(cleaned)) and match[2].casefold() in _MONTHS:
        found = _valid_date(_full_year(match[3]), _MONTHS[match[2].casefold()], int(match[1]))
    elif (match := _MONTH_DAY_YEAR.fullmatch(cleaned)) and match[1].casefold() in _MONTHS:
        found = _valid_date(_full_year(match[3]), _MONTHS[match[1].casefold()], int(match[2]))
    else:
        found = None
    if found is None:
        raise CellError("not_a_date", _("'%(value)s' is not a date", value=text))
    return found


def _numeric_date(text: str, first: int, second: int, year: int, separator: str, day_first: bool | None) -> date:
    """dd.mm.yyyy is always day-first; with / or - the order must be known or evident."""
    if separator == ".":
        day_first = True
    as_day_first = _valid_date(year, second, first) if day_first is not False else None
    as_month_first = _valid_date(year, first, second) if day_first is not True else None
    if as_day_first and as_month_first and as_day_first != as_month_first:
        raise CellError(
            "ambiguous_date",
            _(
                "'%(value)s' could be %(day_first)s (day/month/year) or %(month_first)s (month/day/year); "
                "write it as YYYY-MM-DD",
                value=text,
                day_first=as_day_first.isoformat(),
                month_first=as_month_first.isoformat(),
            ),
        )
    found = as_day_first or as_month_first
    if found:
        return found
    if day_first is True:
        raise CellError("not_a_date", _("'%(value)s' is not a valid day/month/year date", value=text))
    if day_first is False:
        raise CellError("not_a_date", _("'%(value)s' is not a valid month/day/year date", value=text))
    raise CellError("not_a_date", _("'%(value)s' is not a date", value=text))


def infer_day_first(values: Iterable[CellValue]) -> bool | None:
    """Whether a column's numeric text dates put the day first, as far as its values prove it.

    13/02/2024 proves day-first, 02/13/2024 month-first. Returns None when
    nothing decides, or when the column holds proof of both (then each
    unambiguous value still reads by itself and the ambiguous ones are
    reported).
    """
    day_first_seen = month_first_seen = False
    for value in values:
        if not isinstance(value, str):
            continue
        match = _NUMERIC.fullmatch(_WEEKDAY.sub("", value.strip(), count=1))
        if not match or match[2] == ".":
            continue
        first, second = int(match[1]), int(match[3])
        day_first_seen |= first > 12 >= second
        month_first_seen |= second > 12 >= first
    if day_first_seen != month_first_seen:
        return day_first_seen
    return None


# -- numbers ----------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f']")


def _number_pattern(thousands: str, decimal: str) -> re.Pattern[str]:
    t, d = re.escape(thousands), re.escape(decimal)
    return re.compile(rf"[+-]?(?:\d{{1,3}}(?:{t}\d{{3}})+|\d+)?(?:{d}\d+)?(?:e[+-]?\d+)?", re.IGNORECASE)


_POINT_DECIMAL = _number_pattern(",", ".")
_COMMA_DECIMAL = _number_pattern(".", ",")


def _number(value: CellValue, decimal_comma: bool) -> Decimal | None:
    """A Decimal from a number cell (to Excel's 15 significant digits) or from text; None if not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(f"{value:.15g}") if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = _SPACES.sub("", value)
    pattern, thousands, decimal = (_COMMA_DECIMAL, ".", ",") if decimal_comma else (_POINT_DECIMAL, ",", ".")
    if not any(character.isdigit() for character in text) or not pattern.fullmatch(text):
        return None
    try:
        return Decimal(text.replace(thousands, "").replace(decimal, "."))
    except InvalidOperation:
        return None


def parse_number(value: CellValue, *, decimal_comma: bool = False) -> Decimal | None:
    """A number as a Decimal; None when blank.

    Text may use thousands separators (1,234.5; or 1.234,5 with
    `decimal_comma`), spaces and apostrophes as group separators, and an
    exponent. Number cells keep the 15 significant digits Excel shows, so
    0.30000000000000004 reads as 0.3.
    """
    _reject_error_cell(value)
    if is_blank(value):
        return None
    number = _number(value, decimal_comma)
    if number is None:
        raise CellError("not_a_number", _("'%(value)s' is not a number", value=display(value)))
    return number


def parse_int(value: CellValue, *, decimal_comma: bool = False) -> int | None:
    """A whole number; None when blank. 3.0 is 3; 3.5 is an error."""
    _reject_error_cell(value)
    if is_blank(value):
        return None
    number = _number(value, decimal_comma)
    if number is None or number != number.to_integral_value():
        raise CellError("not_an_integer", _("'%(value)s' is not a whole number", value=display(value)))
    return int(number)


def parse_percent(value: CellValue, *, decimal_comma: bool = False) -> Decimal | None:
    """A percentage in points (85 for 85 %); None when blank.

    "85%" and "85" read as 85; a number between -1 and 1 is taken as a
    fraction, as Excel stores a cell formatted as % (0.85 reads as 85, and 1
    as 100). A column known to hold points should use parse_number instead.
    """
    _reject_error_cell(value)
    if is_blank(value):
        return None
    text = value.strip() if isinstance(value, str) else None
    if text is not None and text.endswith("%"):
        number = _number(text[:-1], decimal_comma)
    else:
        number = _number(value, decimal_comma)
        if number is not None and -1 <= number <= 1:
            number *= 100
    if number is None:
        raise CellError("not_a_percent", _("'%(value)s' is not a percentage", value=display(value)))
    return number


_TRUE = frozenset({"yes", "y", "true", "t", "1", "x", "✓", "✔", "☑", "on"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "✗", "✘", "☐", "off"})


def parse_bool(value: CellValue) -> bool | None:
    """Yes or no from TRUE/FALSE cells, 1/0, or text such as yes/no, y/n, true/false, x, ✓; None when blank."""
    _reject_error_cell(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    key = display(value).strip().casefold() if isinstance(value, (int, float, str)) else ""
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError("not_a_bool", _("'%(value)s' is not yes or no", value=display(value)))
