"""`crmproject tokens create|revoke|list`: personal API tokens from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from crmproject.i18n import _

SCOPES = ("read", "write", "ingest")


@click.group("tokens")
def tokens_group() -> None:
    """Personal API tokens (/api/v1)."""


def _user(email: str):
    from sqlalchemy import func, select

    from crmproject.auth.models import User
    from crmproject.extensions import db

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.BadParameter(_("There is no user %(email)s.", email=email), param_hint="--user")
    return user


@tokens_group.command("create")
@click.option("--user", "email", required=True, help="The e-mail address of the token's owner.")
@click.option("--scope", "scopes", type=click.Choice(SCOPES), multiple=True, required=True,
              help="read, write or ingest; repeat for several.")
@click.option("--days", type=click.IntRange(1, 366), default=90, show_default=True, help="Days until it expires.")
@click.option("--name", default="", help="What the token is for.")
@with_appcontext
def create(email: str, scopes: tuple[str, ...], days: int, name: str) -> None:
    """Make a token and print it: it is shown this once (only its hash is kept)."""
    from crmproject.api.models import TokenScope
    from crmproject.api.services import create_token
    from crmproject.errors import ValidationFailed
    from crmproject.extensions import db

    try:
        issued = create_token(_user(email), scopes=[TokenScope(s) for s in scopes], days=days, name=name)
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(issued.secret)
    click.echo(_("Token %(prefix)s… of %(email)s, scopes %(scopes)s, expires %(expires)s. It is not shown again.",
                 prefix=issued.token.prefix, email=issued.token.user.email, scopes=issued.token.scopes,
                 expires=issued.token.expires_at.strftime("%Y-%m-%d %H:%M UTC")), err=True)


@tokens_group.command("revoke")
@click.argument("prefix")
@with_appcontext
def revoke(prefix: str) -> None:
    """Revoke the token whose first characters (as `tokens list` shows them) are PREFIX."""
    from crmproject.api.services import find_by_prefix, revoke as revoke_token
    from crmproject.extensions import db

    found = find_by_prefix(prefix)
    if len(found) != 1:
        raise click.ClickException(_("No token starts with %(prefix)s.", prefix=prefix) if not found
                                   else _("Several tokens start with %(prefix)s: revoke them on the tokens page.",
                                          prefix=prefix))
    revoke_token(found[0], by=None)
    db.session.commit()
    click.echo(_("Token %(prefix)s… of %(email)s revoked.", prefix=found[0].prefix, email=found[0].user.email))


@tokens_group.command("list")
@click.option("--user", "email", default=None, help="Only this user's tokens.")
@with_appcontext
def list_tokens(email: str | None) -> None:
    """Every token (or one user's): prefix, owner, scopes, expiry, last use, revoked."""
    from crmproject.api.services import all_tokens, tokens_of

    for token in tokens_of(_user(email)) if email else all_tokens():
        when = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "-"
        state = "revoked" if token.revoked_at else "live"
        click.echo(f"{token.prefix}\t{token.user.email}\t{token.scopes}\t{token.expires_at:%Y-%m-%d}\t{when}\t{state}")
