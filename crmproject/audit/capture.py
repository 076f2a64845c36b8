"""The one mechanism that records changes: hooked on the database session, for every model of the application.

After each flush, every object the flush inserted, updated or deleted (cascades and orphans included) gets an
audit entry written on the flush's own connection, so it is part of the same transaction as the change: a
rollback leaves no entry, a commit keeps both. An update records each changed column's value before and after
(a value the session had not loaded before it was changed is read from the database before the flush writes
it); many-to-many collections (a wave's CRM modules, a meeting's attendees) are recorded on their owner as the
lists of members (id and name) before and after.

Not recorded row by row:
- rows written in bulk through crmproject.db.insert_rows (imports) or a session's executemany INSERT (the large
  demo): one entry per statement, with the number of rows;
  a million usage events are written by the usage import's own statements and are told by the import's record
  (an ORM row, recorded when it starts and when it finishes);
- the bookkeeping tables in UNAUDITED_TABLES (counters, caches, recomputed figures, the tasks' own history lines,
  and readiness pulse answers, which must stay anonymous);
- columns in IGNORED_COLUMNS (timestamps and versions every save moves; the session token a login replaces), or
  marked info={"audit": "ignore"}; a model with `__audit__ = False`;
- UPDATE and DELETE statements sent in bulk (`session.execute(update(Model)...)`): the few there are stamp logins,
  mark a readiness pulse link used (anonymous), remove a course's enrolments with the course (recorded as the
  course's deletion) and give up an import that stopped.
Secrets (password and token hashes, any column named like one, or marked info={"audit": "hidden"}) are recorded
as changed, never with their values.

Each entry is filed under the plan its object belongs to (`plan_id`), for the plan's activity feed: the object's
own plan_id column, else its parent's (PARENTS), followed up to the plan (a decision's condition, its decision,
its gate, the gate's plan); read from the session's objects where it has them, else from the database.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect, select, tuple_
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.sql import ClauseElement

from crmproject import db as database
from crmproject.audit.actor import current_actor, request_facts
from crmproject.audit.models import AuditAction, AuditEntry
from crmproject.db import mapped_table, utcnow

UNAUDITED_TABLES = frozenset({
    "audit_entries", "data_generations", "login_throttles", "rate_limit_counters",  # bookkeeping
    "usage_events", "usage_staging", "adoption_weeks", "key_action_weeks",  # imported events, recomputed figures
    "task_changes",  # a task's own history lines, themselves a record of its changes
    "comment_mentions",  # who a comment mentions: read from its text, recorded with it
    "pulse_responses",  # anonymous answers: when and what would tell who answered
})
IGNORED_COLUMNS = frozenset({"created_at", "updated_at", "version", "last_login_at", "session_token"})
_SECRET = re.compile(r"password|secret|token|_hash$|^hash$", re.IGNORECASE)
# What a child row belongs to, so its parent's history shows it: table -> its foreign key to the parent. Only
# rows everyone who may open the parent may see too: a course's enrolments (named people, seen by their own
# department's head) and a survey's personal links have their own pages or none, never their parent's.
PARENTS = {
    "phases": "plan_id", "waves": "plan_id", "deliverables": "plan_id", "adoption_rules": "plan_id",
    "maturity_targets": "plan_id", "hypercare_policies": "plan_id", "key_action_mappings": "plan_id",
    "wave_departments": "wave_id", "budget_months": "line_id", "gate_criteria": "gate_id", "gate_decisions": "gate_id",
    "decision_conditions": "decision_id", "hypercare_targets": "policy_id", "kpi_benefits": "kpi_id",
    "kpi_measurements": "kpi_id", "kpi_targets": "kpi_id", "maturity_agreed_levels": "assessment_id",
    "maturity_assessors": "assessment_id", "maturity_ratings": "assessor_id", "meeting_actions": "meeting_id",
    "pulse_entered_results": "survey_id", "raci_assignments": "deliverable_id", "report_kpi_values": "report_id",
    "task_dependencies": "task_id", "team_assignments": "team_role_id", "training_sessions": "course_id",
    "employee_departments": "employee_id", "key_action_rules": "mapping_id", "impact_ratings": "department_id",
    "adoption_snapshots": "department_id", "baseline_items": "baseline_id",
}
# The column that names an object for people, first found
LABEL_COLUMNS = ("name", "title", "email", "code", "filename", "person_name", "text", "audience")
MAX_VALUE_CHARS = 10_000  # a longer text is kept to this many characters, with how many were left out
MAX_LABEL_CHARS = 300
_OLD_VALUES = "crmproject.audit.old_values"


@dataclass(frozen=True)
class AuditedModel:
    """What is recorded of one mapped class."""

    table: str
    columns: tuple[str, ...]  # attribute keys whose values are recorded
    hidden: frozenset[str]  # attribute keys recorded as changed, without values
    collections: tuple[str, ...]  # many-to-many relationships, recorded as lists of names
    label: str | None  # attribute key of the object's name
    parent_key: str | None  # attribute key of the foreign key to the parent
    parent_table: str | None
    id_key: str | None  # attribute key of the primary key when it is one integer column (else the entry names the
    # object by its key's values)
    plan_key: str | None = None  # attribute key of its plan_id column (a foreign key to plans), if it has one


_models: dict[Mapper, AuditedModel | None] = {}


def audited_model(mapper: Mapper) -> AuditedModel | None:
    """How a mapped class is audited; None when it is not (a bookkeeping table, or `__audit__ = False`)."""
    try:
        return _models[mapper]
    except KeyError:
        pass
    table = mapped_table(mapper)
    found: AuditedModel | None = None
    if getattr(mapper.class_, "__audit__", True) and table.name not in UNAUDITED_TABLES:
        columns, hidden = [], set()
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            how = column.info.get("audit")
            if how == "ignore" or (how is None and column.name in IGNORED_COLUMNS):
                continue
            columns.append(prop.key)
            if how == "hidden" or (how is None and _SECRET.search(column.name)):
                hidden.add(prop.key)
        collections = tuple(r.key for r in mapper.relationships if r.secondary is not None and not r.viewonly)
        keys = {prop.columns[0].name: prop.key for prop in mapper.column_attrs}
        label = next((keys[name] for name in LABEL_COLUMNS if name in keys), None)
        parent_column = PARENTS.get(table.name)
        parent_table = None
        if parent_column is not None and parent_column in table.c and table.c[parent_column].foreign_keys:
            parent_table = next(iter(table.c[parent_column].foreign_keys)).column.table.name
        primary = mapper.primary_key
        id_key = keys[primary[0].name] if len(primary) == 1 and _is_integer(primary[0]) else None
        plan_column = table.c.get("plan_id")
        plan_key = keys["plan_id"] if plan_column is not None and any(
            fk.column.table.name == "plans" for fk in plan_column.foreign_keys) else None
        found = AuditedModel(
            table=table.name, columns=tuple(key for key in columns if key != id_key), hidden=frozenset(hidden),
            collections=collections, label=label, parent_key=keys.get(parent_column) if parent_table and parent_column else None,
            parent_table=parent_table, id_key=id_key, plan_key=plan_key,
        )
    _models[mapper] = found
    return found


def _is_integer(column) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False


# --- values as JSON ------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A value as JSON keeps it: dates in ISO 8601, decimals as strings (exact), enumerations by their value."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"({len(value)} bytes)"
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, ClauseElement):
        return None  # an SQL expression: its result is known to the database only
    return str(value)


def bounded(value: Any) -> tuple[Any, int]:
    """The value cut to MAX_VALUE_CHARS (a text, or a list's or mapping's JSON), and how many characters went."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False)
        if len(text) <= MAX_VALUE_CHARS:
            return value, 0
    else:
        return value, 0
    if len(text) <= MAX_VALUE_CHARS:
        return text, 0
    return text[:MAX_VALUE_CHARS], len(text) - MAX_VALUE_CHARS


