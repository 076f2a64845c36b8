"""Login throttling per account: slow down, then refuse, repeated failed logins of one e-mail address.

The failures are counted in the database (`login_throttles`), so the
throttle holds across gunicorn workers, hosts and restarts. They are counted
per e-mail address whether or not an account has it, so the answer never
tells which accounts exist. A successful login and an administrator's unlock
forget them; so does a quiet day.

Per client address, Flask-Limiter counts failed logins too (see
crmproject/ratelimit.py and the login view): an attacker trying one password
on many accounts meets that limit instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crmproject.auth.models import LoginThrottle
from crmproject.config import Defaults
from crmproject.extensions import db

# A failure older than this starts the count afresh.
FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = Defaults.LOGIN_FREE_FAILURES
    first_delay: timedelta = timedelta(seconds=Defaults.LOGIN_FIRST_DELAY_SECONDS)
    max_delay: timedelta = timedelta(seconds=Defaults.LOGIN_MAX_DELAY_SECONDS)
    lock_failures: int = Defaults.LOGIN_LOCK_FAILURES
    lock_duration: timedelta = timedelta(hours=Defaults.LOGIN_LOCK_HOURS)

    @classmethod
    def configured(cls) -> ThrottlePolicy:
        if not has_app_context():
            return cls()
        config = current_app.config
        return cls(
            free_failures=config["LOGIN_FREE_FAILURES"],
            first_delay=timedelta(seconds=config["LOGIN_FIRST_DELAY_SECONDS"]),
            max_delay=timedelta(seconds=config["LOGIN_MAX_DELAY_SECONDS"]),
            lock_failures=config["LOGIN_LOCK_FAILURES"],
            lock_duration=timedelta(hours=config["LOGIN_LOCK_HOURS"]),
        )

    def wait_after(self, failures: int) -> timedelta:
        """How long after its last failure an account with `failures` in a row may try again."""
        if failures >= self.lock_failures:
            return self.lock_duration
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 20)
        return min(self.first_delay * (2**doublings), self.max_delay)


@dataclass(frozen=True)
class Throttled:
    """An account that may not try to log in before `until`; `locked` once it needs an administrator (or time)."""

    failures: int
    until: datetime
    locked: bool

    def seconds_left(self, now: datetime) -> int:
        return max(1, int((self.until - now).total_seconds() + 0.999))


def _state(row: LoginThrottle | None, now: datetime, policy: ThrottlePolicy) -> Throttled | None:
    if row is None or _forgotten(row, now, policy):
        return None
    until = row.last_failure_at + policy.wait_after(row.failures)
    if until <= now:
        return None
    return Throttled(failures=row.failures, until=until, locked=row.failures >= policy.lock_failures)


def _forgotten(row: LoginThrottle, now: datetime, policy: ThrottlePolicy) -> bool:
    return now - row.last_failure_at > max(FORGET_AFTER, policy.lock_duration)


def throttled(email: str, now: datetime) -> Throttled | None:
    """Whether a login for `email` must be refused now, and until when."""
    row = db.session.get(LoginThrottle, email, populate_existing=True)  # record_failure writes past the ORM
    return _state(row, now, ThrottlePolicy.configured())


def record_failure(email: str, now: datetime) -> None:
    """Count a failed login, atomically: two workers failing at once both count."""
    policy = ThrottlePolicy.configured()
    table = LoginThrottle.__table__
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    forgotten = table.c.last_failure_at < now - max(FORGET_AFTER, policy.lock_duration)
    db.session.execute(
        insert(table)
        .values(email=email, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.email],
            set_={"failures": case((forgotten, 1), else_=table.c.failures + 1), "last_failure_at": now},
        )
    )


def forget(email: str) -> None:
    """The account's failures are forgotten: after a successful login, or an administrator's unlock."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.email == email))


def throttled_accounts(emails: list[str], now: datetime) -> dict[str, Throttled]:
    """Which of these accounts are throttled now (for the administrators' list), in one query."""
    policy = ThrottlePolicy.configured()
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.email.in_(emails))) if emails else []
    states = {row.email: _state(row, now, policy) for row in rows}
    return {email: state for email, state in states.items() if state is not None}
