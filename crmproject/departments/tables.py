"""The departments list's table, for its CSV download (crmproject.exports.Table)."""

from __future__ import annotations

from decimal import Decimal

from crmproject.exports import Column, Table
from crmproject.i18n import lazy_gettext as _l


def seats_per_head(department) -> Decimal | None:
    """Licensed seats per 100 people, as the page rounds it (a percentage)."""
    if not department.headcount:
        return None
    return round(Decimal(100) * department.licensed_seats / department.headcount)


DEPARTMENTS = Table(
    Column(_l("Code"), lambda d: d.code),
    Column(_l("Name"), lambda d: d.name),
    Column(_l("Department head"), lambda d: ", ".join(h.name for h in d.heads)),
    Column(_l("Headcount"), lambda d: d.headcount),
    Column(_l("Licensed seats"), lambda d: d.licensed_seats),
    Column(_l("Seats per head"), seats_per_head),
)
