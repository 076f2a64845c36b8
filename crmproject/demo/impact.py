"""The demo plan's change impact: how hard the rollout hits each Northwind department, module by module.

Marketing and Customer Service change most (their processes are redrawn around MA and CSS); Telesales is
hit hard with little training done, so the heat map flags it; the enterprise wave is rated only in part, as a
project manager would have it eight months in."""

from __future__ import annotations

from sqlalchemy import func, select

from crmproject.demo.language import DemoTexts
from crmproject.extensions import db
from crmproject.impact.models import ImpactRating
from crmproject.impact.services import rate
from crmproject.plans.models import Plan

# department code -> {module code: (processes, tools, roles, note)}
RATINGS: dict[str, dict[str, tuple[int, int, int, str]]] = {
    "SALES": {"SFA": (4, 5, 3, "Pipeline stages replace the weekly Excel forecast; reps log every call.")},
    "MKT": {"MA": (5, 5, 3, "Campaigns planned, run and measured in MA instead of agency reports."),
            "SFA": (2, 2, 1, "Marketing hands leads to sales in the CRM.")},
    "KAM": {"SFA": (3, 4, 2, "Account plans move into the CRM; the key-account review stays monthly."),
            "MA": (1, 2, 1, "")},
    "TELE": {"SFA": (4, 4, 5, "Call scripts and lead routing in the CRM; team leads become queue managers."),
             "MA": (2, 3, 2, "Call lists come from MA segments.")},
    "CS": {"CSS": (5, 4, 4, "One case queue for phone, e-mail and web; first and second line redrawn.")},
    "SUP": {"CSS": (4, 5, 3, "Tickets move from the old helpdesk to CSS cases with service levels.")},
    "FIELD": {"CSS": (3, 4, 2, "Visit reports on the mobile app instead of paper job sheets."),
              "MOBILE": (3, 5, 2, "Tablets for every technician.")},
    "ECOM": {"MA": (3, 3, 2, "Web forms feed MA directly; the shop's own newsletter tool is retired.")},
    "FIN": {"ERPINT": (2, 3, 1, "Invoices and payment status shown in the CRM.")},
    "LOG": {"ERPINT": (2, 2, 1, "")},
}


def load_demo_impact(plan: Plan, *, texts: DemoTexts) -> None:
    """Rate the demo plan's cells, unless it has ratings already (idempotent). Flushes, does not commit."""
    if db.session.scalar(select(func.count()).select_from(ImpactRating).where(ImpactRating.plan_id == plan.id)):
        return
    rows = {a.department.code: (a.department, w) for w in plan.waves for a in w.assignments}
    for code, cells in RATINGS.items():
        if code not in rows:
            continue
        department, wave = rows[code]
        modules = {m.code: m for m in wave.modules}
        for module_code, (processes, tools, roles, note) in cells.items():
            if module_code in modules:
                rate(plan, department, modules[module_code], processes=processes, tools=tools, roles=roles,
                     note=texts(note))
