"""Shared form base and fields: WTForms' own messages go through crmproject's translation function; numbers,
dates and text are bounded by what the database can hold; edit forms carry their object's version and what
they showed when opened."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

from flask import current_app
from flask_wtf import FlaskForm
from itsdangerous import BadData, URLSafeSerializer
from markupsafe import Markup
from sqlalchemy import Numeric
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, ValidationError, widgets
from wtforms import DateField as _DateField
from wtforms import DateTimeLocalField as _DateTimeLocalField
from wtforms import DecimalField as _DecimalField
from wtforms import IntegerField as _IntegerField
from wtforms.fields.choices import SelectChoice, SelectFieldBase
from wtforms.utils import unset_value
from wtforms.widgets import HiddenInput, html_params
from wtforms.validators import Length, StopValidation

from crmproject.dates import TYPED_DIGITS, parse_date
from crmproject.errors import FieldChange
from crmproject.i18n import catalog, format_number, gettext, read_number


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
                                     max=format_number(TEXT_LIMIT)))


NOT_COMPARED = ("CSRFTokenField", "HiddenField", "VersionField", "SubmitField")
SNAPSHOT = "opened"  # the hidden input beside `version`: the values the form showed when it was opened, signed
SNAPSHOT_LIMIT = 1_000_000  # characters; a longer one was not made here, so it is not even checked

Key = str | list[str]  # a field's value as compared: see compared_key


class VersionInput(HiddenInput):
    """The version input, and beside it the snapshot of what the form showed (VersionedForm.snapshot). Both go
    wherever a page renders the version, through hidden_tag() or the field macro."""

    def __call__(self, field, **kwargs):
        snapshot = field.snapshot() if field.snapshot is not None else ""
        return super().__call__(field, **kwargs) + Markup("<input %s>") % html_params(
            name=field.snapshot_name, type="hidden", value=snapshot)


class VersionField(HiddenField):
    """The version an edit form was opened at. A POST without one counts as opened at no known version."""

    widget = VersionInput()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.snapshot: Callable[[], str] | None = None  # set by the form: makes the snapshot rendered beside the version
        self.submitted = False
        self.posted_snapshot: str | None = None

    @property
    def snapshot_name(self) -> str:
        return self.name[: len(self.name) - len(self.short_name)] + SNAPSHOT  # with the form's prefix, if any

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        self.submitted = formdata is not None
        posted = formdata.get(self.snapshot_name) if formdata is not None else None
        self.posted_snapshot = posted if isinstance(posted, str) else None

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else None


class VersionedForm(AppForm):
    """The edit form of a Versioned object (crmproject.db): it carries the version it was opened at and a
    snapshot of the values it showed then, so a save can tell, field by field, who changed what.

    Opened with `obj=...`, the hidden `version` is filled like any other field;
    the snapshot (`opened`, rendered beside it, signed with the app's secret
    key) is made from the fields' values when the page is drawn. On POST,
    `saving(form, obj)` (crmproject.errors) calls `reconcile` when someone saved
    the object in between: per field, opened vs saved now vs entered (see
    crmproject.errors.three_way). A field someone else changed and this user
    left as opened takes their value (in the form, so the view saves it); a
    field both changed differently is a conflict: nothing is saved, `conflict`
    lists those fields with the three values, the form keeps the user's input
    and takes the new version and a fresh snapshot, so saving it again
    overwrites knowingly.

    `merges = False` for a form that adds something rather than edits its
    object's values (a seat's next holder, a KPI's target for a date): there a
    field someone else changed is a conflict whenever the user's value differs
    from theirs, never silently taken over.
    """

    version = VersionField()
    merges = True
    conflict: list[FieldChange] | None
    merged: list[str]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conflict = None
        self.merged = []  # labels of the fields that took someone else's newer value
        self.stale_version: int | None = None  # after a refusal: the version the user had opened
        self._shows: dict[str, object] | None = None
        self._saved_now: dict[str, Key] = {}
        self._fresh_snapshot: str | None = None
        self.version.snapshot = self.snapshot

    @property
    def opened_version(self) -> int | None:
        """The version the form was opened at; None when the page sent none or something unreadable."""
        return read_version(self.version.data)

    @property
    def http_status(self) -> int:
        """The HTTP status of the page showing the form: 409 after a refused stale save."""
        return 409 if self.conflict is not None else 200

    def compared_fields(self) -> list:
        return [field for field in self if field.type not in NOT_COMPARED]

    def shows(self, values: Mapping[str, object]) -> None:
        """For a form that does not show its object's values (a seat's next holder, beside the holder now): the
        saved values the page stood for, by field name. The snapshot records them instead of the fields'."""
        self._shows = dict(values)

    def snapshot(self) -> str:
        """The signed snapshot the page carries: on a first showing, the values of the compared fields (or those
        given to `shows`) and the version; after a refusal, what is saved now; a form shown again after other
        errors sends back the one it came with."""
        if self._fresh_snapshot is not None:
            return self._fresh_snapshot
        if self.version.submitted:
            return (self.version.posted_snapshot or "") if self.opened() is not None else ""
        values = self._shows or {}
        return self._sign({field.name: compared_key(field, values.get(field.name, field.data))
                           for field in self.compared_fields()}, self.opened_version)

    def _sign(self, keys: Mapping[str, Key], version: int | None) -> str:
        return snapshot_serializer(_snapshot_kind(self)).dumps({"v": version, "f": dict(keys)})

    def opened(self) -> dict[str, Key] | None:
        """What the form showed when it was opened, by field name, read from the snapshot it sent back. None when
        it sent none, or one not made by this app for this form at this version (altered, or from another page):
        what the user saw is then not known."""
        payload = read_snapshot(_snapshot_kind(self), self.version.posted_snapshot)
        if not isinstance(payload, dict) or payload.get("v") != self.opened_version or not isinstance(payload.get("f"), dict):
            return None
        return payload["f"]

    def reconcile(self, obj: object, saved: Mapping[str, object] | None = None) -> list[FieldChange]:
        """Three-way check of a save from a form opened before someone else saved `obj`, field by field:
        what the form showed when opened, what is saved now, what the user entered (crmproject.errors.three_way).

        A field only someone else changed takes their value: it is put in the form, so the view, reading the
        form after this, saves it. Returns the fields both changed differently (with what the user opened,
        when known). `saved` gives the saved value of fields that are not attributes of `obj` (a wave's
        departments, a report's KPI values). Without a snapshot every field that differs is a conflict, as it
        cannot be told who changed it."""
        from crmproject.errors import three_way

        saved = saved or {}
        opened = self.opened()
        conflicts: list[FieldChange] = []
        self.merged, self._saved_now = [], {}
        for field in self.compared_fields():
            now = saved[field.name] if field.name in saved else getattr(obj, field.name)
            theirs, yours = compared_key(field, now), compared_key(field, field.data)
            mine = opened.get(field.name) if opened is not None else None
            self._saved_now[field.name] = theirs
            verdict = three_way(mine, theirs, yours, merges=self.merges)
            if verdict == "theirs":
                _take(field, now)
                self.merged.append(str(field.label.text))
            elif verdict == "conflict":
                conflicts.append(FieldChange(field.name, str(field.label.text), shown_key(field, theirs),
                                             shown_key(field, yours), None if mine is None else shown_key(field, mine)))
        return conflicts

    def refuse(self, changes: list[FieldChange], version: int) -> None:
        """Show the form again with the conflicting fields; it now carries the version saved and a snapshot of
        what is saved now, so saving it again overwrites those fields knowingly."""
        self.conflict = changes
        self.stale_version = self.opened_version
        self.version.data = str(version)
        self.version.raw_data = [str(version)]
        self._fresh_snapshot = self._sign(self._saved_now, version)


