"""What a cell holds once read, and how rows and cells are addressed.

Conventions used across the package: row numbers are 1-based, exactly as
Excel shows them; column indexes are 0-based (0 is column A), so they index
straight into `Row.cells`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple


@dataclass(frozen=True)
class ErrorCell:
    """A cell showing an Excel error such as #REF! or #DIV/0!."""

    code: str

    def __str__(self) -> str:
        return self.code


CellValue = str | int | float | bool | date | datetime | time | timedelta | ErrorCell | None
"""An empty cell is None; text keeps its spaces (leading spaces can carry meaning)."""


class Row(NamedTuple):
    """One row of a sheet: its number as Excel shows it and its cells from column A."""

    number: int
    cells: list[CellValue]

    def cell(self, column: int) -> CellValue:
        """The value in column `column` (0 is A), None past the end of the row."""
        return self.cells[column] if column < len(self.cells) else None


class CellRange(NamedTuple):
    """A rectangle of cells, such as a merged range: rows 1-based, columns 0-based, bounds included."""

    top: int
    left: int
    bottom: int
    right: int


def is_blank(value: CellValue) -> bool:
    """True for an empty cell or text made only of whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def column_letter(index: int) -> str:
    """The Excel letters of a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA."""
    if index < 0:
        raise ValueError(f"column index must be >= 0, not {index}")
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """The 0-based index of Excel column letters: A -> 0, AA -> 26."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


@dataclass
class Extent:
    """The rectangle a sheet spans, as 1-based last row and last column (0 when the sheet is empty)."""

    rows: int = 0
    columns: int = 0

    def add(self, row: int, column: int) -> None:
        if row > self.rows:
            self.rows = row
        if column > self.columns:
            self.columns = column
