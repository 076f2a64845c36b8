"""Usage imports that run in the background, so an upload returns at once and a page can follow it.

    import_id = start_import_job(app, data, "LoginHistory.csv", timezone="Europe/Moscow", user_id=user.id)
    job_status(import_id)   # {"state": "running", "progress": 35, ...}, polled by the progress page

The import runs in a daemon thread with its own app context, session and
database connection; other requests are not held up (on SQLite, writers wait
for the import's final write, which takes seconds for a million rows).
Progress is written to the UsageImport row in short transactions of its own
and kept in memory for this process: on SQLite the import holds the write
lock while it saves, so then only the in-memory figure moves.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from crmproject.adoption.models import ImportState, UsageImport
from crmproject.adoption.usage import UsageImportFailed, create_usage_import, run_usage_import, usage_import_summary
from crmproject.db import utcnow
from crmproject.extensions import db
from crmproject.i18n import _

# An import that has not moved for this long is not running anywhere (the server stopped during it).
STALE_AFTER = timedelta(minutes=15)

_progress: dict[int, int] = {}  # import id -> percent, for imports running in this process
_lock = threading.Lock()


def start_import_job(app: Flask, data: bytes, filename: str, *, timezone: str, user_id: int | None,
                     encoding: str | None = None) -> int:
    """Record the import (committed) and run it in a background thread; returns its id at once.

    `encoding` is a CSV file's encoding when the user chose it (detected otherwise).

    Never raises for bad input: an unknown time zone gives an import
    recorded as FAILED with the reason, which the progress page shows.
    """
    try:
        record = create_usage_import(filename=filename, timezone=timezone, imported_by_id=user_id)
    except UsageImportFailed as exc:
        db.session.rollback()
        record = UsageImport(filename=(filename or "usage")[:300], timezone=(timezone or "")[:64],
                             imported_by_id=user_id, state=ImportState.FAILED, message=exc.reason,
                             unknown_usernames="{}")
        db.session.add(record)
        db.session.commit()
        return record.id
    db.session.commit()
    import_id = record.id
    with _lock:
        _progress[import_id] = 0
    thread = threading.Thread(
        target=_run, args=(app, import_id, data, encoding), name=f"usage-import-{import_id}", daemon=True
    )
    thread.start()
    return import_id


def _run(app: Flask, import_id: int, data: bytes, encoding: str | None = None) -> None:
    with app.app_context():
        try:
            run_usage_import(import_id, data, progress=lambda percent: _set_progress(import_id, percent),
                             encoding=encoding)
        except UsageImportFailed:
            pass  # recorded on the import, with the reason
        except Exception:
            app.logger.exception("usage import %s failed", import_id)  # recorded as FAILED too
        finally:
            with _lock:
                _progress.pop(import_id, None)
            db.session.remove()


def _set_progress(import_id: int, percent: int) -> None:
    with _lock:
        _progress[import_id] = percent


def job_status(import_id: int) -> dict | None:
    """State, progress (0-100), message and counts of an import, read afresh; None if there is no such import.

    An import left RUNNING by a server that stopped (not running here, not
    updated for STALE_AFTER) is recorded as FAILED: its events were never
    committed, so nothing of it was saved.
    """
    record = db.session.scalars(
        select(UsageImport).where(UsageImport.id == import_id).execution_options(populate_existing=True)
    ).one_or_none()
    if record is None:
        return None
    with _lock:
        live = _progress.get(import_id)
    if live is None and record.state == ImportState.RUNNING and record.updated_at < utcnow() - STALE_AFTER:
        record.state = ImportState.FAILED
        record.message = _("The import stopped before it finished (the server was restarted?); nothing was saved. "
                           "Upload the file again.")
        db.session.commit()
    status = usage_import_summary(record)
    if live is not None and record.state == ImportState.RUNNING:
        status["progress"] = max(status["progress"], live)
    return status


def is_running(import_id: int) -> bool:
    """True while this process runs the import."""
    with _lock:
        return import_id in _progress