def _side(change: dict, side: str, value: Any) -> None:
    kept, cut = bounded(plain(value))
    change[side] = kept
    if cut:
        change[f"{side}_cut"] = cut


def label_of(state, model: AuditedModel | None, object_id: Any = None) -> str:
    """The object's name from what is loaded (never a query), else its id."""
    if model is not None and model.label is not None:
        found = state.dict.get(model.label)
        if found not in (None, ""):
            return str(plain(found))[:MAX_LABEL_CHARS]
    if object_id is None and model is not None and model.id_key is not None:
        object_id = state.dict.get(model.id_key)
    identity = (object_id,) if object_id is not None else (state.identity or ())
    return "#" + ",".join(str(part) for part in identity) if identity else ""


# --- the session's events ------------------------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _read_values_not_loaded(session: Session, flush_context, instances) -> None:
    """Before the flush overwrites them: the old values of changed columns the session had not loaded (changed
    without being read), and every value of a row about to be deleted that was not loaded."""
    wanted: list[tuple[Any, AuditedModel, list[str]]] = []
    deleted = session.deleted
    for obj in (*session.dirty, *deleted):
        state = inspect(obj)
        model = audited_model(state.mapper)
        if model is None or state.identity is None:
            continue
        if obj in deleted:
            missing = [key for key in model.columns if key in state.unloaded]
        else:
            committed = state.committed_state
            missing = [key for key in model.columns if committed.get(key, None) is NO_VALUE]
        if missing:
            wanted.append((state, model, missing))
    if not wanted:
        return
    old = session.info.setdefault(_OLD_VALUES, {})
    connection = session.connection()
    for state, _model, missing in wanted:
        mapper = state.mapper
        columns = [mapper.column_attrs[key].columns[0] for key in missing]
        primary = mapper.primary_key
        condition = (primary[0] == state.identity[0]) if len(primary) == 1 else (
            tuple_(*primary) == tuple_(*state.identity))
        row = connection.execute(select(*columns).where(condition)).first()
        if row is not None:
            old[state] = dict(zip(missing, row, strict=True))


