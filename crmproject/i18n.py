"""The one translation function for every user-facing string, on Flask-Babel.

`_()` (alias of `gettext`) translates now; `lazy_gettext()` translates when the
string is rendered, for text defined at import time (form labels, enum
labels). Catalogues are gettext files under crmproject/translations/<lang>/
LC_MESSAGES/messages.po (in the repository; `pybabel extract/update` with
babel.cfg keeps them in step with the source) and messages.mo (compiled by the
wheel's build hook and by `pip install -e .`, see hatch_build.py). Variables
are given by name and substituted after translation, so translators can move
them: `_("%(count)s tasks overdue", count=3)`; a plural's number is `%(n)s`.

The language of a request: the user's own setting; else the one chosen with
the switch in the page's footer (kept in the session); else the browser's
Accept-Language; else the instance's default (CRMPROJECT_LOCALE).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import overload

from babel.support import NullTranslations
from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, get_translations

from crmproject.locales import (  # noqa: F401 - HTML_LANG and current_locale are read through i18n too
    DEFAULT_LOCALE, HTML_LANG, LANGUAGES, RTL_LANGUAGES, current_locale)

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
SESSION_KEY = "language"

babel = Babel()


def accepted_language(header: str | None) -> str | None:
    """The first language of an Accept-Language header (by its quality) that the interface speaks: any Chinese
    is read in Simplified Chinese, the only Chinese it has."""
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    for value, _quality in parse_accept_header(header or "", LanguageAccept):
        primary = value.replace("_", "-").split("-")[0].lower()
        if primary == "zh":
            return "zh_Hans"
        if primary in LANGUAGES:
            return primary
    return None


def select_locale() -> str:
    """The language of this request (see the module's docstring)."""
    if has_request_context():
        from flask_login import current_user

        own = getattr(current_user, "language", None) if current_user and current_user.is_authenticated else None
        if own in LANGUAGES:
            return own
        chosen = session.get(SESSION_KEY)
        if chosen in LANGUAGES:
            return chosen
        found = accepted_language(request.headers.get("Accept-Language"))
        if found:
            return found
    configured = current_app.config.get("LOCALE", DEFAULT_LOCALE) if has_app_context() else DEFAULT_LOCALE
    return configured if configured in LANGUAGES else DEFAULT_LOCALE


def is_rtl() -> bool:
    return current_locale() in RTL_LANGUAGES


def catalog() -> NullTranslations:
    """The catalogue of the current language, for libraries that format messages themselves.

    Asked for every message a page translates (hundreds): Flask-Babel's own lookup finds the domain, the locale
    and its name each time, so the catalogue is kept in the request's g beside the locale object it is for (one
    that force_locale puts in place is a different object, and finds its own)."""
    if not has_app_context():
        return NullTranslations()
    here = g._get_current_object()  # the request's g itself: each use of the proxy looks it up again
    kept = getattr(here, "_crmproject_catalog", None)
    locale = getattr(getattr(here, "_flask_babel", None), "babel_locale", None)
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    locale = getattr(getattr(here, "_flask_babel", None), "babel_locale", None)  # chosen by that lookup if not before
    if locale is not None:
        here._crmproject_catalog = (locale, translations)
    return translations


FSI, PDI = "\u2068", "\u2069"  # Unicode's first strong isolate and its end


@overload
def isolate(text: str) -> str: ...
@overload
def isolate(text: object) -> object: ...
def isolate(text: object) -> object:
    """On a right-to-left page, text kept in its own direction inside the sentence around it: a date, a code or a
    Latin name in Persian text reads left to right (2026-11-30, not 30-11-2026). Elsewhere it is left alone."""
    if not is_rtl() or text is None or text == "":
        return text
    from markupsafe import Markup

    if isinstance(text, Markup):
        return Markup(FSI) + text + Markup(PDI)
    return f"{FSI}{text}{PDI}"


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?=$|[ T])")  # a date, or a date and time, as services give them


def _isolated(variables: dict[str, object]) -> dict[str, object]:
    """A message's dates as the reader writes them and kept whole (a date or an ISO date's text, see
    crmproject.dates.localised), and on a right-to-left page its texts and dates isolated (numbers stay numbers:
    a message may format them, %(n)d). English on the Gregorian calendar is left as it is: ISO dates."""
    from datetime import date, datetime

    from crmproject.dates import GREGORIAN, current_calendar, date_shown, localised, moment_shown

    if not variables or (current_locale() == DEFAULT_LOCALE and current_calendar() == GREGORIAN):
        return variables

    def shown_value(value: object) -> object:
        if isinstance(value, datetime):
            return moment_shown(value)
        if isinstance(value, date):
            return date_shown(value)
        if isinstance(value, str) and ISO_DATE.match(value):
            return localised(value, shown=True)
        return value

    shown = {k: shown_value(v) for k, v in variables.items()}
    if not is_rtl():
        return shown
    return {k: isolate(v) if isinstance(v, str) else v for k, v in shown.items()}


