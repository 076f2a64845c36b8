"""The shared fields hold only what the database can: numbers its columns fit, text without control characters."""

from decimal import Decimal

import pytest
from sqlalchemy import Numeric
from werkzeug.datastructures import MultiDict
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from crmproject.forms import AppForm, DecimalField, IntegerField


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


@pytest.mark.parametrize("typed", ["9" * 400, "2147483648", "-2147483649", "1e3", "12.0", "١٢"])
def test_a_whole_number_outside_an_integer_column_or_not_written_in_digits_is_refused(app, typed):
    assert _form(app, seats=typed).seats.errors


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
