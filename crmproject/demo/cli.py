"""`crmproject demo`: the demo organisation, loaded and served."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from crmproject.i18n import _


@click.command("demo")
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
    from crmproject.demo.large import LargeDemoRefused, LargeDemoSummary, is_large_demo, load_large_demo
    from crmproject.demo.services import DEMO_PASSWORD, DemoSummary, load_demo
    from crmproject.extensions import current_flask_app, db

    upgrade(directory=current_app.extensions["migrate"].directory)
    language = DEMO_LANGUAGES[lang.lower()]
    started = time.perf_counter()
    summary: LargeDemoSummary | DemoSummary
    lines: list[str]
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

    run_simple(host, port, current_flask_app(), threaded=True, use_reloader=False, use_debugger=False)
