"""Searching and sorting people's text in every language of the interface.

Search: `folded(column)` is a column's text as searches compare it, and `fold(text)` the same for what a user
typed: lower case in every script (SQLite's own lower() only knows ASCII, so "отдел" would never find
"Отдел" there), ё read as е (Russian text writes either), and the Arabic forms of yeh and kaf read as the
Persian ones (a Persian name typed on an Arabic keyboard layout is the same name).

Sorting: `collated(column)` orders a column by the alphabet of the reader's language. On PostgreSQL that is
ICU's collation for the language (Russian, Chinese by pinyin, Persian, English) where the server has ICU;
on SQLite, which has no collations of its own beyond byte order, by collations this module registers on
each connection: case-insensitive, ё beside е, and the Persian letters پ چ ژ گ ک ی in their places in the
alphabet; Chinese there sorts by Unicode's order of the characters (radical and stroke), not by pinyin.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from sqlalchemy import String, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# what a search reads as the same letter: ё as е, Arabic yeh, alef maksura and kaf as the Persian ones
_SAME_LETTER = str.maketrans({"ё": "е", "ي": "ی", "ى": "ی", "ك": "ک"})
_FOLD_FROM, _FOLD_TO = "ёيىك", "еییک"


def fold(text: str) -> str:
    """A search's text as `folded` compares it."""
    return unicodedata.normalize("NFC", text).lower().translate(_SAME_LETTER)


class folded(FunctionElement):  # noqa: N801 - reads as a function in a query
    """A column's text folded for searching (see the module's docstring); compare it with `fold(typed)`."""

    type = String()
    inherit_cache = True


@compiles(folded)
def _folded_default(element, compiler, **kw) -> str:
    return f"translate(lower({compiler.process(element.clauses, **kw)}), '{_FOLD_FROM}', '{_FOLD_TO}')"


@compiles(folded, "sqlite")
def _folded_sqlite(element, compiler, **kw) -> str:
    return f"crm_fold({compiler.process(element.clauses, **kw)})"


# the ICU collation of each interface language on PostgreSQL, and the collation this module gives SQLite
ICU_COLLATIONS = {"en": "en-x-icu", "ru": "ru-x-icu", "zh_Hans": "zh-x-icu", "fa": "fa-x-icu"}
SQLITE_COLLATIONS = {"en": "crm_en", "ru": "crm_ru", "zh_Hans": "crm_zh", "fa": "crm_fa"}
_icu_available: dict[int, bool] = {}


def collated(column, language: str | None = None):
    """`column` to be ordered by the alphabet of `language` (by default the reader's)."""
    from crmproject.extensions import db
    from crmproject.i18n import current_locale

    language = language or current_locale()
    engine = db.engine
    if engine.dialect.name == "sqlite":
        return column.collate(SQLITE_COLLATIONS.get(language, "crm_en"))
    if engine.dialect.name == "postgresql" and _has_icu(engine):
        return column.collate(ICU_COLLATIONS.get(language, "und-x-icu"))
    return column


def _has_icu(engine) -> bool:
    key = id(engine)
    if key not in _icu_available:
        with engine.connect() as connection:
            _icu_available[key] = bool(connection.exec_driver_sql(
                "SELECT count(*) FROM pg_collation WHERE collname = 'und-x-icu'").scalar())
    return _icu_available[key]


# The Persian alphabet in its order: Unicode places پ چ ژ ک گ ی after the Arabic letters, so each letter is
# given a code point in this order to sort by (the Arabic forms of kaf and yeh as the Persian ones)
_PERSIAN_ALPHABET = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_PERSIAN_ORDER = {ord(letter): 0xF0000 + n for n, letter in enumerate(_PERSIAN_ALPHABET)}
_PERSIAN_ORDER.update({ord("ك"): _PERSIAN_ORDER[ord("ک")], ord("ي"): _PERSIAN_ORDER[ord("ی")],
                       ord("ى"): _PERSIAN_ORDER[ord("ی")]})


@lru_cache(maxsize=8192)
def _sort_key(text: str, language: str) -> tuple[str, str, str]:
    """By letters first (ё as е, case aside, as ICU's primary strength), then by ё and by case, then the text
    itself, so that equal keys still order the same way every time."""
    folded_text = unicodedata.normalize("NFC", text).casefold()
    letters = folded_text.replace("ё", "е")
    if language == "fa":
        letters = letters.translate(_PERSIAN_ORDER)
    return letters, folded_text, text


def _collation(language: str):
    def compare(a: str, b: str) -> int:
        ka, kb = _sort_key(a, language), _sort_key(b, language)
        return (ka > kb) - (ka < kb)
    return compare


def _sqlite_fold(text):
    return fold(text) if isinstance(text, str) else text


@event.listens_for(Engine, "connect")
def _sqlite_text_functions(dbapi_connection, connection_record) -> None:
    """Gives each SQLite connection the folding function and the collations above."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("crm_fold", 1, _sqlite_fold, deterministic=True)
        for language, name in SQLITE_COLLATIONS.items():
            dbapi_connection.create_collation(name, _collation(language))


def sort_key(text: str | None, language: str | None = None) -> tuple[str, str, str]:
    """For sorting in Python (rows already read) the way `collated` sorts on SQLite."""
    from crmproject.i18n import current_locale

    return _sort_key(text or "", language or current_locale())
