"""The maturity page's list of assessments, for its CSV download (crmproject.exports.Table). (The xlsx,
maturity.excel, holds every agreed level and rating.)"""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import lazy_gettext as _l
from crmproject.maturity.blocks import BLOCKS
from crmproject.maturity.services import scope_label

ASSESSMENTS = Table(
    Column(_l("Assessed on"), lambda a: a.assessed_on),
    Column(_l("Assessed"), scope_label),
    Column(_l("Title"), lambda a: a.title),
    Column(_l("Assessors"), lambda a: ", ".join(p.name for p in a.assessors)),
    Column(_l("Blocks agreed"), lambda a: f"{len(a.agreed)} / {len(BLOCKS)}"),
)
