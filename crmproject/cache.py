"""A cache for what is costly to compute from the database, invalidated by any committed write.

The database keeps one number, the data generation. Every transaction that
wrote something (an INSERT, UPDATE or DELETE went to the database, through
the ORM, Core or text SQL; bar the bookkeeping in UNCACHED_TABLES) bumps it
right after its commit, in a short
transaction of its own. A cached value is stored under the generation read
before it was computed, so:

- a reader that sees generation G+1 started after the write was committed
  and computes from the new data;
- a value computed from old data can only sit under an old generation,
  which no reader asks for any more.

Bumping after the commit, not inside the writing transaction, keeps writers
from queueing on the generation row (a long usage import would otherwise
hold it). Should a process die between its commit and the bump, entries
expire after `TTL_SECONDS` anyway, and each worker process has its own
small cache (least recently used entries go first).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import BigInteger, event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.pool import Pool

from crmproject.db import Base
from crmproject.extensions import db

T = TypeVar("T")

TTL_SECONDS = 600
MAX_ENTRIES = 64
_WRITES = ("INSERT", "UPDATE", "DELETE")
_TARGET = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+(?:\w+\.)?"?(\w+)', re.IGNORECASE)
# Writes to these tables change nothing a cached page shows: a login stamps the user, an import reports
# its progress. (Were every login to empty the cache, an executive would never meet a warm dashboard.)
UNCACHED_TABLES = frozenset({"users", "usage_imports", "data_generation"})


class DataGeneration(Base):
    """One row: a number that grows with every committed write."""

    __tablename__ = "data_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def current_generation() -> int:
    """The data generation as this request's transaction sees it (one query)."""
    return db.session.scalar(select(DataGeneration.value).where(DataGeneration.id == 1)) or 0


def bump_generation(engine: Engine) -> None:
    """Add one to the data generation in a transaction of its own (cached values become stale)."""
    with engine.begin() as connection:
        connection.info["bumping"] = True
        try:
            # the migration makes the row; should it be gone, it comes back (an upsert, as two may race)
            insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
            table = DataGeneration.__table__
            connection.execute(insert(table).values(id=1, value=1).on_conflict_do_update(
                index_elements=[table.c.id], set_={"value": table.c.value + 1}))
        finally:
            connection.info.pop("bumping", None)
            connection.info.pop("wrote", None)


# --- noticing writes ----------------------------------------------------------------------------------


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(connection, cursor, statement, parameters, context, executemany) -> None:
    if connection.info.get("bumping") or statement.lstrip()[:6].upper() not in _WRITES:
        return
    target = _TARGET.match(statement)
    if target is None or target.group(1).lower() not in UNCACHED_TABLES:
        connection.info["wrote"] = True


@event.listens_for(Engine, "rollback")
def _forget_on_rollback(connection) -> None:
    connection.info.pop("wrote", None)


@event.listens_for(Pool, "reset")
def _forget_on_reset(dbapi_connection, connection_record, reset_state) -> None:
    connection_record.info.pop("wrote", None)


@event.listens_for(Session, "before_commit")
def _will_bump(session: Session) -> None:
    if not session.in_transaction():
        return
    try:
        connection = session.connection()
    except Exception:  # noqa: BLE001 - no bind: nothing was written through this session
        return
    if connection.info.pop("wrote", False):
        session.info["bump_engine"] = connection.engine


@event.listens_for(Session, "after_commit")
def _bump(session: Session) -> None:
    engine = session.info.pop("bump_engine", None)
    if engine is not None:
        bump_generation(engine)


@event.listens_for(Session, "after_rollback")
def _no_bump(session: Session) -> None:
    session.info.pop("bump_engine", None)


# --- the cache ---------------------------------------------------------------------------------------


class GenerationCache:
    """Values by key and data generation, for `TTL_SECONDS`, at most `MAX_ENTRIES` (least recently used go)."""

    def __init__(self, *, max_entries: int = MAX_ENTRIES, ttl: float = TTL_SECONDS) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.ttl = ttl
        self.hits = self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T], *, enabled: bool = True) -> T:
        """The value under (key, current generation), computed and stored when missing or stale."""
        if not enabled:
            return compute()
        full_key = (key, current_generation())
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(full_key)
            if found is not None and now - found[0] < self.ttl:
                self._entries.move_to_end(full_key)
                self.hits += 1
                return found[1]  # type: ignore[return-value]
        self.misses += 1
        value = compute()
        with self._lock:
            self._entries[full_key] = (now, value)
            self._entries.move_to_end(full_key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
