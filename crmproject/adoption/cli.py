"""`crmproject import usage FILE`: a CRM usage export into adoption figures, from the command line.

crmproject.cli adds it to its `import` group with `register(import_group)`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from crmproject.cli_params import encoding_option
from crmproject.i18n import _


@click.command("usage")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "csv", "xlsx"]), default="auto", show_default=True,
              help="The file's format (auto: decided by its content, whatever its name).")
@click.option("--timezone", "zone", default=None, metavar="TZ",
              help="Time zone of times written without an offset, such as Europe/Moscow "
                   "(default: the newest plan's time zone, else UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--dry-run", is_flag=True,
              help="Read and check the file and print what the import would do, without saving anything.")
@encoding_option
@with_appcontext
def import_usage_command(file: Path, fmt: str, zone: str | None, as_json: bool, dry_run: bool,
                         encoding: str | None) -> None:
    """Import a CRM usage export (one row per event: user, time, action, object) and recompute adoption.

    Salesforce event log files (EventLogFile) and LoginHistory, Dynamics 365
    audit, HubSpot login history, Zoho CRM audit log, SuiteCRM tracker and
    similar CSV or xlsx exports are recognised by their headers. Importing a file again adds
    nothing twice; a file with any bad row is refused whole. With --dry-run
    the same checks and counts are made and nothing is kept.
    """
    from crmproject.adoption.usage import (
        UsageImportFailed, default_timezone, import_usage, try_usage_import, usage_import_summary,
    )

    zone = zone or default_timezone()
    try:
        if dry_run:
            summary = try_usage_import(file, file.name, fmt=fmt, timezone=zone,  # type: ignore[arg-type]
                                       encoding=encoding)
        else:
            summary = usage_import_summary(
                import_usage(file, file.name, fmt=fmt, timezone=zone, encoding=encoding))  # type: ignore[arg-type]
    except UsageImportFailed as exc:
        if as_json:
            click.echo(json.dumps({"file": file.name, "state": "failed", "import_id": exc.import_id,
                                   "dry_run": dry_run, "message": exc.reason, "events_added": 0},
                                  indent=2, ensure_ascii=False))
        raise click.ClickException(exc.reason) from None
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    click.echo(_(
        "%(file)s: %(rows)s rows read, %(added)s events added, %(duplicates)s already imported.",
        file=file.name, rows=summary["rows_read"], added=summary["events_added"], duplicates=summary["duplicates"],
    ))
    if summary["first_day"]:
        click.echo(_("Days %(first)s to %(last)s (%(zone)s); %(n)s departments updated.", first=summary["first_day"],
                     last=summary["last_day"], zone=summary["timezone"], n=len(summary["departments_updated"])))
    unknown = summary["unknown_users"]
    if unknown:
        click.echo(_("%(n)s events of %(users)s unknown CRM users, by user name or id (kept, not counted):",
                     n=summary["unknown_events"], users=len(unknown)))
        for name, count in list(unknown.items())[:20]:
            click.echo(f"  {name}: {count}")
        if len(unknown) > 20:
            click.echo(_("  ... and %(n)s more (see --json).", n=len(unknown) - 20))
    excluded = summary["excluded_accounts"]
    if excluded:
        click.echo(_("%(n)s events of %(accounts)s service accounts kept out of adoption:",
                     n=summary["excluded_events"], accounts=len(excluded)))
        for name, count in list(excluded.items())[:20]:
            click.echo(f"  {name}: {count}")
    if summary["message"]:
        click.echo(summary["message"])
    if dry_run:
        click.echo(_("Dry run: nothing was saved."))


def register(import_group: click.Group) -> None:
    """Add `usage` to the `crmproject import` group."""
    import_group.add_command(import_usage_command)
