"""Importing change tasks from Excel or CSV task plans.

Two steps, so nothing is saved before the user has seen what will happen:
`analyse()` reads the file and returns an `ImportPreview` (the mapping of
columns to fields, the tasks it would create with their hierarchy, owners
and dates, and every problem with its sheet, row and column);
`save()` creates the tasks of a preview in the caller's transaction.

Hierarchy comes from outline numbers (1, 1.1, 1.1.1), from indentation
(leading spaces in the task name) or from section rows (a row with only a
name). A top-level group whose name is a phase of the plan becomes the
phase of the tasks under it; with `create_phases` a group that matches no
phase becomes a new phase spanning its tasks' dates; otherwise groups are
imported as parent tasks.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

from crmproject.auth.models import User
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.plans import services as plan_services
from crmproject.plans.models import Phase, Plan
from crmproject.spreadsheets import (
    CellError, FieldSpec, ImportIssue, ReadLimits, SpreadsheetError, Table, Workbook, infer_day_first, open_workbook,
    parse_date, parse_percent, parse_text, read_table, refused_as,
)
from crmproject.tasks import services
from crmproject.tasks.models import ChangeTask, TaskCategory, TaskChange, TaskDependency, TaskPriority, TaskStatus

TASK_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", _l("Task"), ("Task name", "Title", "Name", "Activity", "Work item", "Action", "Summary", "Subject"), required=True),
    FieldSpec("outline", _l("Outline"), ("ID", "WBS", "Outline number", "No", "Number", "Item", "Task ID", "Ref")),
    FieldSpec("owner", _l("Owner"), ("Owners", "In-charge", "In charge", "Assigned to", "Assignee", "Resourcing", "Resources",
                                     "Resource names", "Task owner", "Responsible", "Who", "Lead")),
    FieldSpec("start", _l("Start"), ("Start date", "Begin", "Begins", "From", "Planned start"), kind="date"),
    FieldSpec("due", _l("Due"), ("Due date", "End", "End date", "Finish", "Finish date", "Deadline", "Target date", "Planned end", "To"), kind="date"),
    FieldSpec("status", _l("Status"), ("State", "Progress", "% complete", "Percent complete", "Complete")),
    FieldSpec("priority", _l("Priority"), ("Prio", "Importance", "Urgency")),
    FieldSpec("phase", _l("Phase"), ("Stage", "Workstream", "Milestone group")),
    FieldSpec("department", _l("Department"), ("Dept", "Business unit", "Unit", "Team")),
    FieldSpec("category", _l("Category"), ("Type", "Kind", "Work type")),
    FieldSpec("predecessors", _l("Depends on"), ("Predecessors", "Predecessor", "Dependencies", "Dependency", "Depends")),
    FieldSpec("description", _l("Description"), ("Notes", "Comments", "Details", "Remarks")),
)
FIELD_LABELS = {f.key: f.label for f in TASK_FIELDS}
# columns that make a table a task plan rather than, say, a list of people
TASK_SIGNALS = {"owner", "start", "due", "status", "predecessors"}

STATUS_WORDS = {
    TaskStatus.NOT_STARTED: ("not started", "to do", "todo", "open", "new", "planned", "not yet started", "pending"),
    TaskStatus.IN_PROGRESS: ("in progress", "started", "ongoing", "doing", "wip", "active", "underway", "on track", "at risk"),
    TaskStatus.BLOCKED: ("blocked", "on hold", "waiting", "stuck", "delayed"),
    TaskStatus.DONE: ("done", "complete", "completed", "finished", "closed", "resolved"),
    TaskStatus.CANCELLED: ("cancelled", "canceled", "dropped", "abandoned", "n/a"),
}
PRIORITY_WORDS = {
    TaskPriority.LOW: ("low", "4", "p4", "minor"),
    TaskPriority.MEDIUM: ("medium", "normal", "3", "p3", "moderate", "med"),
    TaskPriority.HIGH: ("high", "2", "p2", "major", "important"),
    TaskPriority.CRITICAL: ("critical", "1", "p1", "urgent", "blocker", "highest"),
}
_OWNER_SPLIT = re.compile(r"\s*(?:[,;/&+\n]|\band\b)\s*", re.IGNORECASE)
_OUTLINE = re.compile(r"^\d+(?:\.\d+)*$")
_PREDECESSOR = re.compile(r"^\s*([\w.]+?)\s*(fs|ss|ff|sf)?\s*([+-]\s*\d+\s*[a-z]*)?\s*$", re.IGNORECASE)


def _key(text: str) -> str:
    """Names compared as people mean them: case and spacing do not matter."""
    return " ".join(text.split()).casefold()


@dataclass
class OwnerName:
    """One owner text as the file spells it (all spellings that differ only in case or spacing together)."""

    key: str
    spellings: list[str]
    rows: list[int]
    user_id: int | None = None
    several: bool = False

    @property
    def text(self) -> str:
        return self.spellings[0]


@dataclass
class ParsedTask:
    row: int
    title: str
    level: int
    outline: str = ""
    ref: str = ""
    owner_key: str | None = None
    start: date | None = None
    due: date | None = None
    status: TaskStatus = TaskStatus.NOT_STARTED
    priority: TaskPriority = TaskPriority.MEDIUM
    phase_name: str | None = None
    department_id: int | None = None
    category_id: int | None = None
    description: str = ""
    predecessor_refs: list[str] = field(default_factory=list)
    parent_row: int | None = None
    phase_row: int | None = None
    is_group: bool = False
    valid: bool = True


@dataclass
class PhaseGroup:
    """A top-level group that becomes (or matches) a phase."""

    row: int
    name: str
    phase_id: int | None
    start: date | None
    end: date | None


@dataclass
class ImportOptions:
    sheet: str | None = None
    columns: dict[int, str] | None = None  # confirmed or changed mapping
    day_first: bool | None = None  # None: infer from the file, report what stays ambiguous
    create_phases: bool = False
    default_category_id: int | None = None
    owner_choices: dict[str, int | None] = field(default_factory=dict)  # owner key -> user id (None: no owner)


@dataclass
class ImportPreview:
    filename: str
    sheet: str
    sheets: list[str]
    header_row: int | None
    headers: dict[int, str]
    columns: dict[int, str]
    calendar_columns: list[int]
    rows_read: int
    tasks: list[ParsedTask]
    groups: list[PhaseGroup]
    owners: list[OwnerName]
    issues: list[ImportIssue]
    warnings: list[ImportIssue]

    @property
    def importable(self) -> list[ParsedTask]:
        return [t for t in self.tasks if t.valid and not (t.is_group and t.phase_row == t.row)]

    @property
    def skipped_rows(self) -> int:
        return sum(1 for t in self.tasks if not t.valid)

    def summary(self, created: int = 0) -> dict:
        def issue(i: ImportIssue) -> dict:
            return {"sheet": i.sheet, "row": i.row, "column": i.column_letter, "header": i.header, "message": i.message}

        return {
            "file": self.filename, "sheet": self.sheet, "header_row": self.header_row, "rows_read": self.rows_read,
            "tasks_found": len(self.importable), "tasks_created": created,
            "phases_found": [g.name for g in self.groups],
            "owners_unresolved": [o.text for o in self.owners if o.user_id is None],
            "errors": [issue(i) for i in self.issues], "warnings": [issue(i) for i in self.warnings],
        }


class ImportRefused(Exception):
    """The file cannot be imported at all (not a spreadsheet, no header...); the message says why."""


def _users_by_key() -> dict[str, User]:
    found: dict[str, User] = {}
    for user in db.session.scalars(select(User).where(User.active.is_(True))):
        found.setdefault(_key(user.name), user)
        found.setdefault(_key(user.email), user)
        found.setdefault(_key(user.email.split("@")[0]), user)
    return found


def _choose_sheet(workbook: Workbook, wanted: str | None) -> tuple[Table, list[str]]:
    visible = [s for s in workbook.visible_sheets]
    names = [s.name for s in visible]
    if not visible:
        raise ImportRefused(_("The workbook has no visible worksheet."))
    if wanted:
        try:
            sheet = workbook.sheet(wanted)
        except SpreadsheetError:
            raise ImportRefused(_("There is no sheet named %(name)s. The sheets are: %(names)s.", name=wanted, names=", ".join(names))) from None
        table = read_table(sheet, TASK_FIELDS)
        if table is None:
            raise ImportRefused(_("No header row with a task column was found in the first 30 rows of sheet %(name)s.", name=sheet.name))
        return table, names
    # the sheet whose header names the most task fields: a task name plus owner, dates, status or predecessors
    best, best_score = None, 0
    for sheet in visible:
        table = read_table(sheet, TASK_FIELDS)
        if table is None or table.header.column("title") is None:
            continue
        mapped = set(table.header.columns.values())
        if not mapped & TASK_SIGNALS:
            continue
        score = len(mapped & TASK_SIGNALS) * 10 + len(mapped)
        if score > best_score:
            best, best_score = table, score
    if best is not None:
        return best, names
    raise ImportRefused(_(
        "No sheet has a recognisable task table: a header row naming at least the task and one more column "
        "(owner, start, due, status...) in its first 30 rows."
    ))


def analyse(workbook: Workbook, plan: Plan, options: ImportOptions) -> ImportPreview:
    """Read the task table of a workbook and say what importing it would do. Writes nothing.

    Raises ImportRefused when the file cannot be imported at all, including
    a sheet that is damaged or over the read limits.
    """
    with refused_as(ImportRefused):
        table, sheets = _choose_sheet(workbook, options.sheet)
        if options.columns is not None:
            table = read_table(workbook.sheet(table.sheet), TASK_FIELDS, columns=options.columns)
    return _preview(workbook, plan, options, table, sheets)


def _preview(workbook: Workbook, plan: Plan, options: ImportOptions, table: Table, sheets: list[str]) -> ImportPreview:
    header = table.header
    issues: list[ImportIssue] = []
    warnings: list[ImportIssue] = []
    if header.column("title") is None:
        issues.append(table.issue(header.row, None, _("No column is mapped to the task name: map one before importing.")))
    for column, key in header.duplicates.items():
        warnings.append(ImportIssue(table.sheet, header.row, column, header.headers.get(column),
                                    _("Also looks like %(field)s; the column %(used)s is used instead.", field=FIELD_LABELS[key],
                                      used=header.headers.get(header.column(key), ""))))

    day_first = options.day_first
    if day_first is None:
        day_first = infer_day_first(
            r.values.get(k) for r in table.rows for k in ("start", "due") if isinstance(r.values.get(k), str)
        )
    phases = {_key(p.name): p for p in plan.phases}
    departments = {}
    for d in db.session.scalars(select(Department)):
        departments[_key(d.name)] = d
        departments[_key(d.code)] = d
    categories = {}
    for c in services.list_categories():
        categories[_key(c.name)] = c
        categories[_key(c.key)] = c
        categories[_key(c.label)] = c
    users = _users_by_key()

    tasks: list[ParsedTask] = []
    owners: dict[str, OwnerName] = {}
    indent_unit = _indent_unit(table)
    for row in table.rows:
        task = _parse_row(table, row, issues, day_first=day_first, epoch_1904=workbook.epoch_1904, indent_unit=indent_unit,
                          departments=departments, categories=categories, default_category=options.default_category_id)
        if task is None:
            continue
        tasks.append(task)
        owner_text = parse_text(row.values.get("owner"))
        if owner_text and owner_text.strip():
            text = " ".join(owner_text.split())
            names = [n for n in _OWNER_SPLIT.split(text) if n]
            key = ", ".join(_key(n) for n in names)  # "Charley,Bex" and "charley, bex" are one entry
            entry = owners.setdefault(key, OwnerName(key=key, spellings=[], rows=[], several=len(names) > 1))
            if owner_text not in entry.spellings:
                entry.spellings.append(owner_text)
            entry.rows.append(row.number)
            task.owner_key = key

    _build_hierarchy(tasks)
    groups = _phase_groups(tasks, phases, create=options.create_phases, plan=plan, table=table, issues=issues)
    _resolve_predecessors(tasks, table, issues)
    _resolve_owners(owners, users, options.owner_choices, table, warnings)

    bad_rows = {i.row for i in issues}
    for task in tasks:
        task.valid = task.row not in bad_rows
    return ImportPreview(
        filename=workbook.filename, sheet=table.sheet, sheets=sheets, header_row=header.row, headers=header.headers,
        columns=header.columns, calendar_columns=list(header.calendar), rows_read=len(table.rows), tasks=tasks,
        groups=groups, owners=sorted(owners.values(), key=lambda o: o.text.casefold()), issues=issues, warnings=warnings,
    )


def _indent_unit(table: Table) -> int:
    """The smallest indentation step of the task names (leading spaces), 0 when none is indented."""
    indents = {len(t) - len(t.lstrip(" ")) for r in table.rows if isinstance(t := r.values.get("title"), str)}
    indents.discard(0)
    return min(indents) if indents else 0


def _parse_row(table: Table, row, issues: list[ImportIssue], *, day_first, epoch_1904, indent_unit, departments, categories,
               default_category) -> ParsedTask | None:
    values = row.values
    raw_title = values.get("title")
    title = parse_text(raw_title) if raw_title is not None else None
    if title is None or not title.strip():
        if any(v is not None for k, v in values.items() if k != "title"):
            issues.append(table.issue(row, "title", _("The row has no task name.")))
            return ParsedTask(row=row.number, title="", level=0, valid=False)
        return None
    indent = len(title) - len(title.lstrip(" "))
    title = " ".join(title.split())
    outline_raw = values.get("outline")
    outline = _outline_text(outline_raw)
    level = outline.count(".") if outline and _OUTLINE.match(outline) and "." in outline else (indent // indent_unit if indent_unit else 0)
    task = ParsedTask(row=row.number, title=title[:300], level=level, outline=outline if outline and _OUTLINE.match(outline) else "",
                      ref=outline or "", category_id=default_category)
    if len(title) > 300:
        issues.append(table.issue(row, "title", _("The task name is longer than 300 characters.")))
    for key in ("start", "due"):
        try:
            setattr(task, key, parse_date(values.get(key), epoch_1904=epoch_1904, day_first=day_first))
        except CellError as exc:
            issues.append(table.issue(row, key, exc.message))
    if task.start and task.due and task.due < task.start:
        issues.append(table.issue(row, "due", _("The due date %(due)s is before the start %(start)s.", due=task.due.isoformat(), start=task.start.isoformat())))
    if (status := values.get("status")) is not None:
        parsed = _status(status)
        if parsed is None:
            issues.append(table.issue(row, "status", _("'%(value)s' is not a status (not started, in progress, blocked, done, cancelled, or a percentage).", value=status)))
        else:
            task.status = parsed
    if (priority := values.get("priority")) is not None:
        parsed_priority = _lookup(PRIORITY_WORDS, priority)
        if parsed_priority is None:
            issues.append(table.issue(row, "priority", _("'%(value)s' is not a priority (low, medium, high, critical).", value=priority)))
        else:
            task.priority = parsed_priority
    if (phase := parse_text(values.get("phase"))) and phase.strip():
        task.phase_name = " ".join(phase.split())
    if (department := parse_text(values.get("department"))) and department.strip():
        found = departments.get(_key(department))
        if found is None:
            issues.append(table.issue(row, "department", _("There is no department named %(name)s.", name=department.strip())))
        else:
            task.department_id = found.id
    if (category := parse_text(values.get("category"))) and category.strip():
        found_category = categories.get(_key(category))
        if found_category is None:
            issues.append(table.issue(row, "category", _("There is no task category named %(name)s; an administrator can add it.", name=category.strip())))
        else:
            task.category_id = found_category.id
    if (description := parse_text(values.get("description"))) is not None:
        task.description = description.strip()
    if (predecessors := values.get("predecessors")) is not None:
        task.predecessor_refs = [p for p in re.split(r"[,;]", _outline_text(predecessors) or "") if p.strip()]
    task.is_group = row.section
    return task


def _outline_text(value) -> str:
    """Outline numbers and ids as text: 2.0 read from Excel is "2", "1.10" stays "1.10"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _lookup(words: dict, value) -> object | None:
    text = _key(_outline_text(value))
    return next((member for member, names in words.items() if text in names), None)


