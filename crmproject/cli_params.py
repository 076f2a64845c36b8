"""Option types shared by the feature commands (`crmproject import ...`, `crmproject export ...`)."""

from __future__ import annotations

from datetime import date

import click

from crmproject.i18n import _


def date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """A click callback: an ISO date (YYYY-MM-DD), or a usage error that says what was typed."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("%(value)s is not a date in the form YYYY-MM-DD.", value=repr(value))) from None


def encoding_option(function):
    """`--encoding NAME` for the import commands: a CSV file's encoding when the detector gets it wrong."""

    def chosen(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        from crmproject.spreadsheets.encoding import encoding_choice

        try:
            return encoding_choice(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return click.option("--encoding", default=None, metavar="NAME", callback=chosen,
                        help=_("Encoding of a CSV file, such as utf-8, cp1251 or cp1252 (default: detected)."))(function)


def errors_text(exc) -> str:
    """A ValidationFailed's messages on one line, each after its field: for a command's error."""
    return "; ".join(f"{field or 'error'}: {' '.join(messages)}" for field, messages in exc.errors.items())
