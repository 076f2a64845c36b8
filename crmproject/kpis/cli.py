"""`crmproject import kpis FILE`: KPI values from xlsx or csv, all or nothing."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from crmproject.cli_params import encoding_option
from crmproject.i18n import _


@click.command("kpis")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--plan", "plan_id", type=int, default=None, help="Only this plan's KPIs (needed when names repeat across plans).")
@click.option("--dry-run", is_flag=True, help="Check and report; save nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@encoding_option
@with_appcontext
def import_kpis(file: str, plan_id: int | None, dry_run: bool, as_json: bool, encoding: str | None) -> None:
    """Import KPI values (KPI, department, date, value, note) from xlsx or csv, all or nothing."""
    from pathlib import Path

    from crmproject.extensions import db
    from crmproject.kpis import importer
    from crmproject.plans.services import load_plan

    plan = None
    if plan_id is not None and (plan := load_plan(plan_id)) is None:
        raise click.BadParameter(_("There is no plan with the id %(id)s.", id=plan_id), param_hint="--plan")
    path = Path(file)
    try:
        result = importer.analyse(path.read_bytes(), path.name, plan=plan, encoding=encoding)
    except importer.ImportRefused as exc:
        if as_json:
            click.echo(json.dumps({"file": path.name, "refused": str(exc), "values_saved": 0}, indent=2))
        raise click.ClickException(str(exc)) from None
    saved = 0
    if not result.issues and not dry_run:
        saved = importer.save(result)
        db.session.commit()
    else:
        db.session.rollback()
    if as_json:
        click.echo(json.dumps(result.summary(saved), indent=2, ensure_ascii=False))
    else:
        click.echo(_("%(file)s, sheet %(sheet)s: %(rows)s rows read, %(valid)s values valid, %(saved)s saved.",
                     file=path.name, sheet=result.sheet, rows=result.rows_read, valid=len(result.rows), saved=saved))
        for issue in result.issues:
            click.echo(_("error: %(issue)s", issue=issue))
        for issue in result.warnings:
            click.echo(_("warning: %(issue)s", issue=issue))
    if result.issues:
        raise click.ClickException(_("Nothing was imported: %(n)s rows have errors.", n=len({i.row for i in result.issues})))


def register(import_group: click.Group) -> None:
    import_group.add_command(import_kpis)
