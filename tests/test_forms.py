"""The shared fields hold only what the database can: numbers its columns fit, text without control characters; an edit
form carries what it showed when opened, and its save is checked three ways."""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import Numeric
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from crmproject.enums import LabelledEnum
from crmproject.errors import FieldChange, three_way
from crmproject.forms import (
    AppForm, CheckboxListField, DecimalField, IntegerField, VersionedForm, compared_key, options, shown_key, snapshot_serializer,
)


class Sample(AppForm):
    share = DecimalField("Share", column=Numeric(5, 2), validators=[Optional()])
    seats = IntegerField("Seats", validators=[Optional()])
    title = StringField("Title", validators=[Optional(), Length(max=50)])
    notes = TextAreaField("Notes", validators=[Optional()])


def _form(app, **data) -> Sample:
    with app.test_request_context(method="POST"):
        form = Sample(formdata=MultiDict(data), meta={"csrf": False})
        form.validate()
        return form


@pytest.mark.parametrize(("typed", "message"), [
    ("NaN", "Share must be a number."), ("sNaN", "Share must be a number."), ("-Infinity", "Share must be a number."),
    ("1e400", "Share must be a number below 1,000."), ("9" * 400, "Share must be a number below 1,000."),
    ("999.999", "Share must be a number below 1,000."),  # rounds up to 1000.00, more than five digits
    ("x" * 100_000, "Share must be a number."),
])
def test_a_decimal_the_column_cannot_hold_is_refused_naming_the_field(app, typed, message):
    form = _form(app, share=typed)
    assert form.share.errors == [message] and form.share.data is None


@pytest.mark.parametrize(("typed", "kept"), [("12.345", Decimal("12.35")), ("1e-400", Decimal("0.00")), ("-999.99", Decimal("-999.99"))])
def test_a_decimal_is_rounded_to_the_places_of_its_column(app, typed, kept):
    form = _form(app, share=typed)
    assert form.share.errors == [] and form.share.data == kept


@pytest.mark.parametrize("typed", ["9" * 400, "2147483648", "-2147483649", "1e3", "12.0", "1,234.0", "12²", "1 23"])
def test_a_whole_number_outside_an_integer_column_or_not_written_in_digits_is_refused(app, typed):
    assert _form(app, seats=typed).seats.errors


@pytest.mark.parametrize(("language", "typed", "share", "seats"), [
    ("en", "12.5", Decimal("12.50"), None), ("en", "1,5", "refused", None),
    ("ru", "12,5", Decimal("12.50"), None), ("ru", "12.5", Decimal("12.50"), None),
    ("ru", "1\u00a0234", None, 1234), ("ru", "1 234", None, 1234), ("ru", "1,234", None, "refused"),
    ("en", "1,234", None, 1234), ("zh_Hans", "1,234", None, 1234), ("zh_Hans", "12.5", Decimal("12.50"), None),
    ("fa", "۱۲٫۵", Decimal("12.50"), None), ("fa", "۱٬۲۳۴", None, 1234), ("fa", "١٢", None, 12),
])
def test_numbers_are_read_as_the_readers_language_writes_them(app, language, typed, share, seats):
    """Russian writes 12,5 and groups with spaces, English groups with commas, Persian has its own digits and
    signs; a point is always the decimal sign, as the forms show numbers back."""
    from flask_babel import force_locale

    with force_locale(language):
        form = _form(app, **({"share": typed} if share is not None else {"seats": typed}))
    if isinstance(share, Decimal):
        assert form.share.errors == [] and form.share.data == share
    elif isinstance(share, str):
        assert form.share.errors and form.share.data is None  # refused (in the reader's language)
    if isinstance(seats, int):
        assert form.seats.errors == [] and form.seats.data == seats
    elif isinstance(seats, str):
        assert form.seats.errors and form.seats.data is None


def test_an_empty_number_box_is_none_not_an_error(app):
    form = _form(app, share="", seats=" ")
    assert (form.share.errors, form.seats.errors, form.share.data, form.seats.data) == ([], [], None, None)


@pytest.mark.parametrize("typed", ["Sales\x00team", "\x1b[2J", "evil\u202etxt", "a\u2066b"])
def test_control_characters_are_refused_not_stored(app, typed):
    form = _form(app, title=typed, notes=typed)
    expected = "holds control characters (such as NUL or escape) or marks that reorder text on screen: remove them."
    assert form.title.errors == [f"Title {expected}"] and form.notes.errors == [f"Notes {expected}"]


def test_line_breaks_and_tabs_are_text(app):
    assert _form(app, notes="First line\r\n\tsecond line").notes.errors == []


def test_a_text_without_a_limit_of_its_own_holds_ten_thousand_characters(app):
    assert _form(app, notes="x" * 10_000).notes.errors == []
    assert _form(app, notes="x" * 10_001).notes.errors == ["Notes cannot be longer than 10,000 characters."]
    assert _form(app, title="x" * 51).title.errors == ["Field cannot be longer than 50 characters."]


# --- what an edit form showed when it was opened, and the three-way check of its save ---------------------------------

class Colour(LabelledEnum):
    RED = "red", "Red"
    BLUE = "blue", "Blue"


class Thing(VersionedForm):
    name = StringField("Name")
    colour = SelectField("Colour", choices=options(Colour.choices()))
    amount = DecimalField("Amount", column=Numeric(8, 4), validators=[Optional()])
    tags = CheckboxListField("Tags", choices=options([(1, "One"), (2, "Two"), (3, "Three")]))
    active = BooleanField("Active")


