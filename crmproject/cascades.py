"""What a flush deletes, with the rows the database deletes along with it (foreign keys ON DELETE CASCADE).

Rows that refer to an object without a foreign key (a comment on any kind of object, a notification about a
task) must go when it goes. Their owners find, before the flush and while the rows are still there, the ids of
the objects of the tables they care about that go with what the session deletes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import Column, Table, inspect, select
from sqlalchemy.orm import Session

from crmproject.extensions import db

# ids in one IN (...): well under SQLite's and PostgreSQL's limits on a statement's parameters
IDS_AT_ONCE = 5_000


def in_chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """`ids` a statement's worth at a time."""
    for start in range(0, len(ids), IDS_AT_ONCE):
        yield ids[start:start + IDS_AT_ONCE]


def deleted_in(session: Session) -> dict[str, set[int]]:
    """Table name -> ids of the objects the session is about to delete."""
    deleted: dict[str, set[int]] = {}
    for obj in session.deleted:
        state = inspect(obj, raiseerr=False)
        table = getattr(getattr(state, "mapper", None), "local_table", None)
        object_id = getattr(obj, "id", None)
        if isinstance(table, Table) and isinstance(object_id, int):
            deleted.setdefault(table.name, set()).add(object_id)
    return deleted


def going_with(session: Session, deleted: dict[str, set[int]], wanted: Iterable[str]) -> dict[str, list[int]]:
    """The ids, per table of `wanted`, of the rows going with `deleted` (table -> ids): themselves and, through
    foreign keys ON DELETE CASCADE, their dependants, as deep as the cascades reach a wanted table."""
    wanted = frozenset(wanted)
    cascades = _cascades(wanted)
    found: dict[str, set[int]] = {}
    frontier = deleted
    while frontier:
        following: dict[str, set[int]] = {}
        for table_name, ids in frontier.items():
            if table_name in wanted:
                found.setdefault(table_name, set()).update(ids)
            for child, column in cascades.get(table_name, ()):
                for chunk in in_chunks(sorted(ids)):
                    rows = session.scalars(select(child.c.id).where(column.in_(chunk)))
                    new = set(rows) - found.get(child.name, set())
                    if new:
                        following.setdefault(child.name, set()).update(new)
        frontier = following
    return {name: sorted(ids) for name, ids in found.items()}


@functools.cache
def _cascades(wanted: frozenset[str]) -> dict[str, list[tuple[Table, Column]]]:
    """Parent table -> (child table, its foreign key column) for each foreign key ON DELETE CASCADE on a path that
    leads down to a wanted table; the rest of the schema is never looked at when its rows are deleted."""
    edges: dict[str, list[tuple[Table, Column]]] = {}
    for table in db.metadata.tables.values():
        if "id" not in table.c:
            continue
        for key in table.foreign_keys:
            if (key.ondelete or "").upper() == "CASCADE" and key.parent.table is table:
                edges.setdefault(key.column.table.name, []).append((table, key.parent))
    reaching = set(wanted)
    grew = True
    while grew:
        grew = False
        for parent, children in edges.items():
            if parent not in reaching and any(child.name in reaching for child, _column in children):
                reaching.add(parent)
                grew = True
    return {parent: [(child, column) for child, column in children if child.name in reaching]
            for parent, children in edges.items() if parent in reaching}
