"""`crmproject import tasks FILE --plan ID`: a task plan from xlsx, xls, ods or csv, all or nothing."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from crmproject.cli_params import encoding_option
from crmproject.i18n import _


@click.command("tasks")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--plan", "plan_id", type=int, required=True, help="The plan's id.")
@click.option("--sheet", default=None, help="Sheet name (default: the sheet with the most task rows).")
@click.option("--dry-run", is_flag=True, help="Check and report; save nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--create-phases", is_flag=True,
              help="Make top-level groups, sections and Phase/Workstream values that match no phase into new phases.")
@click.option("--phase-dates", type=click.Choice(["auto", "tasks", "durations", "spread"]), default="auto",
              show_default=True, help="Dates of new phases whose tasks have none: by their tasks' durations one after "
                                      "another from the plan's start, or spread evenly over the plan.")
@click.option("--column", "columns", multiple=True, metavar='FIELD="Header"',
              help="Map a column by hand, e.g. --column title=\"Sub Task\" (repeatable). Fields: "
                   "title, outline, owner, start, due, status, progress, priority, phase, duration, department, "
                   "category, predecessors, description.")
@click.option("--status-map", "status_map", multiple=True, metavar='"Word=status"',
              help="Read a status word as a status, e.g. --status-map \"Change is Needed=blocked\" (repeatable).")
@click.option("--category", "category_key", default="process_redesign", show_default=True,
              help="Category of rows without one (a category key or name).")
@click.option("--date-order", type=click.Choice(["auto", "day-first", "month-first"]), default="auto", show_default=True,
              help="How to read text dates like 05/03/2026.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even when others have errors.")
@encoding_option
@with_appcontext
def import_tasks(file: str, plan_id: int, sheet: str | None, dry_run: bool, as_json: bool, create_phases: bool,
                 phase_dates: str, columns: tuple[str, ...], status_map: tuple[str, ...], category_key: str,
                 date_order: str, skip_invalid: bool, encoding: str | None) -> None:
    """Import change tasks from an xlsx, xls, ods or csv task plan, all or nothing."""
    from pathlib import Path

    from crmproject.extensions import db
    from crmproject.plans.services import load_plan
    from crmproject.tasks import importer, services

    plan = load_plan(plan_id)
    if plan is None:
        raise click.BadParameter(_("There is no plan with the id %(id)s.", id=plan_id), param_hint="--plan")
    categories = services.ensure_categories()
    category = next((c for c in categories if category_key.casefold() in (c.key, c.name.casefold())), None)
    if category is None:
        raise click.BadParameter(_("There is no task category %(key)s.", key=category_key), param_hint="--category")
    path = Path(file)
    options = importer.ImportOptions(
        sheet=sheet, create_phases=create_phases, default_category_id=category.id, phase_dates=phase_dates,
        day_first={"auto": None, "day-first": True, "month-first": False}[date_order],
        column_names=_pairs(columns, "--column"), status_choices=_status_pairs(status_map),
    )
    try:
        preview = importer.analyse(importer.load_workbook(path.read_bytes(), path.name, encoding=encoding), plan, options)
    except importer.ImportRefused as exc:
        if as_json:
            click.echo(json.dumps({"file": path.name, "refused": str(exc), "tasks_created": 0}, indent=2,
                                  ensure_ascii=False))
        raise click.ClickException(str(exc)) from None
    created = []
    blocked = bool(preview.issues) and not skip_invalid
    if not dry_run and not blocked:
        created = importer.save(preview, plan, actor=None, default_category=category)
        db.session.commit()
    else:
        db.session.rollback()
    if as_json:
        click.echo(json.dumps(preview.summary(created=len(created)), indent=2, ensure_ascii=False))
    else:
        _echo_task_preview(path.name, preview, plan, created, dry_run)
    if blocked:
        raise click.ClickException(_("Nothing was imported: %(n)s rows have errors (see above; --skip-invalid imports the rest).",
                                     n=len({i.row for i in preview.issues})))


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """KEY=VALUE options (quotes around the value allowed) as a dict."""
    pairs = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip() or not text.strip():
            raise click.BadParameter(_("Write it as name=\"text\", not %(value)s.", value=value), param_hint=option)
        pairs[key.strip()] = text.strip().strip('"').strip("'")
    return pairs


def _status_pairs(values: tuple[str, ...]) -> dict[str, str]:
    from crmproject.tasks.import_status import status_choice
    from crmproject.tasks.models import TaskStatus

    chosen = {}
    for word, name in _pairs(values, "--status-map").items():
        status = status_choice(name)
        if status is None:
            raise click.BadParameter(_("%(name)s is not a status; the statuses are: %(all)s.", name=name,
                                       all=", ".join(s.value for s in TaskStatus)), param_hint="--status-map")
        chosen[word] = status.value
    return chosen


def _echo_task_preview(filename: str, preview, plan, created: list, dry_run: bool) -> None:
    click.echo(_("%(file)s, sheet %(sheet)s: header on row %(row)s, %(rows)s rows read, %(tasks)s tasks, "
                 "%(deps)s dependencies, %(phases)s phases found.",
                 file=filename, sheet=preview.sheet, row=preview.header_row, rows=preview.rows_read,
                 tasks=len(preview.importable), deps=preview.dependencies, phases=len(preview.groups)))
    click.echo(_("Columns: %(columns)s.", columns=", ".join(f"{c['field']}={c['column']} ({c['header']})"
                                                            for c in preview.columns_used())))
    for skipped in preview.skipped_sheets:
        click.echo(_("Sheet %(sheet)s skipped: %(reason)s.", sheet=skipped.name, reason=skipped.reason))
    for group in preview.groups:
        click.echo(_("Phase %(name)s: %(start)s to %(end)s (%(how)s).", name=group.name, how=group.placed,
                     start=group.start.isoformat() if group.start else "?", end=group.end.isoformat() if group.end else "?"))
    for issue in preview.issues:
        click.echo(_("error: %(issue)s", issue=issue))
    for issue in preview.warnings:
        click.echo(_("note: %(issue)s", issue=issue))
    if created:
        click.echo(_("Created %(n)s tasks in plan %(plan)s.", n=len(created), plan=plan.name))
    elif dry_run:
        click.echo(_("Dry run: nothing was saved."))


def register(import_group: click.Group) -> None:
    import_group.add_command(import_tasks)