def gettext(message: str, /, **variables: object) -> str:  # positional: a placeholder may be named `message`
    translated = catalog().ugettext(message)
    return translated % _isolated(variables) if variables else translated


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    translated = catalog().ungettext(singular, plural, n)
    return translated % {"n": n, **_isolated(variables)}


_ = gettext


class LazyString:
    """A string translated each time it is used (str(), formatting, HTML rendering)."""

    __slots__ = ("message", "variables")

    def __init__(self, message: str, variables: dict[str, object]):
        self.message = message
        self.variables = variables

    def __str__(self) -> str:
        return gettext(self.message, **self.variables)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __repr__(self) -> str:
        return f"LazyString({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)

    def __len__(self) -> int:
        return len(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __mod__(self, other: object) -> str:
        return str(self) % other

    def format(self, *args: object, **kwargs: object) -> str:
        return str(self).format(*args, **kwargs)


def lazy_gettext(message: str, **variables: object) -> LazyString:
    return LazyString(message, variables)


# spaces that group digits (typed, no-break, narrow no-break, thin) and Arabic's decimal and thousands signs
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?:[.,٫]\d*)?$")
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")
_ARABIC_SIGNS = str.maketrans({"٫": ".", "٬": ",", "−": "-"})


def ascii_digits(text: str) -> str | None:
    """The text with the digits of any decimal system (Persian ۲۷, Arabic-Indic ٣) as 0-9; None when it holds a
    digit of no decimal system, such as ²."""
    digits = [unicodedata.decimal(c, None) if c.isdigit() and not c.isascii() else c for c in text]
    return None if None in digits else "".join(map(str, digits))


def read_number(text: str, *, whole: bool = False):
    """A number as a person types it in the page's language, as a Decimal; None when it is not one.

    Always read: plain digits with a point (1234.5, what the forms show back). In the page's language too: its
    grouping and decimal signs (Russian 1 234,5; English 1,234.5), Persian and Arabic digits and signs
    (۱٬۲۳۴٫۵), and digits grouped by spaces in any language. A comma alone is the decimal sign where the
    language writes one (Russian 2,5), and in English a comma that cannot be grouping (1,5) is refused rather
    than guessed. `whole`: only digits and the language's grouping (12.0 and 1e3 are not typed as whole
    numbers), at most twelve digits."""
    from decimal import Decimal, InvalidOperation

    from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal

    if not isinstance(text, str) or len(text) > 1000:
        return None
    plain = ascii_digits(text.strip())
    if plain is None:
        return None
    text = plain.translate(_ARABIC_SIGNS)
    if _GROUPED.match(text):
        text = text.translate(_SPACES)
    if not text or any(c.isspace() for c in text):
        return None
    locale = current_locale()
    if whole:
        plain = text.replace(get_group_symbol(locale), "") if re.fullmatch(r"[+-]?\d{1,3}(?:\D\d{3})+", text) else text
        if not re.fullmatch(r"[+-]?\d{1,12}", plain):
            return None
        return Decimal(plain)
    try:
        number = Decimal(text)
    except InvalidOperation:
        try:
            number = parse_decimal(text, locale=locale, strict=True)
        except (NumberFormatError, ValueError):
            return None
    return number if number.is_finite() else None


def format_number(value, places: int | None = None) -> str:
    """A number as the reader's language writes it: without trailing zeros (85, 2.5) or rounded to `places`,
    grouped and with the language's decimal sign (Babel's: 1 234,5 in Russian, 1,234.5 in English)."""
    if value is None:
        return ""
    if current_locale() != DEFAULT_LOCALE:
        from flask_babel import format_decimal

        pattern = "#,##0." + ("0" * places if places is not None else "######")
        return format_decimal(value, format=pattern.rstrip("."))
    if places is not None:
        return f"{value:,.{places}f}"
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# What messages add only for showing them (isolates around names and dates on a right-to-left page, dates that a
# line never breaks), taken out of any text a service stores: a gate's condition task or a seat's title made from
# a message keeps plain characters, so it searches, sorts and exports as typed text does.
_DISPLAY_ONLY = str.maketrans({FSI: None, PDI: None, "\u2011": "-", "\u00a0": " ", "\u202f": " "})
_DISPLAY_MARKS = re.compile("[\u2068\u2069\u2011\u00a0\u202f]")


def plain(text: str) -> str:
    """`text` without the marks messages add for display (see above)."""
    return text.translate(_DISPLAY_ONLY) if _DISPLAY_MARKS.search(text) else text


def _stored_plain(session, flush_context, instances) -> None:
    from sqlalchemy import String, inspect

    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for column in state.mapper.column_attrs:
            if not isinstance(column.expression.type, String) or column.key not in state.dict:
                continue
            value = state.dict[column.key]
            if isinstance(value, str) and _DISPLAY_MARKS.search(value):
                setattr(obj, column.key, plain(value))


def _listen_for_stored_text() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", _stored_plain):
        event.listen(Session, "before_flush", _stored_plain)


_listen_for_stored_text()