def snapshot_serializer(kind: str) -> URLSafeSerializer:
    """Signs the snapshot of what a page showed with the app's secret key (compressed when that is shorter);
    the salt names the form, so a snapshot of one form means nothing to another."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"crmproject.opened:{kind}")


def read_snapshot(kind: str, token: object) -> object | None:
    """A snapshot a page sent back, or None when it sent none or one this app did not sign for `kind`."""
    if not isinstance(token, str) or not token or len(token) > SNAPSHOT_LIMIT:
        return None
    try:
        return snapshot_serializer(kind).loads(token)
    except BadData:
        return None


def _snapshot_kind(form: VersionedForm) -> str:
    kind = type(form)
    return f"{kind.__module__}.{kind.__qualname__}"


def _take(field, value: object) -> None:
    """Put a saved value into a field, as if the form had been opened with it (and shown with it again)."""
    if isinstance(value, enum.Enum):
        value = value.value
    elif isinstance(value, (list, tuple, set)):
        value = [v.value if isinstance(v, enum.Enum) else v for v in value]
    field.data = value
    field.raw_data = []


def read_version(text: object) -> int | None:
    """A version sent back by a page; None for none or anything unreadable (it then matches no version)."""
    text = "" if text is None else str(text)  # 0 is a version: rules not saved yet
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def compared_key(field, value: object) -> Key:
    """A field's value reduced to what decides whether two values are the same, whether it came from the
    database, the form or a snapshot: a choice's key (not its label, which may be renamed), the ticked keys of
    a list in order, a text, number or date as people read it."""
    if isinstance(field, SelectMultipleField):
        values = value if isinstance(value, (list, tuple, set)) else ([] if value is None or value == "" else [value])
        return sorted(_choice_key(v) for v in values)
    if value is None or value == "" or value == []:
        return ""
    if isinstance(field, SelectFieldBase):
        return _choice_key(value)
    if isinstance(field, BooleanField):
        return "1" if value else ""
    return shown(field, value)


def _choice_key(value: object) -> str:
    return str(value.value if isinstance(value, enum.Enum) else value)


def shown_key(field, key: Key) -> str:
    """A compared key as people read it (a choice's label, Yes or No)."""
    if isinstance(field, BooleanField):
        return shown(field, key == "1")
    if isinstance(field, SelectFieldBase):
        return shown(field, key)
    return str(key)


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
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


class Parsed:
    """First in a number field's validators: when the value could not be read as a number (WTForms has
    said so), the range and other checks are skipped, so the field shows one message, not two."""

    field_flags: dict[str, object] = {}

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

    process_errors: list[str]  # the WTForms field's own, beside it in the class

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
        read = read_number(text, whole=True)
        if read is None:
            raise ValueError(gettext("%(field)s must be a whole number.", field=self.label.text))
        number = int(read)
        if not SMALLEST_INTEGER <= number <= LARGEST_INTEGER:
            raise ValueError(gettext("%(field)s must be between %(min)s and %(max)s.", field=self.label.text,
                                     min=format_number(SMALLEST_INTEGER), max=format_number(LARGEST_INTEGER)))
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
        number = read_number(text)
        if number is None:
            raise ValueError(gettext("%(field)s must be a number.", field=self.label.text))
        if abs(number) < self.limit:
            with localcontext() as context:
                context.prec = 60  # room for any column's digits; 1e-400 rounds to 0
                number = number.quantize(Decimal(1).scaleb(-self.scale), rounding=ROUND_HALF_UP)  # as PostgreSQL rounds
        if abs(number) >= self.limit:  # also 9999.99 rounded up to 10000.0 in a column of four digits before the point
            raise ValueError(gettext("%(field)s must be a number below %(limit)s.", field=self.label.text,
                                     limit=format_number(self.limit)))
        self.data = number


EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


class DateField(_DateField):
    """A date between 1900 and 2999: wider ranges are typos, and would overflow date arithmetic. Read as ISO
    (what <input type=date> sends) or as the reader writes dates (crmproject.dates.parse_date: 07.12.2026 in
    Russian, 2026/12/7 in Chinese, 1405/9/16 on the Solar Hijri calendar)."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        text = " ".join(str(v) for v in valuelist).strip()
        if not text:
            return  # nothing typed: Optional or InputRequired decide
        self.data = parse_date(text) if len(text) <= 40 else None
        if self.data is None:
            raise ValueError(gettext("Not a valid date value."))

    def pre_validate(self, form) -> None:
        if self.data is not None and not EARLIEST <= self.data <= LATEST:
            raise ValidationError(gettext("Enter a date between %(first)s and %(last)s.", first=EARLIEST.isoformat(), last=LATEST.isoformat()))


class DateTimeField(_DateTimeLocalField):
    """A local date and time to the minute (the browser's date-time picker), in the same years as DateField.
    The view says which time zone it is in."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        """ISO (the browser's picker), or a date as the reader writes it followed by the time (07.12.2026 14:05)."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            text = " ".join(str(v) for v in valuelist).strip()
            found = re.fullmatch(r"(.{6,40}?),?\s+(\d{1,2}):(\d{2})", text.translate(TYPED_DIGITS))
            day = parse_date(found.group(1)) if found else None
            if day is None or int(found.group(2)) > 23 or int(found.group(3)) > 59:
                raise ValueError(gettext("Not a valid datetime value.")) from None
            self.data = datetime(day.year, day.month, day.day, int(found.group(2)), int(found.group(3)))

    def pre_validate(self, form) -> None:
        if self.data is not None and not EARLIEST <= self.data.date() <= LATEST:
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
