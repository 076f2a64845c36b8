"""Plan, phase, wave and module pages."""

from __future__ import annotations

from datetime import date
from typing import overload

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.permissions import allow, can_edit_plans, can_manage_modules

from crmproject.departments.services import list_departments
from crmproject.errors import NotFound, ValidationFailed, apply_to_form, flash_refusal, saving
from crmproject.exports import table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _, current_locale
from crmproject.plans import bp, seeds, services
from crmproject.plans.charts import timeline_figure
from crmproject.plans.forms import ModuleForm, PhaseForm, PlanForm, PlanFromTemplateForm, WaveForm
from crmproject.plans.lookup import child_or_404, plan_or_404
from crmproject.plans.models import Phase, PhaseStatus, Plan, ReportingPeriod, Wave, WaveKind
from crmproject.plans.tables import MODULES, PHASES, PLANS, WAVES


def _saved(message: str, plan: Plan):
    flash(message, "success")
    return redirect(url_for("plans.show", plan_id=plan.id))


def _refused(exc: ValidationFailed, plan: Plan):
    flash_refusal(exc)
    return redirect(url_for("plans.show", plan_id=plan.id))


@table_page(bp, "/")
def index():
    plans = services.list_plans()
    if wants_csv():
        return table_csv(PLANS, plans, _("plans"))
    return render_template("plans/index.html", plans=plans)


