"""The meetings list's table, for its CSV download (crmproject.exports.Table)."""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import lazy_gettext as _l

MEETINGS = Table(
    Column(_l("Date"), lambda m: m.held_on),
    Column(_l("Meeting"), lambda m: m.title),
    Column(_l("Agenda items"), lambda m: sum(len(items) for items in m.agenda.get("sections", {}).values())),
    Column(_l("Actions"), lambda m: len(m.actions)),
    Column(_l("Attendees"), lambda m: ", ".join(a.name for a in m.attendees)),
)
