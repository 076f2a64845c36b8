"""The users page's table, for its CSV download (crmproject.exports.Table)."""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import lazy_gettext as _l


def user_status(user, throttles: dict) -> object:
    """What the Status column says of a user (as the page's badge)."""
    throttle = throttles.get(user.id)
    if not user.active:
        return _l("Deactivated")
    if throttle and throttle.locked:
        return _l("Locked")
    return _l("Throttled") if throttle else _l("Active")


def users_table(throttles: dict) -> Table:
    return Table(
        Column(_l("Name"), lambda u: u.name),
        Column(_l("E-mail"), lambda u: u.email),
        Column(_l("Role"), lambda u: u.role),
        Column(_l("Department"), lambda u: u.department.name if u.department else None),
        Column(_l("Status"), lambda u: user_status(u, throttles)),
        Column(_l("Last login"), lambda u: u.last_login_at),
    )