@table_page(bp, "/<int:plan_id>")
def show(plan_id: int):
    plan = plan_or_404(plan_id)
    if wants_csv():  # the page's two tables: its phases, or (?table=waves) its waves
        waves = request.args.get("table") == "waves"
        return table_csv(WAVES if waves else PHASES, plan.waves if waves else plan.phases, plan.name,
                         _("waves") if waves else _("phases"))
    departments = list_departments()
    return render_template(
        "plans/show.html", plan=plan, timeline=timeline_figure(plan, today=date.today()),
        unassigned=services.unassigned_departments(plan, departments),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(can_edit_plans)
def new():
    form = PlanForm()
    if form.validate_on_submit():
        with saving(form) as outcome:
            plan = services.create_plan(
                name=form.name.data, start=form.start_date.data, end=form.end_date.data, vision=form.vision.data or "",
                horizon_years=form.horizon_years.data, created_by=current_user,
                reporting_period=ReportingPeriod(form.reporting_period.data),
            )
        if outcome.saved:
            return _saved(_("Plan %(name)s created. Add its phases and waves next.", name=plan.name), plan)
    return render_template("plans/form.html", form=form, plan=None)


@bp.route("/from-template", methods=["GET", "POST"])
@allow(can_edit_plans)
def from_template():
    language = current_locale()  # the plan's texts are in its creator's language, as the templates are shown
    templates = [t.localized(language) for t in seeds.load_templates()]
    form = PlanFromTemplateForm()
    form.template.choices = options((t.key, t.name) for t in templates)
    if request.method == "GET":
        form.template.data = request.args.get("template") or (templates[0].key if templates else None)
        form.start_date.data = date.today()
    if form.validate_on_submit():
        try:
            template = seeds.get_template(form.template.data).localized(language)
            plan = seeds.create_plan_from_template(
                template, start=form.start_date.data, name=form.name.data, created_by=current_user, language=language
            )
        except NotFound as exc:
            form.template.errors = [str(exc)]
        except ValidationFailed as exc:
            db.session.rollback()
            apply_to_form(form, exc)  # a taken name lands on the name field, anything else above the form
        else:
            return _saved(_("Plan %(name)s created from the template %(template)s.", name=plan.name, template=template.name), plan)
    return render_template("plans/from_template.html", form=form, templates=templates)


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@allow(can_edit_plans)
def edit(plan_id: int):
    plan = plan_or_404(plan_id)
    form = PlanForm(obj=plan if request.method == "GET" else None)
    if request.method == "GET":
        form.reporting_period.data = plan.reporting_period.value
    if form.validate_on_submit():
        with saving(form, plan) as outcome:
            services.update_plan(
                plan, name=form.name.data, start=form.start_date.data, end=form.end_date.data,
                vision=form.vision.data or "", horizon_years=form.horizon_years.data,
                reporting_period=ReportingPeriod(form.reporting_period.data),
            )
        if outcome.saved:
            return _saved(_("Plan %(name)s saved.", name=plan.name), plan)
    return render_template("plans/form.html", form=form, plan=plan), form.http_status


@bp.post("/<int:plan_id>/delete")
@allow(can_edit_plans)
def delete(plan_id: int):
    plan = plan_or_404(plan_id)
    name = plan.name
    services.delete_plan(plan)
    flash(_("Plan %(name)s deleted.", name=name), "success")
    return redirect(url_for("plans.index"))


# --- phases ---------------------------------------------------------------------

@bp.route("/<int:plan_id>/phases/new", methods=["GET", "POST"])
@bp.route("/<int:plan_id>/phases/<int:phase_id>/edit", methods=["GET", "POST"])
@allow(can_edit_plans)
def phase_form(plan_id: int, phase_id: int | None = None):
    plan = plan_or_404(plan_id)
    phase = child_or_404(Phase, plan, phase_id) if phase_id else None
    form = PhaseForm(obj=phase if request.method == "GET" else None)
    if request.method == "GET" and phase is not None:
        form.status.data = phase.status.value
    if form.validate_on_submit():
        with saving(form, phase) as outcome:
            values = dict(
                name=form.name.data, start=form.start_date.data, end=form.end_date.data, goal=form.goal.data or "",
                exit_criteria=form.exit_criteria.data or "", status=PhaseStatus(form.status.data),
            )
            saved = services.add_phase(plan, **values) if phase is None else services.update_phase(phase, **values)
        if outcome.saved:
            return _saved(_("Phase %(name)s saved.", name=saved.name), plan)
    return render_template("plans/phase_form.html", form=form, plan=plan, phase=phase), form.http_status


@bp.post("/<int:plan_id>/phases/<int:phase_id>/delete")
@allow(can_edit_plans)
def phase_delete(plan_id: int, phase_id: int):
    plan = plan_or_404(plan_id)
    phase = child_or_404(Phase, plan, phase_id)
    name = phase.name
    try:
        services.delete_phase(phase)
    except ValidationFailed as exc:
        return _refused(exc, plan)
    return _saved(_("Phase %(name)s deleted.", name=name), plan)


@bp.post("/<int:plan_id>/phases/<int:phase_id>/move")
@allow(can_edit_plans)
def phase_move(plan_id: int, phase_id: int):
    plan = plan_or_404(plan_id)
    phase = child_or_404(Phase, plan, phase_id)
    services.move_phase(phase, -1 if request.form.get("direction") == "up" else 1)
    return _saved(_("Phase %(name)s moved.", name=phase.name), plan)


# --- waves -------------------------------------------------------------------------

@bp.route("/<int:plan_id>/waves/new", methods=["GET", "POST"])
@bp.route("/<int:plan_id>/waves/<int:wave_id>/edit", methods=["GET", "POST"])
@allow(can_edit_plans)
def wave_form(plan_id: int, wave_id: int | None = None):
    plan = plan_or_404(plan_id)
    wave = child_or_404(Wave, plan, wave_id) if wave_id else None
    form = WaveForm(obj=wave if request.method == "GET" else None)
    departments = {d.id: d for d in list_departments()}
    modules = {m.id: m for m in services.list_modules()}
    form.department_ids.choices = options((d.id, f"{d.name} ({d.code})") for d in departments.values())
    form.module_ids.choices = options((m.id, f"{m.code}: {m.name}") for m in modules.values())
    if request.method == "GET" and wave is not None:
        form.kind.data = wave.kind.value
        parts = _wave_parts(wave)
        form.department_ids.data, form.module_ids.data = parts["department_ids"], parts["module_ids"]
    elif request.method == "GET":
        form.kind.data = (WaveKind.PILOT if not plan.waves else WaveKind.WAVE).value
    if form.validate_on_submit():
        with saving(form, wave, saved=_wave_parts(wave)) as outcome:
            values = dict(
                name=form.name.data, go_live=form.go_live_date.data, kind=WaveKind(form.kind.data),
                departments=[departments[i] for i in form.department_ids.data or []],
                modules=[modules[i] for i in form.module_ids.data or []], notes=form.notes.data or "",
            )
            saved = services.add_wave(plan, **values) if wave is None else services.update_wave(wave, **values)
        if outcome.saved:
            return _saved(_("Wave %(name)s saved.", name=saved.name), plan)
    taken = {a.department_id: w.name for w in plan.waves if w is not wave for a in w.assignments}
    return render_template("plans/wave_form.html", form=form, plan=plan, wave=wave, taken=taken), form.http_status


@overload
def _wave_parts(wave: Wave) -> dict[str, list[int]]: ...
@overload
def _wave_parts(wave: None) -> None: ...
def _wave_parts(wave: Wave | None) -> dict[str, list[int]] | None:
    """A wave's departments and modules as saved, by field name (they are not columns of the wave)."""
    if wave is None:
        return None
    return {"department_ids": [a.department_id for a in wave.assignments], "module_ids": [m.id for m in wave.modules]}


@bp.post("/<int:plan_id>/waves/<int:wave_id>/delete")
@allow(can_edit_plans)
def wave_delete(plan_id: int, wave_id: int):
    plan = plan_or_404(plan_id)
    wave = child_or_404(Wave, plan, wave_id)
    name = wave.name
    try:
        services.delete_wave(wave)
    except ValidationFailed as exc:
        return _refused(exc, plan)
    return _saved(_("Wave %(name)s deleted.", name=name), plan)


@bp.post("/<int:plan_id>/waves/<int:wave_id>/move")
@allow(can_edit_plans)
def wave_move(plan_id: int, wave_id: int):
    plan = plan_or_404(plan_id)
    wave = child_or_404(Wave, plan, wave_id)
    services.move_wave(wave, -1 if request.form.get("direction") == "up" else 1)
    return _saved(_("Wave %(name)s moved.", name=wave.name), plan)


# --- CRM modules ---------------------------------------------------------------------

@table_page(bp, "/modules", methods=("GET", "POST"))
def modules():
    form = ModuleForm()
    if request.method == "POST":
        if not can_manage_modules(current_user):
            abort(403)
        if form.validate_on_submit():
            with saving(form) as outcome:
                module = services.create_module(code=form.code.data, name=form.name.data, description=form.description.data or "")
            if outcome.saved:
                flash(_("Module %(code)s added.", code=module.code), "success")
                return redirect(url_for("plans.modules"))
    if wants_csv():
        return table_csv(MODULES, services.list_modules(), _("CRM modules"))
    return render_template("plans/modules.html", modules=services.list_modules(), form=form)


