"""The one translation function for every user-facing string.

`_()` (alias of `gettext`) translates now; `lazy_gettext()` translates when the
string is rendered, for text defined at import time (form labels, enum
labels). Catalogues are standard gettext .mo files under
crmproject/translations/<lang>/LC_MESSAGES/crmproject.mo; with none installed
the source text (English) is shown. Variables are given by name and
substituted after translation, so translators can move them:
`_("%(count)s tasks overdue", count=3)`.
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache
from pathlib import Path

from flask import current_app, has_app_context

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DEFAULT_LOCALE = "en"


@cache
def _catalog(locale: str) -> _gettext.NullTranslations:
    return _gettext.translation(
        "crmproject", localedir=str(TRANSLATIONS_DIR), languages=[locale], fallback=True
    )


def current_locale() -> str:
    if has_app_context():
        return current_app.config.get("LOCALE", DEFAULT_LOCALE)
    return DEFAULT_LOCALE


def catalog() -> _gettext.NullTranslations:
    """The catalogue of the current locale, for libraries that format messages themselves."""
    return _catalog(current_locale())


def gettext(message: str, **variables: object) -> str:
    translated = _catalog(current_locale()).gettext(message)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    translated = _catalog(current_locale()).ngettext(singular, plural, n)
    return translated % {"n": n, **variables}


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
