"""Rate limits (Flask-Limiter) counted in the application's own database.

Flask-Limiter keeps its counters in a `limits` storage. Its in-memory storage
is per process, so four gunicorn workers would each allow the limit and a
restart would forget it; Redis or Memcached would hold, but are one more
server to run. `database://`, the default here, keeps the counters in the
`rate_limit_counters` table, so a limit holds across workers, hosts and
restarts with nothing else to install. Any storage URI of the `limits`
library (`redis://host:6379`) can be set instead with
CRMPROJECT_RATELIMIT_STORAGE_URI.

Each counter is updated in one atomic upsert on a connection of its own,
committed at once, whatever the request's transaction then does.
"""

from __future__ import annotations

import ipaddress
import time

from flask import request

from limits.storage import Storage
from sqlalchemy import Float, String, case, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from crmproject.db import Base, db, upsert


def client_address() -> str:
    """Whom a per-address limit counts: the client's IPv4 address, or its IPv6 /64 network (one subscriber gets
    a whole /64, and could otherwise take a fresh address for every try)."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class RateLimitCounter(Base):
    """Hits of one rate limit key in its current window."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch, as `limits` counts time


class DatabaseStorage(Storage):
    """A `limits` storage for fixed-window limits in the application's database (`database://`)."""

    STORAGE_SCHEME = ["database"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @staticmethod
    def _engine() -> Engine:
        return db.engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        engine = self._engine()
        table = RateLimitCounter.__table__
        expired = table.c.expires_at <= now
        statement = (
            upsert(table, engine.dialect.name)
            .values(key=key, hits=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "hits": case((expired, amount), else_=table.c.hits + amount),
                    "expires_at": case((expired, now + expiry), else_=table.c.expires_at),
                },
            )
            .returning(table.c.hits)
        )
        with engine.begin() as connection:
            hits = int(connection.execute(statement).scalar_one())
            if hits == amount:  # a new window began: a moment to drop the counters whose windows have ended
                connection.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
            return hits

    def _live(self, key: str) -> tuple[int, float] | None:
        with self._engine().connect() as connection:
            row = connection.execute(
                select(RateLimitCounter.hits, RateLimitCounter.expires_at).where(RateLimitCounter.key == key)
            ).first()
        if row is None or row.expires_at <= time.time():
            return None
        return row.hits, row.expires_at

    def get(self, key: str) -> int:
        live = self._live(key)
        return live[0] if live else 0

    def get_expiry(self, key: str) -> float:
        live = self._live(key)
        return live[1] if live else time.time()

    def check(self) -> bool:
        try:
            with self._engine().connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine().begin() as connection:
            return connection.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with self._engine().begin() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))