def _thing(**values) -> SimpleNamespace:
    return SimpleNamespace(**{"name": "Lamp", "colour": Colour.RED, "amount": Decimal("80.0000"), "tags": [1, 3],
                              "active": True, "version": 2, **values})


def _opened(app, obj) -> str:
    """The snapshot a page showing `obj` carries."""
    with app.test_request_context():
        form = Thing(obj=obj, meta={"csrf": False})
        html = str(form.version())
    return re.search(r'name="opened" type="hidden" value="([^"]*)"', html).group(1)


def _posted(app, obj, opened: str | None, version: str = "2", **typed):
    data = MultiDict({"name": "Lamp", "colour": "red", "amount": "80", "active": "y", "version": version, **typed})
    for tag in typed.pop("tags", ["3", "1"]):
        data.add("tags", tag)
    if opened is not None:
        data["opened"] = opened
    ctx = app.test_request_context(method="POST", data=data)
    ctx.push()
    form = Thing(meta={"csrf": False})
    assert form.validate(), form.errors
    return form, ctx


@pytest.mark.parametrize(("opened", "saved", "yours", "verdict"), [
    ("a", "a", "b", "yours"),  # nobody else changed it
    ("a", "b", "b", "yours"),  # both made it the same
    ("a", "b", "a", "theirs"),  # only someone else changed it
    ("a", "b", "c", "conflict"),  # both changed it, differently
    (None, "a", "a", "yours"),  # not known what the page showed, but nothing differs
    (None, "b", "a", "conflict"),  # not known, and it differs: it would be lost unseen
])
def test_three_way(opened, saved, yours, verdict):
    assert three_way(opened, saved, yours) == verdict
    assert three_way(opened, saved, yours, merges=False) == ("conflict" if verdict == "theirs" else verdict)


def test_values_compare_the_same_from_the_database_the_form_and_a_snapshot(app):
    with app.test_request_context():
        form = Thing(meta={"csrf": False})
        assert compared_key(form.colour, Colour.RED) == compared_key(form.colour, "red") == "red"
        assert compared_key(form.amount, Decimal("80.0000")) == compared_key(form.amount, Decimal("80")) == "80"
        assert compared_key(form.tags, [3, 1]) == compared_key(form.tags, ["1", "3"]) == ["1", "3"]
        assert compared_key(form.tags, None) == compared_key(form.tags, []) == []
        assert compared_key(form.active, False) == compared_key(form.active, None) == ""
        assert compared_key(form.name, "Two\r\nlines ") == compared_key(form.name, "Two\nlines") == "Two\nlines"
        assert (shown_key(form.colour, "blue"), shown_key(form.tags, ["1", "3"]), shown_key(form.active, "")) == ("Blue", "One, Three", "No")


def test_a_field_only_someone_else_changed_takes_their_value_in_the_form(app):
    opened = _opened(app, _thing())
    saved_now = _thing(colour=Colour.BLUE, tags=[2], amount=Decimal("90.0000"), version=3)
    form, ctx = _posted(app, saved_now, opened, name="Desk lamp")
    try:
        assert form.reconcile(saved_now) == []
        assert (form.name.data, form.colour.data, form.tags.data, form.amount.data) == ("Desk lamp", "blue", [2], Decimal("90.0000"))
        assert form.merged == ["Colour", "Amount", "Tags"]
        assert form.colour.raw_data == []  # shown again with their value, not the one posted
    finally:
        ctx.pop()


def test_a_field_both_changed_is_a_conflict_with_the_three_values_and_a_fresh_snapshot(app):
    opened = _opened(app, _thing())
    saved_now = _thing(name="Floor lamp", version=3)
    form, ctx = _posted(app, saved_now, opened, name="Desk lamp", colour="blue")
    try:
        changes = form.reconcile(saved_now)
        assert changes == [FieldChange("name", "Name", saved="Floor lamp", yours="Desk lamp", opened="Lamp")]
        form.refuse(changes, 3)
        assert form.http_status == 409 and form.stale_version == 2 and form.version.data == "3"
        fresh = re.search(r'name="opened" type="hidden" value="([^"]*)"', str(form.version())).group(1)
    finally:
        ctx.pop()
    form, ctx = _posted(app, saved_now, fresh, version="3", name="Desk lamp", colour="blue")
    try:
        assert form.opened() == {"name": "Floor lamp", "colour": "red", "amount": "80", "tags": ["1", "3"], "active": "1"}
    finally:
        ctx.pop()


@pytest.mark.parametrize("how", ["missing", "garbage", "altered", "other version", "other form", "other key"])
def test_a_snapshot_not_made_here_for_this_form_and_version_is_not_known(app, how):
    real = _opened(app, _thing())
    with app.test_request_context():
        other_form = snapshot_serializer("tests.OtherForm").dumps({"v": 2, "f": {"name": "Lamp"}})
        other_key = URLSafeSerializer("not the app's key", salt="crmproject.opened:test_forms.Thing").dumps({"v": 2, "f": {}})
    snapshot = {"missing": None, "garbage": "x" * 100, "altered": real[:-2] + "zz", "other version": real,
                "other form": other_form, "other key": other_key}[how]
    form, ctx = _posted(app, _thing(), snapshot, version="1" if how == "other version" else "2", name="Desk lamp")
    try:
        assert form.opened() is None
        saved_now = _thing(colour=Colour.BLUE, version=3)
        changes = form.reconcile(saved_now)  # as before snapshots: every field that differs, nothing taken over
        assert [(c.name, c.opened) for c in changes] == [("name", None), ("colour", None)] and form.merged == []
        form.refuse(changes, 3)
        assert 'name="opened" type="hidden" value=""' not in str(form.version())  # the fresh snapshot is signed
    finally:
        ctx.pop()
