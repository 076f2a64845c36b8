"""Adoption pages: the plan-wide adoption page and figures entered by hand for a department."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.adoption import bp, key_actions, people, services
from crmproject.adoption.charts import adoption_figure, heatmap_figure
from crmproject.adoption.forms import KeyActionsForm, SnapshotForm
from crmproject.adoption.tables import latest_table
from crmproject.auth.permissions import can_enter_measurement, can_see_people, planners_only, require
from crmproject.exports import download, download_name, spreadsheet_routes, table_csv, table_page, wants_csv
from crmproject.departments.models import Department
from crmproject.errors import saving
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.plans.services import department_waves, go_live_dates
from crmproject.plans.lookup import plan_or_404
from crmproject.plans.services import plan_today
from crmproject.reports.services import reporting_departments
from crmproject.training import completion as training_completion
from crmproject.training import services as training
from crmproject.training.charts import completion_heatmap, department_completion_figure

WINDOW_DAYS = 365


def adoption_context(plan, departments, *, today: date, weekly: bool = False) -> dict:
    """What the adoption charts need for some departments over the last year (shared with the department page).

    `weekly`: the line chart has a point a week (as the dashboard), read with the heat map's weeks, rather than
    a point a day (a year of 60 departments is 21,900 days: a line chart no one reads day by day, and most of
    the plan's adoption page's time)."""
    first = max(plan.start_date, today - timedelta(days=WINDOW_DAYS))
    target = services.adoption_target(plan)
    figures = services.weekly_figures([d.id for d in departments], first=first, last=today)
    weeks, table = services.weekly_table(figures)
    all_series = (services.weekly_series(departments, figures) if weekly
                  else services.series(departments, first=first, last=today))
    # the charts leave out the weeks before a department's go-live, and a department not live yet
    go_lives = go_live_dates(plan)
    live = [d for d in departments if d.id in table and d.id in go_lives and go_lives[d.id] <= today]
    adoption_chart = (adoption_figure(all_series, target=target, today=today, go_lives=go_lives, weekly=weekly)
                      if all_series else None)
    return dict(
        series=all_series, target=target,
        adoption_chart=adoption_chart if adoption_chart and adoption_chart["data"] else None,
        heatmap=heatmap_figure(weeks, [(d.name, table[d.id]) for d in live], target=target,
                               go_lives=[go_lives[d.id] for d in live]) if live else None,
        latest=services.latest(departments, today=today), go_lives=go_lives,
    )


@table_page(bp, "/plans/<int:plan_id>/adoption")
def plan_adoption(plan_id: int):
    plan = plan_or_404(plan_id)
    today = date.today()
    departments = reporting_departments(plan)
    if wants_csv():
        table = latest_table(services.latest(departments, today=today), go_live_dates(plan), today)
        return table_csv(table, departments, plan.name, _("adoption"))
    cells = training_completion.completion_cells(today=today)
    mandatory = [c.id for c in training.list_courses() if c.mandatory]
    ids = {d.id for d in departments}
    by_department = [row for row in training_completion.rollups(cells, course_ids=mandatory)[1] if row.department_id in ids]
    return render_template(
        "adoption/plan.html", plan=plan, departments=departments, today=today, percent=services.adoption_percent,
        training_chart=department_completion_figure(by_department) if by_department else None,
        training_heatmap=completion_heatmap(cells) if cells else None,
        **adoption_context(plan, departments, today=today, weekly=True),
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
            return redirect(url_for("department_page.show", department_id=department.id))
    return render_template("adoption/enter.html", department=department, form=form)


# --- the people behind the figures ----------------------------------------------------------------------


def _people_of(department_id: int) -> people.DepartmentPeople:
    """The department's people as the viewer may see them: 404 for an unknown department, 403 for a head of
    another one. The go-live is the department's first (the one its adoption chart starts at)."""
    department = db.get_or_404(Department, department_id)
    require(can_see_people(current_user, department.id))
    waves = department_waves(department)
    today = plan_today(waves[0].plan) if waves else date.today()
    return people.department_people(department, go_live=waves[0].go_live_date if waves else None,
                                    as_of=people.as_of_day(today))


def _group_arg() -> people.ActivityGroup | None:
    try:
        return people.ActivityGroup(request.args.get("group", ""))
    except ValueError:
        return None


@bp.get("/departments/<int:department_id>/adoption/people")
def department_people(department_id: int):
    found = _people_of(department_id)
    group = _group_arg()
    sort = request.args.get("sort", "group") if request.args.get("sort") in people.SORTS else "group"
    return render_template("adoption/people.html", found=found, department=found.department, group=group, sort=sort,
                           shown=found.shown(group=group, sort=sort), groups=list(people.ActivityGroup))


@spreadsheet_routes(bp, "/departments/<int:department_id>/adoption/people")
def department_people_download(department_id: int):
    found = _people_of(department_id)
    group = _group_arg()
    workbook = people.people_workbook(found, found.shown(group=group, sort="group"))
    scope = [group.value] if group else []
    return download(workbook, download_name(found.department.code, _("people"), *scope, today=found.as_of))


# --- key actions ------------------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/adoption/key-actions", methods=["GET", "POST"])
@planners_only
def key_action_rules(plan_id: int):
    plan = plan_or_404(plan_id)
    stored = key_actions.stored_mapping(plan)
    saved_text = {"rules_text": key_actions.mapping_text(stored)}
    form = KeyActionsForm(obj=stored, **saved_text) if request.method == "GET" else KeyActionsForm()
    if form.restore.data:
        form.rules_text.data = key_actions.format_rules(key_actions.default_rules())
    if form.validate_on_submit():
        with saving(form, stored, saved=saved_text) as outcome:
            key_actions.save_rules(plan, key_actions.parse_rules(form.rules_text.data or ""))
        if outcome.saved:
            flash(_("The key actions of %(plan)s are saved and counted again.", plan=plan.name), "success")
            return redirect(url_for("adoption.key_action_rules", plan_id=plan.id))
    return render_template("adoption/key_actions.html", plan=plan, form=form, defaults=key_actions.crm_defaults(),
                           separator=key_actions.SEPARATOR), form.http_status
