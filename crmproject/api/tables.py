"""The token pages' table, for its CSV download (crmproject.exports.Table): never a secret, only each token's
prefix, as the page shows it."""

from __future__ import annotations

from datetime import datetime

from crmproject.exports import Column, Table
from crmproject.i18n import lazy_gettext as _l


def token_status(token, now: datetime) -> object:
    """What the Status column says of a token (as the page's badge)."""
    if token.revoked_at:
        return _l("Revoked")
    return _l("Expired") if token.expires_at <= now else _l("Active")


def tokens_table(now: datetime, *, owners: bool = False) -> Table:
    return Table(
        Column(_l("Token"), lambda t: f"{t.prefix}…"),
        *([Column(_l("Owner"), lambda t: t.user.email)] if owners else []),
        Column(_l("What it is for"), lambda t: t.name),
        Column(_l("Scopes"), lambda t: ", ".join(scope.value for scope in t.scope_list)),
        Column(_l("Created"), lambda t: t.created_at),
        Column(_l("Expires"), lambda t: t.expires_at),
        Column(_l("Last used"), lambda t: t.last_used_at),
        Column(_l("Status"), lambda t: token_status(t, now)),
    )