@event.listens_for(Session, "after_flush")
def _record_flush(session: Session, flush_context) -> None:
    """An entry for every object the flush wrote, on the flush's own connection (the same transaction)."""
    old = session.info.pop(_OLD_VALUES, {})
    new = {inspect(obj) for obj in session.new}
    rows = []
    row: dict | None
    for state, (isdelete, listonly) in list(flush_context.states.items()):
        if listonly:
            continue
        model = audited_model(state.mapper)
        if model is None:
            continue
        if isdelete:
            row = _deleted(state, model, old.get(state, {}))
        elif state in new:
            row = _created(state, model)
        else:
            row = _updated(state, model, old.get(state, {}))
        if row is not None:
            rows.append(row)
    if rows:
        _file_under_plans(session, rows)
        write(session, rows)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_OLD_VALUES, None)


def _entry(action: AuditAction, state, model: AuditedModel, changes: dict | None, values: dict) -> dict:
    object_id = None
    if model.id_key is not None:
        object_id = values.get(model.id_key)
        if object_id is None and state.identity:
            object_id = state.identity[0]
    parent_id = values.get(model.parent_key) if model.parent_key else None
    plan_id = values.get(model.plan_key) if model.plan_key else (object_id if model.table == "plans" else None)
    return {"action": action, "object_type": model.table, "object_id": object_id,
            "plan_id": plan_id if isinstance(plan_id, int) else None,
            "object_label": label_of(state, model, object_id) if model.id_key is not None else _key_label(state, values),
            "parent_type": model.parent_table if parent_id is not None else None,
            "parent_id": parent_id if isinstance(parent_id, int) else None, "changes": changes or None}


def _key_label(state, values: dict) -> str:
    """A row without a single id (a RACI cell, a report's KPI value): its key's columns and values."""
    mapper = state.mapper
    return ", ".join(f"{column.key}={values.get(mapper.get_property_by_column(column).key)}"
                     for column in mapper.primary_key)[:MAX_LABEL_CHARS]


