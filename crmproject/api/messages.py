"""Marshmallow's own validation messages in the reader's language.

Marshmallow formats its messages in English before the API sees them ("Not a valid integer.", "Longer than maximum
length 200."). Each English template below is matched as a pattern (its {placeholders} capture the values), and the
match is answered with our catalogue's message, given the same values. A message not listed (one of our own, which
is translated already) passes through unchanged."""

from __future__ import annotations

import re
from functools import cache

from crmproject.i18n import lazy_gettext as _l

# marshmallow's default messages (fields and the validators our schemas use), with ours beside them
TEMPLATES = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field may not be empty (null)."),
    "Unknown field.": _l("There is no such field."),
    "Invalid input type.": _l("This must be a JSON object."),
    "Invalid type.": _l("This value has the wrong type."),
    "Invalid value.": _l("This value is not valid."),
    "Not a valid string.": _l("This must be text."),
    "Not a valid integer.": _l("This must be a whole number."),
    "Not a valid number.": _l("This must be a number."),
    "Number too large.": _l("This number is too large."),
    "Special numeric values (nan or infinity) are not permitted.": _l("This must be a finite number."),
    "Not a valid boolean.": _l("This must be true or false."),
    "Not a valid date.": _l("This must be a date (YYYY-MM-DD)."),
    "Not a valid datetime.": _l("This must be a date and time (ISO 8601)."),
    "Not a valid list.": _l("This must be a list."),
    "Not a valid mapping type.": _l("This must be a JSON object."),
    "Not a valid email address.": _l("This must be an e-mail address."),
    "Longer than maximum length {max}.": _l("At most %(max)s characters."),
    "Shorter than minimum length {min}.": _l("At least %(min)s characters."),
    "Length must be between {min} and {max}.": _l("Between %(min)s and %(max)s characters or items."),
    "Must be greater than or equal to {min} and less than or equal to {max}.": _l("Must be between %(min)s and %(max)s."),
    "Must be greater than or equal to {min}.": _l("Must be at least %(min)s."),
    "Must be less than or equal to {max}.": _l("Must be at most %(max)s."),
    "Must be one of: {choices}.": _l("Must be one of: %(choices)s."),
}


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    found = []
    for english in TEMPLATES:
        pattern = re.escape(english)
        pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>.+?)", pattern)
        found.append((re.compile(f"^{pattern}$", re.DOTALL), english))
    return found


def translated(message: str) -> str:
    """The message in the reader's language when it is one of marshmallow's, else the message itself."""
    for pattern, english in _patterns():
        match = pattern.match(message)
        if match:
            return str(TEMPLATES[english]) % match.groupdict()
    return message