def _status(value) -> TaskStatus | None:
    found = _lookup(STATUS_WORDS, value)
    if found is not None:
        return found
    try:
        percent = parse_percent(value)
    except CellError:
        return None
    if percent is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        percent = Decimal(str(value)) * 100  # a cell formatted as % holds the fraction
    if percent <= 0:
        return TaskStatus.NOT_STARTED
    return TaskStatus.DONE if percent >= 100 else TaskStatus.IN_PROGRESS


def _build_hierarchy(tasks: list[ParsedTask]) -> None:
    """Give every task its parent: the nearest row above with a lower level, or the section above it."""
    stack: list[ParsedTask] = []
    section: ParsedTask | None = None
    for task in tasks:
        if task.is_group and task.level == 0:
            section, stack = task, [task]
            continue
        while stack and stack[-1].level >= task.level and not (stack[-1] is section and task.level == 0):
            stack.pop()
        parent = stack[-1] if stack else None
        if parent is None and section is not None and task.level == 0 and task is not section:
            parent = section
        task.parent_row = parent.row if parent else None
        stack.append(task)
    rows = {t.row: t for t in tasks}
    for task in tasks:
        if task.parent_row is not None:
            rows[task.parent_row].is_group = True


def _phase_groups(tasks, phases, *, create: bool, plan: Plan, table: Table, issues: list[ImportIssue]) -> list[PhaseGroup]:
    """Top-level groups: matched to the plan's phases, created as phases, or left as parent tasks."""
    rows = {t.row: t for t in tasks}

    def top(task: ParsedTask) -> ParsedTask:
        while task.parent_row is not None:
            task = rows[task.parent_row]
        return task

    members: dict[int, list[ParsedTask]] = defaultdict(list)
    for task in tasks:
        root = top(task)
        if root is not task:
            members[root.row].append(task)
    groups = []
    for task in [t for t in tasks if t.parent_row is None and t.is_group]:
        phase = phases.get(_key(task.title))
        dated = [d for m in members[task.row] for d in (m.start, m.due) if d]
        start, end = (min(dated), max(dated)) if dated else (None, None)
        if phase is None and not create:
            continue  # stays a parent task
        if phase is None:
            if start is None:
                issues.append(table.issue(task.row, "title", _("The group %(name)s has no dated tasks, so no phase can be made from it.", name=task.title)))
                continue
            if start < plan.start_date or end > plan.end_date:
                issues.append(table.issue(task.row, "title", _(
                    "The phase %(name)s would run from %(start)s to %(end)s, outside the plan (%(ps)s to %(pe)s).",
                    name=task.title, start=start.isoformat(), end=end.isoformat(),
                    ps=plan.start_date.isoformat(), pe=plan.end_date.isoformat())))
                continue
        groups.append(PhaseGroup(row=task.row, name=phase.name if phase else task.title, phase_id=phase.id if phase else None,
                                 start=start, end=end))
        task.phase_row = task.row
        for member in members[task.row]:
            member.phase_row = task.row
            if member.parent_row == task.row:
                member.parent_row = None  # the phase replaces the group as the parent
    # an explicit phase column wins over the group
    for task in tasks:
        if task.phase_name and _key(task.phase_name) not in phases and not any(_key(g.name) == _key(task.phase_name) for g in groups):
            issues.append(table.issue(task.row, "phase", _("The plan has no phase named %(name)s.", name=task.phase_name)))
    return groups


