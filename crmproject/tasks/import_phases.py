"""The hierarchy of an imported plan, and which groups of it become phases.

Groups come from outline numbers (1, 1.1), indented names, section rows (a
name with no owner, date, status or duration above the tasks it groups) and a
Phase / Workstream / Stage column (or a task group merged over its sub tasks).
A top-level group named like a phase of the plan goes into that phase; with
`create_phases` any other becomes a new phase; otherwise it is a parent task.

A phase needs dates. A new one spans its tasks' dates; when its tasks have
none, it is placed as the user chose: one after another from the plan's start
for as long as its tasks' durations add up to ("2-3 days" counts 3), or the
plan's length shared evenly between the undated phases.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.plans.models import Phase, Plan
from crmproject.spreadsheets import ImportIssue, Table

from .import_model import ParsedTask, PhaseGroup, name_key

PHASE_DATES = {
    "auto": _l("from their tasks' dates; undated ones in order by their tasks' durations, else spread evenly"),
    "tasks": _l("only from their tasks' dates (undated groups are refused)"),
    "durations": _l("undated ones one after another from the plan's start, by their tasks' durations"),
    "spread": _l("undated ones spread evenly over the plan"),
}


def build_hierarchy(tasks: list[ParsedTask]) -> None:
    """Give every task its parent: the nearest row above with a lower level, or the section above it."""
    stack: list[ParsedTask] = []
    section: ParsedTask | None = None
    for task in tasks:
        if task.section and task.level == 0:
            section, stack = task, [task]
            continue
        while stack and stack[-1].level >= task.level and not (stack[-1] is section and task.level == 0):
            stack.pop()
        parent = stack[-1] if stack else None
        task.parent_key = parent.key if parent else None
        stack.append(task)
    by_key = {t.key: t for t in tasks}
    for task in tasks:
        if task.parent_key is not None:
            by_key[task.parent_key].is_group = True


def add_phase_column_groups(tasks: list[ParsedTask]) -> list[ParsedTask]:
    """A group for each name of a Phase / Workstream column, placed before its first task; its top-level
    tasks go under it. Returns the tasks with the groups in file order."""
    groups: dict[str, ParsedTask] = {}
    ordered: list[ParsedTask] = []
    for task in tasks:
        if task.phase_name and task.parent_key is None and not (task.is_group and name_key(task.title) == name_key(task.phase_name)):
            key = name_key(task.phase_name)
            if key not in groups:
                groups[key] = ParsedTask(key=-len(groups) - 1, row=task.row, title=task.phase_name, level=0,
                                         section=True, is_group=True, category_id=task.category_id)
                ordered.append(groups[key])
            task.parent_key = groups[key].key
        ordered.append(task)
    return ordered


def _members(tasks: list[ParsedTask]) -> dict[int, list[ParsedTask]]:
    """Each top-level task's descendants."""
    by_key = {t.key: t for t in tasks}
    members: dict[int, list[ParsedTask]] = defaultdict(list)
    for task in tasks:
        root = task
        while root.parent_key is not None:
            root = by_key[root.parent_key]
        if root is not task:
            members[root.key].append(task)
    return members


def phase_groups(tasks: list[ParsedTask], plan: Plan, *, create: bool, placing: str, table: Table,
                 issues: list[ImportIssue], warnings: list[ImportIssue]) -> list[PhaseGroup]:
    """Top-level groups: matched to the plan's phases, made into new phases, or left as parent tasks."""
    phases: dict[str, Phase] = {name_key(p.name): p for p in plan.phases}
    members = _members(tasks)
    groups: list[PhaseGroup] = []
    for task in [t for t in tasks if t.parent_key is None and t.is_group]:
        phase = phases.get(name_key(task.title))
        dated = [d for m in members[task.key] for d in (m.start, m.due) if d]
        if phase is None and not create:
            if task.key < 0:
                warnings.append(table.issue(task.row, "phase", _(
                    "The plan has no phase named %(name)s: its tasks go under a parent task of that name "
                    "(make new phases to have it as a phase).", name=task.title)))
            continue  # stays a parent task
        group = PhaseGroup(key=task.key, row=task.row, name=phase.name if phase else task.title[:200],
                           phase_id=phase.id if phase else None, start=min(dated) if dated else None,
                           end=max(dated) if dated else None, placed="existing" if phase else "tasks")
        groups.append(group)
    _place_undated([g for g in groups if g.phase_id is None and g.start is None], members, plan, placing)
    kept = [g for g in groups if _check_group(g, plan, placing, table, issues, column="title" if g.key > 0 else "phase")]
    by_key = {t.key: t for t in tasks}
    for group in kept:
        for task in [by_key[group.key], *members[group.key]]:
            task.phase_key = group.key
            if task.parent_key == group.key:
                task.parent_key = None  # the phase replaces the group as the parent
    return kept


def _place_undated(groups: list[PhaseGroup], members: dict[int, list[ParsedTask]], plan: Plan, placing: str) -> None:
    """Dates for new phases whose tasks have none, as the user chose (see PHASE_DATES)."""
    if not groups or placing == "tasks":
        return
    durations = {g.key: sum(m.duration_days or 0 for m in members[g.key]) for g in groups}
    if placing == "durations" or (placing == "auto" and any(durations.values())):
        cursor = plan.start_date
        for group in groups:
            group.start, group.end = cursor, cursor + timedelta(days=max(durations[group.key], 1) - 1)
            group.placed = "durations"
            cursor = group.end + timedelta(days=1)
        return
    span = (plan.end_date - plan.start_date).days + 1
    for index, group in enumerate(groups):
        group.start = plan.start_date + timedelta(days=index * span // len(groups))
        group.end = plan.start_date + timedelta(days=max((index + 1) * span // len(groups) - 1, index * span // len(groups)))
        group.placed = "spread"


def _check_group(group: PhaseGroup, plan: Plan, placing: str, table: Table, issues: list[ImportIssue], *,
                 column: str) -> bool:
    """True when the group can be a phase; otherwise the reason is reported on its row."""
    if group.phase_id is not None:
        return True
    name = group.name or _("on row %(row)s", row=group.row)
    if group.start is None or group.end is None:
        issues.append(table.issue(group.row, column, _(
            "The group %(name)s has no dated tasks, so no phase can be made from it: choose to place undated "
            "phases by their durations or spread over the plan.", name=name)))
        return False
    if group.start < plan.start_date or group.end > plan.end_date:
        hint = (_(" Spread the undated phases evenly over the plan instead.") if group.placed == "durations" else "")
        issues.append(table.issue(group.row, column, _(
            "The phase %(name)s would run from %(start)s to %(end)s, outside the plan (%(ps)s to %(pe)s).",
            name=name, start=group.start.isoformat(), end=group.end.isoformat(),
            ps=plan.start_date.isoformat(), pe=plan.end_date.isoformat()) + hint))
        return False
    return True
