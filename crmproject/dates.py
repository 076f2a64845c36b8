"""Dates as each reader writes them: shown, read back from what they type, and formatted in their workbooks.

Dates are stored and exchanged as ISO dates everywhere (the database, URLs, forms' <input type=date>, charts'
data); only what a person reads or types changes with the interface's language (crmproject.i18n):

- English keeps ISO 8601 (2026-12-07), the house style;
- Russian, Chinese and Persian use Babel's short date of the language (07.12.2026, 2026/12/7): numeric, so a
  table's column stays narrow on a phone, and what is shown can be typed back;
- the Solar Hijri (Jalali) calendar, a user's setting (`User.calendar`, default on for Persian): the date
  with its Persian month name (۱۶ آذر ۱۴۰۵), converted with jdatetime.

The calendar of a request is the user's own setting, else the default of the request's language; a
background job that writes for a reader names theirs with `force_calendar`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

import jdatetime
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton
from flask import has_request_context

from crmproject.locales import DEFAULT_LOCALE, current_locale

GREGORIAN, PERSIAN = "gregorian", "persian"
CALENDARS = (GREGORIAN, PERSIAN)
# the language whose readers get the Solar Hijri calendar unless they chose otherwise
PERSIAN_LANGUAGE = "fa"

NO_BREAK_SPACE = "\u00a0"
NON_BREAKING_HYPHEN = "\u2011"
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# what a reader may type for a digit: Persian (what a Persian keyboard gives) and Arabic-Indic ones read as 0-9
TYPED_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

# direction marks a date copied from a right-to-left page carries (isolates, RLM, LRM, ALM)
_BIDI_MARKS = re.compile("[\u2066-\u2069\u200e\u200f\u061c]")

_forced: ContextVar[str | None] = ContextVar("crmproject_calendar", default=None)


def default_calendar(language: str) -> str:
    return PERSIAN if language == PERSIAN_LANGUAGE else GREGORIAN


def current_calendar() -> str:
    """The calendar dates are shown in for this request: forced (a job writing for its reader), else the user's
    own setting, else the default of the request's language."""
    forced = _forced.get()
    if forced in CALENDARS:
        return forced
    if has_request_context():
        from flask import g
        from flask_login import current_user

        # Asked for every date a page writes (thousands on a large table): the request's user is read where
        # Flask-Login keeps it once loaded (g._login_user), else through its proxy, once
        user = getattr(g._get_current_object(), "_login_user", None) or current_user._get_current_object()
        own = getattr(user, "calendar", None) if user is not None and user.is_authenticated else None
        if own in CALENDARS:
            return own
    return default_calendar(current_locale())


@contextmanager
def force_calendar(calendar: str | None) -> Iterator[None]:
    """Dates shown in `calendar` inside the block (None: the request's own), as flask_babel.force_locale does for
    the language."""
    token = _forced.set(calendar if calendar in CALENDARS else None)
    try:
        yield
    finally:
        _forced.reset(token)


# --- showing -----------------------------------------------------------------------------------------


def _jalali_text(value: date, language: str) -> str:
    """16 آذر 1405 (in Persian with Persian digits); in other languages with the month's Latin name."""
    day = jdatetime.date.fromgregorian(date=value)
    if language == PERSIAN_LANGUAGE:
        return f"{day.day} {jdatetime.date.j_months_fa[day.month - 1]} {day.year}".translate(_PERSIAN_DIGITS)
    return f"{day.day} {jdatetime.date.j_months_en[day.month - 1]} {day.year}"


def date_text(value: date) -> str:
    """A date as the reader writes it (see the module's docstring), plain text: a line may break inside it."""
    return _date_text(value, current_locale(), current_calendar())


def _date_text(value: date, language: str, calendar: str) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if calendar == PERSIAN:
        return _jalali_text(value, language)
    if language == DEFAULT_LOCALE:
        return value.isoformat()
    return babel_format_date(value, "short", locale=language)


def time_text(value: datetime) -> str:
    """The time of day to the minute (14:05): 24 hours in every language, with Persian digits beside a Jalali
    date."""
    text = value.strftime("%H:%M")
    return text.translate(_PERSIAN_DIGITS) if current_calendar() == PERSIAN and current_locale() == PERSIAN_LANGUAGE else text


def moment_text(value: datetime, suffix: str = "") -> str:
    """A date and time (already in the zone it is to be read in): 2026-12-07 14:05 in English; `suffix`, such as
    " UTC", follows it."""
    return f"{date_text(value)} {time_text(value)}{suffix}"


def month_text(value: date) -> str:
    """A (Gregorian) month: 2026-12 in English, 12.2026 in Russian, 2026年12月 in Chinese, دسامبر 2026 in Persian
    (named, in either calendar: the figures are the Gregorian month's)."""
    language = current_locale()
    if language == DEFAULT_LOCALE:
        return value.strftime("%Y-%m")
    return format_skeleton("yMMM" if language == PERSIAN_LANGUAGE else "yMM", value, locale=language)


def date_shown(value: date) -> str:
    """A date in a page (the `date` filter): as the reader writes it, that a line never breaks inside. English's
    ISO date is left as it is (a narrow English column breaks at spaces, never inside a date)."""
    language, calendar = current_locale(), current_calendar()  # once for both: a table shows thousands of dates
    text = _date_text(value, language, calendar)
    return text if language == DEFAULT_LOCALE and calendar == GREGORIAN else unbroken(text)


def moment_shown(value: datetime, suffix: str = "") -> str:
    """A date and time in a page (the `datetime` filter), its date never broken across lines."""
    if _plain_iso():
        return moment_text(value, suffix)
    return f"{unbroken(date_text(value))} {time_text(value)}{suffix}"


