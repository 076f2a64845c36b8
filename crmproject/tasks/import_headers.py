"""Finding a task plan's header row and choosing its columns.

Each of the first rows of a sheet is scored by every column it names (see
import_words); the best row is the header when it has a task-name column. When
two columns could fill one field, the one that holds values wins, then the
better name, then the one with more different values (so a task group merged
over its tasks loses the task name to the sub-task column, and becomes the
phase column instead).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice

from crmproject.i18n import _
from crmproject.spreadsheets import CellValue, HeaderMatch, Row, column_letter, is_blank
from crmproject.spreadsheets.table import is_calendar_header
from crmproject.spreadsheets.values import display

from .import_words import FIELD_LABELS, FIELD_WEIGHTS, TASK_FIELDS, TASK_SIGNALS, NameMatch, match_header, words

MAX_SCAN = 30
MANUAL = 1_000  # a column the user named by hand outranks every name the importer knows


class ImportRefused(Exception):
    """The file cannot be imported at all (not a spreadsheet, no header...); the message says why."""


@dataclass
class HeaderCandidate:
    """A row read as a header: what each of its columns may be."""

    sheet: str
    row: int
    headers: dict[int, str]
    matches: dict[int, NameMatch]
    calendar: tuple[int, ...]

    @property
    def keys(self) -> set[str]:
        return {m.key for m in self.matches.values()}

    @property
    def score(self) -> int:
        return sum(FIELD_WEIGHTS.get(key, 1) for key in self.keys)

    @property
    def task_like(self) -> bool:
        """A task-name column, and either a task word in it or an owner, date, status... beside it."""
        titles = [m for m in self.matches.values() if m.key == "title"]
        others = self.keys - {"title"}
        return bool(titles) and bool(others) and (any(m.strong_title or m.strength >= MANUAL for m in titles)
                                                  or bool(others & TASK_SIGNALS))

    def found(self) -> str:
        """The columns it named, as "Owner (B), Start (C)"."""
        return ", ".join(f"{FIELD_LABELS[m.key]} ({column_letter(c)})" for c, m in sorted(self.matches.items()))

    def lacking(self) -> str:
        """Why this row is not a task table's header."""
        if "title" not in self.keys:
            return _("no column names the task (Task, Task name, Activity, Задача, 任务, وظیفه...)")
        return _("its task column %(column)s has no owner, date, status or predecessors column beside it",
                 column=next(self.headers[c] for c, m in self.matches.items() if m.key == "title"))


def candidate_row(sheet: str, row: Row, manual: dict[str, str]) -> HeaderCandidate | None:
    """The row read as a header (None when it names nothing); `manual` maps header texts to fields by hand."""
    headers: dict[int, str] = {}
    matches: dict[int, NameMatch] = {}
    calendar: list[int] = []
    for column, value in enumerate(row.cells):
        if is_blank(value):
            continue
        headers[column] = display(value).strip()
        if (key := manual.get(" ".join(words(headers[column])))) is not None:
            matches[column] = NameMatch(key, MANUAL + 1, strong_title=True)
        elif is_calendar_header(value):
            calendar.append(column)
        elif isinstance(value, str) and (found := match_header(value)) is not None:
            matches[column] = found
    if not matches:
        return None
    return HeaderCandidate(sheet, row.number, headers, matches, tuple(calendar))


def best_candidate(sheet: str, rows: Iterable[Row], manual: dict[str, str]) -> HeaderCandidate | None:
    """The best header among the first rows: a task-like one first, then the highest score, then the upper row."""
    best: HeaderCandidate | None = None
    for row in islice(rows, MAX_SCAN):
        candidate = candidate_row(sheet, row, manual)
        if candidate is None:
            continue
        if best is None or (candidate.task_like, candidate.score) > (best.task_like, best.score):
            best = candidate
    return best


def manual_names(columns: dict[str, str]) -> dict[str, str]:
    """`{field: header text}` chosen by hand (CLI --column) as {normalised header: field}, checked."""
    known = {spec.key for spec in TASK_FIELDS}
    names = {}
    for key, text in columns.items():
        if key not in known:
            raise ImportRefused(_("There is no task field %(field)s; the fields are: %(fields)s.",
                                  field=key, fields=", ".join(sorted(known))))
        names[" ".join(words(text))] = key
    return names


