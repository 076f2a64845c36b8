"""Shared form base: WTForms' own messages go through crmproject's translation function too."""

from __future__ import annotations

from flask_wtf import FlaskForm
from collections.abc import Iterable

from datetime import date

from wtforms import DateField as _DateField
from wtforms import SelectField, SelectMultipleField, ValidationError, widgets
from wtforms.validators import StopValidation
from wtforms.fields.choices import SelectChoice

from crmproject.i18n import catalog, gettext


class _Translations:
    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # WTForms fills in %(max)s, %(value)s ... itself: hand back the raw translated message
        return catalog().ngettext(singular, plural, n)


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


class Parsed:
    """First in a number field's validators: when the value could not be read as a number (WTForms has
    said so), the range and other checks are skipped, so the field shows one message, not two."""

    field_flags = {}

    def __call__(self, form, field) -> None:
        if not field.process_errors:
            return
        if not (field.raw_data and str(field.raw_data[0]).strip()):  # nothing typed: say that, not "not a number"
            field.errors.clear()
            raise StopValidation(gettext("This field is required."))
        raise StopValidation()


EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


class DateField(_DateField):
    """An ISO date between 1900 and 2999: wider ranges are typos, and would overflow date arithmetic."""

    def pre_validate(self, form) -> None:
        if self.data is not None and not EARLIEST <= self.data <= LATEST:
            raise ValidationError(gettext("Enter a date between %(first)s and %(last)s.", first=EARLIEST.isoformat(), last=LATEST.isoformat()))


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
