"""Finding the table in a sheet: its header row below any title block or notes, its columns, its rows.

Headers are matched by name, never by position: each `FieldSpec` lists the
names a column may have, compared after `normalise_header`. Calendar columns
(dates, weeks, months, quarters: the grid of a Gantt chart) are never mapped
and are reported apart.

The rows of a table run from below its header to its end, which is:
  - the end of the sheet;
  - a row that is itself a header for the fields after a blank row (a second
    table below the first, as in calamine_table-multiple.xlsx): only the first
    table is read;
  - after two or more blank rows, a row with a value in a column the header
    does not name (notes, another block beside).
Single blank rows are skipped. `Table.next_content_row` tells where reading
stopped, so importers can say what was left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import chain, islice
from typing import Literal

from crmproject.i18n import LazyString

from .cells import CellValue, Row, is_blank
from .reader import Sheet
from .values import ImportIssue, display

FieldKind = Literal["text", "date", "number", "integer", "percent", "bool"]


@dataclass(frozen=True)
class FieldSpec:
    """A column an importer knows: its key, the label users see, the other names it goes by."""

    key: str
    label: str | LazyString
    synonyms: tuple[str, ...] = ()
    required: bool = False
    kind: FieldKind = "text"

    def header_names(self) -> tuple[str, ...]:
        """The normalised names a header may have: label, key, then synonyms, best first."""
        names = (normalise_header(str(self.label)), normalise_header(self.key))
        return tuple(dict.fromkeys(names + tuple(normalise_header(name) for name in self.synonyms)))


@dataclass(frozen=True)
class HeaderMatch:
    """The header row found and what each of its columns is (column indexes from 0)."""

    row: int
    columns: dict[int, str]
    headers: dict[int, str]
    unmapped: tuple[int, ...]
    duplicates: dict[int, str]
    calendar: tuple[int, ...]
    missing: tuple[str, ...]

    def column(self, key: str) -> int | None:
        """The column holding field `key`, None if the sheet has none."""
        return next((column for column, field_key in self.columns.items() if field_key == key), None)


@dataclass(frozen=True)
class TableRow:
    """One data row: the mapped values by field key (None when blank) and the whole row as read."""

    number: int
    values: dict[str, CellValue]
    cells: list[CellValue]
    section: bool


@dataclass(frozen=True)
class Table:
    """The first table of a sheet that matches the fields."""

    sheet: str
    header: HeaderMatch
    rows: tuple[TableRow, ...]
    next_content_row: int | None

    def issue(self, row: TableRow | int | None, key: str | None, message: str) -> ImportIssue:
        """An ImportIssue at `row` in the column of field `key` (either may be None)."""
        column = self.header.column(key) if key else None
        return ImportIssue(
            sheet=self.sheet,
            row=row.number if isinstance(row, TableRow) else row,
            column=column,
            header=self.header.headers.get(column) if column is not None else None,
            message=message,
        )


_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NON_WORD = re.compile(r"[\W_]+")
_SYMBOLS = str.maketrans({"%": " percent ", "#": " number ", "&": " and "})


def normalise_header(text: str) -> str:
    """A header reduced for comparison: no accents or case, % # & spelled out, punctuation as single spaces.

    "Task Owner", "task_owner" and " TASK-OWNER " all become "task owner".
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return _NON_WORD.sub(" ", plain.casefold().translate(_SYMBOLS)).strip()


def _header_variants(text: str) -> tuple[str, ...]:
    """The header as written, then without bracketed parts: "Owner(s)", "Start (dd/mm/yyyy)"."""
    return (normalise_header(text), normalise_header(_BRACKETED.sub(" ", text)))


_MONTH = "|".join(
    ("jan(?:uary)?", "feb(?:ruary)?", "mar(?:ch)?", "apr(?:il)?", "may", "june?", "july?", "aug(?:ust)?")
    + ("sep(?:t(?:ember)?)?", "oct(?:ober)?", "nov(?:ember)?", "dec(?:ember)?")
)
_CALENDAR_HEADER = re.compile(
    rf"""
    # W1, Wk 3, Week 12, KW 5
      (?:w|wk|week|cw|kw)\.?\s*-?\s*\d{{1,2}}
    # Jan, January 2024, Jan-24, 5 Mar, Mar 5, 2024
    | (?:\d{{1,2}}(?:st|nd|rd|th)?[\s\-/.]*)?(?:{_MONTH})\.?(?:[\s\-/.,']*\d{{1,4}}){{0,2}}
    # Q1, Q1 2024, 2024-Q1, FY24 Q1
    | (?:fy\s*)?(?:\d{{4}}|\d{{2}})?[\s\-/]*q[1-4](?:[\s\-/']*(?:fy\s*)?(?:\d{{4}}|\d{{2}}))?
    # 2024-01-07, 2024-01
    | \d{{4}}[-/.]\d{{1,2}}(?:[-/.]\d{{1,2}})?
    # 7/1, 07.01., 1/7/2024
    | \d{{1,2}}[-/.]\d{{1,2}}(?:[-/.](?:\d{{4}}|\d{{2}}))?\.?
    """,
    re.IGNORECASE | re.VERBOSE,
)


def is_calendar_header(value: CellValue) -> bool:
    """True for a header that labels a day, week, month or quarter: a Gantt or timeline column."""
    if isinstance(value, date):
        return True
    return isinstance(value, str) and _CALENDAR_HEADER.fullmatch(value.strip()) is not None


