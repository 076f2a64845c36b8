"""`crmproject plans templates|create`: the seed plan templates, and a plan made from one."""

from __future__ import annotations

import json
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from crmproject.cli_params import errors_text
from crmproject.i18n import _


@click.group("plans")
def plans_group() -> None:
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


@plans_group.command("templates")
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
            for t, r in zip(templates, read, strict=True)
        ], indent=2, ensure_ascii=False))
        return
    width = max((len(t.key) for t in templates), default=10)
    for t in templates:
        facts = _("%(phases)s phases, %(waves)s waves, %(days)s days", phases=len(t.phases), waves=len(t.waves), days=t.duration_days)
        click.echo(f"{t.key:<{width}}  {t.name} ({facts})")
        click.echo(f"{'':<{width}}  {t.summary}")


@plans_group.command("create")
@click.option("--template", "template_key", required=True, help="Template key, as `crmproject plans templates` lists it.")
@click.option("--start", "start", required=True, help="Start date, YYYY-MM-DD.")
@click.option("--name", default=None, help="Plan name (default: the template's name).")
@_language_option("Language of the plan's names, goals and texts (default: the instance's, CRMPROJECT_LOCALE).")
@with_appcontext
def plans_create(template_key: str, start: str, name: str | None, language: str | None) -> None:
    """Create a plan from a template, every date shifted to --start."""
    from crmproject.errors import NotFound, ValidationFailed
    from crmproject.extensions import db
    from crmproject.plans.seeds import (
        TemplateError,
        create_plan_from_template,
        get_template,
    )

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
        raise click.ClickException(errors_text(exc)) from None
    db.session.commit()
    click.echo(_(
        "Created plan %(id)s: %(name)s (%(start)s to %(end)s, %(phases)s phases, %(waves)s waves).",
        id=plan.id, name=plan.name, start=plan.start_date, end=plan.end_date, phases=len(plan.phases), waves=len(plan.waves),
    ))
