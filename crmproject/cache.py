"""A cache for what is costly to compute from the database, invalidated by committed writes, table by table.

The database keeps a number per table, its data generation. Every
transaction that wrote to tables (an INSERT, UPDATE or DELETE went to the
database, through the ORM, Core or text SQL) bumps their numbers right after
its commit, in a short transaction of its own; a write whose table cannot be
told (TRUNCATE, say) bumps "*", which every key includes. A cached value is
stored under the generations of the tables it was computed from, read before
it was computed, so:

- a reader that sees the new numbers started after the write was committed
  and computes from the new data;
- a value computed from old data can only sit under old numbers, which no
  reader asks for any more (the numbers only grow).

Bumping after the commit, not inside the writing transaction, keeps writers
from queueing on the generation rows (a long usage import would otherwise
hold them). Should a process die between its commit and the bump, entries
expire after `TTL_SECONDS` anyway. Each worker process has its own small
cache; least recently used entries go first.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from flask import has_request_context, request
from sqlalchemy import BigInteger, String, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.pool import Pool

from crmproject import db as database
from crmproject.db import Base, db, upsert

T = TypeVar("T")

TTL_SECONDS = 600
MAX_ENTRIES = 256
ANY_TABLE = "*"
_TARGET = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+(?:\w+\.)?"?(\w+)', re.IGNORECASE)
# Writes to these tables change nothing a cached value holds: a login stamps the user, an import reports
# its progress, temporary tables come and go. (Were every login to empty the cache, an executive would
# never meet a warm dashboard.)
UNCACHED_TABLES = frozenset({
    "users", "usage_imports", "usage_staging", "data_generations", "login_throttles", "rate_limit_counters",
    "audit_entries",  # written with every change and every login, read by no cached value
})


class DataGeneration(Base):
    """A number per table that grows with every committed write to it."""

    __tablename__ = "data_generations"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


_REQUEST_KEY = "crmproject.data_generations"


def generations() -> dict[str, int]:
    """Table name -> its data generation, as this transaction sees them (one query; once per request, unless
    the request itself commits a write)."""
    if _unbumped:
        _retry_unbumped()
    if has_request_context() and _REQUEST_KEY in request.environ:
        return request.environ[_REQUEST_KEY]
    found = {name: value for name, value in db.session.execute(select(DataGeneration.name, DataGeneration.value))}
    if has_request_context():
        request.environ[_REQUEST_KEY] = found
    return found


def current_generation() -> int:
    """One number that grows with every committed write to any table."""
    return sum(generations().values())


def bump_generations(engine: Engine, tables: Iterable[str]) -> None:
    """Add one to the generations of these tables in a transaction of its own (values cached from them go stale)."""
    names = sorted(set(tables))
    if not names:
        return
    with engine.begin() as connection:
        connection.info["bumping"] = True
        try:
            table = DataGeneration.__table__
            statement = upsert(table, connection.dialect.name).on_conflict_do_update(
                index_elements=[table.c.name], set_={"value": table.c.value + 1})
            connection.execute(statement, [{"name": name, "value": 1} for name in names])
        finally:
            connection.info.pop("bumping", None)
            connection.info.pop("wrote", None)


# --- noticing writes ----------------------------------------------------------------------------------

# Statements that never change data. Anything else that is not a plain INSERT, UPDATE or DELETE of a named
# table (WITH ... UPDATE, COPY, REPLACE, DDL, TRUNCATE, a statement behind a comment) counts as a write to
# every table; so does any DELETE, whose cascades change tables no statement names.
_READS = frozenset({"SELECT", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET", "SHOW",
                    "EXPLAIN", "VALUES"})
_FIRST_WORD = re.compile(r"\s*(\w+)")
_log = logging.getLogger(__name__)
_unbumped: dict[Engine, set[str]] = {}  # bumps that failed (the database was busy): tried again on the next read
_unbumped_lock = threading.Lock()
_caches: weakref.WeakSet[GenerationCache] = weakref.WeakSet()


def tables_written(statement: str) -> set[str]:
    """The tables a statement may change: none for a read, its table for a plain write, else every table."""
    first = _FIRST_WORD.match(statement)
    word = first.group(1).upper() if first else ""
    if word in _READS:
        return set()
    target = _TARGET.match(statement)
    if target is None:
        return {ANY_TABLE}
    table = target.group(1).lower()
    if table in UNCACHED_TABLES:
        return set()
    return {table, ANY_TABLE} if word == "DELETE" else {table}


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(connection, cursor, statement, parameters, context, executemany) -> None:
    if connection.info.get("bumping"):
        return
    tables = tables_written(statement)
    if tables:
        connection.info.setdefault("wrote", set()).update(tables)


def note_written(connection, *tables: str) -> None:
    """Count a write the engine's events do not see (COPY on the driver's cursor) as a write to `tables`."""
    connection.info.setdefault("wrote", set()).update(t for t in tables if t not in UNCACHED_TABLES)


def _bulk_written(table, _rows) -> None:
    note_written(db.session.connection(), table.name)


database.BULK_INSERT_LISTENERS.append(_bulk_written)  # COPY on PostgreSQL: no engine event sees it


@event.listens_for(Engine, "rollback")
def _forget_on_rollback(connection) -> None:
    connection.info.pop("wrote", None)


@event.listens_for(Pool, "reset")
def _forget_on_reset(dbapi_connection, connection_record, reset_state) -> None:
    connection_record.info.pop("wrote", None)


@event.listens_for(Session, "before_commit")
def _will_bump(session: Session) -> None:
    """Note what the transaction wrote, its last flush included (commit flushes after this hook)."""
    if session.in_nested_transaction() or not session.in_transaction():
        return  # a savepoint's release is not a commit
    session.flush()
    try:
        connection = session.connection()
    except Exception:  # noqa: BLE001 - no bind: nothing was written through this session
        return
    tables = connection.info.pop("wrote", None)
    if tables:
        session.info["bump"] = (connection.engine, tables)


@event.listens_for(Session, "after_transaction_end")
def _bump(session: Session, transaction) -> None:
    """After the commit, once the transaction's connection is back in the pool (so a commit never holds two)."""
    if transaction.parent is not None or "bump committed" not in session.info:
        return
    engine, tables = session.info.pop("bump committed")
    _bump_or_defer(engine, tables)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if "bump" in session.info and not session.in_nested_transaction():
        session.info["bump committed"] = session.info.pop("bump")


