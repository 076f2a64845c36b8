"""The one exception every reader raises for a file it cannot or will not read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SpreadsheetError(Exception):
    """A file that cannot be read as a spreadsheet; `message` is meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@contextmanager
def refused_as(refusal: Callable[[str], Exception]) -> Iterator[None]:
    """Within it, a SpreadsheetError (damage, a read limit...) becomes `refusal(message)`, its message kept.

        with refused_as(ImportRefused):
            workbook = open_workbook(data, filename, limits=limits)

    How every importer turns a file it cannot read into its own refusal.
    """
    try:
        yield
    except SpreadsheetError as exc:
        raise refusal(exc.message) from None
