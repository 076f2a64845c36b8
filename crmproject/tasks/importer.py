"""Importing change tasks from Excel or CSV task plans.

Two steps, so nothing is saved before the user has seen what will happen:
`analyse()` reads the file and returns an `ImportPreview` (the sheet and
header found, the columns used and why, the tasks it would create with their
hierarchy, phases, owners, statuses and dates, and every problem with its
sheet, row and column); `save()` creates the tasks of a preview in the
caller's transaction.

The parts live beside this module: import_words (header vocabulary),
import_headers (header row and columns), import_sheets (which sheet),
import_rows (one row), import_status (status words), import_links
(predecessors), import_phases (hierarchy and phases).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update

from crmproject.auth.models import User
from crmproject.db import insert_rows, utcnow
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.plans import services as plan_services
from crmproject.plans.models import Phase, Plan
from crmproject.spreadsheets import (
    ImportIssue, ReadLimits, Table, Workbook, column_letter, infer_day_first, open_workbook, refused_as,
)
from crmproject.tasks import services
from crmproject.tasks.models import ChangeTask, TaskCategory, TaskChange, TaskDependency

from .import_headers import ColumnChoice, ImportRefused, manual_names
from .import_links import resolve_predecessors
from .import_model import OwnerName, ParsedTask, PhaseGroup, name_key
from .import_phases import PHASE_DATES, add_phase_column_groups, build_hierarchy, phase_groups
from .import_rows import RowContext, indent_unit, parse_row
from .import_sheets import SheetTable, SkippedSheet, choose_sheet, read_sheet
from .import_status import StatusWord, map_status_words
from .import_words import FIELD_LABELS, TASK_FIELDS

__all__ = ["FIELD_LABELS", "PHASE_DATES", "TASK_FIELDS", "ImportOptions", "ImportPreview", "ImportRefused",
           "OwnerName", "ParsedTask", "PhaseGroup", "analyse", "load_workbook", "save"]


@dataclass
class ImportOptions:
    sheet: str | None = None
    columns: dict[int, str] | None = None  # the whole mapping as confirmed or changed in the preview
    column_names: dict[str, str] = field(default_factory=dict)  # field -> header text, chosen by hand (CLI --column)
    day_first: bool | None = None  # None: infer from the file, report what stays ambiguous
    create_phases: bool = False
    phase_dates: str = "auto"  # see import_phases.PHASE_DATES
    default_category_id: int | None = None
    owner_choices: dict[str, int | None] = field(default_factory=dict)  # owner key -> user id (None: no owner)
    status_choices: dict[str, str] = field(default_factory=dict)  # status word -> TaskStatus value ("" : none)


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
    skipped_sheets: list[SkippedSheet] = field(default_factory=list)
    column_choices: list[ColumnChoice] = field(default_factory=list)
    statuses: list[StatusWord] = field(default_factory=list)

    @property
    def importable(self) -> list[ParsedTask]:
        """The tasks to create: the valid rows, less the groups that became phases, and less a section (a name
        over the tasks it groups, or a Phase column's value) none of whose tasks is imported: it would be an empty
        parent task."""
        kept = [t for t in self.tasks if t.valid and not (t.is_group and t.phase_key == t.key)]
        by_key = {t.key: t for t in kept}
        wanted: set[int] = set()
        for task in kept:
            if not task.section:
                parent = task.parent_key
                while parent is not None and parent in by_key and parent not in wanted:
                    wanted.add(parent)
                    parent = by_key[parent].parent_key
        return [t for t in kept if not t.section or t.key in wanted]

    @property
    def skipped_rows(self) -> int:
        return sum(1 for t in self.tasks if not t.valid)

    @property
    def dependencies(self) -> int:
        refs = {t.ref for t in self.importable if t.ref}
        return sum(1 for t in self.importable for r in t.predecessor_refs if r in refs)

    def columns_used(self) -> list[dict]:
        return [{"field": key, "column": column_letter(column), "header": self.headers.get(column, "")}
                for column, key in self.columns.items()]

    def summary(self, created: int = 0) -> dict:
        def issue(i: ImportIssue) -> dict:
            return {"sheet": i.sheet, "row": i.row, "column": i.column_letter, "header": i.header, "message": i.message}

        return {
            "file": self.filename, "sheet": self.sheet, "header_row": self.header_row, "rows_read": self.rows_read,
            "tasks_found": len(self.importable), "tasks_created": created, "dependencies": self.dependencies,
            "phases_found": [g.name for g in self.groups],
            "phases": [{"name": g.name, "new": g.phase_id is None, "start": g.start.isoformat() if g.start else None,
                        "end": g.end.isoformat() if g.end else None, "dated": g.placed} for g in self.groups],
            "columns": self.columns_used(), "column_choices": [c.as_dict() for c in self.column_choices],
            "skipped_sheets": [s.as_dict() for s in self.skipped_sheets],
            "statuses": [s.as_dict() for s in self.statuses],
            "owners_unresolved": [o.text for o in self.owners if o.user_id is None],
            "errors": [issue(i) for i in self.issues], "warnings": [issue(i) for i in self.warnings],
        }


def _users_by_key() -> dict[str, User]:
    found: dict[str, User] = {}
    for user in db.session.scalars(select(User).where(User.active.is_(True))):
        found.setdefault(name_key(user.name), user)
        found.setdefault(name_key(user.email), user)
        found.setdefault(name_key(user.email.split("@")[0]), user)
    return found


def analyse(workbook: Workbook, plan: Plan, options: ImportOptions) -> ImportPreview:
    """Read the task table of a workbook and say what importing it would do. Writes nothing.

    Raises ImportRefused when the file cannot be imported at all, including
    a sheet that is damaged or over the read limits.
    """
    with refused_as(ImportRefused):
        manual = manual_names(options.column_names)
        chosen = choose_sheet(workbook, options.sheet, manual)
        found = chosen.found
        if options.columns is not None:
            table, _closest = read_sheet(workbook.sheet(found.table.sheet), manual, options.columns)
            assert table is not None
            found = table
        elif manual:
            _check_manual(found, options.column_names)
    return _preview(workbook, plan, options, found, chosen.sheets, chosen.skipped)


def _check_manual(found: SheetTable, names: dict[str, str]) -> None:
    """Every header named by hand is a column of the header row found."""
    mapped = {key for key in found.table.header.columns.values()}
    for key, text in names.items():
        if key not in mapped:
            raise ImportRefused(_(
                "Sheet %(sheet)s, row %(row)s has no column %(header)s for %(field)s; its columns are: %(headers)s.",
                sheet=found.table.sheet, row=found.candidate.row, header=text, field=key,
                headers=", ".join(found.candidate.headers.values())))


def _lookups() -> tuple[dict, dict]:
    departments: dict = {}
    for d in db.session.scalars(select(Department)):
        departments[name_key(d.name)] = d
        departments[name_key(d.code)] = d
    categories: dict = {}
    for c in services.list_categories():
        for name in (c.name, c.key, str(c.label)):
            categories[name_key(name)] = c
    return departments, categories


def _preview(workbook: Workbook, plan: Plan, options: ImportOptions, found: SheetTable, sheets: list[str],
             skipped: list[SkippedSheet]) -> ImportPreview:
    table = found.table
    header = table.header
    issues: list[ImportIssue] = []
    warnings: list[ImportIssue] = [table.issue(header.row, c.key, c.describe()) for c in found.choices]
    if header.column("title") is None:
        issues.append(table.issue(header.row, None, _("No column is mapped to the task name: map one before importing.")))
    day_first = options.day_first
    if day_first is None:
        day_first = infer_day_first(
            r.values.get(k) for r in table.rows for k in ("start", "due") if isinstance(r.values.get(k), str))
    departments, categories = _lookups()
    ctx = RowContext(table=table, day_first=day_first, epoch_1904=workbook.epoch_1904, indent_unit=indent_unit(table),
                     departments=departments, categories=categories, default_category=options.default_category_id,
                     issues=issues, warnings=warnings)
    tasks = [task for row in table.rows if (task := parse_row(row, ctx)) is not None]
    _apply_statuses(tasks, ctx, options.status_choices)
    build_hierarchy(tasks)
    tasks = add_phase_column_groups(tasks)
    groups = phase_groups(tasks, plan, create=options.create_phases, placing=options.phase_dates, table=table,
                          issues=issues, warnings=warnings)
    resolve_predecessors(tasks, table, issues, warnings)
    _resolve_owners(ctx.owners, _users_by_key(), options.owner_choices, table, warnings)
    bad_rows = {i.row for i in issues}
    bad_groups = {i.row for i in issues if i.column is not None and i.column == header.column("phase")}
    for task in tasks:
        # a group made from a phase column shares its first task's row: only its own problem makes it invalid
        task.valid = task.row not in (bad_groups if task.key < 0 else bad_rows)
    return ImportPreview(
        filename=workbook.filename, sheet=table.sheet, sheets=sheets, header_row=header.row, headers=header.headers,
        columns=header.columns, calendar_columns=list(header.calendar), rows_read=len(table.rows), tasks=tasks,
        groups=groups, owners=sorted(ctx.owners.values(), key=lambda o: o.text.casefold()), issues=issues,
        warnings=warnings, skipped_sheets=skipped, column_choices=found.choices, statuses=list(ctx.statuses.values()),
    )


def _apply_statuses(tasks: list[ParsedTask], ctx: RowContext, choices: dict[str, str]) -> None:
    """Each task's status from its word's mapping; a word nothing maps refuses its rows, naming the column."""
    map_status_words(ctx.statuses, choices)
    column = "status" if ctx.table.header.column("status") is not None else "progress"
    for entry in ctx.statuses.values():
        if entry.how == "meaning" and entry.status is not None:  # a status found by meaning is always one
            ctx.warnings.append(ctx.table.issue(entry.rows[0], column, _(
                "'%(word)s' is read as %(status)s by its meaning (%(n)s rows); change it in the preview or with "
                "--status-map.", word=entry.text, status=entry.status.label, n=len(entry.rows))))
    for task in tasks:
        if task.status_key is None:
            continue
        entry = ctx.statuses[task.status_key]
        if entry.status is None:
            ctx.issues.append(ctx.table.issue(task.row, column, _(
                "'%(value)s' is not a status and means none (not started, in progress, blocked, done, cancelled, "
                "or a percentage): map it in the preview or with --status-map.", value=entry.text)))
        else:
            task.status = entry.status


def _resolve_owners(owners: dict[str, OwnerName], users: dict[str, User], choices: dict[str, int | None], table: Table,
                    warnings: list[ImportIssue]) -> None:
    for owner in owners.values():
        if owner.key in choices:
            owner.user_id = choices[owner.key]
            continue
        if not owner.several and (user := users.get(owner.key)) is not None:
            owner.user_id = user.id
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


def _save_phases(preview: ImportPreview, plan: Plan) -> dict[int, Phase]:
    phase_for_group: dict[int, Phase] = {}
    for group in preview.groups:
        phase = db.session.get(Phase, group.phase_id) if group.phase_id else None
        if phase is None:
            phase = plan_services.add_phase(plan, name=group.name, start=group.start, end=group.end,
                                            goal=_("Imported from %(file)s", file=preview.filename))
        phase_for_group[group.key] = phase
    return phase_for_group


def save(preview: ImportPreview, plan: Plan, *, actor: User | None, default_category: TaskCategory) -> list[int]:
    """Create the phases and tasks of a preview (its valid rows), in the caller's transaction; returns the new
    tasks' ids in the file's order.

    Every row was checked by analyse(), so the rows go straight to the
    database in bulk, not one ORM object each: the tasks, their first
    history lines and the dependencies (the import's own graph was checked
    for cycles) through db.insert_rows (COPY on PostgreSQL, executemany on
    SQLite), the parent links in one UPDATE.
    """
    importable = preview.importable
    if not importable:
        return []
    owners = {o.key: o.user_id for o in preview.owners}
    user_ids = set(db.session.scalars(select(User.id).where(User.id.in_([i for i in owners.values() if i]))))
    phase_ids = {key: phase.id for key, phase in _save_phases(preview, plan).items()}
    category_ids = {c.id for c in services.list_categories()}
    department_ids = set(db.session.scalars(select(Department.id)))
    db.session.flush()  # the phases, and anything the caller left pending, before the rows that refer to them
    now = utcnow()
    tasks = ChangeTask.__table__
    rows = [{
        "plan_id": plan.id, "title": task.title, "description": task.description,
        "category_id": task.category_id if task.category_id in category_ids else default_category.id,
        "owner_id": owner if task.owner_key and (owner := owners.get(task.owner_key)) in user_ids else None,
        "phase_id": phase_ids.get(task.phase_key) if task.phase_key is not None else None,
        "department_id": task.department_id if task.department_id in department_ids else None,
        "start_date": task.start, "due_date": task.due, "status": task.status, "priority": task.priority,
        "outline": (task.outline or task.ref)[:50], "parent_id": None, "version": 1, "created_at": now,
        "updated_at": now,
    } for task in importable]
    ids = insert_rows(tasks, rows)
    created = {task.key: task_id for task, task_id in zip(importable, ids, strict=True)}
    actor_id = actor.id if actor is not None else None
    insert_rows(TaskChange.__table__, [
        {"task_id": created[task.key], "user_id": actor_id, "changed_at": now, "version": 1, "field": "created",
         "old_value": "", "new_value": task.title} for task in importable], ids=False)
    parent_links = [{"b_id": created[t.key], "b_parent": created[t.parent_key]}
                    for t in importable if t.parent_key in created]
    if parent_links:
        db.session.execute(
            update(tasks).where(tasks.c.id == bindparam("b_id")).values(parent_id=bindparam("b_parent")), parent_links)
    by_ref = {t.ref: created[t.key] for t in importable if t.ref}
    edges = {(created[t.key], by_ref[r])
             for t in importable for r in t.predecessor_refs if r in by_ref and by_ref[r] != created[t.key]}
    if edges:
        insert_rows(TaskDependency.__table__, [{"task_id": a, "depends_on_id": b} for a, b in sorted(edges)], ids=False)
    return ids


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

