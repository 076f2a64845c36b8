"""The interface's languages, and the language of the current request: below both crmproject.i18n (which
translates) and crmproject.dates (which writes dates as the reader does), which both read it."""

from __future__ import annotations

from flask import has_app_context
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
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LOCALE
