"""Reading one row of a task plan: name, outline, dates, owner, status word, duration, predecessors.

Rows that are not tasks are recognised here too: a template's instruction row
("Insert new rows ABOVE this one") is passed over with a note, and a row with
a name but no owner, date, status, duration or predecessors is a section that
groups the tasks below it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from crmproject.i18n import _
from crmproject.spreadsheets import CellError, CellValue, ImportIssue, Table, TableRow, parse_date, parse_text
from crmproject.spreadsheets.values import display

from .import_model import OwnerName, ParsedTask, name_key
from .import_status import StatusWord, priority, status_key

_OWNER_SPLIT = re.compile(r"\s*(?:[,;/&+\n]|\band\b)\s*", re.IGNORECASE)
OUTLINE = re.compile(r"^\d+(?:\.\d+)*$")
_INSTRUCTION = re.compile(
    r"\b(?:insert|add|delete|remove|copy)\b.{0,30}\brows?\b.{0,30}\b(?:above|below|here|as needed|if needed)\b"
    r"|\b(?:above|below) this (?:row|line|one)\b|\bdo not (?:delete|remove|edit) this\b"
    r"|(?:вставьте|добавьте|добавляйте).{0,30}строк|插入.{0,6}行|在此行|(?:اضافه|درج).{0,20}ردیف|ردیف.{0,20}(?:اضافه|درج)",
    re.IGNORECASE,
)
# Fields that make a row a task rather than a section heading.
_TASK_VALUES = ("owner", "start", "due", "status", "progress", "duration", "predecessors", "priority")
_DURATION = re.compile(
    r"^\s*(?P<low>\d+(?:[.,]\d+)?)\s*(?:(?:-|–|—|to|до|~|至)\s*(?P<high>\d+(?:[.,]\d+)?))?\s*(?P<unit>[^\d\s].*)?$",
    re.IGNORECASE,
)
_UNITS = (("h", 1 / 8), ("hr", 1 / 8), ("hour", 1 / 8), ("час", 1 / 8), ("小时", 1 / 8), ("ساعت", 1 / 8),
          ("d", 1), ("day", 1), ("wd", 1), ("дн", 1), ("ден", 1), ("天", 1), ("日", 1), ("روز", 1),
          ("w", 7), ("wk", 7), ("week", 7), ("нед", 7), ("周", 7), ("星期", 7), ("هفته", 7),
          ("m", 30), ("mo", 30), ("month", 30), ("мес", 30), ("月", 30), ("ماه", 30))


def is_instruction(text: str) -> bool:
    """True for a template's instruction row ("Insert new rows ABOVE this one", "Add more rows as needed")."""
    return _INSTRUCTION.search(" ".join(text.split())) is not None


def parse_duration(value: CellValue) -> int | None:
    """Days of a duration cell: 5, "5d", "2-3 days" (the upper bound), "1 week", "4 hours"; None when unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(1, round(value)) if 0 < value < 100_000 else None
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value)  # Persian and Arabic digits become 0-9
    text = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)
    match = _DURATION.match(text)
    if match is None:
        return None
    number = float((match.group("high") or match.group("low")).replace(",", "."))
    unit = (match.group("unit") or "d").strip().casefold().rstrip(".")
    factor = next((f for u, f in sorted(_UNITS, key=lambda x: -len(x[0])) if unit.startswith(u)), None)
    if factor is None or not 0 < number * factor < 100_000:
        return None
    return max(1, round(number * factor + 0.49))


@dataclass
class RowContext:
    """What every row is read against: the date order, the workbook's epoch, names of the database."""

    table: Table
    day_first: bool | None
    epoch_1904: bool
    indent_unit: int
    departments: dict[str, Any]
    categories: dict[str, Any]
    default_category: int | None
    issues: list[ImportIssue]
    warnings: list[ImportIssue]
    owners: dict[str, OwnerName] = field(default_factory=dict)
    statuses: dict[str, StatusWord] = field(default_factory=dict)


def indent_unit(table: Table) -> int:
    """The smallest indentation step of the task names (leading spaces), 0 when none is indented."""
    indents = {len(t) - len(t.lstrip(" ")) for r in table.rows if isinstance(t := r.values.get("title"), str)}
    indents.discard(0)
    return min(indents) if indents else 0


def parse_row(row: TableRow, ctx: RowContext) -> ParsedTask | None:
    """The row as a task, an invalid placeholder (a row with values but no name), or None to pass it over."""
    values = row.values
    raw_title = values.get("title")
    title = parse_text(raw_title) if raw_title is not None else None
    if title is None or not title.strip():
        title = next((v for v in values.values() if isinstance(v, str) and is_instruction(v)), None)
    elif not is_instruction(title):
        return _task(row, title, ctx)
    if title is not None:
        ctx.warnings.append(ctx.table.issue(row, "title", _("'%(text)s' is the template's instruction, not a task.",
                                                            text=" ".join(title.split()))))
        return None
    if any(v is not None for k, v in values.items() if k not in ("title", "phase", "outline")):
        ctx.issues.append(ctx.table.issue(row, "title", _("The row has no task name.")))
        return ParsedTask(key=row.number, row=row.number, title="", level=0, valid=False)
    return None


