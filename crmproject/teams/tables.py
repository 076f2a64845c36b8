"""The project team's table, for its CSV download (crmproject.exports.Table): rows are the team overview's role
statuses."""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l


def _held_by(status) -> str:
    if status.holder:
        return status.holder.holder_name
    return _("Vacant") if status.flagged else _("vacant")


def _holder(assignment) -> str:
    if not assignment.is_outside_person:
        return assignment.holder_name
    return f"{assignment.holder_name} ({assignment.organisation or _('outside')})"


def _history(status) -> str:
    """Who held the role, newest first, as the page lists them: name, organisation, from and to."""
    return "; ".join(
        f"{_holder(a)}: {a.start_date.isoformat()} – {a.end_date.isoformat() if a.end_date else _('now')}"
        for a in reversed(status.history))


TEAM = Table(
    Column(_l("Role"), lambda s: s.role.title),
    Column(_l("Held by today"), _held_by),
    Column(_l("History"), _history),
    Column(_l("Responsibilities"), lambda s: s.role.responsibilities),
)
