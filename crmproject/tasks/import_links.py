"""Predecessors of a task plan: each names another row by the file's own id or outline number.

The id is looked up first, as written ("D-01", "T-1.2", "3"), and only then is a
link type and lag split off its end ("3FS+2d", "2fs", "D-01SS-1"): reading the
lag first would make "D-01" task D with a lag of -1. A task depends on another
finishing first here, so the link type and lag are read and then dropped (with
a note that says so).
"""

from __future__ import annotations

import re

from crmproject.i18n import _
from crmproject.spreadsheets import ImportIssue, Table

from .import_model import ParsedTask

_LINK = re.compile(r"^\s*(?:fs|ss|ff|sf)?\s*(?:[+-]\s*\d+(?:[.,]\d+)?\s*(?:[a-z]+|дн\w*|天|روز)?)?\s*$", re.IGNORECASE)
_MAX_REF = 60


def _target(text: str, refs: dict[str, ParsedTask]) -> tuple[ParsedTask | None, str]:
    """The task a reference names and what followed its id (link type and lag), longest id first."""
    text = text.strip()
    if (found := refs.get(text.casefold())) is not None:
        return found, ""
    for end in range(min(len(text), _MAX_REF) - 1, 0, -1):
        head, tail = text[:end].strip(), text[end:]
        if head and (found := refs.get(head.casefold())) is not None and _LINK.match(tail):
            return found, tail.strip()
    return None, ""


def resolve_predecessors(tasks: list[ParsedTask], table: Table, issues: list[ImportIssue],
                         warnings: list[ImportIssue]) -> None:
    """Turn each task's predecessor texts into the refs of the tasks they name; report what names none."""
    refs = {t.ref.casefold(): t for t in tasks if t.ref}
    lags = 0
    first_lag_row = None
    for task in tasks:
        resolved = []
        for text in task.predecessor_refs:
            target, link = _target(text, refs)
            if target is None or target is task:
                issues.append(table.issue(task.row, "predecessors", _(
                    "'%(ref)s' names no task of this sheet (by its id or outline number).", ref=text.strip())))
                continue
            resolved.append(target.ref)
            if link and link.casefold() != "fs":
                lags += 1
                first_lag_row = first_lag_row or task.row
        task.predecessor_refs = resolved
    if lags:
        warnings.append(table.issue(first_lag_row, "predecessors", _(
            "%(n)s links give a type or lag (such as SS or +2d); each is imported as 'finishes before'.", n=lags)))
    for cycle in _cycles({t.ref: t.predecessor_refs for t in tasks if t.ref}):
        issues.append(table.issue(refs[cycle[0].casefold()].row, "predecessors", _(
            "The predecessors make a cycle: %(cycle)s.", cycle=" → ".join(cycle))))


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Every dependency cycle of the file, each once, in one depth-first pass (linear in the rows)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    found: list[list[str]] = []
    for root in graph:
        if root in state:
            continue
        path: list[str] = [root]
        stack = [(root, iter(graph.get(root, ())))]
        state[root] = 1
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
