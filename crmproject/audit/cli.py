"""`crmproject audit prune`: remove the audit trail's entries older than the retention period (for cron)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from crmproject.i18n import _, ngettext


@click.group("audit")
def audit_group() -> None:
    """The audit trail: every change, login, refusal and export."""


@audit_group.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Remove entries older than this many days (default: CRMPROJECT_AUDIT_RETENTION_DAYS, 730).")
@click.option("--dry-run", is_flag=True, help="Only count the entries that would be removed.")
@with_appcontext
def prune(days: int | None, dry_run: bool) -> None:
    """Remove the entries older than the retention period; the removal is itself recorded."""
    from crmproject.audit import services
    from crmproject.extensions import db

    days = days if days is not None else int(current_app.config.get("AUDIT_RETENTION_DAYS") or 0)
    if days <= 0:
        click.echo(_("The audit trail is kept for ever (CRMPROJECT_AUDIT_RETENTION_DAYS is 0): nothing removed."))
        return
    removed = services.prune(days=days, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        click.echo(ngettext("%(n)s entry is older than %(days)s days and would be removed.",
                            "%(n)s entries are older than %(days)s days and would be removed.", removed, days=days))
        return
    db.session.commit()
    click.echo(ngettext("Removed %(n)s entry older than %(days)s days.", "Removed %(n)s entries older than %(days)s days.",
                        removed, days=days))