def _resolve_predecessors(tasks: list[ParsedTask], table: Table, issues: list[ImportIssue]) -> None:
    """Predecessors like '2fs', '7FS+2d' or '1.2' name another row by its id or outline number."""
    refs = {t.ref: t for t in tasks if t.ref}
    for task in tasks:
        resolved = []
        for text in task.predecessor_refs:
            match = _PREDECESSOR.match(text)
            target = refs.get(match.group(1)) if match else None
            if target is None or target is task:
                issues.append(table.issue(task.row, "predecessors", _("'%(ref)s' names no task of this sheet (by its id or outline number).", ref=text.strip())))
            else:
                resolved.append(target.ref)
        task.predecessor_refs = resolved
    for cycle in _cycles({t.ref: t.predecessor_refs for t in tasks if t.ref}):
        issues.append(table.issue(refs[cycle[0]].row, "predecessors", _(
            "The predecessors make a cycle: %(cycle)s.", cycle=" → ".join(cycle))))


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Every dependency cycle of the file, each once, in one depth-first pass (linear in the rows)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    found: list[list[str]] = []
    for root in graph:
        if root in state:
            continue
        path: list[str] = []
        stack = [(root, iter(graph.get(root, ())))]
        state[root] = 1
        path.append(root)
        while stack:
            node, successors = stack[-1]
            nxt = next(successors, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(nxt) == 1:
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(graph.get(nxt, ()))))
    return found


