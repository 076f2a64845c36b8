"""Usage imports that run in the background, so an upload returns at once and a page can follow it.

    import_id = start_import_job(app, data, "LoginHistory.csv", timezone="Europe/Moscow", user_id=user.id)
    job_status(import_id)   # {"state": "running", "progress": 35, ...}, polled by the progress page

The import is a job on the queue (crmproject.jobs): a worker runs it, in a
web process's own worker thread or in `crmproject worker` on another host.
Its progress and heartbeat are kept in the queue's storage, so the progress
page reads them from any web process; the UsageImport row gets progress too,
in short transactions of its own (on SQLite the import holds the database's
write lock while it saves, so then only the kept figure moves). An import
whose worker stopped (its heartbeat is older than JOBS_STALE_SECONDS) is
recorded as FAILED with the reason: its events were one transaction, never
committed, so nothing of it was saved.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select, update

from crmproject import jobs
from crmproject.adoption.models import ImportState, UsageImport
from crmproject.adoption.usage import UsageImportFailed, create_usage_import, run_usage_import, usage_import_summary
from crmproject.db import utcnow
from crmproject.extensions import db
from crmproject.i18n import _

STALE_AFTER = timedelta(seconds=jobs.UNCLAIMED_SECONDS)  # an import no worker started in this time never will
JOB = "usage_import"


def _key(import_id: int) -> str:
    return f"usage-import:{import_id}"


def start_import_job(app: Flask, data: bytes, filename: str, *, timezone: str, user_id: int | None,
                     encoding: str | None = None) -> int:
    """Record the import (committed) and put it on the job queue; returns its id at once.

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
    jobs.enqueue(JOB, {"import_id": record.id, "data": data, "encoding": encoding}, app=app)
    return record.id


@jobs.job(JOB)
def _run(import_id: int, data: bytes, encoding: str | None = None) -> None:
    """The job: the import, with its progress and heartbeat kept where every web process reads them. An import
    given up while it waited on the queue (see job_status) is not started."""
    state = db.session.scalar(select(UsageImport.state).where(UsageImport.id == import_id))
    db.session.rollback()  # the import starts its own transaction from a fresh snapshot
    if state != ImportState.RUNNING:
        return
    heartbeat = jobs.Heartbeat(_key(import_id), progress=0)
    try:
        run_usage_import(import_id, data, progress=lambda percent: heartbeat.update(progress=percent),
                         encoding=encoding)
    except UsageImportFailed:
        pass  # recorded on the import, with the reason
    except Exception:
        current_app.logger.exception("usage import %s failed", import_id)  # recorded as FAILED too
    finally:
        heartbeat.stop()


def job_status(import_id: int) -> dict | None:
    """State, progress (0-100), message and counts of an import, read afresh; None if there is no such import.

    An import still RUNNING whose worker stopped (its heartbeat went quiet,
    or no worker took it up within STALE_AFTER) is recorded as FAILED: its
    events were never committed, so nothing of it was saved.
    """
    record = db.session.scalars(
        select(UsageImport).where(UsageImport.id == import_id).execution_options(populate_existing=True)
    ).one_or_none()
    if record is None:
        return None
    live = jobs.state(_key(import_id)) if record.state == ImportState.RUNNING else None
    if record.state == ImportState.RUNNING:
        if jobs.is_stale(live):
            _fail(record, _("The import stopped before it finished: its worker stopped or was restarted. "
                            "Nothing was saved. Upload the file again."))
            jobs.forget_state(_key(import_id))
            live = None
        elif live is None and record.updated_at < utcnow() - STALE_AFTER:
            _fail(record, _("The import stopped before it finished (the server was restarted?); nothing was saved. "
                            "Upload the file again."))
    status = usage_import_summary(record)
    if live is not None and record.state == ImportState.RUNNING:
        status["progress"] = max(status["progress"], int(live.get("progress", 0)))
    return status


def _fail(record: UsageImport, message: str) -> None:
    """Give the import up, unless it finished meanwhile (its worker claims the record before it saves)."""
    db.session.execute(update(UsageImport).where(UsageImport.id == record.id, UsageImport.state == ImportState.RUNNING)
                       .values(state=ImportState.FAILED, message=message))
    db.session.commit()
    db.session.refresh(record)


def is_running(import_id: int) -> bool:
    """True while a live worker runs the import (in any process) and it has not finished."""
    live = jobs.state(_key(import_id))
    if live is None or jobs.is_stale(live):
        return False
    return db.session.scalar(select(UsageImport.state).where(UsageImport.id == import_id)) == ImportState.RUNNING
