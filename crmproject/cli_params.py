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
