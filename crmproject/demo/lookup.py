"""Finding the demo plan's objects by what the demo's tables call them.

The tables name phases, KPIs and team seats in English, as the seed plan template and the team's standard
seats are written; the plan's own names may be in another language (`crmproject demo --lang`), so these
look an object up by its place in the template, or by its kind, never by its name.
"""

from __future__ import annotations

from sqlalchemy import select

from crmproject.extensions import db
from crmproject.kpis.models import Kpi
from crmproject.plans.models import Phase, Plan
from crmproject.plans.seeds import get_template
from crmproject.teams.models import TeamRole, TeamRoleKind

DEMO_TEMPLATE = "pilot-then-waves"

SEATS = {
    TeamRoleKind.EXECUTIVE_SPONSOR: "Executive sponsor",
    TeamRoleKind.STEERING_COMMITTEE: "Steering committee member",
    TeamRoleKind.PROJECT_MANAGER: "Project manager",
    TeamRoleKind.TECHNICAL_SUPPORT: "Technical support",
    TeamRoleKind.IMPLEMENTATION_PARTNER: "External implementation partner",
    TeamRoleKind.IT: "IT",
}


def template_phase(plan: Plan, name: str) -> Phase | None:
    """The plan's phase that the demo's template calls `name`: the phases keep the template's order."""
    names = [p.name for p in get_template(DEMO_TEMPLATE).phases]
    if name not in names or len(plan.phases) != len(names):
        return None
    return plan.phases[names.index(name)]


def template_kpis(plan: Plan) -> dict[str, Kpi]:
    """The plan's KPIs by the names the demo's template gives them: they were created in the template's order."""
    kpis = db.session.scalars(select(Kpi).where(Kpi.plan_id == plan.id).order_by(Kpi.id)).all()
    return {k.name: kpi for k, kpi in zip(get_template(DEMO_TEMPLATE).kpis, kpis, strict=False)}


def seat(role: TeamRole) -> str:
    """A team seat as the demo's tables name it: "Project manager", "Module lead SFA", "Key user SALES"."""
    if role.kind == TeamRoleKind.MODULE_LEAD and role.crm_module is not None:
        return f"Module lead {role.crm_module.code}"
    if role.kind == TeamRoleKind.KEY_USER and role.department is not None:
        return f"Key user {role.department.code}"
    return SEATS.get(role.kind, role.title)
