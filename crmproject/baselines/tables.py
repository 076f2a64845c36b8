"""The baselines list's table, for its CSV download (crmproject.exports.Table)."""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l

BASELINES = Table(
    Column(_l("Baseline"), lambda b: b.name),
    Column(_l("Saved"), lambda b: b.saved_at.date()),
    Column(_l("By"), lambda b: b.saved_by.name if b.saved_by else None),
    Column(_l("Note"), lambda b: b.note),
)


def _name(s) -> str:
    """The item's name, and whether it was added or removed since the baseline, as the page marks it."""
    if s.added:
        return f"{s.name} ({_('added')})"
    return f"{s.name} ({_('removed')})" if s.removed else s.name


def _span(start, end) -> str:
    return f"{start.isoformat() if start else ''} – {end.isoformat() if end else ''}"


def _target(value, day) -> str | None:
    return None if value is None else f"{float(value):g} {_('by %(day)s', day=day.isoformat())}"


# a baseline's page: the plan now against it, in four tables (?table=phases, waves, tasks, kpis)
COMPARISON = {
    "phases": Table(
        Column(_l("Phase"), _name),
        Column(_l("Baseline"), lambda s: _span(s.then_start, s.then_end)),
        Column(_l("Now"), lambda s: _span(s.now_start, s.now_end)),
        Column(_l("Start slip"), lambda s: s.start_slip),
        Column(_l("End slip"), lambda s: s.end_slip),
    ),
    "waves": Table(
        Column(_l("Wave"), _name),
        Column(_l("Baseline"), lambda s: s.then_end),
        Column(_l("Now"), lambda s: s.now_end),
        Column(_l("Slip"), lambda s: s.end_slip),
    ),
    "tasks": Table(
        Column(_l("Task"), _name),
        Column(_l("Due then"), lambda s: s.then_end),
        Column(_l("Due now"), lambda s: s.now_end),
        Column(_l("Slip"), lambda s: s.end_slip),
    ),
    "kpis": Table(
        Column(_l("KPI"), _name),
        Column(_l("Target then"), lambda s: _target(s.then_value, s.then_end)),
        Column(_l("Target now"), lambda s: _target(s.now_value, s.now_end)),
    ),
}
