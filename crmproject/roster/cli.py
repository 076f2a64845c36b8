"""`crmproject import roster FILE`: the employee roster from xlsx or csv, all or nothing."""

from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import with_appcontext

from crmproject.cli_params import encoding_option, errors_text
from crmproject.i18n import _


@click.command("roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Check and report; save nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@encoding_option
@with_appcontext
def import_roster(file: str, dry_run: bool, as_json: bool, encoding: str | None) -> None:
    """Import the employee roster (name, e-mail, department, CRM user name, job role, start date, active), all or nothing."""
    from pathlib import Path

    from crmproject.errors import ValidationFailed
    from crmproject.extensions import db
    from crmproject.roster import importer
    from crmproject.roster.signals import roster_saved

    path = Path(file)
    try:
        result = importer.analyse(path.read_bytes(), path.name, encoding=encoding)
    except importer.ImportRefused as exc:
        raise click.ClickException(str(exc)) from None
    counts = (0, 0, 0)
    recounted = 0
    if not result.issues and not dry_run:
        try:
            saved = importer.save(result, today=date.today())
            # usage already imported is counted as the new roster says (new user names, dated moves)
            recounted = sum(found for _receiver, found in roster_saved.send(saved) if isinstance(found, int))
            counts = saved.counts
        except ValidationFailed as exc:
            db.session.rollback()
            raise click.ClickException(errors_text(exc)) from None
        db.session.commit()
    else:
        db.session.rollback()
    if as_json:
        click.echo(json.dumps({**result.summary(*counts), "usage_events_recounted": recounted}, indent=2,
                              ensure_ascii=False))
    else:
        click.echo(_("%(file)s: %(rows)s rows read; %(created)s people added, %(updated)s updated, %(moved)s moved.",
                     file=path.name, rows=result.rows_read, created=counts[0], updated=counts[1], moved=counts[2]))
        if recounted:
            click.echo(_("%(n)s CRM usage events imported earlier are now counted as the roster says.", n=recounted))
        for issue in result.issues:
            click.echo(_("error: %(issue)s", issue=issue))
    if result.issues:
        raise click.ClickException(_("Nothing was imported: %(n)s rows have errors.", n=len({i.row for i in result.issues})))


def register(import_group: click.Group) -> None:
    import_group.add_command(import_roster)
