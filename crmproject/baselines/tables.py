"""The baselines list's table, for its CSV download (crmproject.exports.Table)."""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import lazy_gettext as _l

BASELINES = Table(
    Column(_l("Baseline"), lambda b: b.name),
    Column(_l("Saved"), lambda b: b.saved_at.date()),
    Column(_l("By"), lambda b: b.saved_by.name if b.saved_by else None),
    Column(_l("Note"), lambda b: b.note),
)
