"""The language the demo organisation is built in: its texts and its people's names.

The demo's English texts are the source and stay in its code, where they are written; `texts/<language>.yaml`
maps each of them to its translation (a text with placeholders, such as "%(department)s before go-live", keeps
them), and gives the names the roster is made of: Russian names for Russian, Chinese for Chinese, Persian for
Persian. A builder passes every text it writes through its `DemoTexts` (`texts("Sales")`); a text the file lacks
is written in English (tests/demo/test_demo_languages.py builds the demo in every language and fails on any
English text left).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

TEXTS_DIR = Path(__file__).resolve().parent / "texts"
# `crmproject demo --lang` -> the interface language (crmproject.i18n.LANGUAGES) the demo is built in
DEMO_LANGUAGES: dict[str, str] = {"en": "en", "ru": "ru", "zh": "zh_Hans", "fa": "fa"}
SOURCE_LANGUAGE = "en"


@dataclass(frozen=True)
class Person:
    """A roster person's name as shown, and its Latin given and family names, which their logins are made of."""

    name: str
    given: str
    family: str


@dataclass(frozen=True)
class _Given:
    name: str
    latin: str
    female: bool


@dataclass(frozen=True)
class _Family:
    """A family name; Russian has a feminine form (Петров, Петрова)."""

    name: str
    latin: str
    feminine: str
    feminine_latin: str


@dataclass(frozen=True)
class Names:
    """The names a language's roster is made of, and how a full name is written ("{given} {family}", Chinese
    "{family}{given}")."""

    form: str
    given: tuple[_Given, ...]
    family: tuple[_Family, ...]

    def person(self, given: int, family: int) -> Person:
        g = self.given[given % len(self.given)]
        f = self.family[family % len(self.family)]
        name, latin = (f.feminine, f.feminine_latin) if g.female else (f.name, f.latin)
        return Person(self.form.format(given=g.name, family=name), g.latin, latin)


@dataclass
class DemoTexts:
    """The demo's texts in one language: `texts("Sales")` is "Продажи" in Russian. Variables are substituted
    after the translation, by name, so a translation may move them: `texts("%(department)s after go-live",
    department=name)`."""

    language: str = SOURCE_LANGUAGE
    translations: dict[str, str] = field(default_factory=dict)
    names: Names | None = None

    def __call__(self, text: str, **variables: object) -> str:
        if not text:
            return text
        translated = text if self.language == SOURCE_LANGUAGE else self.translations.get(text, text)
        return translated % variables if variables else translated

    def person(self, given: int, family: int, *, source: tuple[Sequence[str], Sequence[str]]) -> Person:
        """A roster person from the `given`-th given name and the `family`-th family name, each taken round its
        list: the language's names, or in English the builder's own `source` lists (given, family)."""
        if self.names is None:
            first, last = source[0][given % len(source[0])], source[1][family % len(source[1])]
            return Person(f"{first} {last}", first, last)
        return self.names.person(given, family)

    def given_names(self, source: Sequence[str]) -> int:
        """How many given names the roster goes round: the language's, or in English the builder's `source`."""
        return len(self.names.given) if self.names else len(source)


def demo_texts(language: str = SOURCE_LANGUAGE) -> DemoTexts:
    """The demo's texts in `language` (an interface language: en, ru, zh_Hans, fa)."""
    if language == SOURCE_LANGUAGE:
        return DemoTexts()
    translations, names = _load(language)
    return DemoTexts(language=language, translations=translations, names=names)


def text_files() -> dict[str, Path]:
    """Each translated language's file."""
    return {path.stem: path for path in sorted(TEXTS_DIR.glob("*.yaml"))}


@cache
def _load(language: str) -> tuple[dict[str, str], Names]:
    path = text_files().get(language)
    if path is None:
        raise ValueError(f"The demo has no texts in {language!r}.")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    people = data["people"]
    given = tuple(_given(entry) for entry in people["given"])
    family = tuple(_family(entry) for entry in people["family"])
    translations = {str(k): str(v) for k, v in (data.get("texts") or {}).items()}
    return translations, Names(form=people["form"], given=given, family=family)


def _given(entry: str) -> _Given:
    """"Анна anna f": the name, its Latin form, f or m."""
    name, latin, sex = entry.split()
    return _Given(name, latin, sex == "f")


def _family(entry: str) -> _Family:
    """"Петров petrov Петрова petrova", or "王 wang" where a family name has one form."""
    parts = entry.split()
    name, latin = parts[0], parts[1]
    feminine, feminine_latin = (parts[2], parts[3]) if len(parts) == 4 else (name, latin)
    return _Family(name, latin, feminine, feminine_latin)
