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
