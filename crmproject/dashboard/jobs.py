"""The leadership report built by a job on the queue, so a web worker is not held for the seconds a large plan's
workbook takes (2-3 s at 60 departments) and the report is waiting for its reader when they come back.

    token = start_report_job(app, plan, args, user)   # at once; the job builds the workbook
    report_status(token, plan_id=..., user_id=...)    # {"state": "waiting" | "building" | "ready" | "failed", ...}

The job's state and the finished workbook are kept in the queue's storage (crmproject.jobs), which every web
process and host reads, under a token only its reader knows; a reader keeps one report at a time (starting
another forgets the one before) and a finished one for KEEP_SECONDS.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping

from flask import Flask, current_app
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from crmproject import jobs
from crmproject.auth.models import User
from crmproject.auth.permissions import task_department_scope
from crmproject.dashboard.services import parse_filters
from crmproject.dates import current_calendar, force_calendar
from crmproject.extensions import db
from crmproject.i18n import LANGUAGES, _, current_locale
from crmproject.plans.models import Plan
from crmproject.plans.services import load_plan
from crmproject.plans.services import plan_today
from crmproject.spreadsheets import workbook_bytes

JOB = "dashboard_report"
KEEP_SECONDS = 3600
PENDING = ("waiting", "building")


def _key(token: str) -> str:
    return f"dashboard-report:{token}"


def _latest_key(user_id: int) -> str:
    return f"dashboard-report-of:{user_id}"


def start_report_job(app: Flask, plan: Plan, args: Mapping[str, str], user: User) -> str:
    """Queue the report of `plan` with the dashboard's filter arguments, as `user` may read it; returns its token.

    The reader's one report: the new token is made theirs first, then the report before it is forgotten; a job
    still building that one sees it is no longer wanted and keeps nothing (jobs.Heartbeat's `wanted`)."""
    token = secrets.token_urlsafe(18)
    earlier = jobs.state(_latest_key(user.id))
    jobs.put_state(_key(token), {"state": "waiting", "plan_id": plan.id, "user_id": user.id, "queued": time.time()})
    jobs.put_state(_latest_key(user.id), {"token": token})
    if earlier is not None:
        jobs.forget_state(_key(earlier["token"]))
    jobs.enqueue(JOB, {"token": token, "plan_id": plan.id, "args": dict(args), "user_id": user.id,
                       "language": current_locale(), "calendar": current_calendar()}, app=app)
    return token


def _wanted(token: str, user_id: int):
    """Whether `token` is still its reader's report (they have not started another since)."""
    def wanted(huey) -> bool:
        latest = huey.get(_latest_key(user_id), peek=True)
        return latest is not None and latest.get("token") == token
    return wanted


@jobs.job(JOB)
def _run(token: str, plan_id: int, args: dict[str, str], user_id: int, language: str = "en",
         calendar: str | None = None) -> None:
    """The job: build the workbook as the report page would have, in its reader's language and calendar, keep it
    for them. A report forgotten while it waited (its reader started another) is not built."""
    with force_locale(language if language in LANGUAGES else "en"), force_calendar(calendar):
        _build(token, plan_id, args, user_id)


def _build(token: str, plan_id: int, args: dict[str, str], user_id: int) -> None:
    from crmproject.dashboard.report import build_report, report_filename  # openpyxl's charts load only for a report

    waiting = jobs.state(_key(token))
    wanted = _wanted(token, user_id)
    if waiting is None or waiting.get("state") != "waiting" or not wanted(jobs.queue()):
        jobs.forget_state(_key(token))
        return
    owner = {"plan_id": plan_id, "user_id": user_id}
    heartbeat = jobs.Heartbeat(_key(token), wanted=wanted, state="building", **owner)
    final: dict = {"state": "failed", **owner,
                   "message": _("The report could not be built: the error is in the server's log. Try again.")}
    try:
        plan, user = load_plan(plan_id), db.session.get(User, user_id)
        if plan is None or user is None or not user.active:
            final["message"] = _("The plan or your account is no longer there; the report was not built.")
            return
        filters, notices = parse_filters(MultiDict(args), plan)
        today = plan_today(plan)
        workbook = build_report(plan, today=today, filters=filters, notices=notices,
                                task_scope=task_department_scope(user))
        final = {"state": "ready", **owner, "data": workbook_bytes(workbook), "finished": time.time(),
                 "filename": report_filename(plan, filters, today=today)}
    except Exception:
        current_app.logger.exception("leadership report %s of plan %s failed", token, plan_id)
    finally:
        try:
            db.session.rollback()
        finally:  # whatever the rollback does, the page that follows the job learns how it ended
            heartbeat.stop(final=final)


def report_status(token: str, *, plan_id: int, user_id: int) -> dict | None:
    """The report's state for its reader, None when there is no such report of theirs (any more). A report whose
    worker stopped, or that no worker took up, reads as failed; a finished one is kept KEEP_SECONDS."""
    found = jobs.state(_key(token))
    if found is None or found.get("plan_id") != plan_id or found.get("user_id") != user_id:
        return None
    state = found.get("state")
    if state == "ready" and found["finished"] < time.time() - KEEP_SECONDS:
        jobs.forget_state(_key(token))
        return None
    if state == "building" and jobs.is_stale(found):
        return {**found, "state": "failed",
                "message": _("The report stopped before it was finished: its worker stopped or was restarted. "
                             "Try again.")}
    if state == "waiting" and found["queued"] < time.time() - jobs.UNCLAIMED_SECONDS:
        return {**found, "state": "failed",
                "message": _("No worker took the report up. Try again; if it stays so, ask an administrator "
                             "whether the job workers run.")}
    return found
