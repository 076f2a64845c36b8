"""Shared form base: WTForms' own messages go through crmproject's translation function too."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, ValidationError, widgets
from wtforms import DateField as _DateField
from wtforms.fields.choices import SelectChoice, SelectFieldBase
from wtforms.validators import StopValidation

from crmproject.errors import FieldChange
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


NOT_COMPARED = ("CSRFTokenField", "HiddenField", "VersionField", "SubmitField")


class VersionField(HiddenField):
    """The version an edit form was opened at. A POST without one counts as opened at no known version."""

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else None


class VersionedForm(AppForm):
    """The edit form of a Versioned object (crmproject.db): it carries the version it was opened at.

    Opened with `obj=...`, the hidden `version` is filled like any other field.
    `saving(form, obj)` (crmproject.errors) compares it with the object's
    version: when someone saved the object in between and a field differs,
    nothing is saved, `conflict` lists each differing field (the value saved
    now beside the one entered), the form keeps the user's input and takes the
    new version, so saving it again overwrites knowingly.
    """

    version = VersionField()
    conflict: list[FieldChange] | None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = None

    @property
    def opened_version(self) -> int | None:
        """The version the form was opened at; None when the page sent none or something unreadable."""
        return read_version(self.version.data)

    @property
    def http_status(self) -> int:
        """The HTTP status of the page showing the form: 409 after a refused stale save."""
        return 409 if self.conflict is not None else 200

    def differences(self, obj: object, saved: Mapping[str, object] | None = None) -> list[FieldChange]:
        """The fields whose value on `obj` differs from what was entered. `saved` gives the saved value
        of fields that are not attributes of `obj` (a wave's departments, a report's KPI values)."""
        saved = saved or {}
        changes = []
        for field in self:
            if field.type in NOT_COMPARED:
                continue
            now = saved[field.name] if field.name in saved else getattr(obj, field.name)
            shown_now, shown_yours = shown(field, now), shown(field, field.data)
            if shown_now != shown_yours:
                changes.append(FieldChange(field.name, str(field.label.text), shown_now, shown_yours))
        return changes

    def refuse(self, changes: list[FieldChange], version: int) -> None:
        """Show the form again with what changed; it now carries the version saved."""
        self.conflict = changes
        self.version.data = str(version)
        self.version.raw_data = [str(version)]


def read_version(text: object) -> int | None:
    """A version sent back by a page; None for none or anything unreadable (it then matches no version)."""
    text = str(text or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def shown(field, value: object) -> str:
    """A field's value as people read it, the same whether it came from the database or the form."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(field, SelectFieldBase) and field.choices is not None:
        labels = {}
        for key, label, *_rest in field.choices:
            labels[str(key)] = str(label)
        wanted = {str(v.value if isinstance(v, enum.Enum) else v) for v in value} if isinstance(value, (list, tuple, set)) else {str(value)}
        named = [label for key, label in labels.items() if key in wanted]
        unknown = sorted(wanted - labels.keys())
        return ", ".join(named + unknown)
    if isinstance(field, BooleanField) or isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value.is_finite() else str(value)
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


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
