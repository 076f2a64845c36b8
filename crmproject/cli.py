"""The `crmproject` command: Flask's group (run, routes, shell, db) plus crmproject's own commands."""

from __future__ import annotations

import json
import sys
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from crmproject.app import create_app
from crmproject.cli_params import encoding_option
from crmproject.errors import ConfigError
from crmproject.i18n import _


def _cli_app() -> Flask:
    """The app for a command line.

    `crmproject demo` runs in demo mode. Housekeeping commands (db, users,
    plans) sign nothing, so they may use the instance folder's generated key;
    serving (`run`) still requires CRMPROJECT_SECRET_KEY unless --debug.
    """
    ctx = click.get_current_context(silent=True)
    command = ctx.find_root().invoked_subcommand if ctx is not None else None
    overrides = {"demo": {"DEMO": True}, "run": None}.get(command or "", {"ALLOW_INSTANCE_SECRET": True})
    try:
        return create_app(overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(cls=FlaskGroup, create_app=_cli_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """crmproject: run a CRM implementation project."""


# --- users -----------------------------------------------------------------------

@main.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["admin", "project_manager", "department_head", "executive"]), required=True)
@click.option("--department", "department_code", help="Department code; required for a department head.")
@click.password_option(help="Asked for when not given.")
@with_appcontext
def users_create(email: str, name: str, role: str, department_code: str | None, password: str) -> None:
    """Add a user."""
    from crmproject.auth.models import Role
    from crmproject.auth.services import create_user
    from crmproject.departments.services import get_department_by_code
    from crmproject.errors import ValidationFailed
    from crmproject.extensions import db

    department = None
    if department_code:
        department = get_department_by_code(department_code)
        if department is None:
            raise click.UsageError(_("There is no department with the code %(code)s.", code=department_code))
    try:
        user = create_user(email=email, name=name, password=password, role=Role(role), department=department)
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(_errors_text(exc)) from None
    db.session.commit()
    click.echo(_("Created %(role)s %(email)s (id %(id)s).", role=user.role.label, email=user.email, id=user.id))


def _errors_text(exc) -> str:
    return "; ".join(f"{field or 'error'}: {' '.join(messages)}" for field, messages in exc.errors.items())


# --- plans -------------------------------------------------------------------------

@main.group()
def plans() -> None:
    """Plan templates and plans."""


LANGUAGE_CHOICES = ("en", "ru", "zh", "fa")  # zh: Simplified Chinese (zh_Hans), the interface's only Chinese


def _language_option(help_text: str):
    return click.option("--lang", "language", type=click.Choice(LANGUAGE_CHOICES), default=None, help=help_text)


def _language(language: str | None) -> str:
    """The language given, else the instance's default (CRMPROJECT_LOCALE), as its catalogue is named."""
    from crmproject.plans.seeds import plan_language

    try:
        return plan_language(language or current_app.config.get("LOCALE") or "en")
    except ValueError:
        return "en"


@plans.command("templates")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_language_option("Language of the names and summaries (default: the instance's, CRMPROJECT_LOCALE).")
@with_appcontext
def plans_templates(as_json: bool, language: str | None) -> None:
    """List the seed plan templates (and check that every file is valid)."""
    from crmproject.plans.seeds import TemplateError, load_templates

    try:
        read = load_templates()
    except TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    shown = _language(language)
    templates = [t.localized(shown) for t in read]
    if as_json:
        click.echo(json.dumps([
            {"key": t.key, "name": t.name, "summary": t.summary, "duration_days": t.duration_days,
             "phases": len(t.phases), "waves": len(t.waves), "language": shown,
             "languages": list(r.languages)}
            for t, r in zip(templates, read)
        ], indent=2, ensure_ascii=False))
        return
    width = max((len(t.key) for t in templates), default=10)
    for t in templates:
        facts = _("%(phases)s phases, %(waves)s waves, %(days)s days", phases=len(t.phases), waves=len(t.waves), days=t.duration_days)
        click.echo(f"{t.key:<{width}}  {t.name} ({facts})")
        click.echo(f"{'':<{width}}  {t.summary}")


@plans.command("create")
@click.option("--template", "template_key", required=True, help="Template key, as `crmproject plans templates` lists it.")
@click.option("--start", "start", required=True, help="Start date, YYYY-MM-DD.")
@click.option("--name", default=None, help="Plan name (default: the template's name).")
@_language_option("Language of the plan's names, goals and texts (default: the instance's, CRMPROJECT_LOCALE).")
@with_appcontext
def plans_create(template_key: str, start: str, name: str | None, language: str | None) -> None:
    """Create a plan from a template, every date shifted to --start."""
    from crmproject.errors import NotFound, ValidationFailed
    from crmproject.extensions import db
    from crmproject.plans.seeds import TemplateError, create_plan_from_template, get_template

    try:
        start_date = date.fromisoformat(start)
    except ValueError:
        raise click.BadParameter(_("%(value)s is not a date in the form YYYY-MM-DD.", value=repr(start)), param_hint="--start") from None
    try:
        template = get_template(template_key)
        plan = create_plan_from_template(template, start=start_date, name=name, language=_language(language))
    except (NotFound, TemplateError) as exc:
        raise click.ClickException(str(exc)) from None
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(_errors_text(exc)) from None
    db.session.commit()
    click.echo(_(
        "Created plan %(id)s: %(name)s (%(start)s to %(end)s, %(phases)s phases, %(waves)s waves).",
        id=plan.id, name=plan.name, start=plan.start_date, end=plan.end_date, phases=len(plan.phases), waves=len(plan.waves),
    ))


