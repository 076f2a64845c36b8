"""Page numbers from the query string, bounded: whatever is typed after ?page= (letters, 0, 30 digits) gives a page
the database can seek to, never an offset past its integers."""

from __future__ import annotations

from flask import request

MAX_PAGE = 1_000_000


def page_arg(name: str = "page") -> int:
    """The page asked for, from 1 to MAX_PAGE (a longer number: MAX_PAGE); 1 for anything that is not a number."""
    value = request.args.get(name, "").strip()
    if not (value.isascii() and value.isdigit()):
        return 1
    return min(max(int(value), 1), MAX_PAGE) if len(value) < 10 else MAX_PAGE