def _whole(model: AuditedModel, values: dict, side: str) -> dict[str, dict]:
    """Every set column of a row as one side of a change: "after" for a row created, "before" for one deleted."""
    changes: dict[str, dict] = {}
    for key in model.columns:
        value = values.get(key)
        if value is None:
            continue
        if key in model.hidden:
            changes[key] = {"hidden": True}
        else:
            _side(changes.setdefault(key, {}), side, value)
    return changes


def _created(state, model: AuditedModel) -> dict:
    values = state.dict
    changes = _whole(model, values, "after")
    for key in model.collections:
        members = values.get(key)
        if members:
            changes[key] = {"after": _members(members)}
    return _entry(AuditAction.CREATE, state, model, changes, values)


def _members(objects: Iterable) -> list[list]:
    """A collection's members as [id, name] pairs, by name: the id lets a page name only the members its reader
    may see (a department head is not told another department's task titles)."""
    pairs = []
    for obj in objects:
        member = inspect(obj)
        model = audited_model(member.mapper)
        key = model.id_key if model is not None else None
        member_id = member.dict.get(key) if key else None
        if member_id is None and member.identity:
            member_id = member.identity[0]
        pairs.append([member_id, label_of(member, model)])
    return sorted(pairs, key=lambda pair: (pair[1], pair[0] or 0))


def _updated(state, model: AuditedModel, old: dict) -> dict | None:
    changes: dict[str, dict] = {}
    attrs = state.attrs
    for key in model.columns:
        history = attrs[key].history
        if not history.added and not history.deleted:
            continue
        if history.deleted:
            before = history.deleted[0]
        elif key in old:
            before = old[key]
        else:
            continue  # nothing changed: an unloaded value set to what it was is no change either
        after = history.added[0] if history.added else None
        if isinstance(after, ClauseElement):
            after = state.dict.get(key)
        if plain(before) == plain(after):
            continue
        if key in model.hidden:
            changes[key] = {"hidden": True}
            continue
        change: dict[str, Any] = {}
        _side(change, "before", before)
        _side(change, "after", after)
        changes[key] = change
    for key in model.collections:
        history = attrs[key].history
        if not history.added and not history.deleted:
            continue
        before = _members((*history.unchanged, *history.deleted))
        after = _members((*history.unchanged, *history.added))
        if before != after:
            changes[key] = {"before": before, "after": after}
    if not changes:
        return None
    values = {**old, **state.dict}
    return _entry(AuditAction.UPDATE, state, model, changes, values)


def _deleted(state, model: AuditedModel, old: dict) -> dict:
    values = {**old, **state.dict}
    return _entry(AuditAction.DELETE, state, model, _whole(model, values, "before"), values)


def write(session_or_connection, rows: Iterable[dict], *, at: datetime | None = None) -> None:
    """Write entries (dicts of AuditEntry's columns) on the session's connection, with who, when and where."""
    actor = current_actor()
    address, request = request_facts()
    stamp = at or utcnow()
    common = {"at": stamp, "user_id": actor.user_id, "user_label": actor.label[:254], "source": actor.source,
              "address": address, "request": request}
    full = [{"object_type": None, "object_id": None, "object_label": "", "parent_type": None, "parent_id": None,
             "plan_id": None, "changes": None, "details": None, **common, **row} for row in rows]
    if not full:
        return
    connection = session_or_connection.connection() if isinstance(session_or_connection, Session) \
        else session_or_connection
    connection.execute(insert(AuditEntry.__table__), full)


# --- the plan of each entry ---------------------------------------------------------------------------------

_MAX_DEPTH = 6  # parents followed up to a plan


def _file_under_plans(session: Session, rows: list[dict]) -> None:
    """Give each entry whose object has no plan_id of its own its parent's plan (found once per parent)."""
    memo: dict[tuple[str, Any], int | None] = {}
    for row in rows:
        if row.get("plan_id") is None and row.get("parent_type") and row.get("parent_id") is not None:
            row["plan_id"] = plan_of(session, row["parent_type"], row["parent_id"], memo)


