"""The risk register's table as the page shows it (filtered, sorted), for its CSV download
(crmproject.exports.Table): rows are the register's RiskViews. (The xlsx register, risks.excel, holds every risk
with its texts.)"""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l

REGISTER = Table(
    Column(_l("Risk"), lambda v: v.risk.title),
    Column(_l("Effective score"), lambda v: v.effective_score),
    Column(_l("Score"), lambda v: v.score),
    Column(_l("Department"), lambda v: v.risk.department.name if v.risk.department else _("Whole plan")),
    Column(_l("Owner"), lambda v: v.risk.owner.name if v.risk.owner else None),
    Column(_l("Status"), lambda v: v.risk.status),
    Column(_l("Next review"), lambda v: v.risk.review_date),
    Column(_l("Tasks"), lambda v: len(v.risk.tasks)),
)