@dataclass
class ColumnStats:
    """What a column holds below the header: how many cells and how many different values."""

    filled: int = 0
    values: set[str] = field(default_factory=set)

    def add(self, value: CellValue) -> None:
        if not is_blank(value):
            self.filled += 1
            if len(self.values) < 10_000:
                self.values.add(display(value).strip().casefold())


def column_stats(rows: Iterable[Row], columns: Iterable[int]) -> dict[int, ColumnStats]:
    stats = {column: ColumnStats() for column in columns}
    for row in rows:
        for column, entry in stats.items():
            entry.add(row.cell(column))
    return stats


@dataclass
class ColumnChoice:
    """Which column fills a field when several could, and why (said in the preview, the CLI and --json)."""

    key: str
    column: int
    header: str
    others: list[tuple[int, str, int]]  # (column, header, cells filled) of the columns not used
    grouping: tuple[int, str] | None = None  # a task-name column that groups the tasks: read as their phase

    def describe(self) -> str:
        parts = [_("%(header)s (%(column)s) has %(n)s values and is not used", header=h, column=column_letter(c), n=n)
                 for c, h, n in self.others]
        if self.grouping:
            parts.append(_("%(header)s (%(column)s) groups the tasks and is read as their phase",
                           header=self.grouping[1], column=column_letter(self.grouping[0])))
        return _("%(field)s: column %(column)s (%(header)s) is used; %(others)s.", field=FIELD_LABELS[self.key],
                 column=column_letter(self.column), header=self.header, others="; ".join(parts))

    def as_dict(self) -> dict:
        return {"field": self.key, "column": column_letter(self.column), "header": self.header,
                "not_used": [{"column": column_letter(c), "header": h, "values": n} for c, h, n in self.others],
                "phase_column": ({"column": column_letter(self.grouping[0]), "header": self.grouping[1]}
                                 if self.grouping else None)}


def choose_columns(candidate: HeaderCandidate, stats: dict[int, ColumnStats]) -> tuple[dict[int, str], list[ColumnChoice]]:
    """{column: field} for the header, and the choices made where several columns claimed a field."""
    claims: dict[str, list[int]] = {}
    for column, match in candidate.matches.items():
        claims.setdefault(match.key, []).append(column)
    columns: dict[int, str] = {}
    choices: list[ColumnChoice] = []
    for key, claimed in claims.items():
        ranked = sorted(claimed, key=lambda c: (stats[c].filled > 0, candidate.matches[c].strength,
                                                len(stats[c].values), -c), reverse=True)
        columns[ranked[0]] = key
        if len(ranked) > 1:
            choices.append(ColumnChoice(key, ranked[0], candidate.headers[ranked[0]],
                                        [(c, candidate.headers[c], stats[c].filled) for c in ranked[1:]]))
    title = next((c for c in choices if c.key == "title"), None)
    if title is not None and "phase" not in claims:
        group = next((c for c, _h, _n in title.others if _groups_rows(stats[c], stats[title.column])), None)
        if group is not None:  # a task group beside the sub tasks: the group is their phase
            columns[group] = "phase"
            title.others = [o for o in title.others if o[0] != group]
            title.grouping = (group, candidate.headers[group])
    return dict(sorted(columns.items())), choices


def _groups_rows(group: ColumnStats, tasks: ColumnStats) -> bool:
    """True when a column repeats few values over the task rows: groups rather than tasks."""
    return 0 < len(group.values) < tasks.filled and len(group.values) * 2 <= group.filled


def header_match(candidate: HeaderCandidate, columns: dict[int, str]) -> HeaderMatch:
    """The spreadsheets package's header for a chosen mapping."""
    keys = set(columns.values())
    return HeaderMatch(
        row=candidate.row, columns=dict(sorted(columns.items())), headers=candidate.headers,
        unmapped=tuple(c for c in candidate.headers if c not in columns and c not in candidate.calendar),
        duplicates={}, calendar=candidate.calendar,
        missing=tuple(spec.key for spec in TASK_FIELDS if spec.required and spec.key not in keys),
    )
