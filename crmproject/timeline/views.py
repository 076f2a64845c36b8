"""The plan's timeline page."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from crmproject.auth.permissions import can_update_task, task_department_scope
from crmproject.baselines.services import list_baselines
from crmproject.plans.lookup import plan_or_404
from crmproject.plans.services import plan_today
from crmproject.timeline import bp, services


@bp.get("/")
def show(plan_id: int):
    plan = plan_or_404(plan_id)
    baselines = list_baselines(plan)
    chosen = request.args.get("baseline", type=int)
    baseline = next((b for b in baselines if b.id == chosen), None)
    phase = next((p for p in plan.phases if p.id == request.args.get("phase", type=int)), None)
    data = services.timeline(plan, baseline=baseline, phase=phase, can_move=lambda t: can_update_task(current_user, t),
                             scope=task_department_scope(current_user), viewer_id=current_user.id)
    return render_template("timeline/show.html", plan=plan, t=data, baselines=baselines, baseline=baseline, phase=phase,
                           today=plan_today(plan))
