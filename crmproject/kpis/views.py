"""KPI register, KPI page with its chart, measurements and intermediate targets."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from crmproject.auth.models import User
from crmproject.auth.permissions import allow, can_comment_on_kpi, can_edit_kpis, can_enter_measurement, can_view, require
from crmproject.comments import targets as comment_targets
from crmproject.auth.services import list_active_users
from crmproject.departments.models import Department
from crmproject.departments.services import list_departments
from crmproject.errors import saving
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _, lazy_gettext
from crmproject.exports import download, download_name, spreadsheet_routes, table_csv, table_page, wants_csv
from crmproject.kpis import bp, services, tables
from crmproject.kpis.attainment import Rag
from crmproject.kpis.charts import kpi_figure
from crmproject.kpis.excel import measurements_workbook
from crmproject.kpis.forms import KpiForm, MeasurementForm, TargetForm
from crmproject.kpis.models import Direction, Frequency, GoalFamily, Kpi, KpiMeasurement, KpiTarget
from crmproject.kpis.tables import register_table
from crmproject.paging import page_arg
from crmproject.plans.models import Phase, Plan
from crmproject.plans.lookup import plan_or_404


def _kpi(plan: Plan, kpi_id: int) -> Kpi:
    kpi = db.session.get(Kpi, kpi_id)
    if kpi is None or kpi.plan_id != plan.id:
        abort(404)
    return kpi


def _none_first(pairs, label=None):
    return options([("", label or _("— none —"))] + list(pairs))


@table_page(bp, "/kpis")
def index(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    kpis = services.list_kpis(plan)
    rows = services.latest_attainment(kpis, today=date.today())
    grid: dict[int, dict[int | None, services.DepartmentAttainment]] = defaultdict(dict)
    for row in rows:
        grid[row.kpi.id][row.department.id if row.department else None] = row
    departments = sorted({r.department for r in rows if r.department}, key=lambda d: d.name)
    has_plan_wide = any(r.department is None for r in rows)
    columns = ([None] if has_plan_wide else []) + [d.id for d in departments]
    if wants_csv():
        return table_csv(register_table(grid, departments, has_plan_wide), kpis, plan.name, _("KPIs"))
    return render_template("kpis/index.html", plan=plan, kpis=kpis, grid=grid, departments=departments,
                           has_plan_wide=has_plan_wide, cells=_register_cells(columns))


def _register_cells(columns: list[int | None]):
    """A function drawing a KPI's cells of the register (its latest value in each column's department, None the
    whole plan), for the template.

    A register of 20 KPIs and 60 departments has 1,200 cells: drawn by Jinja, each cost about ten attribute
    lookups, filters and escapes (and a call through Jinja's machinery), together most of the page. The texts are
    translated once per page; the numbers and dates go through the templates' own filters; everything from the
    database is escaped.
    """
    number, day = current_app.jinja_env.filters["number"], current_app.jinja_env.filters["date"]
    title = _("%(value)s on %(day)s; expected %(expected)s")
    labels = {rag: escape(rag.label) for rag in Rag}
    empty = Markup('<td class="rag"><span class="muted">—</span></td>')

    def cell(found: services.DepartmentAttainment | None, href: str) -> Markup:
        if found is None:
            return empty
        result = found.result
        hover = title % {"value": number(result.actual), "day": day(found.measured_on),
                         "expected": number(result.expected)}
        return Markup(f'<td class="rag"><a class="badge {result.status.value}" href="{href}" '
                      f'title="{escape(hover)}">{labels[result.status]} · {escape(number(result.progress, 0))}%</a></td>')

    def cells(row: dict[int | None, services.DepartmentAttainment], href: str) -> Markup:
        safe_href = escape(href)
        return Markup("").join(cell(row.get(key), safe_href) for key in columns)
    return cells


@spreadsheet_routes(bp, "/kpis/values")
def export(plan_id: int):
    """Every KPI value of the plan, newest first."""
    plan = plan_or_404(plan_id)
    return download(measurements_workbook(services.plan_measurements(plan)), download_name(plan.name, _("KPI values")))


def _kpi_form(plan: Plan, kpi: Kpi | None) -> KpiForm:
    form = KpiForm(obj=kpi if request.method == "GET" else None)
    form.department_id.choices = _none_first(((d.id, d.name) for d in list_departments()), _("Whole plan"))
    form.owner_id.choices = _none_first((u.id, u.name) for u in list_active_users())
    if request.method == "GET" and kpi is not None:
        form.goal_family.data, form.direction.data, form.frequency.data = kpi.goal_family.value, kpi.direction.value, kpi.frequency.value
    elif request.method == "GET":
        form.baseline_date.data, form.target_date.data = plan.start_date, plan.end_date
    return form


@bp.route("/kpis/new", methods=["GET", "POST"])
@bp.route("/kpis/<int:kpi_id>/edit", methods=["GET", "POST"])
@allow(can_edit_kpis)
def kpi_form(plan_id: int, kpi_id: int | None = None):
    plan = plan_or_404(plan_id)
    kpi = _kpi(plan, kpi_id) if kpi_id else None
    form = _kpi_form(plan, kpi)
    if form.validate_on_submit():
        with saving(form, kpi) as outcome:
            values = services.KpiValues(
                name=form.name.data, goal_family=GoalFamily(form.goal_family.data), direction=Direction(form.direction.data),
                baseline_value=form.baseline_value.data, baseline_date=form.baseline_date.data,
                target_value=form.target_value.data, target_date=form.target_date.data, unit=form.unit.data or "",
                description=form.description.data or "", frequency=Frequency(form.frequency.data),
                department=db.session.get(Department, form.department_id.data) if form.department_id.data else None,
                owner=db.session.get(User, form.owner_id.data) if form.owner_id.data else None,
                red_threshold=form.red_threshold.data, amber_threshold=form.amber_threshold.data,
            )
            saved = services.create_kpi(plan, values) if kpi is None else services.update_kpi(kpi, values)
        if outcome.saved:
            flash(_("KPI %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("kpis.show", plan_id=plan.id, kpi_id=saved.id))
    return render_template("kpis/form.html", plan=plan, kpi=kpi, form=form), form.http_status


@bp.post("/kpis/<int:kpi_id>/delete")
@allow(can_edit_kpis)
def kpi_delete(plan_id: int, kpi_id: int):
    plan = plan_or_404(plan_id)
    kpi = _kpi(plan, kpi_id)
    name = kpi.name
    services.delete_kpi(kpi)
    flash(_("KPI %(name)s deleted with its measurements.", name=name), "success")
    return redirect(url_for("kpis.index", plan_id=plan.id))


def _measurement_form(kpi: Kpi, formdata=None) -> MeasurementForm:
    form = MeasurementForm(formdata=formdata)
    departments = [kpi.department] if kpi.department else list_departments()
    allowed = [d for d in departments if can_enter_measurement(current_user, d.id)]
    pairs: list[tuple[int | str, str]] = [(d.id, d.name) for d in allowed]
    if kpi.department is None and can_edit_kpis(current_user):
        pairs = [("", _("Whole plan"))] + pairs
    form.department_id.choices = options(pairs)
    if formdata is None:
        form.measured_on.data = min(date.today(), kpi.plan.end_date)
        if current_user.department_id in {d.id for d in allowed}:
            form.department_id.data = current_user.department_id
    return form


@table_page(bp, "/kpis/<int:kpi_id>")
def show(plan_id: int, kpi_id: int):
    plan = plan_or_404(plan_id, waves=False)
    kpi = _kpi(plan, kpi_id)
    if wants_csv() and request.args.get("table") == "values":  # every value, not one page of them
        return table_csv(tables.VALUES, services.measurements(kpi), plan.name, kpi.name, _("KPI values"))
    if wants_csv():
        return table_csv(tables.ATTAINMENT, services.latest_attainment([kpi], today=date.today()), plan.name, kpi.name)
    return _show(plan, kpi, _measurement_form(kpi), _target_form(plan, kpi))


def _target_form(plan: Plan, kpi: Kpi, formdata=None) -> TargetForm:
    form = TargetForm(formdata=formdata, version=kpi.version)
    form.phase_id.choices = _none_first((p.id, p.name) for p in plan.phases)
    return form


VALUES_PER_PAGE = 100  # rows of the values table; the chart draws them all


def _show(plan: Plan, kpi: Kpi, measurement_form: MeasurementForm, target_form: TargetForm):
    today = date.today()
    total = services.measurement_count(kpi)
    pages = max(1, -(-total // VALUES_PER_PAGE))
    page = min(page_arg(), pages)
    shown = services.measurements(kpi, limit=VALUES_PER_PAGE, offset=(page - 1) * VALUES_PER_PAGE)
    return render_template(
        "kpis/show.html", plan=plan, kpi=kpi, measurements=shown, total_values=total, page=page, pages=pages,
        figure=kpi_figure(kpi, services.path_of(kpi), services.chart_values(kpi), today=today),
        attainment=services.latest_attainment([kpi], today=today), form=measurement_form, target_form=target_form,
        may_enter=bool(measurement_form.department_id.choices),
    ), target_form.http_status


@bp.post("/kpis/<int:kpi_id>/measurements")
def measurement_add(plan_id: int, kpi_id: int):
    plan = plan_or_404(plan_id)
    kpi = _kpi(plan, kpi_id)
    form = _measurement_form(kpi, formdata=request.form)
    require(bool(form.department_id.choices))
    if form.validate_on_submit():
        department = db.session.get(Department, form.department_id.data) if form.department_id.data else None
        require(can_enter_measurement(current_user, department.id if department else None) or can_edit_kpis(current_user))
        with saving(form) as outcome:
            services.record_measurement(kpi, measured_on=form.measured_on.data, value=services.parse_value(form.value.data),
                                        department=department, entered_by=current_user, note=form.note.data or "")
        if outcome.saved:
            flash(_("Value recorded."), "success")
            return redirect(url_for("kpis.show", plan_id=plan.id, kpi_id=kpi.id))
    return _show(plan, kpi, form, _target_form(plan, kpi))


@bp.post("/kpis/<int:kpi_id>/measurements/<int:measurement_id>/delete")
def measurement_delete(plan_id: int, kpi_id: int, measurement_id: int):
    plan = plan_or_404(plan_id)
    kpi = _kpi(plan, kpi_id)
    measurement = db.session.get(KpiMeasurement, measurement_id)
    if measurement is None or measurement.kpi_id != kpi.id:
        abort(404)
    require(can_enter_measurement(current_user, measurement.department_id))
    services.delete_measurement(measurement)
    flash(_("Value deleted."), "success")
    return redirect(url_for("kpis.show", plan_id=plan.id, kpi_id=kpi.id))


@bp.post("/kpis/<int:kpi_id>/targets")
@allow(can_edit_kpis)
def target_add(plan_id: int, kpi_id: int):
    plan = plan_or_404(plan_id)
    kpi = _kpi(plan, kpi_id)
    form = _target_form(plan, kpi, formdata=request.form)
    if form.validate_on_submit():
        with saving(form, kpi, saved=_target_now(kpi, form)) as outcome:
            phase = db.session.get(Phase, form.phase_id.data) if form.phase_id.data else None
            if phase is not None and phase.plan_id != plan.id:
                abort(404)
            services.set_target(kpi, target_date=form.target_date.data, value=form.value.data, phase=phase)
        if outcome.saved:
            flash(_("Intermediate target saved."), "success")
            return redirect(url_for("kpis.show", plan_id=plan.id, kpi_id=kpi.id))
    return _show(plan, kpi, _measurement_form(kpi), form)


def _target_now(kpi: Kpi, form: TargetForm) -> dict[str, object]:
    """The target saved for the form's date; a date without one has nothing to lose, so it compares equal."""
    target = next((t for t in kpi.targets if t.target_date == form.target_date.data), None)
    if target is None:
        return {"target_date": form.target_date.data, "value": form.value.data, "phase_id": form.phase_id.data}
    return {"target_date": target.target_date, "value": target.value, "phase_id": target.phase_id}


@bp.post("/kpis/<int:kpi_id>/targets/<int:target_id>/delete")
@allow(can_edit_kpis)
def target_delete(plan_id: int, kpi_id: int, target_id: int):
    plan = plan_or_404(plan_id)
    kpi = _kpi(plan, kpi_id)
    target = db.session.get(KpiTarget, target_id)
    if target is None or target.kpi_id != kpi.id:
        abort(404)
    services.remove_target(target)
    flash(_("Intermediate target removed."), "success")
    return redirect(url_for("kpis.show", plan_id=plan.id, kpi_id=kpi.id))


# a KPI takes comments (crmproject/comments): its page shows them
comment_targets.register(comment_targets.Target(
    type="kpis", kind=lazy_gettext("KPI"), load=lambda kpi_id: db.session.get(Kpi, kpi_id),
    plan_id=lambda kpi: kpi.plan_id, label=lambda kpi: kpi.name,
    url=lambda kpi: url_for("kpis.show", plan_id=kpi.plan_id, kpi_id=kpi.id),
    can_see=lambda user, kpi: can_view(user), can_comment=can_comment_on_kpi))
