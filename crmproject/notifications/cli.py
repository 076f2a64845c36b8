"""`crmproject notify send`: tell what is due (run it from cron, every quarter of an hour)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from crmproject.i18n import _


@click.group("notify")
def notify_group() -> None:
    """Notifications by e-mail and in the application."""


@notify_group.command("send")
@click.option("--dry-run", is_flag=True, help="Count what would be told; send and record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--queue", "queued", is_flag=True, help="Put the run on the job queue instead of running it here.")
@with_appcontext
def send(dry_run: bool, as_json: bool, queued: bool) -> None:
    """Find the events due now, record the new ones (each is told once) and send their e-mails."""
    from crmproject.notifications import jobs, services

    if queued:
        if dry_run:
            raise click.UsageError(_("--queue and --dry-run cannot go together."))
        jobs.enqueue_send()
        click.echo(_("A notification run was put on the job queue."))
        return
    summary = services.send_due(dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    if dry_run:
        click.echo(_("Dry run: %(new)s new notifications would be recorded (%(found)s events due), %(emails)s e-mails "
                     "sent. Nothing was sent or recorded.", new=summary["new"], found=summary["events_found"],
                     emails=summary["emails_sent"]))
    else:
        click.echo(_("%(new)s new notifications (%(found)s events due, %(in_app)s shown in the application); "
                     "%(emails)s e-mails sent, %(failed)s failed.", new=summary["new"], found=summary["events_found"],
                     in_app=summary["in_app"], emails=summary["emails_sent"], failed=summary["emails_failed"]))
    if not summary["smtp"]:
        click.echo(_("No SMTP server is configured (CRMPROJECT_SMTP_URL): notifications stay in the application."))
