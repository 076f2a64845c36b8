"""Login throttling per account: slow down, then refuse, repeated failed logins of one e-mail address.

The attempts are counted in the database (`login_throttles`), so the
throttle holds across gunicorn workers, hosts and restarts. They are counted
per e-mail address whether or not an account has it, so the answer never
tells which accounts exist. A successful login and an administrator's unlock
forget them; so does a quiet day.

An attempt is claimed, and counted as a failure, before its password is
checked, by a compare-and-set that holds the row until the attempt's
transaction ends: of many attempts made at the same moment on several
workers, only those the policy allows get their password checked (checking
first and counting after would let each worker guess once more per step).
A success then removes the row.

Per client address, Flask-Limiter counts failed logins too (see
crmproject/ratelimit.py and the login view): an attacker trying one password
on many accounts meets that limit instead.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import delete, select, update

from crmproject.auth.models import LoginThrottle
from crmproject.config import Defaults
from crmproject.db import rows_matched, upsert
from crmproject.extensions import db

# An attempt older than this starts the count afresh (a lock lasts at least as long).
FORGET_AFTER = timedelta(hours=24)
# Attempts on one address racing each other: after this many lost compare-and-sets, refuse rather than spin.
CLAIM_TRIES = 20


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

    @property
    def memory(self) -> timedelta:
        """How long a row is remembered after its last attempt."""
        return max(FORGET_AFTER, self.lock_duration)

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


def account_key(email: str) -> str:
    """The row's key for an e-mail address (already normalised): an HMAC with the application's secret key."""
    secret = current_app.config["SECRET_KEY"] if has_app_context() else ""
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret_bytes, email.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _state(failures: int, last: datetime, now: datetime, policy: ThrottlePolicy) -> Throttled | None:
    wait = policy.wait_after(failures)
    if not wait or now - last > policy.memory:
        return None
    until = last + wait
    if until <= now:
        return None
    return Throttled(failures=failures, until=until, locked=failures >= policy.lock_failures)


def claim_attempt(email: str, now: datetime) -> Throttled | None:
    """Count an attempt to log in as `email` before its password is checked; return why it must wait instead,
    when it must.

    A compare-and-set in the caller's transaction: the row stays locked until that commits, so a second
    attempt at the same moment waits for it and then sees its count (PostgreSQL re-reads the row for the
    UPDATE's condition; SQLite lets one writer at a time). The caller commits the attempt, right or wrong.
    """
    policy = ThrottlePolicy.configured()
    key = account_key(email)
    table = LoginThrottle.__table__
    for _ in range(CLAIM_TRIES):
        row = db.session.execute(select(table.c.failures, table.c.last_failure_at)
                                 .where(table.c.account_key == key)).first()
        if row is None:
            inserted = db.session.execute(  # RETURNING tells whether this attempt made the row (rowcount cannot)
                upsert(table, db.engine.dialect.name)
                .values(account_key=key, failures=1, last_failure_at=now)
                .on_conflict_do_nothing(index_elements=[table.c.account_key])
                .returning(table.c.account_key)
            ).first()
            if inserted is not None:
                # a new row: a moment to drop the rows nobody tried for a day
                db.session.execute(delete(table).where(table.c.last_failure_at < now - policy.memory))
                return None
            continue
        if (state := _state(row.failures, row.last_failure_at, now, policy)) is not None:
            return state
        failures = 1 if now - row.last_failure_at > policy.memory else row.failures + 1
        claimed = rows_matched(db.session.execute(
            update(table)
            .where(table.c.account_key == key, table.c.failures == row.failures,
                   table.c.last_failure_at == row.last_failure_at)
            .values(failures=failures, last_failure_at=now)
        ))
        if claimed:
            return None
    return Throttled(failures=policy.free_failures, until=now + policy.first_delay, locked=False)


def forget(email: str) -> None:
    """The account's failures are forgotten: after a successful login, or an administrator's unlock."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.account_key == account_key(email)))


def throttled_accounts(emails: list[str], now: datetime) -> dict[str, Throttled]:
    """Which of these accounts are throttled now (for the administrators' list), in one query."""
    policy = ThrottlePolicy.configured()
    keys = {account_key(email): email for email in emails}
    rows = db.session.execute(select(LoginThrottle.account_key, LoginThrottle.failures, LoginThrottle.last_failure_at)
                              .where(LoginThrottle.account_key.in_(list(keys)))).all() if keys else []
    states = {keys[row.account_key]: _state(row.failures, row.last_failure_at, now, policy) for row in rows}
    return {email: state for email, state in states.items() if state is not None}
