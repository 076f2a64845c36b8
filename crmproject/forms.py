"""Shared form base and fields: WTForms' own messages go through crmproject's translation function; numbers,
dates and text are bounded by what the database can hold; edit forms carry their object's version."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from flask_wtf import FlaskForm
from sqlalchemy import Numeric
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, ValidationError, widgets
from wtforms import DateField as _DateField
from wtforms import DecimalField as _DecimalField
from wtforms import IntegerField as _IntegerField
from wtforms.fields.choices import SelectChoice, SelectFieldBase
from wtforms.validators import Length, StopValidation

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

    def validate(self, extra_validators=None) -> bool:
        """Every text field is also checked by `plain_text` (no control characters, bounded length)."""
        extra = {name: [plain_text] for name, f in self._fields.items()
                 if isinstance(f, StringField) and not isinstance(f, (HiddenField, PasswordField))}
        for name, validators in (extra_validators or {}).items():
            extra[name] = [*extra.get(name, []), *validators]
        return super().validate(extra_validators=extra)


TEXT_LIMIT = 10_000  # characters of a text field whose column (Text) sets none
# C0 and C1 control characters but tab and line breaks, and the marks that reorder text on screen (Trojan Source)
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain_text(form, field) -> None:
    """Text as typed by a person: no control characters (a NUL cannot be stored by PostgreSQL, an escape
    sequence would reach spreadsheets and terminals), and at most TEXT_LIMIT characters where the field
    gives no smaller limit. Refused with a message naming the field, never stored changed."""
    text = field.raw_data[0] if field.raw_data else field.data
    if not isinstance(text, str) or not text:
        return
    if UNPRINTABLE.search(text):
        raise StopValidation(gettext("%(field)s holds control characters (such as NUL or escape) or marks that reorder "
                                     "text on screen: remove them.", field=field.label.text))
    if len(text) > TEXT_LIMIT and not any(isinstance(v, Length) and v.max != -1 and v.max <= TEXT_LIMIT for v in field.validators):
        raise StopValidation(gettext("%(field)s cannot be longer than %(max)s characters.", field=field.label.text,
                                     max=f"{TEXT_LIMIT:,}"))


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


class _Number:
    """What the number fields share: an empty box is None (Optional or InputRequired then decide), and a
    value that could not be read gets that one message, without the range checks on top."""

    def pre_validate(self, form) -> None:
        if self.process_errors:
            raise StopValidation()


# PostgreSQL's INTEGER, the type of every whole-number column
SMALLEST_INTEGER, LARGEST_INTEGER = -(2**31), 2**31 - 1


class IntegerField(_Number, _IntegerField):
    """A whole number a database INTEGER can hold; anything longer or larger is refused, named."""

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        if not text:
            return
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", text):
            raise ValueError(gettext("%(field)s must be a whole number.", field=self.label.text))
        number = int(text)
        if not SMALLEST_INTEGER <= number <= LARGEST_INTEGER:
            raise ValueError(gettext("%(field)s must be between %(min)s and %(max)s.", field=self.label.text,
                                     min=f"{SMALLEST_INTEGER:,}", max=f"{LARGEST_INTEGER:,}"))
        self.data = number


class DecimalField(_Number, _DecimalField):
    """A decimal its database column can hold: `column` is the Numeric type (or a mapped attribute of that
    type). NaN and Infinity are refused, as is a number with more digits before the point than the column
    has; digits after it are rounded (half up) to the column's places, as PostgreSQL would."""

    def __init__(self, label=None, validators=None, *, column, **kwargs):
        numeric = column if isinstance(column, Numeric) else column.type
        self.scale = numeric.scale or 0
        self.limit = Decimal(10) ** (numeric.precision - self.scale)
        kwargs.setdefault("places", self.scale)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        if not text:
            return
        try:
            number = Decimal(text) if len(text) <= 1000 else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValueError(gettext("%(field)s must be a number.", field=self.label.text))
        if abs(number) < self.limit:
            with localcontext() as context:
                context.prec = 60  # room for any column's digits; 1e-400 rounds to 0
                number = number.quantize(Decimal(1).scaleb(-self.scale), rounding=ROUND_HALF_UP)  # as PostgreSQL rounds
        if abs(number) >= self.limit:  # also 9999.99 rounded up to 10000.0 in a column of four digits before the point
            raise ValueError(gettext("%(field)s must be a number below %(limit)s.", field=self.label.text,
                                     limit=f"{self.limit:,}"))
        self.data = number


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
