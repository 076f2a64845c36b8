"""Numbers written by Python (gates' details, charts' labels, messages) in the reader's language, as the
templates' `number` filter writes them."""

import pytest
from flask_babel import force_locale

from crmproject.gates.criteria import number
from crmproject.i18n import format_number


@pytest.mark.parametrize(("language", "value", "places", "shown"), [
    ("en", 1234.5, None, "1,234.5"), ("en", 87.0, None, "87"), ("en", 2.456, 2, "2.46"),
    ("ru", 1234.5, None, "1\u00a0234,5"), ("ru", 2.456, 2, "2,46"),
    ("zh_Hans", 1234.5, None, "1,234.5"),
    ("fa", 1234.5, None, "1,234.5"),  # Babel writes Persian with Latin digits and signs by default
])
def test_numbers_follow_the_readers_language(app, language, value, places, shown):
    with app.test_request_context(), force_locale(language):
        assert format_number(value, places) == shown


def test_a_gate_threshold_reads_as_the_language_writes_it(app):
    with app.test_request_context():
        with force_locale("ru"):
            assert number(87.5) == "87,5"
        with force_locale("en"):
            assert number(87.5) == "87.5" and number(90) == "90"