def _resolve_owners(owners: dict[str, OwnerName], users: dict[str, User], choices: dict[str, int | None], table: Table,
                    warnings: list[ImportIssue]) -> None:
    for owner in owners.values():
        if owner.key in choices:
            owner.user_id = choices[owner.key]
        elif not owner.several and (user := users.get(owner.key)) is not None:
            owner.user_id = user.id
        if owner.key in choices:
            continue
        first_row = owner.rows[0]
        if owner.several:
            warnings.append(table.issue(first_row, "owner", _(
                "'%(text)s' names several people; a task has one owner. Choose one (rows %(rows)s).",
                text=owner.text, rows=_rows(owner.rows))))
        elif owner.user_id is None:
            warnings.append(table.issue(first_row, "owner", _(
                "No user is called '%(text)s'. Choose a user or leave the tasks without owner (rows %(rows)s).",
                text=owner.text, rows=_rows(owner.rows))))
        if len(owner.spellings) > 1:
            warnings.append(table.issue(first_row, "owner", _(
                "%(spellings)s differ only in case or spacing and are taken as one person.",
                spellings=", ".join(f"'{s}'" for s in owner.spellings))))


def _rows(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:8])
    return shown + (_(" and %(n)s more", n=len(rows) - 8) if len(rows) > 8 else "")


