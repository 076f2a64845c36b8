"""The plan's adoption page's table of latest figures, for its CSV download (crmproject.exports.Table)."""

from __future__ import annotations

from datetime import date

from crmproject.adoption.services import adoption_percent
from crmproject.exports import Column, Table
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l


def latest_table(latest: dict, go_lives: dict[int, date], today: date) -> Table:
    """Each department's latest figures (`latest` by department id); a department not live yet, or without
    figures, says so in the Source column, as the page says it across the row."""
    def figure(name):
        def value(d):
            s = latest.get(d.id)
            live = go_lives.get(d.id) is not None and go_lives[d.id] <= today
            return getattr(s, name) if live and s is not None else None
        return value

    def percent(d):
        s = figure("day")(d) and latest[d.id]
        found = adoption_percent(s) if s else None
        return round(found) if found is not None else None

    def source(d):
        go_live = go_lives.get(d.id)
        if go_live is None:
            return _("not live yet: in no wave")
        if go_live > today:
            return _("not live yet: goes live on %(day)s", day=go_live.isoformat())
        s = latest.get(d.id)
        return s.source.label if s is not None else _("no figures yet")

    return Table(
        Column(_l("Department"), lambda d: d.name),
        Column(_l("Day"), figure("day")),
        Column(_l("Licensed seats"), figure("licensed_seats")),
        Column(_l("Active today"), figure("active_users")),
        Column(_l("Active, 7 days"), figure("weekly_active_users")),
        Column(_l("Active, 28 days"), figure("monthly_active_users")),
        Column(_l("Adoption"), percent),
        Column(_l("Source"), source),
    )


IMPORTS = Table(
    Column(_l("File"), lambda r: r.filename),
    Column(_l("When"), lambda r: r.created_at),
    Column(_l("State"), lambda r: r.state),
    Column(_l("Events added"), lambda r: r.events_added),
    Column(_l("Unknown users' events"), lambda r: r.unknown_events),
    Column(_l("Service accounts' events"), lambda r: r.excluded_events),
)
