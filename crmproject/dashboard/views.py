"""Leadership dashboard pages: the dashboard, its print view, the report download and the shape rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from crmproject.adoption import services as adoption
from crmproject.adoption.shapes import ShapeRules
from crmproject.auth.permissions import can_edit_plans, planners_only, task_department_scope
from crmproject.business_case.charts import cost_benefit_figure
from crmproject.business_case.services import business_case
from crmproject.cache import GenerationCache
from crmproject.charts import figure_json
from crmproject.dashboard import bp, charts
from crmproject.dashboard import jobs as report_jobs
from crmproject.dashboard.forms import ShapeRulesForm
from crmproject.dashboard.services import Dashboard, Filters, build_dashboard, parse_filters
from crmproject.dates import current_calendar
from crmproject.errors import saving
from crmproject.exports import download, spreadsheet_routes
from crmproject.extensions import current_flask_app, db
from crmproject.i18n import _, current_locale
from crmproject.plans.charts import timeline_figure
from crmproject.plans.models import Plan
from crmproject.plans.lookup import plan_or_404
from crmproject.maturity import services as maturity
from crmproject.maturity.blocks import level_label
from crmproject.maturity.charts import radar_figure
from crmproject.pulse import results as pulse
from crmproject.plans.services import plan_departments
from crmproject.plans.services import plan_today
from crmproject.risks import services as risks

CACHE = GenerationCache(max_entries=64)  # a rendered page of a large organisation is a few hundred kB
FILTER_ARGS = ("wave", "department", "from", "to")


def _figures(plan, d: Dashboard) -> dict[str, Markup]:
    """Every chart as JSON, escaped once for its data attribute (cached with the data)."""
    department_links = {row.id: url_for("department_page.show", department_id=row.id) for row in d.departments}
    args: dict[str, Any] = d.filters.args()  # (url_for's keywords are typed; these are none of them)
    wave_links = {w.id: url_for("dashboard.show", plan_id=d.plan_id, **{**args, "wave": str(w.id)})
                  for w in d.waves}
    kpi_links = {k.id: url_for("kpis.show", plan_id=d.plan_id, kpi_id=k.id) for k in d.kpis}
    figures = {
        "departments": charts.departments_figure(d, department_links),
        "waves": charts.waves_figure(d, wave_links),
        "heatmap": charts.heatmap(d, department_links),
        "training": charts.training_figure(d, department_links),
        "kpis": charts.kpi_figure(d, kpi_links),
        "timeline": timeline_figure(plan, today=d.today),
    }
    for trace in figures["timeline"]["data"]:  # phases and go-lives are the plan page's
        trace["meta"] = {"link": url_for("plans.show", plan_id=d.plan_id)}
    return {name: Markup(escape(figure_json(fig))) for name, fig in figures.items()}


@dataclass(frozen=True)
class _Page:
    """A rendered dashboard (its content below the tabs) and the filters it shows, as the cache keeps it."""

    content: Markup
    args: dict[str, str]
    notices: bool  # some filter values were left out: such a page is not kept


def _normalised(name: str) -> str:
    """A filter argument as the cache keys it: 'wave=01' and 'wave=1' are one page."""
    text = (request.args.get(name) or "").strip()
    if text.isascii() and text.isdecimal() and len(text) <= 9:
        return str(int(text))
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return text[:40]


def _page(plan_id: int, *, printing: bool) -> tuple[_PlanHead, _Page]:
    """The plan and its dashboard for the request's filters.

    While no data changed (crmproject.cache), a repeat costs two queries (the
    plan, the data generation) and the page around the cached content: the
    figures, charts and tables are computed and rendered once per filter,
    day, language and permission to change the rules.
    """
    plan = _plan_head(plan_id)
    today = plan_today(plan)  # type: ignore[arg-type]
    raw = tuple(_normalised(name) for name in FILTER_ARGS)

    def compute() -> _Page:
        full = plan_or_404(plan_id)  # phases, waves and departments loaded
        filters, notices = parse_filters(request.args, full)
        d = build_dashboard(full, filters, today=today)
        case = business_case(full, today=today)
        figures = _figures(full, d)
        figures["costs"] = Markup(escape(figure_json(cost_benefit_figure(
            case, link=url_for("business_case.index", plan_id=full.id)))))
        waves = {a.department_id: w.id for w in full.waves for a in w.assignments}
        departments = [x for x in plan_departments(full)  # the readiness of the departments the filters keep
                       if filters.department_id in (None, x.id) and filters.wave_id in (None, waves.get(x.id))]
        readiness = pulse.latest_readiness([x.id for x in departments], today=today, plan_id=full.id)
        readiness_figures = _readiness(full, today=today)
        if readiness_figures["radar"].latest is not None:
            figures["maturity"] = Markup(escape(figure_json(readiness_figures.pop("radar_figure"))))
        content = render_template("dashboard/_content.html", plan=full, d=d, figures=figures, case=case,
                                  notices=notices, printing=printing, pulse_elements=pulse.ELEMENTS,
                                  pulse_rows=[(x, readiness.get(x.id)) for x in departments] if readiness else [],
                                  level_label=level_label, **readiness_figures)
        return _Page(Markup(content), d.filters.args(), bool(notices))

    key = ("dashboard", plan.id, raw, today, printing, current_locale(), current_calendar(), can_edit_plans(current_user))
    # pages with notices (values that were left out) are computed but not kept: odd links cannot fill the cache
    return plan, CACHE.get_or_compute(key, compute, enabled=current_app.config.get("DASHBOARD_CACHE", True),
                                      keep=lambda page: not page.notices)


TOP_RISKS = 5


def _readiness(plan: Plan, *, today: date) -> dict:
    """What leadership reads of the readiness section: the organisation's latest maturity against the target and
    the previous assessment, and the open risks that score highest (the indicators' reasons with them)."""
    assessments = maturity.plan_assessments(plan)
    radar = maturity.radar(assessments, None, maturity.targets(plan))
    on = lambda a: a.assessed_on.isoformat() if a else ""  # noqa: E731
    scored = risks.open_risks(plan, today=today)
    return {
        "radar": radar,
        "radar_figure": radar_figure(radar.latest_levels, radar.previous_levels, radar.targets,
                                     latest_name=_("Latest (%(day)s)", day=on(radar.latest)),
                                     previous_name=_("Previous (%(day)s)", day=on(radar.previous))),
        "top_risks": scored[:TOP_RISKS], "open_risks": len(scored),
        "critical_risks": sum(1 for v in scored if v.level == "critical"),
        "overdue_reviews": len(risks.overdue_reviews((v.risk for v in scored if v.risk is not None), today=today)),
    }


@dataclass(frozen=True)
class _PlanHead:
    """What the page around the cached content needs of a plan."""

    id: int
    name: str
    timezone: str


def _plan_head(plan_id: int) -> _PlanHead:
    """The plan's id, name and time zone, or a 404: kept while the plans table is unchanged, so a cached
    dashboard costs no query for its plan."""
    def load() -> _PlanHead | None:
        plan = db.session.get(Plan, plan_id)
        return _PlanHead(plan.id, plan.name, plan.timezone) if plan is not None else None

    head = CACHE.get_or_compute(("plan head", plan_id), load, tables=("plans",),
                                enabled=current_app.config.get("DASHBOARD_CACHE", True))
    if head is None:
        abort(404)
    return head


@bp.get("/dashboard")
def show(plan_id: int):
    plan, page = _page(plan_id, printing=False)
    return render_template("dashboard/show.html", plan=plan, page=page)


@bp.get("/dashboard/print")
def print_view(plan_id: int):
    plan, page = _page(plan_id, printing=True)
    # _PlanHead has the one field plan_today reads (timezone); plan_today is typed for a Plan
    return render_template("dashboard/print.html", plan=plan, page=page, today=plan_today(plan))  # type: ignore[arg-type]


@spreadsheet_routes(bp, "/dashboard/report")
def report_download(plan_id: int):
    plan = plan_or_404(plan_id)
    filters, notices = parse_filters(request.args, plan)
    today = plan_today(plan)
    from crmproject.dashboard import report  # openpyxl's chart modules load only for a download

    workbook = report.build_report(plan, today=today, filters=filters, notices=notices,
                                   task_scope=task_department_scope(current_user))
    return download(workbook, report.report_filename(plan, filters, today=today))


@bp.post("/dashboard/reports")
def report_start(plan_id: int):
    """Build the report on the job queue (the dashboard's filters travel as form fields) and follow it."""
    plan = plan_or_404(plan_id)
    args = {key: value for key in FILTER_ARGS if (value := request.form.get(key, "").strip())}
    token = report_jobs.start_report_job(current_flask_app(), plan, args, current_user)
    return redirect(url_for("dashboard.report_status", plan_id=plan.id, token=token))


def _report_or_404(plan_id: int, token: str) -> dict:
    found = report_jobs.report_status(token, plan_id=plan_id, user_id=current_user.id)
    if found is None:
        abort(404)
    return found


@bp.get("/dashboard/reports/<token>")
def report_status(plan_id: int, token: str):
    plan = plan_or_404(plan_id, waves=False)
    return render_template("dashboard/report_status.html", plan=plan, token=token,
                           report=_report_or_404(plan.id, token), pending=report_jobs.PENDING)


@bp.get("/dashboard/reports/<token>/download")
@bp.get("/dashboard/reports/<token>/download.csv", endpoint="report_file_csv")
def report_file(plan_id: int, token: str):
    found = _report_or_404(plan_id, token)
    if found["state"] != "ready":
        return redirect(url_for("dashboard.report_status", plan_id=plan_id, token=token))
    return download(found["data"], found["filename"])


@bp.route("/dashboard/rules", methods=["GET", "POST"])
@planners_only
def rules(plan_id: int):
    plan = plan_or_404(plan_id)
    current = adoption.shape_rules(plan)
    stored = adoption.stored_rules(plan)
    form = ShapeRulesForm(obj=stored if request.method == "GET" else None)
    if form.validate_on_submit():
        with saving(form, stored) as outcome:
            adoption.save_shape_rules(plan, ShapeRules(
                min_weeks=form.min_weeks.data, effect_level=float(form.effect_level.data),
                fade_points=float(form.fade_points.data), fade_weeks=form.fade_weeks.data))
        if outcome.saved:
            flash(_("The adoption rules of %(plan)s are saved; the verdicts follow them.", plan=plan.name), "success")
            return redirect(url_for("dashboard.show", plan_id=plan.id))
    return render_template("dashboard/rules.html", plan=plan, form=form, rules=current, defaults=ShapeRules(),
                           today=date.today()), form.http_status


def filter_args(filters: Filters, **changes) -> dict[str, str]:
    """The filters as URL arguments with some changed (None removes one): for links that keep the view."""
    args = filters.args()
    for name, value in changes.items():
        key = {"first": "from", "last": "to"}.get(name, name)
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value.isoformat() if isinstance(value, date) else str(value)
    return args


@bp.app_context_processor
def _helpers() -> dict:
    return {"dashboard_args": filter_args}
