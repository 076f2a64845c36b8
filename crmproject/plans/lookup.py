"""How a plan-scoped view (and the API) finds its plan, and an object of that plan, or answers 404."""

from __future__ import annotations

from flask import abort

from crmproject.extensions import db
from crmproject.plans import services
from crmproject.plans.models import Plan


def plan_or_404(plan_id: int, *, waves: bool = True, description: str | None = None) -> Plan:
    """The plan with its phases and waves loaded (phases only without `waves`), or a 404 (with `description`,
    the API's problem detail) for every plan-scoped view."""
    plan = services.load_plan(plan_id, waves=waves)
    if plan is None:
        abort(404, description)
    return plan


def child_or_404(model, plan: Plan, child_id: int, *, description: str | None = None):
    """The plan's object of `model` with this id, or a 404: an id of another plan's object is not found here."""
    child = db.session.get(model, child_id)
    if child is None or child.plan_id != plan.id:
        abort(404, description)
    return child
