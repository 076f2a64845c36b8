"""The one exception every reader raises for a file it cannot or will not read."""

from __future__ import annotations


class SpreadsheetError(Exception):
    """A file that cannot be read as a spreadsheet; `message` is meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