def _task(row: TableRow, title: str, ctx: RowContext) -> ParsedTask:
    task = _new_task(row, title, ctx)
    _read_dates(task, row, ctx)
    _read_words(task, row, ctx)
    _read_references(task, row, ctx)
    return task


def _new_task(row: TableRow, title: str, ctx: RowContext) -> ParsedTask:
    indent = len(title) - len(title.lstrip(" "))
    title = " ".join(title.split())
    outline = outline_text(row.values.get("outline"))
    numbered = bool(outline and OUTLINE.match(outline))
    level = outline.count(".") if numbered and "." in outline else (indent // ctx.indent_unit if ctx.indent_unit else 0)
    if len(title) > 300:
        ctx.issues.append(ctx.table.issue(row, "title", _("The task name is longer than 300 characters.")))
    return ParsedTask(key=row.number, row=row.number, title=title[:300], level=level, outline=outline if numbered else "",
                      ref=outline, category_id=ctx.default_category,
                      section=all(row.values.get(k) is None for k in _TASK_VALUES))


def _read_dates(task: ParsedTask, row: TableRow, ctx: RowContext) -> None:
    for key in ("start", "due"):
        try:
            setattr(task, key, parse_date(row.values.get(key), epoch_1904=ctx.epoch_1904, day_first=ctx.day_first))
        except CellError as exc:
            ctx.issues.append(ctx.table.issue(row, key, exc.message))
    if task.start and task.due and task.due < task.start:
        ctx.issues.append(ctx.table.issue(row, "due", _("The due date %(due)s is before the start %(start)s.",
                                                        due=task.due.isoformat(), start=task.start.isoformat())))
    if (duration := row.values.get("duration")) is not None:
        task.duration_days = parse_duration(duration)
        if task.duration_days is None:
            ctx.warnings.append(ctx.table.issue(row, "duration", _(
                "'%(value)s' is not a duration (5, 5d, 2-3 days, 1 week); it is left out.", value=display(duration))))


def _read_words(task: ParsedTask, row: TableRow, ctx: RowContext) -> None:
    values = row.values
    status = values.get("status")
    if status is None:
        status = values.get("progress")  # a % complete column says the status when there is no status column
    if status is not None:
        key = status_key(status)
        entry = ctx.statuses.setdefault(key, StatusWord(key=key, text=" ".join(display(status).split())))
        entry.rows.append(row.number)
        task.status_key = key
    if (raw := values.get("priority")) is not None:
        found = priority(raw)
        if found is None:
            ctx.issues.append(ctx.table.issue(row, "priority", _("'%(value)s' is not a priority (low, medium, high, critical).",
                                                                 value=display(raw))))
        else:
            task.priority = found
    if (phase := parse_text(values.get("phase"))) and phase.strip():
        task.phase_name = " ".join(phase.split())[:200]
    if (department := parse_text(values.get("department"))) and department.strip():
        found_department = ctx.departments.get(name_key(department))
        if found_department is None:
            ctx.issues.append(ctx.table.issue(row, "department", _("There is no department named %(name)s.",
                                                                   name=department.strip())))
        else:
            task.department_id = found_department.id
    if (category := parse_text(values.get("category"))) and category.strip():
        found_category = ctx.categories.get(name_key(category))
        if found_category is None:
            ctx.issues.append(ctx.table.issue(row, "category", _(
                "There is no task category named %(name)s; an administrator can add it.", name=category.strip())))
        else:
            task.category_id = found_category.id
    if (description := parse_text(values.get("description"))) is not None:
        task.description = description.strip()


def _read_references(task: ParsedTask, row: TableRow, ctx: RowContext) -> None:
    if (predecessors := row.values.get("predecessors")) is not None:
        task.predecessor_refs = [p.strip() for p in re.split(r"[,;]", outline_text(predecessors)) if p.strip()]
    owner_text = parse_text(row.values.get("owner"))
    if owner_text and owner_text.strip():
        text = " ".join(owner_text.split())
        names = [n for n in _OWNER_SPLIT.split(text) if n]
        key = ", ".join(name_key(n) for n in names)  # "Charley,Bex" and "charley, bex" are one entry
        entry = ctx.owners.setdefault(key, OwnerName(key=key, spellings=[], rows=[], several=len(names) > 1))
        if owner_text not in entry.spellings:
            entry.spellings.append(owner_text)
        entry.rows.append(row.number)
        task.owner_key = key


def outline_text(value: CellValue) -> str:
    """Outline numbers and ids as text: 2.0 read from Excel is "2", "1.10" stays "1.10"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
