"""The plans list's and the CRM modules' tables, for their CSV downloads (crmproject.exports.Table)."""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import lazy_gettext as _l

PLANS = Table(
    Column(_l("Name"), lambda p: p.name),
    Column(_l("Start"), lambda p: p.start_date),
    Column(_l("End"), lambda p: p.end_date),
    Column(_l("Horizon (years)"), lambda p: p.horizon_years),
)

MODULES = Table(
    Column(_l("Code"), lambda m: m.code),
    Column(_l("Name"), lambda m: m.name),
    Column(_l("Description"), lambda m: m.description),
)

PHASES = Table(
    Column("#", lambda p: p.position),
    Column(_l("Phase"), lambda p: p.name),
    Column(_l("Start"), lambda p: p.start_date),
    Column(_l("End"), lambda p: p.end_date),
    Column(_l("Status"), lambda p: p.status),
    Column(_l("Goal"), lambda p: p.goal),
    Column(_l("Exit criteria"), lambda p: p.exit_criteria),
)

WAVES = Table(
    Column("#", lambda w: w.position),
    Column(_l("Wave"), lambda w: f"{w.name} ({w.kind.label})"),
    Column(_l("Go-live"), lambda w: w.go_live_date),
    Column(_l("Departments"), lambda w: ", ".join(d.name for d in w.departments)),
    Column(_l("CRM modules"), lambda w: " ".join(m.code for m in w.modules)),
    Column(_l("Notes"), lambda w: w.notes),
)
