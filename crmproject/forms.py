"""Shared form base: WTForms' own messages go through crmproject's translation function too."""

from __future__ import annotations

from flask_wtf import FlaskForm
from collections.abc import Iterable

from wtforms import SelectField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice

from crmproject.i18n import gettext, ngettext


class _Translations:
    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n)


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class AppForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _Translations()

    form_errors: list[str]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form_errors = []


class IdSelectField(SelectField):
    """A select whose values are integer ids; the empty choice "" means None."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", lambda v: int(v) if v not in (None, "", "None") else None)
        kwargs.setdefault("validate_choice", True)
        super().__init__(*args, **kwargs)


class CheckboxListField(SelectMultipleField):
    """Several integer ids, shown as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        super().__init__(*args, **kwargs)
