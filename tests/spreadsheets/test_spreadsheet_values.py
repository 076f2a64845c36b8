"""Cell conversion: dates (text, serials in both date systems, ambiguous orders), numbers, percentages, yes/no."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from crmproject.spreadsheets import (
    CellError,
    ErrorCell,
    ImportIssue,
    column_letter,
    infer_day_first,
    parse_bool,
    parse_date,
    parse_int,
    parse_number,
    parse_percent,
    parse_text,
)
from crmproject.spreadsheets.cells import column_index


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2024, 3, 5), date(2024, 3, 5)),
        (datetime(2024, 3, 5, 14, 30), date(2024, 3, 5)),
        ("2024-03-05", date(2024, 3, 5)),
        ("2024/03/05", date(2024, 3, 5)),
        ("2024-3-5", date(2024, 3, 5)),
        ("2024-03-05T14:30:00Z", date(2024, 3, 5)),
        ("2024-03-05 14:30", date(2024, 3, 5)),
        ("05.03.2024", date(2024, 3, 5)),
        ("5.3.24", date(2024, 3, 5)),
        ("13/02/2024", date(2024, 2, 13)),
        ("02/13/2024", date(2024, 2, 13)),
        ("3/3/2024", date(2024, 3, 3)),
        ("Mar 5, 2024", date(2024, 3, 5)),
        ("March 5 2024", date(2024, 3, 5)),
        ("5 Mar 2024", date(2024, 3, 5)),
        ("5th March 2024", date(2024, 3, 5)),
        ("5-Mar-24", date(2024, 3, 5)),
        ("05-mar-1999", date(1999, 3, 5)),
        ("Tuesday, March 5, 2024", date(2024, 3, 5)),
        ("  2024-03-05  ", date(2024, 3, 5)),
        (None, None),
        ("   ", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("serial", "epoch_1904", "expected"),
    [
        (1, False, date(1900, 1, 1)),
        (59, False, date(1900, 2, 28)),
        (61, False, date(1900, 3, 1)),
        (45356, False, date(2024, 3, 5)),
        (45356.75, False, date(2024, 3, 5)),  # a date-time serial: the day is kept
        (45356.0, False, date(2024, 3, 5)),
        (0, True, date(1904, 1, 1)),
        (43894, True, date(2024, 3, 5)),  # 1,462 days less than in the 1900 system
    ],
)
def test_excel_serials(serial, epoch_1904, expected):
    assert parse_date(serial, epoch_1904=epoch_1904) == expected


def test_serial_60_is_excels_29_february_1900_that_never_was():
    with pytest.raises(CellError) as raised:
        parse_date(60)

    assert raised.value.kind == "not_a_date"
    assert raised.value.message == "60 is 29 February 1900 in Excel, a day that did not exist"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "5/3/2024",
            "'5/3/2024' could be 2024-03-05 (day/month/year) or 2024-05-03 (month/day/year); write it as YYYY-MM-DD",
        ),
        (
            "05-03-24",
            "'05-03-24' could be 2024-03-05 (day/month/year) or 2024-05-03 (month/day/year); write it as YYYY-MM-DD",
        ),
    ],
)
def test_ambiguous_dates_name_both_readings(value, message):
    with pytest.raises(CellError) as raised:
        parse_date(value)

    assert raised.value.kind == "ambiguous_date"
    assert raised.value.message == message


@pytest.mark.parametrize(
    ("value", "day_first", "expected"),
    [
        ("5/3/2024", True, date(2024, 3, 5)),
        ("5/3/2024", False, date(2024, 5, 3)),
        ("05.03.2024", False, date(2024, 3, 5)),  # dots are always day-first
        ("2024-03-05", False, date(2024, 3, 5)),
    ],
)
def test_a_known_order_settles_ambiguous_dates(value, day_first, expected):
    assert parse_date(value, day_first=day_first) == expected


@pytest.mark.parametrize(
    ("value", "day_first", "message"),
    [
        ("13/02/2024", False, "'13/02/2024' is not a valid month/day/year date"),
        ("02/13/2024", True, "'02/13/2024' is not a valid day/month/year date"),
        ("31/02/2024", None, "'31/02/2024' is not a date"),
        ("2024-02-30", None, "'2024-02-30' is not a date"),
        ("Mar 2024", None, "'Mar 2024' is not a date"),
        ("Smarch 5, 2024", None, "'Smarch 5, 2024' is not a date"),
        ("next week", None, "'next week' is not a date"),
        ("20240305", None, "'20240305' is not a date"),
        (time(9, 30), None, "'09:30:00' is not a date"),
        (timedelta(days=2), None, "'2 days, 0:00:00' is not a date"),
        (True, None, "'TRUE' is not a date"),
        (0.5, None, "0.5 is not a date"),
        (-3, None, "-3 is not a date"),
        (1e12, None, "1000000000000 is not a date"),
    ],
)
def test_not_dates(value, day_first, message):
    with pytest.raises(CellError) as raised:
        parse_date(value, day_first=day_first)

    assert raised.value.kind == "not_a_date"
    assert raised.value.message == message


@pytest.mark.parametrize(
    ("values", "day_first"),
    [
        (["5/3/2024", "13/02/2024", None, date(2024, 1, 1)], True),
        (["5/3/2024", "02/13/2024"], False),
        (["5/3/2024", "6/4/2024"], None),
        (["13/02/2024", "02/13/2024"], None),  # proof of both: each reads alone, the rest is reported
        (["13.02.2024", "5/3/2024"], None),  # dotted dates prove nothing about slashes
        ([45356, "2024-03-05"], None),
    ],
)
def test_infer_day_first(values, day_first):
    assert infer_day_first(values) is day_first


def test_a_column_proven_day_first_reads_its_ambiguous_dates():
    column = ["5/3/2024", "13/02/2024", "1/12/2024"]
    order = infer_day_first(column)

    assert [parse_date(value, day_first=order) for value in column] == [
        date(2024, 3, 5),
        date(2024, 2, 13),
        date(2024, 12, 1),
    ]


@pytest.mark.parametrize("parse", [parse_date, parse_number, parse_int, parse_percent, parse_bool, parse_text])
def test_error_cells_are_reported_by_their_code(parse):
    with pytest.raises(CellError) as raised:
        parse(ErrorCell("#REF!"))

    assert raised.value.kind == "error_cell"
    assert raised.value.message == "the cell holds the error #REF!"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, Decimal(3)),
        (1234.5, Decimal("1234.5")),
        (0.30000000000000004, Decimal("0.3")),
        ("1,234.5", Decimal("1234.5")),
        ("1,234,567", Decimal(1234567)),
        (" -12.5 ", Decimal("-12.5")),
        ("+7", Decimal(7)),
        (".5", Decimal("0.5")),
        ("1 234.5", Decimal("1234.5")),
        ("1\u00a0234", Decimal(1234)),
        ("1'234.5", Decimal("1234.5")),
        ("1.5e3", Decimal(1500)),
        ("", None),
        (None, None),
    ],
)
def test_parse_number(value, expected):
    assert parse_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.234,5", Decimal("1234.5")), ("0,25", Decimal("0.25")), ("1 234,5", Decimal("1234.5")), ("12", Decimal(12))],
)
def test_parse_number_with_decimal_comma(value, expected):
    assert parse_number(value, decimal_comma=True) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "'abc' is not a number"),
        ("1,5", "'1,5' is not a number"),  # a decimal comma needs decimal_comma=True
        ("12,34", "'12,34' is not a number"),
        ("1.2.3", "'1.2.3' is not a number"),
        ("e5", "'e5' is not a number"),
        ("12%", "'12%' is not a number"),
        (True, "'TRUE' is not a number"),
        (date(2024, 3, 5), "'2024-03-05' is not a number"),
        (float("nan"), "'nan' is not a number"),
    ],
)
def test_not_numbers(value, message):
    with pytest.raises(CellError) as raised:
        parse_number(value)

    assert (raised.value.kind, raised.value.message) == ("not_a_number", message)


@pytest.mark.parametrize(("value", "expected"), [(3.0, 3), ("3", 3), ("1,000", 1000), (-2, -2), (None, None)])
def test_parse_int(value, expected):
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    ("value", "message"), [(3.5, "'3.5' is not a whole number"), ("three", "'three' is not a whole number")]
)
def test_not_whole_numbers(value, message):
    with pytest.raises(CellError) as raised:
        parse_int(value)

    assert (raised.value.kind, raised.value.message) == ("not_an_integer", message)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("85%", Decimal(85)),
        ("85 %", Decimal(85)),
        ("12.5%", Decimal("12.5")),
        (0.85, Decimal(85)),
        ("0.85", Decimal(85)),
        ("85", Decimal(85)),
        (85, Decimal(85)),
        (1, Decimal(100)),
        (0, Decimal(0)),
        ("150%", Decimal(150)),
        (None, None),
    ],
)
def test_parse_percent_gives_points(value, expected):
    assert parse_percent(value) == expected


def test_parse_percent_with_decimal_comma():
    assert parse_percent("12,5 %", decimal_comma=True) == Decimal("12.5")


@pytest.mark.parametrize("value", ["high", "%", True])
def test_not_percentages(value):
    with pytest.raises(CellError) as raised:
        parse_percent(value)

    assert raised.value.kind == "not_a_percent"
    assert raised.value.message.endswith("is not a percentage")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0.0, False),
        ("Yes", True),
        ("n", False),
        ("TRUE", True),
        ("false", False),
        ("x", True),
        ("X", True),
        ("✓", True),
        ("✔", True),
        ("1", True),
        ("0", False),
        ("  no ", False),
        ("", None),
        (None, None),
    ],
)
def test_parse_bool(value, expected):
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["maybe", 2, date(2024, 1, 1)])
def test_not_bools(value):
    with pytest.raises(CellError) as raised:
        parse_bool(value)

    assert raised.value.kind == "not_a_bool"
    assert raised.value.message.endswith("is not yes or no")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("   Design Network", "   Design Network"),
        ("Arun, Bex", "Arun, Bex"),
        (1.0, "1"),
        (1.3, "1.3"),
        (2, "2"),
        (date(2024, 3, 5), "2024-03-05"),
        (datetime(2024, 3, 5, 9, 30), "2024-03-05 09:30"),
        (True, "TRUE"),
        ("  ", None),
        (None, None),
    ],
)
def test_parse_text_keeps_leading_spaces(value, expected):
    assert parse_text(value) == expected


@pytest.mark.parametrize(
    ("index", "letters"),
    [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")],
)
def test_column_letters(index, letters):
    assert column_letter(index) == letters
    assert column_index(letters) == index


def test_column_letter_refuses_negative_indexes():
    with pytest.raises(ValueError):
        column_letter(-1)


def test_import_issue_locations():
    full = ImportIssue(sheet="Tasks", row=5, column=27, header="Start Date", message="'x' is not a date")
    no_header = ImportIssue(sheet="Tasks", row=5, column=0, header=None, message="bad")
    row_only = ImportIssue(sheet="Tasks", row=7, column=None, header=None, message="duplicate task")

    assert full.column_letter == "AB"
    assert str(full) == "Sheet Tasks, row 5, column AB (Start Date): 'x' is not a date"
    assert str(no_header) == "Sheet Tasks, row 5, column A: bad"
    assert str(row_only) == "Sheet Tasks, row 7: duplicate task"
    assert row_only.column_letter is None