def _mapper_of(table: str) -> Mapper | None:
    return next((m for m in AuditEntry.registry.mappers if mapped_table(m).name == table), None)


def plan_of(session: Session, table: str, object_id: Any, memo: dict | None = None, depth: int = 0) -> int | None:
    """The plan an object belongs to: its plan_id, or its parent's plan (PARENTS), or None. The session's copy of
    an object is read first (no query); else its row."""
    memo = {} if memo is None else memo
    key = (table, object_id)
    if key in memo:
        return memo[key]
    memo[key] = None
    if table == "plans":
        memo[key] = object_id if isinstance(object_id, int) else None
        return memo[key]
    mapper = _mapper_of(table)
    model = audited_model(mapper) if mapper is not None else None
    wanted = (model.plan_key or model.parent_key) if model is not None else None
    if mapper is None or model is None or wanted is None or depth > _MAX_DEPTH or len(mapper.primary_key) != 1:
        return None
    obj = session.identity_map.get(mapper.identity_key_from_primary_key((object_id,)))
    values = inspect(obj).dict if obj is not None else {}
    if wanted in values:
        value = values[wanted]
    else:
        column = mapper.column_attrs[wanted].columns[0]
        value = session.connection().execute(select(column).where(mapper.primary_key[0] == object_id)).scalar()
    if value is None:
        return None
    found = value if model.plan_key else plan_of(session, model.parent_table or "", value, memo, depth + 1)
    memo[key] = found if isinstance(found, int) else None
    return memo[key]


# --- rows written in bulk (crmproject.db.insert_rows) ------------------------------------------------------


def _bulk_inserted(table, rows: list[dict], session: Session | None = None) -> None:
    """One entry for rows an import wrote in bulk: how many, into which table (and the parent, when they share one)."""
    if session is None:
        from crmproject.extensions import db

        session = db.session()  # the request's session itself, not its proxy
    mapper = next((m for m in AuditEntry.registry.mappers if mapped_table(m).name == table.name), None)
    model = audited_model(mapper) if mapper is not None else None
    if mapper is None or model is None or not rows:
        return
    parent_id = plan_id = None
    if model.parent_key is not None:
        column = mapper.attrs[model.parent_key].columns[0].name
        parents = {row.get(column) if isinstance(row, dict) else None for row in rows}
        parent_id = parents.pop() if len(parents) == 1 else None
    if model.plan_key is not None:
        column = mapper.attrs[model.plan_key].columns[0].name
        plans = {row.get(column) if isinstance(row, dict) else None for row in rows}
        plan_id = plans.pop() if len(plans) == 1 else None
    elif isinstance(parent_id, int) and model.parent_table is not None:
        plan_id = plan_of(session, model.parent_table, parent_id)
    write(session, [{"action": AuditAction.BULK_INSERT, "object_type": model.table,
                     "parent_type": model.parent_table if isinstance(parent_id, int) else None,
                     "parent_id": parent_id if isinstance(parent_id, int) else None,
                     "plan_id": plan_id if isinstance(plan_id, int) else None,
                     "details": {"rows": len(rows)}}])


database.BULK_INSERT_LISTENERS.append(_bulk_inserted)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(orm_execute_state) -> None:
    """Rows of a model inserted in bulk through the session (`session.execute(insert(Model), rows)`, which the
    unit of work never sees): one entry, as for insert_rows. (One row at a time goes through the flush; a Core
    statement on a table, like insert_rows, is below the models.)"""
    if not orm_execute_state.is_insert or not orm_execute_state.is_orm_statement:
        return
    rows = orm_execute_state.parameters
    if not isinstance(rows, list | tuple) or len(rows) < 2:
        return
    table = getattr(orm_execute_state.statement, "table", None)
    if table is not None:
        _bulk_inserted(table, list(rows), orm_execute_state.session)