def _name_index(fields: Sequence[FieldSpec]) -> dict[str, tuple[str, int]]:
    """Normalised name -> (field key, rank of the name); the first field to claim a name keeps it."""
    index: dict[str, tuple[str, int]] = {}
    for field in fields:
        for rank, name in enumerate(field.header_names()):
            index.setdefault(name, (field.key, rank))
    return index


def _match_row(row: Row, fields: Sequence[FieldSpec], names: dict[str, tuple[str, int]]) -> HeaderMatch | None:
    """The row read as a header, or None when it names too few fields to be one."""
    headers: dict[int, str] = {}
    calendar: list[int] = []
    claims: dict[str, list[tuple[int, int]]] = {}
    for column, value in enumerate(row.cells):
        if is_blank(value):
            continue
        headers[column] = display(value).strip()
        if is_calendar_header(value):
            calendar.append(column)
            continue
        hit = next((names[name] for name in _header_variants(headers[column]) if name in names), None)
        if hit:
            key, rank = hit
            claims.setdefault(key, []).append((rank, column))
    if len(claims) < min(2, len(fields)):
        return None
    columns: dict[int, str] = {}
    duplicates: dict[int, str] = {}
    for key, candidates in claims.items():
        (_, best), *others = sorted(candidates)
        columns[best] = key
        duplicates.update((column, key) for _, column in others)
    return HeaderMatch(
        row=row.number,
        columns=dict(sorted(columns.items())),
        headers=headers,
        unmapped=tuple(c for c in headers if c not in columns and c not in duplicates and c not in calendar),
        duplicates=dict(sorted(duplicates.items())),
        calendar=tuple(calendar),
        missing=tuple(field.key for field in fields if field.required and field.key not in claims),
    )


def find_header(rows: Iterable[Row], fields: Sequence[FieldSpec], *, max_scan: int = 30) -> HeaderMatch | None:
    """The row among the first `max_scan` that names the most fields, required ones first.

    A row qualifies when it names at least two fields (one if only one is
    known); on a tie the upper row wins. Title blocks and notes above the
    header name no field and are passed over. None when no row qualifies.
    """
    names = _name_index(fields)
    best: HeaderMatch | None = None
    best_score = (0, 0)
    required = {field.key for field in fields if field.required}
    for row in islice(rows, max_scan):
        match = _match_row(row, fields, names)
        if match is None:
            continue
        score = (len(required & set(match.columns.values())), len(match.columns))
        if best is None or score > best_score:
            best, best_score = match, score
    return best


def read_table(
    sheet: Sheet, fields: Sequence[FieldSpec], *, max_scan: int = 30, section_field: str | None = None,
    columns: dict[int, str] | None = None, header: HeaderMatch | None = None, fill_merged: bool = False,
) -> Table | None:
    """The first table in `sheet` whose header names the fields, or None when no header is found.

    A row whose only mapped value is in the section column (by default the
    leftmost text field, else `section_field`) is marked `section`: a
    heading such as "Phase 1: Planning" that importers may treat specially.
    `columns` ({column index: field key}) replaces the mapping found, when a
    user has confirmed or changed it. `header` is one an importer found its
    own way (then none is searched for); with `fill_merged` a merged range
    below the header gives its value to every row it spans (Sheet.rows).
    """
    if header is None:
        header = find_header(islice(sheet.rows(), max_scan), fields, max_scan=max_scan)
        if header is None:
            return None
    rows = iter(sheet.rows(fill_merged_from=header.row + 1 if fill_merged else None))
    head = list(islice(rows, max_scan))
    if columns is not None:
        keys = {field.key for field in fields}
        chosen = {column: key for column, key in sorted(columns.items()) if key in keys}
        header = replace(
            header,
            columns=chosen,
            duplicates={},
            unmapped=tuple(c for c in header.headers if c not in chosen and c not in header.calendar),
            missing=tuple(f.key for f in fields if f.required and f.key not in chosen.values()),
        )
    kinds = {field.key: field.kind for field in fields}
    section_column = (
        header.column(section_field)
        if section_field
        else next((column for column, key in header.columns.items() if kinds[key] == "text"), None)
    )
    body = chain((row for row in head if row.number > header.row), rows)
    data, next_content_row = _read_body(body, header, fields, section_column)
    return Table(sheet=sheet.name, header=header, rows=tuple(data), next_content_row=next_content_row)


def _read_body(
    body: Iterable[Row], header: HeaderMatch, fields: Sequence[FieldSpec], section_column: int | None
) -> tuple[list[TableRow], int | None]:
    names = _name_index(fields)
    data: list[TableRow] = []
    blank_run = 0
    for row in body:
        if blank_run >= 2 and _beyond_header(row, header):
            return data, row.number
        values: dict[str, CellValue] = {}
        filled: list[int] = []
        for column, key in header.columns.items():
            value = row.cell(column)
            values[key] = None if is_blank(value) else value
            if values[key] is not None:
                filled.append(column)
        if not filled:
            blank_run += 1
            continue
        # Checking for a second header only after a gap keeps the common case (one table) fast.
        if blank_run and _match_row(row, fields, names) is not None:
            return data, row.number
        blank_run = 0
        data.append(
            TableRow(
                number=row.number,
                values=values,
                cells=row.cells,
                section=filled == [section_column],
            )
        )
    return data, None


def _beyond_header(row: Row, header: HeaderMatch) -> bool:
    """True when the row has a value in a column the header row leaves unnamed."""
    return any(not is_blank(value) and column not in header.headers for column, value in enumerate(row.cells))
