"""A seed plan's texts in the interface's languages (see crmproject.plans.seeds for the file's format).

A text in a template is one string, English only, or a mapping of languages to texts with English required;
`read_text` checks it and names the file and field of any problem (``pilot.yaml: phases[2].goal.de: unknown
language``). A plan made from the template takes the texts of its creator's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import has_app_context
from flask_babel import force_locale, get_translations

from crmproject.i18n import DEFAULT_LOCALE, LANGUAGES, accepted_language, lazy_gettext

# a name of the database's (String(200)) and a KPI's unit (String(30)): longer texts would fail to be saved
NAME_LENGTH, UNIT_LENGTH = 200, 30


class TemplateError(ValueError):
    """A seed plan file is malformed; the message names the file and the field."""

    def __init__(self, filename: str, path: str, problem: str):
        self.filename, self.path, self.problem = filename, path, problem
        super().__init__(f"{filename}: {path}: {problem}" if path else f"{filename}: {problem}")


class Text(str):
    """A template's human text. As a string it is the English text, which gates refer to and English plans take;
    `translations` holds it in each language the template gives (English always)."""

    translations: dict[str, str]

    def __new__(cls, english: str, translations: Mapping[str, str] | None = None) -> Text:
        text = super().__new__(cls, english)
        text.translations = {**(translations or {}), DEFAULT_LOCALE: english}
        return text

    def in_language(self, language: str) -> str:
        """The text in `language`, or in English where the template has none in it."""
        return self.translations.get(language) or str(self)


def in_language(text: str, language: str) -> str:
    """A template's text in `language`: a Text's translation (or its English), a plain string as it is."""
    return text.in_language(language) if isinstance(text, Text) else text


def plan_language(language: str) -> str:
    """The interface's language named by `language` ("ru", "zh" or "zh_Hans", "fa", "en", or a tag like "ru-RU");
    ValueError for one it does not speak."""
    found = accepted_language(language) if isinstance(language, str) else None
    if found is None:
        raise ValueError(f"no interface language {language!r} (one of {', '.join(LANGUAGES)})")
    return found


def read_text(filename: str, path: str, value: Any, *, required: bool = False, max_length: int | None = None,
              symbol: bool = False) -> Text:
    """A human text at `path`: one string (English only; with `symbol`, a unit such as % or EUR, the same in every
    language) or a mapping of languages to texts, English required. Absent: an empty text, or an error if
    `required`."""
    if value is None:
        if required:
            raise TemplateError(filename, path, "is required")
        return Text("")
    if isinstance(value, str):
        english = _one(filename, path, value, required=required, max_length=max_length)
        return Text(english, dict.fromkeys(LANGUAGES, english) if symbol else None)
    if not isinstance(value, dict):
        raise TemplateError(filename, path, f"must be text, or a mapping of languages ({', '.join(LANGUAGES)}) to texts")
    unknown = sorted(str(k) for k in value if k not in LANGUAGES)
    if unknown:
        raise TemplateError(filename, f"{path}.{unknown[0]}", f"unknown language (allowed: {', '.join(LANGUAGES)})")
    if value.get(DEFAULT_LOCALE) is None:
        raise TemplateError(filename, f"{path}.{DEFAULT_LOCALE}", "is required (the English text)")
    texts = {language: _one(filename, f"{path}.{language}", value[language], required=True, max_length=max_length)
             for language in LANGUAGES if language in value}
    return Text(texts[DEFAULT_LOCALE], texts)


def _one(filename: str, path: str, value: Any, *, required: bool, max_length: int | None) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise TemplateError(filename, path, "must be non-empty text")
    if max_length is not None and len(value.strip()) > max_length:
        raise TemplateError(filename, path, f"must be at most {max_length} characters, not {len(value.strip())}")
    return value.strip()


def unique_name(filename: str, path: str, name: Text, earlier: Sequence[str], what: str) -> None:
    """A name no earlier one repeats, in any language (a plan made in that language would refuse it)."""
    for language, text in name.translations.items():
        if any(in_language(e, language).lower() == text.lower() for e in earlier):
            where = path if len(name.translations) == 1 else f"{path}.{language}"
            raise TemplateError(filename, where, f"repeats the {what} name {text!r}")


GATE_NAME = lazy_gettext("Gate: %(name)s")


def default_gate_name(target: str, language: str) -> str:
    """"Gate: <phase or wave>" in `language`: the catalogue's message, without the marks a right-to-left page's
    messages get around their variables (this is stored as the gate's name)."""
    if not has_app_context():
        return GATE_NAME.message % {"name": target}
    with force_locale(language):
        return get_translations().ugettext(GATE_NAME.message) % {"name": target}