def save(preview: ImportPreview, plan: Plan, *, actor: User | None, default_category: TaskCategory) -> list[ChangeTask]:
    """Create the phases and tasks of a preview (its valid rows), in the caller's transaction."""
    owners = {o.key: o.user_id for o in preview.owners}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([i for i in owners.values() if i])))}
    phases_by_name = {_key(p.name): p for p in plan.phases}
    phase_for_group: dict[int, Phase] = {}
    for group in preview.groups:
        phase = db.session.get(Phase, group.phase_id) if group.phase_id else phases_by_name.get(_key(group.name))
        if phase is None:
            phase = plan_services.add_phase(plan, name=group.name, start=group.start, end=group.end,
                                            goal=_("Imported from %(file)s", file=preview.filename))
            phases_by_name[_key(phase.name)] = phase
        phase_for_group[group.row] = phase
    categories = {c.id: c for c in services.list_categories()}
    departments = {d.id: d for d in db.session.scalars(select(Department))}
    created: dict[int, ChangeTask] = {}
    importable = preview.importable
    # Every row was checked by analyse(); the tasks are built here and written in one flush,
    # their dependencies in one INSERT (the import's own graph was checked for cycles).
    for task in importable:
        phase = phase_for_group.get(task.phase_row) if task.phase_row else None
        if task.phase_name:
            phase = phases_by_name.get(_key(task.phase_name), phase)
        created[task.row] = ChangeTask(
            plan_id=plan.id, title=task.title, category=categories.get(task.category_id, default_category),
            owner=users.get(owners.get(task.owner_key)) if task.owner_key else None, description=task.description,
            phase=phase, department=departments.get(task.department_id), start_date=task.start, due_date=task.due,
            status=task.status, priority=task.priority, outline=(task.outline or task.ref)[:50],
            history=[TaskChange(user=actor, version=1, field="created", new_value=task.title)],
        )
    db.session.add_all(created.values())
    db.session.flush()  # batched INSERTs; parents are linked after, so no row waits for another
    parent_links = [
        {"b_id": created[t.row].id, "b_parent": created[t.parent_row].id}
        for t in importable if t.parent_row in created
    ]
    if parent_links:
        table = ChangeTask.__table__
        db.session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(parent_id=bindparam("b_parent")), parent_links
        )
    by_ref = {t.ref: created[t.row] for t in importable if t.ref and t.row in created}
    edges = {
        (created[t.row].id, by_ref[r].id)
        for t in importable for r in t.predecessor_refs if r in by_ref and by_ref[r] is not created[t.row]
    }
    if edges:
        db.session.execute(insert(TaskDependency), [{"task_id": a, "depends_on_id": b} for a, b in sorted(edges)])
    return list(created.values())


def load_workbook(data: bytes, filename: str, *, limits: ReadLimits | None = None, check: bool = False,
                  encoding: str | None = None) -> Workbook:
    """Open an upload within `limits` (the configured ones by default), turning every reading problem into
    ImportRefused; `check` measures every visible sheet now, as an upload step does before keeping a file.
    `encoding` is a CSV file's, when the user chose it."""
    from crmproject.uploads import read_limits

    with refused_as(ImportRefused):
        workbook = open_workbook(data, filename, limits=limits or read_limits(), encoding=encoding)
        if check:
            workbook.check()
    return workbook
