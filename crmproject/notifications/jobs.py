"""`notify send` as a job on the queue (crmproject.jobs), for an installation that runs its work through it:
`crmproject notify send --queue` (from cron) puts a run there, and a worker (`crmproject worker`, or a web process's
own with CRMPROJECT_JOBS_IN_PROCESS) does it."""

from __future__ import annotations

from flask import Flask, current_app

from crmproject import jobs

SEND_JOB = "notifications_send"


@jobs.job(SEND_JOB)
def _send() -> None:
    from crmproject.notifications.services import send_due

    send_due()


def enqueue_send(app: Flask | None = None) -> None:
    """Queue a run of `notify send`, without starting a worker in this process: a command that queues it ends at
    once, and the queue's workers take it up."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    jobs.queue(app)
    app.extensions["huey_tasks"][SEND_JOB]()  # calling a huey task enqueues it
