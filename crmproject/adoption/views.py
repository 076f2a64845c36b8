"""Adoption pages: the plan-wide adoption page and figures entered by hand for a department."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.adoption import bp, services
from crmproject.adoption.charts import adoption_figure, heatmap_figure
from crmproject.adoption.forms import SnapshotForm
from crmproject.auth.permissions import can_enter_measurement, require
from crmproject.departments.models import Department
from crmproject.errors import saving
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.plans.services import go_live_dates
from crmproject.plans.views import plan_or_404
from crmproject.reports.services import reporting_departments
from crmproject.training import services as training
from crmproject.training.charts import completion_heatmap, department_completion_figure

WINDOW_DAYS = 365


def adoption_context(plan, departments, *, today: date) -> dict:
    """What the adoption charts need for some departments over the last year (shared with the department page)."""
    first = max(plan.start_date, today - timedelta(days=WINDOW_DAYS))
    all_series = services.series(departments, first=first, last=today)
    target = services.adoption_target(plan)
    weeks, table = services.weekly_table([d.id for d in departments], first=first, last=today)
    # the charts leave out the weeks before a department's go-live, and a department not live yet
    go_lives = go_live_dates(plan)
    live = [d for d in departments if d.id in table and d.id in go_lives and go_lives[d.id] <= today]
    adoption_chart = adoption_figure(all_series, target=target, today=today, go_lives=go_lives) if all_series else None
    return dict(
        series=all_series, target=target,
        adoption_chart=adoption_chart if adoption_chart and adoption_chart.data else None,
        heatmap=heatmap_figure(weeks, [(d.name, table[d.id]) for d in live], target=target,
                               go_lives=[go_lives[d.id] for d in live]) if live else None,
        latest=services.latest(departments, today=today), go_lives=go_lives,
    )


@bp.get("/plans/<int:plan_id>/adoption")
def plan_adoption(plan_id: int):
    plan = plan_or_404(plan_id)
    today = date.today()
    departments = reporting_departments(plan)
    by_department = [row for row in training.completion_by_department(mandatory_only=True)
                     if row.department_id in {d.id for d in departments}] if departments else []
    cells = training.completion_cells()
    return render_template(
        "adoption/plan.html", plan=plan, departments=departments, today=today, percent=services.adoption_percent,
        training_chart=department_completion_figure(by_department) if by_department else None,
        training_heatmap=completion_heatmap(cells) if cells else None, **adoption_context(plan, departments, today=today),
    )


@bp.route("/departments/<int:department_id>/adoption", methods=["GET", "POST"])
def enter(department_id: int):
    department = db.get_or_404(Department, department_id)
    require(can_enter_measurement(current_user, department.id))
    form = SnapshotForm()
    if request.method == "GET":
        form.day.data = date.today()
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.enter_snapshot(
                department, day=form.day.data, active_users=form.active_users.data, logins=form.logins.data or 0,
                records_created=form.records_created.data, required_fields_share=form.required_fields_share.data,
                duplicate_share=form.duplicate_share.data, entered_by=current_user,
            )
        if outcome.saved:
            flash(_("Adoption figures for %(day)s saved.", day=form.day.data.isoformat()), "success")
            return redirect(url_for("departments.show", department_id=department.id))
    return render_template("adoption/enter.html", department=department, form=form)
