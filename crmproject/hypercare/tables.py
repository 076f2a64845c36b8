"""The hypercare page's two tables, for their CSV downloads (crmproject.exports.Table): the live departments, and
the issue log as the page filters it. (The xlsx, hypercare.excel, holds every issue with its texts.)"""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.spreadsheets.csv_copy import plain_number


def _open(d) -> str:
    if not d.open:
        return "0"
    return "; ".join(f"{n} {s.label}" for s, n in d.open_by_severity.items() if n)


def _exit(d) -> str:
    if d.criteria_met:
        return _("All %(n)s met", n=len(d.checks))
    return "; ".join(str(c.label) for c in d.failing)


DEPARTMENTS = Table(
    Column(_l("Department"), lambda d: d.name),
    Column(_l("Go-live"), lambda d: d.go_live),
    Column(_l("State"), lambda d: d.state),
    Column(_l("Open"), _open),
    Column(_l("Issues"), lambda d: d.issues),
    Column(_l("Responded within target"), lambda d: d.response_share),
    Column(_l("Resolved within target"), lambda d: d.resolution_share),
    Column(_l("Median response"), lambda d: d.response_median),
    Column(_l("Median resolution"), lambda d: d.resolution_median),
    Column(_l("Exit criteria"), _exit),
)


def _clock(hours, state) -> str:
    return f"{plain_number(hours)} {_('h')} ({state.label})" if hours is not None else str(state.label)


def issues_table(clocks: dict, local) -> Table:
    """`clocks`: each issue's clock by id; `local`: a moment as the plan's local time (naive)."""
    return Table(
        Column(_l("Issue"), lambda i: i.title),
        Column(_l("Department"), lambda i: i.department.name),
        Column(_l("Severity"), lambda i: i.severity),
        Column(_l("Reported"), lambda i: local(i.reported_at)),
        Column(_l("First response"), lambda i: _clock(clocks[i.id].response_hours, clocks[i.id].response)),
        Column(_l("Resolution"), lambda i: _clock(clocks[i.id].resolution_hours, clocks[i.id].resolution)),
        Column(_l("Handled by"), lambda i: i.handler.name if i.handler else None),
    )
