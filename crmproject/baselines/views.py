"""A plan's baselines: saving one, and the plan now against one (slippage of phases, waves and tasks, KPI targets)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.permissions import allow, can_edit_plans
from crmproject.baselines import bp, services
from crmproject.baselines.forms import BaselineForm
from crmproject.baselines.models import PlanBaseline
from crmproject.baselines.tables import BASELINES, COMPARISON
from crmproject.errors import saving
from crmproject.exports import table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.plans.models import Plan
from crmproject.plans.lookup import plan_or_404

TASKS_SHOWN = 200


def _baseline(plan: Plan, baseline_id: int) -> PlanBaseline:
    baseline = db.session.get(PlanBaseline, baseline_id)
    if baseline is None or baseline.plan_id != plan.id:
        abort(404)
    return baseline


def _index(plan: Plan, form: BaselineForm, status: int = 200):
    return render_template("baselines/index.html", plan=plan, baselines=services.list_baselines(plan), form=form), status


@table_page(bp, "/")
def index(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    if wants_csv():
        return table_csv(BASELINES, services.list_baselines(plan), plan.name, _("baselines"))
    return _index(plan, BaselineForm(formdata=None))


@bp.post("/")
@allow(can_edit_plans)
def save(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    form = BaselineForm()
    if form.validate_on_submit():
        with saving(form) as outcome:
            baseline = services.save_baseline(plan, name=form.name.data or "", note=form.note.data or "",
                                              saved_by=current_user)
        if outcome.saved:
            flash(_("Baseline %(name)s saved.", name=baseline.name), "success")
            return redirect(url_for("baselines.show", plan_id=plan.id, baseline_id=baseline.id))
    return _index(plan, form, 400)


@table_page(bp, "/<int:baseline_id>")
def show(plan_id: int, baseline_id: int):
    plan = plan_or_404(plan_id, waves=False)
    baseline = _baseline(plan, baseline_id)
    comparison = services.compare(plan, baseline)
    if wants_csv():  # every task that moved, not only the TASKS_SHOWN that moved most
        asked = request.args.get("table", "")
        part = asked if asked in COMPARISON else "phases"
        return table_csv(COMPARISON[part], getattr(comparison, part), plan.name, baseline.name, part)
    return render_template("baselines/show.html", plan=plan, baseline=baseline, c=comparison,
                           baselines=services.list_baselines(plan), tasks_shown=TASKS_SHOWN)


@bp.post("/<int:baseline_id>/delete")
@allow(can_edit_plans)
def delete(plan_id: int, baseline_id: int):
    plan = plan_or_404(plan_id, waves=False)
    baseline = _baseline(plan, baseline_id)
    name = baseline.name
    services.delete_baseline(baseline)
    flash(_("Baseline %(name)s deleted.", name=name), "success")
    return redirect(url_for("baselines.index", plan_id=plan.id))
