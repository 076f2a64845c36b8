"""`crmproject export report`: the leadership report of a plan as an xlsx file, for a scheduled job or an e-mail."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from crmproject.cli_params import date_option
from crmproject.i18n import _


@click.command("report")
@click.option("--plan", "plan_id", type=int, required=True, help="The plan's id.")
@click.option("--output", required=True, metavar="FILE", help="Where to write the workbook (.xlsx).")
@click.option("--wave", "wave_id", type=int, default=None, help="Only this wave's departments (a wave id).")
@click.option("--department", "department_id", type=int, default=None, help="Only this department (a department id).")
@click.option("--from", "first", callback=date_option, default=None, metavar="YYYY-MM-DD",
              help="First day of the weeks shown (default: the plan's start or first go-live).")
@click.option("--to", "last", callback=date_option, default=None, metavar="YYYY-MM-DD",
              help="Last day of the weeks shown (default: today).")
@with_appcontext
def export_report(plan_id: int, output: str, wave_id: int | None, department_id: int | None, first: date | None,
                  last: date | None) -> None:
    """Write the leadership report of a plan: summary, charts and the figures behind them."""
    from crmproject.dashboard.report import headline_figures, report_workbook
    from crmproject.dashboard.services import build_dashboard, parse_filters
    from crmproject.plans.services import load_plan
    from crmproject.plans.services import plan_today

    plan = load_plan(plan_id)
    if plan is None:
        raise click.BadParameter(_("There is no plan with the id %(id)s.", id=plan_id), param_hint="--plan")
    if wave_id is not None and wave_id not in {w.id for w in plan.waves}:
        raise click.BadParameter(_("Plan %(plan)s has no wave with the id %(id)s.", plan=plan.name, id=wave_id),
                                 param_hint="--wave")
    if department_id is not None and department_id not in {a.department_id for w in plan.waves for a in w.assignments}:
        raise click.BadParameter(_("No wave of plan %(plan)s has the department with the id %(id)s.", plan=plan.name,
                                   id=department_id), param_hint="--department")
    path = _output_path(output)

    args = {"wave": wave_id, "department": department_id, "from": first, "to": last}
    filters, notices = parse_filters({k: v.isoformat() if isinstance(v, date) else str(v)
                                      for k, v in args.items() if v is not None}, plan)
    d = build_dashboard(plan, filters, today=plan_today(plan))
    workbook = report_workbook(plan, d, notices=notices)
    try:
        with path.open("wb") as stream:
            workbook.save(stream)
    except OSError as exc:
        raise _cannot_write(path, exc) from None

    for notice in notices:
        click.echo(_("warning: %(issue)s", issue=notice))
    click.echo(_("Wrote the leadership report of %(plan)s (%(day)s) to %(path)s.", plan=plan.name,
                 day=d.today.isoformat(), path=path))
    for figure in headline_figures(d):
        click.echo(f"  {figure.text()}")


def _output_path(output: str) -> Path:
    """The output file, refused before any work when it cannot be a file (a folder, a missing folder)."""
    path = Path(output).expanduser()
    try:
        if path.is_dir():
            raise click.ClickException(_("%(path)s is a folder; give a file name such as report.xlsx.", path=path))
        if not path.parent.is_dir():
            raise click.ClickException(_("Cannot write %(path)s: the folder %(folder)s does not exist.", path=path,
                                         folder=path.parent))
    except OSError as exc:  # a name too long, a folder that cannot be read
        raise _cannot_write(path, exc) from None
    return path


def _cannot_write(path: Path, exc: OSError) -> click.ClickException:
    return click.ClickException(_("Cannot write %(path)s: %(reason)s.", path=path, reason=exc.strerror or exc))


def register(group: click.Group) -> None:
    """Add the report command to a group: `crmproject export report`."""
    group.add_command(export_report)
