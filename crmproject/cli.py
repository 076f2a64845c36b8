"""The `crmproject` command: Flask's group (run, routes, shell, db) plus crmproject's own commands."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from crmproject.app import create_app
from crmproject.errors import ConfigError
from crmproject.extensions import current_flask_app
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

    app = current_flask_app()
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
    from crmproject.kpis import cli as kpis_cli
    from crmproject.roster import cli as roster_cli
    from crmproject.tasks import cli as tasks_cli
    from crmproject.training import cli as training_cli

    for feature in (tasks_cli, kpis_cli, roster_cli, training_cli, adoption_cli):
        feature.register(import_group)


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
    """Every feature's own commands, each from its package."""
    from crmproject.api.cli import tokens_group
    from crmproject.audit.cli import audit_group
    from crmproject.auth.cli import users_group
    from crmproject.demo.cli import demo
    from crmproject.gates.cli import gates_group
    from crmproject.notifications.cli import notify_group
    from crmproject.plans.cli import plans_group

    for command in (users_group, plans_group, demo, gates_group, audit_group, tokens_group, notify_group):
        main.add_command(command)


_register_feature_groups()
