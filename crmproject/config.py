"""Configuration: defaults, then CRMPROJECT_* environment variables, then test_config."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from crmproject.errors import ConfigError

ENV_PREFIX = "CRMPROJECT_"


class Defaults:
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # uploads are bounded: 20 MB
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    LOCALE = "en"
    DEMO = False
    # What one spreadsheet upload may unpack to and how much of it is read (crmproject/spreadsheets/limits.py):
    # a file over a limit is refused with a message naming it, before anything is built in proportion to it.
    SPREADSHEET_MAX_ROWS = 250_000
    SPREADSHEET_MAX_COLUMNS = 16_384  # Excel's own
    SPREADSHEET_MAX_CELLS = 2_500_000  # a sheet's rectangle from A1 to its last cell, as python-calamine holds it
    SPREADSHEET_MAX_CELL_CHARS = 131_072  # one CSV field
    SPREADSHEET_MAX_UNPACKED_PART_MB = 64  # one part of an .xlsx/.ods package, unpacked
    SPREADSHEET_MAX_UNPACKED_MB = 256  # all parts together
    SPREADSHEET_MAX_COMPRESSION_RATIO = 100  # parts over 1 MB unpacked
    # what python-calamine builds the sheets read from (sheet XML, shared strings, and the shared text it copies
    # into each cell showing it); it takes about twice that in memory
    SPREADSHEET_MAX_SHEET_DATA_MB = 64
    # tasks, KPIs, roster and training workbooks are read by python-calamine first in a forked child with this much
    # more memory and time than the worker has (0: not at all); a file it cannot read in them is refused
    SPREADSHEET_PROBE_MEMORY_MB = 512
    SPREADSHEET_PROBE_SECONDS = 15
    # CRM usage exports are larger: a million events of eight columns pass.
    USAGE_IMPORT_MAX_ROWS = 2_000_000
    USAGE_IMPORT_MAX_CELLS = 10_000_000
    USAGE_IMPORT_MAX_UNPACKED_PART_MB = 512
    USAGE_IMPORT_MAX_UNPACKED_MB = 1024
    USAGE_IMPORT_MAX_SHEET_DATA_MB = 512
    # "Keep me logged in" lasts a month, not Flask-Login's year; logout ends it at once (auth: session tokens).
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none, the app faces the
    # clients). Per-address limits count the address the nearest trusted proxy saw.
    TRUSTED_PROXIES = 0
    # Login throttling per account (crmproject/auth/throttle.py): after LOGIN_FREE_FAILURES failed logins in a
    # row, each further try waits LOGIN_FIRST_DELAY_SECONDS, doubling up to LOGIN_MAX_DELAY_SECONDS; after
    # LOGIN_LOCK_FAILURES the account is locked until an administrator unlocks it or LOGIN_LOCK_HOURS pass.
    LOGIN_FREE_FAILURES = 5
    LOGIN_FIRST_DELAY_SECONDS = 30
    LOGIN_MAX_DELAY_SECONDS = 15 * 60
    LOGIN_LOCK_FAILURES = 20
    LOGIN_LOCK_HOURS = 24
    # ... and per client address (Flask-Limiter), counting failed logins only.
    LOGIN_ADDRESS_LIMITS = "30 per 10 minutes;300 per day"
    # Readiness pulse answers through personal links, per client address: counting refused links only (a
    # forged, expired or used link), so a team answering from one office network is never held up.
    PULSE_ANSWER_LIMITS = "60 per 10 minutes;600 per day"
    # Flask-Limiter's counters: in the application's database, so limits hold across workers and restarts
    # (crmproject/ratelimit.py); or redis://host:6379 and the other URIs of the `limits` library.
    RATELIMIT_STORAGE_URI = "database://"
    # The REST API (/api/v1): requests per token, and the events one usage batch may hold.
    API_RATE_LIMIT = "600 per minute"
    API_USAGE_BATCH_MAX = 5000
    RATELIMIT_HEADERS_ENABLED = False  # the 429 answers say Retry-After themselves (account or address)
    RATELIMIT_SWALLOW_ERRORS = False  # a limit that cannot be counted is an error, never a silent pass
    # Background jobs (crmproject/jobs.py): the queue in a SQLite file of the instance folder (JOBS_SQLITE_FILE to
    # move it), worked by a thread of each web process; or "postgresql": in the application's PostgreSQL
    # database, for several hosts, worked by `crmproject worker` (JOBS_IN_PROCESS = 0 on the web hosts).
    JOBS_BROKER = "sqlite"
    JOBS_SQLITE_FILE = ""
    JOBS_IN_PROCESS = 1
    JOBS_WORKERS = 1  # jobs at once in a web process
    JOBS_STALE_SECONDS = 60  # a running job whose heartbeat is older has lost its worker
    # The audit trail keeps its entries this many days (0: for ever); `crmproject audit prune` removes older ones.
    AUDIT_RETENTION_DAYS = 730
    # Notifications (crmproject/notifications): e-mail through this SMTP server (smtp://user:password@host:587?starttls=1,
    # smtps://host:465); none: notifications stay in the application. MAIL_FROM is the sender; BASE_URL the address
    # the e-mails' links start with (https://crm.example.com), as the app cannot know it from the command line.
    SMTP_URL = ""
    SMTP_TIMEOUT_SECONDS = 30
    MAIL_FROM = "crmproject <crmproject@localhost>"
    BASE_URL = ""


# Settings that CRMPROJECT_<NAME> environment variables may set, as whole numbers or as text.
INTEGER_SETTINGS = (
    "TRUSTED_PROXIES", "LOGIN_FREE_FAILURES", "LOGIN_FIRST_DELAY_SECONDS", "LOGIN_MAX_DELAY_SECONDS",
    "LOGIN_LOCK_FAILURES", "LOGIN_LOCK_HOURS",
    "SPREADSHEET_MAX_ROWS", "SPREADSHEET_MAX_COLUMNS", "SPREADSHEET_MAX_CELLS", "SPREADSHEET_MAX_CELL_CHARS",
    "SPREADSHEET_MAX_UNPACKED_PART_MB", "SPREADSHEET_MAX_UNPACKED_MB", "SPREADSHEET_MAX_COMPRESSION_RATIO",
    "SPREADSHEET_MAX_SHEET_DATA_MB", "SPREADSHEET_PROBE_MEMORY_MB", "SPREADSHEET_PROBE_SECONDS",
    "USAGE_IMPORT_MAX_ROWS", "USAGE_IMPORT_MAX_CELLS",
    "USAGE_IMPORT_MAX_UNPACKED_PART_MB", "USAGE_IMPORT_MAX_UNPACKED_MB", "USAGE_IMPORT_MAX_SHEET_DATA_MB",
    "JOBS_IN_PROCESS", "JOBS_WORKERS", "JOBS_STALE_SECONDS", "AUDIT_RETENTION_DAYS", "API_USAGE_BATCH_MAX",
    "SMTP_TIMEOUT_SECONDS",
)
TEXT_SETTINGS = ("LOCALE", "LOGIN_ADDRESS_LIMITS", "PULSE_ANSWER_LIMITS", "API_RATE_LIMIT", "RATELIMIT_STORAGE_URI",
                 "JOBS_BROKER", "JOBS_SQLITE_FILE", "SMTP_URL", "MAIL_FROM", "BASE_URL")


def _env(name: str) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else None


# Complexity 18 of a flat list: each setting read, checked and stored in turn; nothing nests.
def load_config(app, test_config: dict[str, Any] | None) -> None:  # noqa: C901
    """Fill app.config; refuse to start without a secret key outside debug, demo and tests."""
    app.config.from_object(Defaults)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    database_url = _env("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'crmproject.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(database_url)
    if (secret := _env("SECRET_KEY")) is not None:
        app.config["SECRET_KEY"] = secret
    if (limit := _env("MAX_UPLOAD_MB")) is not None:
        try:
            app.config["MAX_CONTENT_LENGTH"] = int(limit) * 1024 * 1024
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}MAX_UPLOAD_MB must be a whole number of megabytes, not {limit!r}") from None
    for name in INTEGER_SETTINGS:
        if (value := _env(name)) is not None:
            try:
                app.config[name] = int(value)
            except ValueError:
                raise ConfigError(f"{ENV_PREFIX}{name} must be a whole number, not {value!r}") from None
    for name in TEXT_SETTINGS:
        if (value := _env(name)) is not None:
            app.config[name] = value
    if _env("SECURE_COOKIES") in ("1", "true", "yes"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True

    if test_config:
        app.config.update(test_config)
        if "SQLALCHEMY_DATABASE_URI" in test_config:
            app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(test_config["SQLALCHEMY_DATABASE_URI"])

    broker = str(app.config.get("JOBS_BROKER") or "sqlite").strip().lower()
    if broker not in ("sqlite", "postgresql"):
        raise ConfigError(f"{ENV_PREFIX}JOBS_BROKER must be sqlite or postgresql, not {broker!r}")
    if broker == "postgresql" and not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        raise ConfigError(f"{ENV_PREFIX}JOBS_BROKER=postgresql keeps the job queue in the application's database, "
                          f"which must then be PostgreSQL ({ENV_PREFIX}DATABASE_URL)")
    app.config["JOBS_BROKER"] = broker
    if int(app.config.get("AUDIT_RETENTION_DAYS") or 0) < 0:
        raise ConfigError(f"{ENV_PREFIX}AUDIT_RETENTION_DAYS must be a number of days, 0 to keep the audit trail "
                          "for ever")
    if int(app.config.get("JOBS_STALE_SECONDS") or 0) < 2:
        raise ConfigError(f"{ENV_PREFIX}JOBS_STALE_SECONDS must be at least 2: a job's heartbeat beats four times "
                          "in that time")

    if not app.config.get("SECRET_KEY"):
        if app.debug or any(app.config.get(k) for k in ("DEMO", "TESTING", "ALLOW_INSTANCE_SECRET")):
            app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
        else:
            raise ConfigError(
                f"{ENV_PREFIX}SECRET_KEY is not set. crmproject refuses to start without a secret key "
                "outside debug and demo mode, because sessions and CSRF tokens are signed with it. "
                f"Set it, for example: export {ENV_PREFIX}SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )


def normalise_database_url(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg 3 here (psycopg2 is not a dependency)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so debug/demo logins survive a restart."""
    path = instance / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