def month_shown(value: date) -> str:
    text = month_text(value)
    return text if current_locale() == DEFAULT_LOCALE else unbroken(text)


def _plain_iso() -> bool:
    return current_locale() == DEFAULT_LOCALE and current_calendar() == GREGORIAN


def unbroken(text: str) -> str:
    """A date a line never breaks inside: no-break spaces, and non-breaking hyphens (ISO in a Russian column, or
    Chinese text, which wraps between any two characters, would split 2026-11-30 after a hyphen)."""
    return text.replace(" ", NO_BREAK_SPACE).replace("\u202f", NO_BREAK_SPACE).replace("-", NON_BREAKING_HYPHEN)


ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?=$|[ T])")
_ISO_REST = re.compile(r"^(?:[ T](\d{2}):(\d{2})(?::\d{2})?)?( UTC)?$")


def localised(text: str, *, shown: bool = False) -> str:
    """Text that is an ISO date, or an ISO date and time (2026-12-07 14:05 UTC), as the reader writes it; any
    other text unchanged. Services give their messages' dates as ISO text (English's own form): this is where
    the other languages and calendars take them over. `shown`: for a page, the date never broken across lines."""
    head = ISO_DATE.match(text)
    rest = _ISO_REST.match(text[head.end():]) if head else None
    if head is None or rest is None:
        return text
    try:
        day = date(int(head.group(1)), int(head.group(2)), int(head.group(3)))
    except ValueError:
        return text
    suffix = rest.group(3) or ""
    if rest.group(1) is None:
        return (date_shown(day) if shown else date_text(day)) + suffix
    moment = datetime(day.year, day.month, day.day, int(rest.group(1)), int(rest.group(2)))
    return moment_shown(moment, suffix) if shown else moment_text(moment, suffix)


def browser_date_format() -> dict[str, str] | None:
    """How a page's script shows a date the way date_text does, with the browser's Intl.DateTimeFormat: its
    locale (with calendar and digits) and dateStyle; None where the ISO date is shown as it is (English)."""
    language = current_locale()
    if current_calendar() == PERSIAN:
        return {"locale": "fa-IR-u-ca-persian" if language == PERSIAN_LANGUAGE else "en-u-ca-persian",
                "style": "medium"}
    if language == DEFAULT_LOCALE:
        return None
    return {"locale": {"ru": "ru-RU", "zh_Hans": "zh-Hans-CN", "fa": "fa-IR-u-ca-gregory-nu-latn"}.get(language, language),
            "style": "short"}


# --- reading what is typed ---------------------------------------------------------------------------

_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")  # 07.12.2026: day, month, year
_SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")  # 2026/12/7: year, month, day
_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")  # 2026年12月7日
_NAMED = re.compile(r"^(\d{1,2})\s+(\S+)\s+(\d{4})$")  # 16 آذر 1405


def parse_date(text: str) -> date | None:
    """A date typed by the reader: ISO (what a browser's date picker sends) always; else the short form of the
    reader's language, as it is shown: 07.12.2026 in Russian, 2026/12/7 (or 2026年12月7日) in Chinese, in
    Persian 2026/12/7, or on the Solar Hijri calendar 1405/9/16 (or ۱۴۰۵/۰۹/۱۶, ۱۶ آذر ۱۴۰۵) converted to its
    Gregorian date. None when it is none of those, or no such day."""
    text = _BIDI_MARKS.sub("", text).strip().translate(TYPED_DIGITS)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    language = current_locale()
    jalali = current_calendar() == PERSIAN
    try:
        if jalali:
            if found := _SLASHED.match(text):
                return jdatetime.date(*map(int, found.groups())).togregorian()
            if (found := _NAMED.match(text)) and found.group(2) in _JALALI_MONTHS:
                day, month, year = int(found.group(1)), _JALALI_MONTHS[found.group(2)], int(found.group(3))
                return jdatetime.date(year, month, day).togregorian()
            return None
        if language == "ru" and (found := _DOTTED.match(text)):
            day, month, year = map(int, found.groups())
            return date(year, month, day)
        if language in ("zh_Hans", PERSIAN_LANGUAGE) and (found := _SLASHED.match(text) or (
                _CHINESE.match(text) if language == "zh_Hans" else None)):
            return date(*map(int, found.groups()))
    except (ValueError, OverflowError):
        return None
    return None


_JALALI_MONTHS = {name: number for names in (jdatetime.date.j_months_fa, jdatetime.date.j_months_en)
                  for number, name in enumerate(names, start=1)}


# --- workbooks ---------------------------------------------------------------------------------------

# Excel number formats of dates, per language: a spreadsheet shows the cell (a real date) the local way. A Jalali
# reader gets the Persian Gregorian form: Excel's own Solar Hijri format ([$-fa-IR,16]) is shown by LibreOffice as
# a bare serial number, so a date cell cannot carry that calendar to every reader.
_XLSX_DATE = {"en": "yyyy-mm-dd", "ru": "dd.mm.yyyy", "zh_Hans": "yyyy/m/d", "fa": "yyyy/m/d"}
_XLSX_MONTH = {"en": "yyyy-mm", "ru": "mm.yyyy", "zh_Hans": "yyyy/m", "fa": "yyyy/m"}


def xlsx_date_format() -> str:
    return _XLSX_DATE.get(current_locale(), _XLSX_DATE[DEFAULT_LOCALE])


def xlsx_datetime_format() -> str:
    return xlsx_date_format() + " hh:mm"


def xlsx_month_format() -> str:
    return _XLSX_MONTH.get(current_locale(), _XLSX_MONTH[DEFAULT_LOCALE])