@event.listens_for(Session, "after_rollback")
def _no_bump(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop("bump", None)


def _bump_or_defer(engine: Engine, tables: Iterable[str]) -> None:
    """Bump; should the database refuse (locked by a long import), this process forgets what it cached and
    the next read tries again. Never raises: the write it follows is committed already."""
    try:
        bump_generations(engine, tables)
    except Exception:  # noqa: BLE001 - logged; the data is committed, the cache must not outlive it
        _log.warning("could not bump the data generations of %s (%s); will try again", sorted(tables),
                     str(sys.exc_info()[1]).splitlines()[0], exc_info=_log.isEnabledFor(logging.DEBUG))
        with _unbumped_lock:
            _unbumped.setdefault(engine, set()).update(tables)
        for cache in list(_caches):
            cache.clear()


def _retry_unbumped() -> None:
    with _unbumped_lock:
        pending = dict(_unbumped)
        _unbumped.clear()
    for engine, tables in pending.items():
        _bump_or_defer(engine, tables)


# --- the cache ---------------------------------------------------------------------------------------


class GenerationCache:
    """Values by key and the generations of the tables they come from, for `TTL_SECONDS`, at most
    `max_entries` (least recently used go)."""

    def __init__(self, *, max_entries: int = MAX_ENTRIES, ttl: float = TTL_SECONDS) -> None:
        _caches.add(self)
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.ttl = ttl
        self.hits = self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T], *, tables: Iterable[str] | None = None,
                       enabled: bool = True, keep: Callable[[T], bool] | None = None) -> T:
        """The value under `key` while `tables` (default: every table) have not changed; else computed and kept
        (unless `keep(value)` says not to)."""
        if not enabled:
            return compute()
        found_generations = generations()
        if tables is None:
            stamp: Hashable = sum(found_generations.values())
        else:
            stamp = tuple(found_generations.get(name, 0) for name in (ANY_TABLE, *tables))
        full_key = (key, stamp)
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(full_key)
            if found is not None and now - found[0] < self.ttl:
                self._entries.move_to_end(full_key)
                self.hits += 1
                return found[1]  # type: ignore[return-value]
        self.misses += 1
        value = compute()
        if keep is not None and not keep(value):
            return value
        with self._lock:
            self._entries[full_key] = (now, value)
            self._entries.move_to_end(full_key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