# --- demo --------------------------------------------------------------------------

@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the database and demo data, then exit.")
@click.option("--scale", type=click.Choice(["standard", "large"]), default="standard", show_default=True,
              help="standard: the Northwind organisation (12 departments, a year of usage); large: 60 departments, "
                   "5,000 people and three years of figures, into a fresh database only.")
@click.option("--lang", "lang", type=click.Choice(["en", "ru", "zh", "fa"], case_sensitive=False), default="en",
              show_default=True,
              help="The language of the demo's names and texts, and of its users' interface: English, Russian, "
                   "Chinese (simplified) or Persian. A demo already loaded keeps its language.")
@with_appcontext
def demo(host: str, port: int, no_serve: bool, scale: str, lang: str) -> None:
    """Create or upgrade the database, load the demo organisation and serve the app."""
    import time

    from flask_migrate import upgrade

    from crmproject.demo.language import DEMO_LANGUAGES
    from crmproject.demo.large import LargeDemoRefused, is_large_demo, load_large_demo
    from crmproject.demo.services import DEMO_PASSWORD, load_demo
    from crmproject.extensions import db

    upgrade(directory=current_app.extensions["migrate"].directory)
    language = DEMO_LANGUAGES[lang.lower()]
    started = time.perf_counter()
    if scale == "large":
        try:
            summary = load_large_demo(today=date.today(), language=language)
        except LargeDemoRefused as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        lines = summary.describe()
    else:
        if is_large_demo():
            raise click.ClickException(_(
                "This database holds the large demo organisation; the standard demo needs a database of its own."))
        summary = load_demo(today=date.today(), language=language)
        lines = [summary.describe()]
    click.echo(_("Database: %(url)s", url=current_app.config["SQLALCHEMY_DATABASE_URI"]))
    for line in lines:
        click.echo(line)
    click.echo(_("Done in %(seconds).1f s.", seconds=time.perf_counter() - started))
    click.echo(_("Demo accounts (password %(password)s):", password=DEMO_PASSWORD))
    for email, role in summary.accounts:
        click.echo(f"  {email:<28} {role}")
    if no_serve:
        return
    click.echo(_("Serving on http://%(host)s:%(port)s (Ctrl+C to stop)", host=host, port=port))
    sys.stdout.flush()
    # Flask ignores app.run() inside its own command line, so serve with werkzeug directly.
    from werkzeug.serving import run_simple

    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False, use_debugger=False)


# --- background jobs -----------------------------------------------------------------------

@main.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="How many jobs run at once (threads).")
@with_appcontext
def worker(workers: int) -> None:
    """Run background jobs (usage imports, leadership reports) from the job queue until stopped (SIGTERM or Ctrl+C).

    For several web hosts: set CRMPROJECT_JOBS_BROKER=postgresql and CRMPROJECT_JOBS_IN_PROCESS=0 on them, and
    run this on one or more hosts with the same settings.
    """
    from crmproject import jobs

    app = current_app._get_current_object()
    click.echo(_("Running jobs from the %(broker)s queue with %(n)s workers (Ctrl+C to stop).",
                 broker=app.config.get("JOBS_BROKER") or "sqlite", n=workers))
    sys.stdout.flush()
    jobs.run_worker(app, workers=workers)


# --- imports -------------------------------------------------------------------------------

@main.group("import")
def import_group() -> None:
    """Import data from Excel or CSV files."""


def _register_feature_imports() -> None:
    """Importers that live with their feature add their commands to `crmproject import`."""
    from crmproject.adoption import cli as adoption_cli
    from crmproject.training import cli as training_cli

    adoption_cli.register(import_group)
    training_cli.register(import_group)


_register_feature_imports()


# --- exports -------------------------------------------------------------------------------

@main.group("export")
def export_group() -> None:
    """Write reports and exports to files."""


def _register_feature_exports() -> None:
    from crmproject.dashboard import cli as dashboard_cli

    dashboard_cli.register(export_group)


_register_feature_exports()


def _register_feature_groups() -> None:
    from crmproject.api.cli import tokens_group
    from crmproject.audit.cli import audit_group
    from crmproject.gates.cli import gates_group
    from crmproject.notifications.cli import notify_group

    main.add_command(gates_group)
    main.add_command(audit_group)
    main.add_command(tokens_group)
    main.add_command(notify_group)


_register_feature_groups()


@import_group.command("tasks")
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
        raise click.ClickException(_("Nothing was imported: %(n)s rows have errors (see above; --skip-invalid imports the rest).", n=len({i.row for i in preview.issues})))


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
    click.echo(_("%(file)s, sheet %(sheet)s: header on row %(row)s, %(rows)s rows read, %(tasks)s tasks, %(deps)s dependencies, %(phases)s phases found.",
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


@import_group.command("kpis")
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


@import_group.command("roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Check and report; save nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@encoding_option
@with_appcontext
def import_roster(file: str, dry_run: bool, as_json: bool, encoding: str | None) -> None:
    """Import the employee roster (name, e-mail, department, CRM user name, job role, start date, active), all or nothing."""
    from pathlib import Path

    from crmproject.adoption.usage import refresh_after_roster_change
    from crmproject.errors import ValidationFailed
    from crmproject.extensions import db
    from crmproject.roster import importer

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
            recounted = refresh_after_roster_change(saved.moved_employee_ids)
            counts = saved.counts
        except ValidationFailed as exc:
            db.session.rollback()
            raise click.ClickException(_errors_text(exc)) from None
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
