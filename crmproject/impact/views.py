"""Change impact of a plan: the heat map beside training and communications, the rating grid, the xlsx export.

Everyone reads; planners rate every department, a department head only their own department's row (the server
refuses a grid holding any other department's boxes)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.permissions import can_rate_any_impact, can_rate_impact, require
from crmproject.exports import download, download_name, spreadsheet_routes
from crmproject.i18n import _
from crmproject.impact import bp, services
from crmproject.impact.charts import impact_heatmap
from crmproject.impact.excel import impact_workbook
from crmproject.impact.forms import GridForm
from crmproject.impact.models import DIMENSIONS
from crmproject.plans.lookup import plan_or_404
from crmproject.plans.services import plan_today


@bp.get("/")
def index(plan_id: int):
    plan = plan_or_404(plan_id)
    impact = services.impact_map(plan, today=plan_today(plan))
    rated = any(d.levels for d in impact.departments)
    return render_template("impact/index.html", plan=plan, impact=impact,
                           figure=impact_heatmap(impact) if rated else None, rated=rated,
                           high=services.HIGH_IMPACT, low_training=services.LOW_TRAINING,
                           few=services.FEW_COMMUNICATIONS)


@spreadsheet_routes(bp, "/impact")
def export(plan_id: int):
    plan = plan_or_404(plan_id)
    impact = services.impact_map(plan, today=plan_today(plan))
    return download(impact_workbook(impact, services.grid(plan)), download_name(plan.name, _("change impact")))


def _shown(rows: list[services.GridRow]) -> dict[str, object]:
    """What the grid's boxes hold now, by box name."""
    values: dict[str, object] = {}
    for row in rows:
        for module_id, rating in row.ratings.items():
            for part in (*DIMENSIONS, "note"):
                values[services.cell_name(part, row.department.id, module_id)] = getattr(rating, part)
    return values


@bp.route("/grid", methods=["GET", "POST"])
def grid(plan_id: int):
    """The rating grid: everyone reads it; planners change every row, a department head their own."""
    plan = plan_or_404(plan_id)
    rows = services.grid(plan)
    editable = {r.department.id for r in rows if can_rate_impact(current_user, r.department.id)}
    form = GridForm()
    values = _shown(rows)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        require(can_rate_any_impact(current_user) and bool(editable))
        if not services.submitted_departments(request.form) <= editable:
            abort(403)  # a department head sending another department's cells
        if form.validate_on_submit():
            cells, read_errors = services.read_grid(request.form, rows, editable=editable)
            values.update({name: request.form.get(name, "") for name in request.form
                           if name.partition("-")[0] in (*DIMENSIONS, "note")})
            current = services.grid_version(plan, editable)
            if form.opened_version != current:
                errors[""] = [_("Someone saved these ratings while you had them open: what you typed is shown again, "
                                "check it against theirs and save again.")]
                form.version.data = str(current)
                status = 409
            elif read_errors:
                errors, status = {name: [message] for name, message in read_errors.items()}, 400
            else:
                services.save_grid(plan, rows, cells)
                flash(_("Change impact saved."), "success")
                return redirect(url_for("impact.index", plan_id=plan.id))
        else:
            status = 400
    else:
        form.version.data = str(services.grid_version(plan, editable))
    return render_template("impact/grid.html", plan=plan, rows=rows, form=form, values=values, errors=errors,
                           editable=editable, dimensions=DIMENSIONS, labels=services.DIMENSION_LABELS,
                           meaning=services.SCALE_MEANING, cell_name=services.cell_name), status
