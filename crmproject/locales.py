"""The interface's languages, and the language of the current request: below both crmproject.i18n (which
translates) and crmproject.dates (which writes dates as the reader does), which both read it."""

from __future__ import annotations

from flask import g, has_app_context
from flask_babel import get_locale

DEFAULT_LOCALE = "en"
# the interface's languages, each named in itself (the footer's switch)
LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "zh_Hans": "中文（简体）", "fa": "فارسی"}
RTL_LANGUAGES = frozenset({"fa"})
# the page's lang attribute (BCP 47) of each
HTML_LANG = {"en": "en", "ru": "ru", "zh_Hans": "zh-Hans", "fa": "fa"}


def current_locale() -> str:
    """The language of the current request (the instance's default outside one), as its catalogue is named."""
    if not has_app_context():
        return DEFAULT_LOCALE
    # Asked for every number and date a page writes (thousands on a large table): the locale Flask-Babel chose
    # for the request (or force_locale set) is read where it keeps it, and chosen by get_locale() only the first
    # time; its name is kept beside it in g, for as long as that locale is the one.
    here = g._get_current_object()  # the request's g itself: each use of the proxy looks it up again
    locale = getattr(getattr(here, "_flask_babel", None), "babel_locale", None) or get_locale()
    if locale is None:
        return DEFAULT_LOCALE
    named = getattr(here, "_crmproject_locale", None)
    if named is None or named[0] is not locale:
        named = here._crmproject_locale = (locale, str(locale))
    return named[1]
